"""Search latency at the API over 100,000 implementations (target: p95 ≤ 20 ms).

    python bench/search_latency.py [--implementations 100000] [--requests 60]
    python scripts/with_postgres.py python bench/search_latency.py      # on PostgreSQL

Builds a synthetic catalog in a throwaway database, then times GET /api/v1/search/ through Django's
full request stack in-process (no network, no HTTP server), for short, long, common and filtered queries.
Prints the figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import random
import time

import _setup
from django.db import connection, transaction
from django.test import Client

from tongban.catalog import search
from tongban.catalog.models import (
    Department,
    GuideVersion,
    ItemImplementation,
    MaterialRequirement,
    Region,
    ServiceItem,
)
from tongban.core.codes import uscc_check_char

NAMES = [
    "正常退休提取住房公积金",
    "购房提取住房公积金",
    "社会保障卡申领",
    "开具户籍类证明",
    "无犯罪记录证明",
    "普通护照签发",
    "失业登记",
    "内资企业设立登记",
    "合伙企业设立登记",
    "企业住所变更登记",
    "食品经营许可",
    "排污许可",
    "不动产抵押登记",
    "结婚登记",
    "新生儿入户",
    "首次申领居民身份证",
    "职业资格证书核验",
    "学历公证",
    "机动车驾驶证公证",
    "工业产品生产许可证",
    "就医结算备案",
    "企业职工基本养老保险关系转移接续",
    "城乡居民基本养老保险关系转移接续",
    "夫妻投靠户口迁移",
    "出生医学证明签发",
    "医保参保登记",
    "发票申领",
    "公章刻制备案",
    "住房公积金单位开户",
    "社保登记",
    "建筑工程施工许可",
    "药品经营许可",
    "道路运输经营许可",
    "律师执业许可",
    "教师资格认定",
    "残疾人证办理",
    "最低生活保障审批",
    "临时救助",
    "养犬登记",
    "林木采伐许可",
]
ALIASES = {
    "社会保障卡申领": ["社保卡"],
    "开具户籍类证明": ["户口证明"],
    "普通护照签发": ["护照"],
    "正常退休提取住房公积金": ["公积金退休提取"],
}
MATERIALS = [
    "居民身份证",
    "申请表",
    "户口簿",
    "营业执照",
    "授权委托书",
    "退休证明",
    "结婚证",
    "购房合同",
    "租赁合同",
    "场所证明",
    "合伙协议",
    "出生医学证明",
    "银行卡",
    "照片",
    "学历证书",
    "检测报告",
]
QUERIES = {
    "two characters": ["社保", "户口", "护照", "退休", "公证"],
    "item name": ["住房公积金提取", "企业设立登记", "无犯罪记录证明", "食品经营许可", "养老保险关系转移"],
    "common word": ["证明", "登记", "许可"],
    "with filters": ["公积金&region=411500", "登记&mode=proxy", "许可&item_type=1&region=320500"],
}


def build(n: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    counties = list(Region.objects.filter(level="county").values_list("code", flat=True))
    with transaction.atomic():
        items = ServiceItem.objects.bulk_create(
            [
                ServiceItem(
                    kind="main",
                    basic_code=f"B{i:011d}",
                    name=f"{name}（{variant}）" if variant else name,
                    item_type=rng.choice(["1", "5", "7", "10", "20"]),
                    aliases=ALIASES.get(name, []),
                )
                for i, (name, variant) in enumerate(
                    (nm, v) for v in ("", "变更", "延续", "注销", "补办") for nm in NAMES
                )
            ]
        )
        departments = []
        for i, code in enumerate(rng.sample(counties, min(len(counties), max(1, n // 100)))):
            body = f"11{code}B{i:08d}"
            departments.append(
                Department(region_id=code, name=f"{code}行政审批服务局", uscc=body + uscc_check_char(body))
            )
        departments = Department.objects.bulk_create(departments)
    created = 0
    while created < n:
        chunk = min(5000, n - created)
        with transaction.atomic():
            impls = []
            for j in range(chunk):
                dept = departments[(created + j) % len(departments)]
                item = items[(created + j) // len(departments) % len(items)]
                impls.append(
                    ItemImplementation(
                        item=item,
                        region_id=dept.region_id,
                        department=dept,
                        implementation_code=f"{dept.uscc}{created + j:013d}",
                    )
                )
            impls = ItemImplementation.objects.bulk_create(impls)
            guides = GuideVersion.objects.bulk_create(
                [
                    GuideVersion(
                        implementation=impl,
                        number=1,
                        status="published",
                        name=impl.item.name,
                        statutory_limit=20,
                        promised_limit=rng.randint(1, 10),
                        modes=rng.sample(["window", "online", "proxy", "joint", "kiosk"], 2),
                        service_objects=[rng.choice(["natural", "legal"])],
                    )
                    for impl in impls
                ]
            )
            MaterialRequirement.objects.bulk_create(
                [
                    MaterialRequirement(guide=g, order=k, name=name)
                    for g in guides
                    for k, name in enumerate(rng.sample(MATERIALS, 3))
                ]
            )
            for impl, guide in zip(impls, guides, strict=True):
                impl.current_version = guide
            ItemImplementation.objects.bulk_update(impls, ["current_version"])
            fresh = list(
                ItemImplementation.objects.filter(pk__in=[i.pk for i in impls])
                .select_related("item__parent", "region", "department", "current_version")
                .prefetch_related("current_version__materials")
            )
            search.index_many(fresh)
        created += chunk
    # What autovacuum (PostgreSQL) or an operator's ANALYZE after a bulk load does: without statistics the
    # planner scans the whole token table instead of the GIN index.
    with connection.cursor() as cur:
        cur.execute("ANALYZE")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--implementations", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=60, help="timed requests per query")
    args = parser.parse_args()
    _setup.prepare_database()
    started = time.perf_counter()
    build(args.implementations)
    print(f"machine:  {_setup.machine()}")
    print(f"database: {_setup.database()}")
    print(
        f"catalog:  {ItemImplementation.objects.count():,} implementations built in "
        f"{time.perf_counter() - started:.1f} s"
    )
    client = Client(HTTP_HOST="127.0.0.1")
    everything: list[float] = []
    print(f"{'query class':<16} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}  mean hits")
    for label, queries in QUERIES.items():
        times: list[float] = []
        hits = 0
        for q in queries:
            text, _, extra = q.partition("&")
            url = f"/api/v1/search/?q={text}" + (f"&{extra}" if extra else "")
            client.get(url)  # warm caches once per query
            for _ in range(args.requests):
                t0 = time.perf_counter()
                response = client.get(url)
                times.append((time.perf_counter() - t0) * 1000)
            hits += response.json()["count"]
        everything += times
        print(
            f"{label:<16} {_setup.percentile(times, 50):8.1f} {_setup.percentile(times, 95):8.1f} "
            f"{max(times):8.1f}  {hits // len(queries):,}"
        )
    print(
        f"{'all':<16} {_setup.percentile(everything, 50):8.1f} {_setup.percentile(everything, 95):8.1f} "
        f"{max(everything):8.1f}"
    )


if __name__ == "__main__":
    main()
