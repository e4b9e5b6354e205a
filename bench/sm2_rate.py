"""SM2 signing and verification rate on one core, through tongban.federation.sm2 (OpenSSL 3 via ctypes).

    python bench/sm2_rate.py [--seconds 3] [--size 1024]

Signs and verifies ``--size``-byte messages (SM3withSM2, user id 1234567812345678) in one thread, pinned
to one CPU where the OS allows it, for about ``--seconds`` each. Prints the figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import ctypes
import os
import time

import _setup

from tongban.federation import sm2


def rate(seconds: float, step: object) -> tuple[int, float]:
    """Call ``step`` in batches until ``seconds`` have passed; return calls and elapsed time."""
    calls, began = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - began) < seconds:
        for _ in range(50):  # batches keep the clock reads out of the figure
            step()  # type: ignore[operator]
        calls += 50
    return calls, elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="time spent on each of sign and verify")
    parser.add_argument("--size", type=int, default=1024, help="message size in bytes")
    args = parser.parse_args()

    pinned = "not pinned"
    if hasattr(os, "sched_setaffinity"):
        cpu = min(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {cpu})  # one core, so the figure does not depend on the scheduler
        pinned = f"pinned to CPU {cpu}"

    key = sm2.PrivateKey.generate()
    public = key.public_key()
    message = os.urandom(args.size)
    signature = key.sign(message)
    for _ in range(200):  # warm up: first calls fetch OpenSSL's SM2/SM3 implementations from the provider
        public.verify(message, key.sign(message))

    signs, sign_time = rate(args.seconds, lambda: key.sign(message))
    verifies, verify_time = rate(args.seconds, lambda: public.verify(message, signature))
    keys, key_time = rate(min(args.seconds, 1.0), sm2.PrivateKey.generate)

    openssl_version = sm2._lib().OpenSSL_version  # not part of the module's API; declare it here
    openssl_version.restype, openssl_version.argtypes = ctypes.c_char_p, [ctypes.c_int]
    version = openssl_version(0)  # OPENSSL_VERSION: the "OpenSSL 3.0.x  date" string
    print(f"machine: {_setup.machine()}")
    print(f"library: {(version or b'?').decode()}, one thread, {pinned}")
    print(f"message: {args.size:,} bytes, user id {sm2.USER_ID.decode()}")
    print(f"sign:    {signs / sign_time:,.0f} /s  ({1e6 * sign_time / signs:.0f} µs each)")
    print(f"verify:  {verifies / verify_time:,.0f} /s  ({1e6 * verify_time / verifies:.0f} µs each)")
    print(f"keygen:  {keys / key_time:,.0f} /s")


if __name__ == "__main__":
    main()
