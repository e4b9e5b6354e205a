"""E-licence verification and signing rates on one core: a realistic licence through document.verify (with
its seal signature and log proof checked), beside the raw SM2 rates of the same run.

    python bench/license_verify.py [--seconds 3] [--issue 200] [--profile]

Builds a throwaway node (SQLite in a temporary folder): a department of 信阳 with its seal, a licence type
with a business licence's fields, a trust list publishing the node key and the seal, and licences issued
on real cases through ``issue_for_case``. Then, in one thread pinned to one CPU:

- ``document.verify`` of the licence as handed out (``with_proof``), the tree head's check cached as the
  module does, and again with the head checked each time (a verifier seeing every head once);
- ``PublicKey.verify`` alone on the same signed bytes (the floor under the first figure);
- ``seals.sign`` of the to-be-signed block, the raw ``PrivateKey.sign``, and the whole issue path;
- ``openssl speed -seconds 2 sm2`` when the openssl command is there.

``--profile`` prints where the time of document.verify goes (cProfile, top functions). Prints the
figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import cProfile
import io
import json
import os
import pstats
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import _setup
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from stdnum.cn import ric

from tongban.cases import services as cases
from tongban.catalog import services as catalog
from tongban.catalog.models import LicenseType
from tongban.core.codes import uscc_check_char
from tongban.federation import node, sm2, trust
from tongban.federation.sm2 import PrivateKey
from tongban.identity import services as identity
from tongban.identity.actor import SYSTEM
from tongban.licenses import document, keystore, seals, services

REGION = "411500"
# The fields of a business licence (营业执照), filled as a real one is: the licence a verifier sees most.
SCHEMA = {
    "type": "object",
    "required": ["company_name", "uscc", "legal_rep", "premises", "business_scope", "entity_type"],
    "properties": {
        "company_name": {"type": "string", "title": "名称"},
        "uscc": {"type": "string", "title": "统一社会信用代码"},
        "entity_type": {"type": "string", "title": "类型"},
        "legal_rep": {"type": "string", "title": "法定代表人"},
        "registered_capital": {"type": "string", "title": "注册资本"},
        "established_on": {"type": "string", "title": "成立日期"},
        "premises": {"type": "string", "title": "住所"},
        "business_scope": {"type": "string", "title": "经营范围"},
    },
}
DATA = {
    "company_name": "信阳市浉河区茗香茶叶有限公司",
    "uscc": "91411502MA9XXXXXX",
    "entity_type": "有限责任公司（自然人投资或控股）",
    "legal_rep": "李四",
    "registered_capital": "伍拾万元整",
    "established_on": "2026-11-22",
    "premises": "河南省信阳市浉河区民权路18号",
    "business_scope": "一般项目：茶叶种植；农产品的生产、销售、加工、运输、贮藏及其他相关服务；"
    "食品销售（仅销售预包装食品）；互联网销售（除销售需要许可的商品）。"
    "（除依法须经批准的项目外，凭营业执照依法自主开展经营活动）",
}


def uscc(serial: int, category: str = "11", region: str = REGION) -> str:
    body = f"{category}{region}MB{serial:07d}"
    return body + uscc_check_char(body)


def rate(seconds: float, step: Callable[[], object], batch: int = 20) -> tuple[int, float, float]:
    """Call ``step`` in batches until ``seconds`` have passed; return calls, wall time and CPU time."""
    calls, began, cpu = 0, time.perf_counter(), time.process_time()
    while (elapsed := time.perf_counter() - began) < seconds:
        for _ in range(batch):
            step()
        calls += batch
    return calls, elapsed, time.process_time() - cpu


@contextlib.contextmanager
def as_is() -> Iterator[None]:
    yield


def interleaved(
    seconds: float, steps: dict[str, tuple[Callable[[], object], Callable[[], Any]]], slices: int = 12
) -> dict[str, tuple[int, float, float]]:
    """Each step run in turns of ``seconds / slices``, so that a machine whose load changes during the run
    weighs on every figure alike; the totals per step."""
    totals = {name: (0, 0.0, 0.0) for name in steps}
    for _ in range(slices):
        for name, (step, around) in steps.items():
            with around():
                calls, wall, cpu = rate(seconds / slices, step)
            done = totals[name]
            totals[name] = (done[0] + calls, done[1] + wall, done[2] + cpu)
    return totals


def line(name: str, calls: int, wall: float, cpu: float) -> str:
    """Per CPU-second (what one core does while this process has it: the figure on a shared machine) and
    per wall-clock second."""
    return (
        f"{name:<46} {calls / cpu:>8,.0f} /s per CPU-s ({1e6 * cpu / calls:>5,.0f} µs)   {calls / wall:>8,.0f} /s wall"
    )


def machine() -> str:
    load = " ".join(f"{x:.2f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "?"
    return f"{_setup.machine()}; nproc {len(os.sched_getaffinity(0))}; load {load}"


def the_node(folder: Path) -> None:
    """This node's key, the operator's key, and their files where the settings look for them."""
    operator, me = PrivateKey.generate(), PrivateKey.generate()
    (folder / "node-key.pem").write_text(me.to_pem())
    (folder / "anchor.pem").write_text(operator.public_key().to_pem())
    os.environ["TONGBAN_FEDERATION_KEY"] = str(folder / "node-key.pem")
    os.environ["TONGBAN_TRUST_ANCHOR"] = str(folder / "anchor.pem")
    node.forget()
    _the_node.update(operator=operator, me=me)


_the_node: dict[str, PrivateKey] = {}


def trust_list(*published: object) -> trust.TrustList:
    now = datetime.now(UTC)
    key = _the_node["me"].public_key()
    body = {
        "format": trust.FORMAT,
        "version": 1,
        "issued_at": now.isoformat(),
        "next_update": (now + timedelta(days=7)).isoformat(),
        "nodes": [
            {
                "node_id": settings.TONGBAN_NODE_ID,
                "name": "信阳市",
                "regions": [REGION],
                "base_url": "http://127.0.0.1:8000",
                "keys": [
                    {
                        "key_id": key.fingerprint(),
                        "public_key": key.to_pem(),
                        "valid_from": (now - timedelta(days=1)).isoformat(),
                        "valid_to": (now + timedelta(days=365)).isoformat(),
                        "revoked_at": None,
                    }
                ],
                "seals": [s.public_dict() for s in published],  # type: ignore[attr-defined]
            }
        ],
    }
    return node.accept_trust_list(trust.sign(body, _the_node["operator"]), "bench")


def build(cases_wanted: int) -> tuple[object, list[object], object]:
    """The department, its seal, the licence type, and ``cases_wanted`` received cases to issue on."""
    dept = catalog.create_department(SYSTEM, region_code=REGION, name="信阳市浉河区市场监督管理局", uscc=uscc(1))
    seal = seals.create_seal(SYSTEM, department=dept, valid_from=timezone.now() - timedelta(minutes=1))
    kind = LicenseType.objects.create(
        code=uscc(2, region="100000") + "001",
        name="营业执照",
        defining_organ_name="国家市场监督管理总局",
        holder_kind="legal",
        schema=SCHEMA,
        template="license",
    )
    item = catalog.create_item(SYSTEM, name="有限责任公司设立登记", item_type="1", basic_code="T00000000001")
    impl = catalog.create_implementation(
        SYSTEM,
        item=item,
        department=dept,
        implementation_code=f"{dept.uscc}0000000000001",
        guide={
            "name": "有限责任公司设立登记",
            "conditions": "符合公司法规定的设立条件",
            "service_objects": ["natural"],
            "statutory_limit": 15,
            "promised_limit": 3,
            "case_type": "promised",
            "modes": ["window", "online"],
            "review_steps": ["审查", "审批"],
            "scope": "nationwide",
            "result_type": "license",
            "result_name": "营业执照",
            "result_license_type": kind.code,
        },
        materials=[{"name": "公司登记（备案）申请书", "form": "original", "paper_copies": 1}],
    )
    catalog.publish_guide(SYSTEM, impl.versions.get())
    impl.refresh_from_db()  # its guide in force is the one just published
    received = []
    for i in range(cases_wanted):
        body = f"41150220000101{i % 1000:03d}"  # 浉河区 exists since 1998, so a birth in 2000
        person = identity.register_person(
            SYSTEM,
            name="李四",
            id_type="resident_id",
            id_number=body + ric.calc_check_digit(body + "0"),
            region_code=REGION,
        )
        received.append(cases.receive(SYSTEM, implementation=impl, person=person, identity_check="核验身份证原件"))
    return seal, received, kind


def openssl_speed() -> str:
    if shutil.which("openssl") is None:
        return "openssl: not installed"
    done = subprocess.run(
        ["openssl", "speed", "-seconds", "2", "sm2"], capture_output=True, text=True, timeout=60, check=False
    )
    rows = [r for r in done.stdout.splitlines() if "sm2" in r.lower() or "sign" in r.lower()]
    return "\n".join(rows[-3:]) if rows else (done.stderr.strip() or "openssl speed printed nothing")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="time spent on each rate, in turns")
    parser.add_argument("--issue", type=int, default=200, help="licences issued for the issue rate")
    parser.add_argument("--profile", action="store_true", help="print where document.verify spends its time")
    args = parser.parse_args()

    pinned = "not pinned"
    if hasattr(os, "sched_setaffinity"):
        cpu = min(os.sched_getaffinity(0))
        seen = machine()  # before pinning: nproc counts the CPUs the process may use
        os.sched_setaffinity(0, {cpu})
        pinned = f"pinned to CPU {cpu}"
    else:
        seen = machine()

    _setup.prepare_database()
    folder = Path(os.environ["TONGBAN_VAR_DIR"])
    keystore.forget()
    the_node(folder)
    seal, received, _ = build(args.issue + 1)
    listed = trust_list(seal)
    lic = services.issue_for_case(SYSTEM, received.pop(), dict(DATA))
    assert lic is not None
    doc = services.with_proof(lic)
    assert document.verify(doc, listed).valid, document.verify(doc, listed).as_dict()
    tbs = document.to_be_signed(doc["signature"])
    signature = base64.b64decode(doc["signature"]["value"])
    public = listed.seal(seal.seal_id)[1].public_key  # type: ignore[index]
    private = keystore.keystore()._key(seal.seal_id)  # type: ignore[attr-defined]
    size = len(json.dumps(doc, ensure_ascii=False).encode())

    for _ in range(200):  # warm up: OpenSSL fetches its SM2/SM3 implementations on first use
        document.verify(doc, listed)
        public.verify(tbs, signature)

    def verify_cold_head() -> None:
        document._HEADS.clear()
        document.verify(doc, listed)

    # Where the time goes: the checks without the SM2 work (the key's verify stubbed during its turns), and
    # the canonical form of the licence beside what json.dumps writes for the same licence (the same
    # bytes here: no floats, no keys outside the Basic Multilingual Plane).
    lic_content = doc["license"]

    def quick_digest() -> bytes:
        return sm2.sm3(json.dumps(lic_content, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode())

    @contextlib.contextmanager
    def sm2_stubbed() -> Iterator[None]:
        real = sm2.PublicKey.verify
        sm2.PublicKey.verify = lambda self, data, signature, user_id=sm2.USER_ID: True  # type: ignore[method-assign]
        try:
            yield
        finally:
            sm2.PublicKey.verify = real  # type: ignore[method-assign]

    same = quick_digest().hex() == document.content_digest(lic_content)
    figures = interleaved(
        args.seconds,
        {
            "document.verify (head check cached)": (lambda: document.verify(doc, listed), as_is),
            "document.verify (head checked each time)": (verify_cold_head, as_is),
            "PublicKey.verify (SM2 alone, same bytes)": (lambda: public.verify(tbs, signature), as_is),
            "document.verify with SM2 stubbed (the rest)": (lambda: document.verify(doc, listed), sm2_stubbed),
            "canonical(licence) + SM3 (content digest)": (lambda: document.content_digest(lic_content), as_is),
            f"json.dumps(sort_keys) + SM3 (same digest: {same})": (quick_digest, as_is),
            "seals.sign (re-reads the seal, then signs)": (lambda: seals.sign(seal, tbs), as_is),
            "PrivateKey.sign (SM2 alone)": (lambda: private.sign(tbs), as_is),
        },
    )
    results = [line(name, *figure) for name, figure in figures.items()]

    began, cpu = time.perf_counter(), time.process_time()
    for case in received[: args.issue]:
        with transaction.atomic():
            services.issue_for_case(SYSTEM, case, dict(DATA))
    issued = (args.issue, time.perf_counter() - began, time.process_time() - cpu)
    results.append(line(f"issue_for_case (whole path, {args.issue} licences)", *issued))

    print(f"machine: {seen}")
    print(f"run:     one thread, {pinned}; {_setup.database()}")
    print(f"licence: {size:,} bytes as handed out (营业执照, log of {lic.log_index + 1}+ entries)")
    for row in results:
        print(row)
    print("openssl speed -seconds 2 sm2:")
    print("  " + openssl_speed().replace("\n", "\n  "))

    if args.profile:
        profile = cProfile.Profile()
        profile.enable()
        for _ in range(3000):
            document.verify(doc, listed)
        profile.disable()
        out = io.StringIO()
        stats = pstats.Stats(profile, stream=out)
        stats.sort_stats("tottime").print_stats(14)
        stats.sort_stats("cumulative").print_stats(
            r"document\.py|identifiers\.py|merkle\.py|canonical\.py:\d+\(canonical", 16
        )
        print(out.getvalue())


if __name__ == "__main__":
    sys.exit(main())
