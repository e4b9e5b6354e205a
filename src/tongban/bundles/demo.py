"""The demo bundles (一件事), defined through the bundle commands over the demo catalog.

Items are found by item name and region in the catalog as loaded (``tongban load_demo``); a missing
one is an error naming it, never a silent gap. Loading is idempotent: a bundle whose code exists is
left alone.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from tongban.bundles import services
from tongban.bundles.models import Bundle
from tongban.catalog.models import Department, ItemImplementation, Region
from tongban.identity.actor import SYSTEM


@dataclass(frozen=True)
class BundleSpec:
    code: str
    name: str
    description: str
    region: str
    lead_department: str
    promised_limit: int
    on_refusal: str
    items: tuple[tuple[str, str], ...]  # (key, item name)
    dependencies: tuple[tuple[str, str], ...]  # (item, waits for)


BIRTH_ITEMS = (
    ("birth_cert", "出生医学证明签发"),
    ("hukou", "新生儿入户"),
    ("medical", "城乡居民基本医疗保险参保登记"),
    ("ss_card", "社会保障卡申领"),
)
# 医保参保 and 社保卡 both need the baby's 户口 (户口簿), not each other's result: they run together.
BIRTH_DEPENDENCIES = (("hukou", "birth_cert"), ("medical", "hukou"), ("ss_card", "hukou"))

BUNDLES: tuple[BundleSpec, ...] = (
    BundleSpec(
        code="yindu-birth",
        name="新生儿出生一件事",
        description="孩子出生后，一次申请办理出生医学证明、户口登记、医保参保和社保卡申领（SCENARIOS §4）。",
        region="410505",
        lead_department="安阳市殷都区卫生健康委员会",
        promised_limit=5,
        on_refusal="continue",
        items=BIRTH_ITEMS,
        dependencies=BIRTH_DEPENDENCIES,
    ),
    BundleSpec(
        # The same life event at the demo's 信阳 node, whose staff play it in the browser (docs/demo.md).
        code="xinyang-birth",
        name="新生儿出生一件事",
        description="孩子出生后，一次申请办理出生医学证明、户口登记、医保参保和社保卡申领。",
        region="411500",
        lead_department="信阳市卫生健康委员会",
        promised_limit=5,
        on_refusal="continue",
        items=BIRTH_ITEMS,
        dependencies=BIRTH_DEPENDENCIES,
    ),
    BundleSpec(
        code="suzhou-company",
        name="企业开办一件事",
        description="新开办企业一次申请营业执照、公章刻制、发票申领、社保登记和公积金开户。",
        region="320500",
        lead_department="苏州市市场监督管理局",
        promised_limit=3,
        on_refusal="continue",
        items=(
            ("registration", "内资企业及分支机构设立登记"),
            ("seal", "公章刻制备案"),
            ("invoice", "发票申领"),
            ("social", "单位社会保险登记"),
            ("fund", "住房公积金单位登记开户"),
        ),
        # Everything needs the business licence; invoices wait for the seal too (发票专用章印模).
        dependencies=(
            ("seal", "registration"),
            ("invoice", "registration"),
            ("invoice", "seal"),
            ("social", "registration"),
            ("fund", "registration"),
        ),
    ),
    BundleSpec(
        code="xinyang-retirement",
        name="退休一件事",
        description="职工退休时一次申请养老保险待遇、退休提取住房公积金和异地就医备案。",
        region="411500",
        lead_department="信阳市人力资源和社会保障局",
        promised_limit=15,
        on_refusal="continue",
        items=(
            ("pension", "企业职工基本养老保险待遇申领"),
            ("fund_withdrawal", "正常退休提取住房公积金"),
            ("medical_abroad", "异地就医登记备案"),
        ),
        # The fund pays out on the retirement approval the pension step records.
        dependencies=(("fund_withdrawal", "pension"),),
    ),
)


class MissingDemoData(Exception):
    pass


def _implementation(item_name: str, region: str) -> ItemImplementation:
    impl = ItemImplementation.objects.filter(item__name=item_name, region_id=region).first()
    if impl is None:
        raise MissingDemoData(f"the demo catalog has no implementation of {item_name} in {region}: run load_demo")
    return impl


@transaction.atomic
def load_demo_bundles() -> dict[str, int]:
    """Define and publish the demo bundles not yet present; return how many were created."""
    created = 0
    for spec in BUNDLES:
        if Bundle.objects.filter(code=spec.code).exists():
            continue
        region = Region.objects.filter(code=spec.region).first()
        department = Department.objects.filter(region_id=spec.region, name=spec.lead_department).first()
        if region is None or department is None:
            raise MissingDemoData(f"the demo catalog has no {spec.lead_department} in {spec.region}: run load_demo")
        bundle = services.create_bundle(
            SYSTEM,
            code=spec.code,
            name=spec.name,
            description=spec.description,
            region=region,
            lead_department=department,
            promised_limit=spec.promised_limit,
            on_refusal=spec.on_refusal,
            items=[{"key": key, "implementation": _implementation(name, spec.region)} for key, name in spec.items],
            dependencies=list(spec.dependencies),
        )
        services.publish(SYSTEM, bundle)
        created += 1
    return {"bundles": created}
