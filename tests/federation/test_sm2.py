"""国密SM2签名 through OpenSSL: round trips, and agreement with gmalg and the openssl CLI."""

from __future__ import annotations

import base64
import copy
import hashlib
import pickle
import random
import shutil
import subprocess
import threading
from pathlib import Path

import pytest
from gmalg import SM2 as GmalgSM2

from tests.conftest import need
from tongban.federation import sm2
from tongban.federation.sm2 import USER_ID, PrivateKey, PublicKey, SM2Error

# SubjectPublicKeyInfo up to the point: SEQUENCE { SEQUENCE { id-ecPublicKey, sm2p256v1 (1.2.156.10197.1.301) },
# BIT STRING (0 unused bits) }, then 04 || x || y. Written out by hand so the gmalg checks do not rely
# on our own encoder.
SM2_SPKI_PREFIX = bytes.fromhex("3059301306072a8648ce3d020106082a811ccf5501822d034200")
# The order n of the SM2 curve (GB/T 32918.5).
N = 0xFFFFFFFE_FFFFFFFF_FFFFFFFF_FFFFFFFF_7203DF6B_21C6052B_53BBF409_39D54123


# --- a small DER codec for (r, s), independent of OpenSSL --------------------------------------------


def _der_int(value: int) -> bytes:
    body = value.to_bytes(max(1, (value.bit_length() + 8) // 8), "big", signed=True)
    return b"\x02" + bytes([len(body)]) + body


def der_signature(r: int, s: int) -> bytes:
    body = _der_int(r) + _der_int(s)
    return b"\x30" + bytes([len(body)]) + body


def parse_signature(sig: bytes) -> tuple[int, int]:
    assert sig[0] == 0x30 and sig[1] == len(sig) - 2
    values, i = [], 2
    for _ in range(2):
        assert sig[i] == 0x02
        length = sig[i + 1]
        values.append(int.from_bytes(sig[i + 2 : i + 2 + length], "big", signed=True))
        i += 2 + length
    assert i == len(sig)
    return values[0], values[1]


def pem_from_der(der: bytes, label: str = "PUBLIC KEY") -> str:
    b64 = base64.b64encode(der).decode()
    lines = [b64[i : i + 64] for i in range(0, len(b64), 64)]
    return f"-----BEGIN {label}-----\n" + "\n".join(lines) + f"\n-----END {label}-----\n"


def public_point(key: PublicKey) -> bytes:
    der = key.to_der()
    assert der.startswith(SM2_SPKI_PREFIX) and len(der) == len(SM2_SPKI_PREFIX) + 65
    return der[len(SM2_SPKI_PREFIX) :]


@pytest.fixture(scope="module")
def key() -> PrivateKey:
    return PrivateKey.generate()


@pytest.fixture(scope="module")
def signed(key: PrivateKey) -> tuple[bytes, bytes]:
    data = "跨省通办 message #1".encode()
    return data, key.sign(data)


def _openssl() -> str:
    path = shutil.which("openssl")
    need("openssl CLI", path is not None, "apt-get install openssl")
    return path


def _run(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([_openssl(), *args], input=stdin, capture_output=True, check=False, timeout=60)


# --- our own round trip -----------------------------------------------------------------------------


def test_sign_verify_round_trip(key: PrivateKey, signed: tuple[bytes, bytes]) -> None:
    data, sig = signed
    public = key.public_key()
    assert public.verify(data, sig)
    r, s = parse_signature(sig)  # strict DER, two positive integers below n
    assert 0 < r < N and 0 < s < N
    assert len(sig) <= 72


def test_each_signature_is_fresh_and_verifies(key: PrivateKey) -> None:
    # SM2 draws a new random k per signature: equal signatures would mean a broken RNG and a leaked key.
    sigs = {key.sign(b"same data") for _ in range(20)}
    assert len(sigs) == 20
    assert all(key.public_key().verify(b"same data", sig) for sig in sigs)


def test_empty_and_large_data(key: PrivateKey) -> None:
    public = key.public_key()
    big = random.Random(7).randbytes(1 << 20)
    assert public.verify(b"", key.sign(b""))
    assert public.verify(big, key.sign(big))
    assert public.verify(bytearray(b"abc"), key.sign(memoryview(b"abc")))


def test_user_id_is_bound_into_the_signature(key: PrivateKey) -> None:
    public = key.public_key()
    sig = key.sign(b"data", user_id=b"node-310000@tongban")
    assert public.verify(b"data", sig, user_id=b"node-310000@tongban")
    assert not public.verify(b"data", sig)
    assert not public.verify(b"data", key.sign(b"data"), user_id=b"node-310000@tongban")


def test_empty_or_oversized_user_id_refused(key: PrivateKey) -> None:
    with pytest.raises(ValueError, match="empty"):
        key.sign(b"data", user_id=b"")
    with pytest.raises(ValueError, match="8190"):
        key.sign(b"data", user_id=b"x" * 8191)  # the standard's limit, one past OpenSSL's
    assert key.public_key().verify(b"data", key.sign(b"data", user_id=b"x" * 8190), user_id=b"x" * 8190)
    assert not key.public_key().verify(b"data", key.sign(b"data"), user_id=b"x" * 8191)
    assert not key.public_key().verify(b"data", key.sign(b"data"), user_id=b"")


def test_wrong_key_does_not_verify(signed: tuple[bytes, bytes]) -> None:
    data, sig = signed
    assert not PrivateKey.generate().public_key().verify(data, sig)


def test_changed_data_byte_fails(key: PrivateKey, signed: tuple[bytes, bytes]) -> None:
    data, sig = signed
    public = key.public_key()
    for i in range(len(data)):
        changed = bytearray(data)
        changed[i] ^= 0x01
        assert not public.verify(bytes(changed), sig), i
    assert not public.verify(data + b"\x00", sig)
    assert not public.verify(data[:-1], sig)


def test_changed_signature_byte_fails(key: PrivateKey, signed: tuple[bytes, bytes]) -> None:
    data, sig = signed
    public = key.public_key()
    for i in range(len(sig)):
        for bit in (0x01, 0x80):
            changed = bytearray(sig)
            changed[i] ^= bit
            assert not public.verify(data, bytes(changed)), (i, bit)


def _malformed(sig: bytes) -> dict[str, object]:
    r, s = parse_signature(sig)
    body = sig[2:]
    raw = r.to_bytes(32, "big") + s.to_bytes(32, "big")
    return {
        "empty": b"",
        "one zero byte": b"\x00",
        "bare sequence tag": b"\x30",
        "empty sequence": b"\x30\x00",
        "one integer": b"\x30" + bytes([len(_der_int(r))]) + _der_int(r),
        "truncated by one": sig[:-1],
        "truncated to ten": sig[:10],
        "trailing byte": sig + b"\x00",
        "raw r||s (not DER)": raw,
        "BER long-form length": b"\x30\x81" + bytes([len(body)]) + body,
        "integer with extra leading zero": der_signature(r, s)[:2]
        + b"\x02"
        + bytes([len(_der_int(r)) - 1])
        + b"\x00"
        + _der_int(r)[2:]
        + _der_int(s),
        "r = 0": der_signature(0, s),
        "s = 0": der_signature(r, 0),
        "r = n": der_signature(N, s),
        "s = n": der_signature(r, N),
        "r + n": der_signature(r + N, s),
        "negative r": der_signature(-r, s),
        "r and s swapped": der_signature(s, r),
        "huge": b"\x30\x84\x7f\xff\xff\xff" + b"\x00" * 100_000,
        "None": None,
        "str": sig.hex(),
        "int": 12345,
    }


def test_malformed_signatures_give_false_not_exceptions(key: PrivateKey, signed: tuple[bytes, bytes]) -> None:
    data, sig = signed
    public = key.public_key()
    for name, bad in _malformed(sig).items():
        assert public.verify(data, bad) is False, name  # type: ignore[arg-type]
    rng = random.Random(32918)
    for _ in range(2000):
        junk = rng.randbytes(rng.randrange(0, 100))
        if rng.random() < 0.5 and junk:  # look like DER often enough to reach the integer parser
            junk = b"\x30" + bytes([len(junk)]) + junk
        assert public.verify(data, junk) is False
    assert public.verify(data, sig)  # nothing above disturbed the library's state
    assert sm2._lib().ERR_get_error() == 0  # and no stale errors were left in this thread's queue


def test_str_data_is_a_programming_error(key: PrivateKey, signed: tuple[bytes, bytes]) -> None:
    _, sig = signed
    with pytest.raises(TypeError):
        key.public_key().verify("text", sig)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        key.sign("text")  # type: ignore[arg-type]


def test_sign_and_verify_from_threads(key: PrivateKey) -> None:
    public = key.public_key()
    failures: list[str] = []

    def work(n: int) -> None:
        for i in range(200):
            data = f"{n}-{i}".encode()
            sig = key.sign(data)
            if not public.verify(data, sig) or public.verify(data + b"!", sig):
                failures.append(f"{n}-{i}")

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []


# --- gmalg, an independent pure-Python implementation --------------------------------------------------


def test_gmalg_verifies_our_signature(key: PrivateKey, signed: tuple[bytes, bytes]) -> None:
    data, sig = signed
    r, s = parse_signature(sig)
    gm = GmalgSM2(pk=public_point(key.public_key()), uid=USER_ID)
    assert gm.verify(data, r.to_bytes(32, "big"), s.to_bytes(32, "big"))
    assert not gm.verify(data + b"x", r.to_bytes(32, "big"), s.to_bytes(32, "big"))
    # gmalg with another identifier disagrees: both sides really put the identifier into Z.
    other = GmalgSM2(pk=public_point(key.public_key()), uid=b"1234567812345679")
    assert not other.verify(data, r.to_bytes(32, "big"), s.to_bytes(32, "big"))


def test_we_verify_gmalg_signatures() -> None:
    gm = GmalgSM2(uid=USER_ID)
    secret, point = gm.generate_keypair()
    signer = GmalgSM2(sk=secret, pk=point, uid=USER_ID)
    public = PublicKey.from_pem(pem_from_der(SM2_SPKI_PREFIX + point))
    for data in (b"", b"abc", "浙江省政务服务网".encode() * 50):
        r, s = signer.sign(data)
        sig = der_signature(int.from_bytes(r, "big"), int.from_bytes(s, "big"))
        assert public.verify(data, sig)
        assert not public.verify(data + b"x", sig)
        assert not public.verify(data, sig, user_id=b"another id")


def test_gmalg_agrees_on_a_custom_user_id(key: PrivateKey) -> None:
    uid = "上海市一网通办".encode()
    r, s = parse_signature(key.sign(b"payload", user_id=uid))
    assert GmalgSM2(pk=public_point(key.public_key()), uid=uid).verify(
        b"payload", r.to_bytes(32, "big"), s.to_bytes(32, "big")
    )


def test_sm3_matches_the_standard_and_gmalg() -> None:
    # GB/T 32905 example 1.
    assert sm2.sm3(b"abc").hex() == "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"
    from gmalg import SM3

    data = bytes(range(256)) * 3
    gm = SM3()
    gm.update(data)
    assert sm2.sm3(data) == gm.value()


# --- the openssl CLI ------------------------------------------------------------------------------------


def test_openssl_cli_verifies_our_signature(tmp_path: Path, key: PrivateKey, signed: tuple[bytes, bytes]) -> None:
    data, sig = signed
    (tmp_path / "pub.pem").write_text(key.public_key().to_pem())
    (tmp_path / "data.bin").write_bytes(data)
    (tmp_path / "sig.der").write_bytes(sig)
    common = ["-pubin", "-inkey", str(tmp_path / "pub.pem"), "-rawin", "-digest", "sm3"]
    common += ["-in", str(tmp_path / "data.bin"), "-sigfile", str(tmp_path / "sig.der")]
    ok = _run("pkeyutl", "-verify", *common, "-pkeyopt", "distid:" + USER_ID.decode())
    assert ok.returncode == 0, ok.stderr
    assert b"Verified Successfully" in ok.stdout
    # Without distid, OpenSSL 3.0's CLI uses an *empty* identifier, not the GM/T default: it must fail.
    assert _run("pkeyutl", "-verify", *common).returncode != 0


def test_we_verify_openssl_cli_signatures(tmp_path: Path) -> None:
    key_pem = tmp_path / "key.pem"
    assert _run("genpkey", "-algorithm", "SM2", "-out", str(key_pem)).returncode == 0
    pub = _run("pkey", "-in", str(key_pem), "-pubout")
    assert pub.returncode == 0, pub.stderr
    public = PublicKey.from_pem(pub.stdout)
    assert PrivateKey.from_pem(key_pem.read_bytes()).public_key() == public  # we read the CLI's PKCS#8

    data = "异地代收代办 材料清单".encode() * 100
    data_file = tmp_path / "data.bin"
    data_file.write_bytes(data)
    distid = "distid:" + USER_ID.decode()
    rawin = ["-inkey", str(key_pem), "-rawin", "-digest", "sm3", "-in", str(data_file)]
    signed = _run("pkeyutl", "-sign", *rawin, "-pkeyopt", distid)
    assert signed.returncode == 0, signed.stderr
    assert public.verify(data, signed.stdout)
    assert not public.verify(data[1:], signed.stdout)

    # openssl dgst -sm3 -sign is the other common spelling; it needs -sigopt distid:... as well.
    dgst = _run("dgst", "-sm3", "-sign", str(key_pem), "-sigopt", distid, str(data_file))
    assert dgst.returncode == 0, dgst.stderr
    assert public.verify(data, dgst.stdout)

    # And the CLI without distid signs with an empty identifier, which we do not accept as the default.
    bare = _run("pkeyutl", "-sign", *rawin)
    assert bare.returncode == 0, bare.stderr
    assert not public.verify(data, bare.stdout)


def test_openssl_cli_reads_our_pem(tmp_path: Path, key: PrivateKey) -> None:
    expected = key.public_key().to_pem().encode()
    cases = {"clear": (key.to_pem(), []), "aes": (key.to_pem(b"s3cret"), ["-passin", "pass:s3cret"])}
    cases["sm4"] = (key.to_pem(b"s3cret", cipher="sm4-cbc"), ["-passin", "pass:s3cret"])
    for name, (pem, extra) in cases.items():
        (tmp_path / f"{name}.pem").write_text(pem)
        out = _run("pkey", "-in", str(tmp_path / f"{name}.pem"), "-pubout", *extra)
        assert out.returncode == 0, (name, out.stderr)
        assert out.stdout == expected, name


# --- keys: PEM, encryption, other key types ----------------------------------------------------------------


def test_private_pem_round_trip(key: PrivateKey) -> None:
    pem = key.to_pem()
    assert pem.startswith("-----BEGIN PRIVATE KEY-----\n")
    again = PrivateKey.from_pem(pem)
    assert again.public_key() == key.public_key()
    assert key.public_key().verify(b"m", again.sign(b"m"))
    assert PrivateKey.from_pem(pem.encode()).to_pem() == pem


def test_public_pem_round_trip(key: PrivateKey) -> None:
    pem = key.public_key().to_pem()
    assert pem.startswith("-----BEGIN PUBLIC KEY-----\n")
    assert PublicKey.from_pem(pem).to_pem() == pem
    assert PublicKey.from_pem(pem.encode()) == key.public_key()


@pytest.mark.parametrize("cipher", ["aes-256-cbc", "sm4-cbc"])
def test_encrypted_pem_round_trip(key: PrivateKey, cipher: sm2.Cipher) -> None:
    pem = key.to_pem(b"correct horse", cipher=cipher)
    assert pem.startswith("-----BEGIN ENCRYPTED PRIVATE KEY-----\n")
    assert PrivateKey.from_pem(pem, password=b"correct horse").public_key() == key.public_key()
    with pytest.raises(SM2Error, match=r"bad decrypt|wrong password"):
        PrivateKey.from_pem(pem, password=b"wrong horse")
    with pytest.raises(SM2Error, match="no password"):
        PrivateKey.from_pem(pem)  # must raise, never prompt on the terminal
    assert sm2._lib().ERR_get_error() == 0


def test_encryption_arguments_checked(key: PrivateKey) -> None:
    with pytest.raises(ValueError, match="empty password"):
        key.to_pem(b"")
    with pytest.raises(ValueError, match="cipher"):
        key.to_pem(b"pw", cipher="des-cbc")  # type: ignore[arg-type]


def test_password_with_nul_and_non_ascii_bytes(key: PrivateKey) -> None:
    password = "口令\x00密码".encode()
    pem = key.to_pem(password)
    assert PrivateKey.from_pem(pem, password).public_key() == key.public_key()
    with pytest.raises(SM2Error):
        PrivateKey.from_pem(pem, "口令".encode())


def test_non_sm2_keys_refused(tmp_path: Path) -> None:
    for algorithm, options in (("EC", ["-pkeyopt", "ec_paramgen_curve:P-256"]), ("ED25519", [])):
        key_pem = tmp_path / f"{algorithm}.pem"
        made = _run("genpkey", "-algorithm", algorithm, *options, "-out", str(key_pem))
        assert made.returncode == 0, made.stderr
        pub = _run("pkey", "-in", str(key_pem), "-pubout")
        with pytest.raises(SM2Error, match="not an SM2 key"):
            PublicKey.from_pem(pub.stdout)
        with pytest.raises(SM2Error, match="not an SM2 key"):
            PrivateKey.from_pem(key_pem.read_bytes())
    assert sm2._lib().ERR_get_error() == 0


@pytest.mark.parametrize(
    "pem",
    [
        "",
        "not a key",
        "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n",
        pem_from_der(SM2_SPKI_PREFIX + b"\x04" + b"\x01" * 64),  # a point that is not on the curve
        pem_from_der(SM2_SPKI_PREFIX[:-3] + b"\x03\x22\x00\x02" + b"\x00" * 32),  # an x with no y
    ],
)
def test_unreadable_public_pem(pem: str) -> None:
    with pytest.raises(SM2Error):
        PublicKey.from_pem(pem)


def test_private_and_public_pem_are_not_interchangeable(key: PrivateKey) -> None:
    with pytest.raises(SM2Error, match="cannot read the public key PEM"):
        PublicKey.from_pem(key.to_pem())
    with pytest.raises(SM2Error, match="cannot read the private key PEM"):
        PrivateKey.from_pem(key.public_key().to_pem())


def test_fingerprint(key: PrivateKey) -> None:
    public = key.public_key()
    fp = public.fingerprint()
    assert len(fp) == 64 and int(fp, 16) >= 0
    assert fp == public.fingerprint() == PublicKey.from_pem(public.to_pem()).fingerprint()
    assert fp == PrivateKey.from_pem(key.to_pem()).public_key().fingerprint()
    # The definition, computed independently: SM3 over the DER inside the PEM.
    body = "".join(line for line in public.to_pem().splitlines() if not line.startswith("-----"))
    assert fp == hashlib.new("sm3", base64.b64decode(body)).hexdigest()
    others = {PrivateKey.generate().public_key().fingerprint() for _ in range(10)}
    assert len(others) == 10 and fp not in others


def test_keys_copy_and_pickle_safely(key: PrivateKey) -> None:
    public = key.public_key()
    # A copy sharing the EVP_PKEY would free it twice; keys are immutable, so a copy is the same object.
    assert copy.copy(public) is public and copy.deepcopy(key) is key
    assert pickle.loads(pickle.dumps(public)) == public
    with pytest.raises(TypeError, match="cannot be pickled"):
        pickle.dumps(key)
    assert {public, PublicKey.from_pem(public.to_pem())} == {public}
    assert fp_prefix(public) in repr(public) and fp_prefix(public) in repr(key)
    assert "PRIVATE" not in repr(key)


def fp_prefix(public: PublicKey) -> str:
    return public.fingerprint()[:16]
