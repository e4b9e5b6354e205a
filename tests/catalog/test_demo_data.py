"""The demo catalog: it loads through the catalog commands, is sound, idempotent, and makes the
journeys of SCENARIOS.md playable (agreements, differences between regions, 容缺, 告知承诺, e-licences)."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import transaction

from tongban.catalog import choices as c
from tongban.catalog import guide as guide_rules
from tongban.catalog import search, services
from tongban.catalog.agreements import receivable, receivable_implementations
from tongban.catalog.comparison import compare
from tongban.catalog.demo import GUIDES, department_uscc, load_demo, plan
from tongban.catalog.demo_data import items, license_types, places
from tongban.catalog.demo_data.agreements import AGREEMENTS
from tongban.catalog.demo_data.revisions import REVISIONS
from tongban.catalog.models import (
    Agreement,
    Department,
    GuideVersion,
    Hall,
    ItemImplementation,
    MaterialRequirement,
    Region,
    ServiceItem,
    Window,
)
from tongban.core.codes import validate_basic_code, validate_implementation_code, validate_uscc

PILOT_REGIONS = {"411500", "310110", "320500", "320104", "330400", "140400", "421100", "420900", "421300",
                 "610403", "410505"}

# STANDARDS §5's examples of the national 跨省通办 list, and the neighbours the brief asks for.
NATIONAL_ITEMS = (
    "市场主体登记注册", "内资企业及分支机构设立登记", "企业职工基本养老保险关系转移接续",
    "城乡居民基本养老保险关系转移接续",
    "失业登记", "正常退休提取住房公积金", "购房提取住房公积金", "排污许可", "职业资格证书核验", "学历公证",
    "机动车驾驶证公证", "不动产抵押登记", "工业产品生产许可证", "社会保障卡申领", "门诊费用跨省直接结算",
    "异地就医登记备案", "户口迁移", "工作调动户口迁移", "大中专院校录取学生户口迁移",
    "大中专院校毕业生户口迁移",
    "夫妻投靠户口迁移", "父母投靠子女户口迁移", "开具户籍类证明", "无犯罪记录证明", "新生儿入户",
    "首次申领居民身份证",
    "婚姻登记", "内地居民结婚登记", "出生医学证明签发", "基本医疗保险参保登记", "合伙企业设立登记",
    "食品经营许可",
    "企业住所变更登记", "公章刻制备案", "发票申领", "住房公积金单位登记开户", "单位社会保险登记",
    "企业职工基本养老保险待遇申领", "普通护照签发",
)


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):  # type: ignore[no-untyped-def]
    """The demo loaded once for the module (it takes seconds), rolled back when the module ends.

    Each test still runs in its own savepoint inside this transaction, so what a test writes is undone.
    """
    with django_db_blocker.unblock(), transaction.atomic():
        counts = load_demo()
        yield counts
        transaction.set_rollback(True)


def region(code: str) -> Region:
    return Region.objects.get(code=code)


def item(name: str) -> ServiceItem:
    return ServiceItem.objects.get(name=name)


def implementation(name: str, region_code: str) -> ItemImplementation:
    return ItemImplementation.objects.select_related("current_version").get(item__name=name,
                                                                            region_id=region_code)


# --- the tables themselves (no database) ------------------------------------------------------------
def test_planned_guides_pass_the_guide_rules() -> None:
    planned = list(plan())
    assert len(planned) >= 150
    for p in planned:
        assert guide_rules.validate_guide(p.guide, p.materials) == [], (p.item.name, p.region.short)
        if p.revision is not None:
            changes, materials = p.revised()
            assert guide_rules.validate_guide({**p.guide, **changes}, materials) == [], (p.item.name,
                                                                                         p.region.short)


def test_codes_in_the_tables_are_valid_and_unique() -> None:
    usccs = [department_uscc(r, d) for r in places.REGIONS for d in r.departments]
    assert len(set(usccs)) == len(usccs)
    for r in places.REGIONS:
        for d in r.departments:
            code = department_uscc(r, d)
            assert validate_uscc(code) == code
            assert code[:2] == d.category and code[2:8] == r.code
    basic = [i.code for i in items.ITEMS if i.kind != c.ItemKind.HANDLING]
    assert len(set(basic)) == len(basic) >= 30
    assert all(validate_basic_code(code) == code for code in basic)
    codes = [p.code for p in plan()]
    assert len(set(codes)) == len(codes)
    for p in plan():
        assert len(p.code) == 31 and re.fullmatch(r"[0-9A-Z]{13}", p.code[18:])
        validate_implementation_code(p.code, department_uscc(p.region, p.department))


def test_guides_cover_only_leaf_items_and_known_regions() -> None:
    leaves = {i.name for i in items.LEAVES}
    assert {g.item for g in GUIDES} <= leaves
    assert {short for g in GUIDES for short in g.regions} == {r.short for r in places.REGIONS}
    assert {r.code for r in places.REGIONS} == PILOT_REGIONS


# --- what is loaded ----------------------------------------------------------------------------------
@pytest.mark.django_db
def test_load_counts(demo: dict[str, int]) -> None:
    planned = list(plan())
    expected = {
        "departments": sum(len(r.departments) for r in places.REGIONS),
        "halls": len(places.REGIONS),
        "windows": sum(len(r.windows) for r in places.REGIONS),
        "items": len(items.ITEMS),
        "implementations": len(planned),
        "guide_versions": len(planned) + len(REVISIONS),
        "agreements": len(AGREEMENTS),
        "license_types": len(license_types.TYPES),
    }
    assert demo == expected
    assert Department.objects.count() == expected["departments"]
    assert Hall.objects.count() == expected["halls"] and Window.objects.count() == expected["windows"]
    assert ServiceItem.objects.count() == expected["items"]
    assert ItemImplementation.objects.count() == expected["implementations"]
    assert GuideVersion.objects.count() == expected["guide_versions"]
    assert Agreement.objects.count() == expected["agreements"]


@pytest.mark.django_db
def test_second_load_changes_nothing(demo: dict[str, int]) -> None:
    before = [m.objects.count() for m in (Department, Hall, Window, ServiceItem, ItemImplementation,
                                          GuideVersion,
                                          MaterialRequirement, Agreement)]
    assert set(load_demo().values()) == {0}
    after = [m.objects.count() for m in (Department, Hall, Window, ServiceItem, ItemImplementation,
                                         GuideVersion,
                                         MaterialRequirement, Agreement)]
    assert before == after


@pytest.mark.django_db
def test_command_reports_counts(demo: dict[str, int]) -> None:
    out = StringIO()
    call_command("load_demo", stdout=out)
    assert "nothing created" in out.getvalue()


@pytest.mark.django_db
def test_every_pilot_region_has_departments_and_a_hall_with_the_usual_windows(demo: dict[str, int]) -> None:
    for code in PILOT_REGIONS:
        departments = Department.objects.filter(region_id=code)
        assert departments.count() >= 4, code
        for department in departments:
            assert validate_uscc(department.uscc) == department.uscc
            assert department.uscc[2:8] == code
            assert department.uscc[:2] == ("11" if department.kind == c.DepartmentKind.ORGAN else "12")
        hall = Hall.objects.get(region_id=code)
        kinds = set(hall.windows.values_list("kind", flat=True))
        assert {c.WindowKind.COMPREHENSIVE, c.WindowKind.CROSS_REGION, c.WindowKind.OUTPUT} <= kinds, code
    fund_window = Window.objects.get(hall__region_id="411500", kind=c.WindowKind.SPECIAL)
    assert [d.name for d in fund_window.departments.all()] == ["信阳市住房公积金管理中心"]


@pytest.mark.django_db
def test_items_form_the_national_list(demo: dict[str, int]) -> None:
    names = set(ServiceItem.objects.values_list("name", flat=True))
    assert set(NATIONAL_ITEMS) <= names
    assert ServiceItem.objects.exclude(basic_code=None).count() >= 30
    for handling in ServiceItem.objects.filter(kind=c.ItemKind.HANDLING):
        assert handling.parent is not None and handling.handling_kind and handling.national_code
    registration = item("市场主体登记注册")
    kinds = set(ServiceItem.objects.filter(parent__parent=registration).values_list("handling_kind",
                                                                                    flat=True))
    assert {c.HandlingKind.CHANGE, c.HandlingKind.CANCEL} <= kinds
    assert set(item("户口迁移").children.values_list("name", flat=True)) == {
        "工作调动户口迁移", "大中专院校录取学生户口迁移", "大中专院校毕业生户口迁移", "夫妻投靠户口迁移",
        "父母投靠子女户口迁移"}
    assert "社保卡" in item("社会保障卡申领").aliases
    # Implementations only on the smallest units.
    assert not ItemImplementation.objects.filter(item__children__isnull=False).exists()


@pytest.mark.django_db
def test_every_implementation_has_a_complete_published_guide(demo: dict[str, int]) -> None:
    impls = ItemImplementation.objects.select_related("current_version", "department").prefetch_related(
        "current_version__materials")
    for impl in impls:
        guide = impl.current_version
        assert guide is not None and guide.status == c.GuideStatus.PUBLISHED, impl
        assert impl.implementation_code.startswith(impl.department.uscc)
        assert guide.conditions and guide.legal_basis and guide.result_name and guide.place and guide.hours
        assert guide.enquiry_phone and guide.review_steps and guide.modes and guide.service_objects
        if guide.statutory_unit == guide.promised_unit:
            assert guide.promised_limit <= guide.statutory_limit, impl
        assert guide.form_schema["type"] == "object"
        assert all(f.get("title") for f in guide.form_schema["properties"].values())
        materials = list(guide.materials.all())
        assert materials, impl
        for m in materials:
            assert m.paper_size == "A4" and m.acceptance_standard, (impl, m)
    assert ItemImplementation.objects.values("item").distinct().count() >= 40
    # Most items are implemented in several regions, few everywhere.
    leaves = ServiceItem.objects.filter(children=None)
    per_item = [ItemImplementation.objects.filter(item=leaf).count() for leaf in leaves]
    assert sum(n >= 2 for n in per_item) >= 35 and max(per_item) < len(PILOT_REGIONS)


@pytest.mark.django_db
def test_fees_and_special_procedures_where_real(demo: dict[str, int]) -> None:
    passport = implementation("普通护照签发", "411500").current_version
    assert passport.fee_required and passport.fees[0]["standard"] == "120元/本"
    assert not implementation("正常退休提取住房公积金", "411500").current_version.fee_required
    food = implementation("食品经营许可（新办）", "411500").current_version
    assert food.special_procedures[0]["kind"] == "现场核查"
    assert implementation("开具户籍类证明", "411500").current_version.case_type == c.CaseType.IMMEDIATE


# --- differences between regions and versions --------------------------------------------------------
@pytest.mark.django_db
def test_partnership_registration_asks_five_materials_in_suzhou_two_in_xinyang(demo: dict[str, int]) -> None:
    result = compare(item("合伙企业设立登记"))
    counts = {col.implementation.region_id: len(col.materials) for col in result.columns}
    assert counts["320500"] == 5 and counts["411500"] == 2
    material_differences = [d for d in result.differences if d.element.startswith("material:")]
    assert len(material_differences) >= 3
    confirmation = "material:全体合伙人对各合伙人认缴或者实际缴付出资的确认书"
    assert confirmation in {d.element for d in material_differences}


@pytest.mark.django_db
def test_guides_differ_in_limits_and_modes(demo: dict[str, int]) -> None:
    elements = {d.element for d in compare(item("内资企业及分支机构设立登记")).differences}
    assert {"promised_limit", "commitment_allowed"} <= elements
    assert "modes" in {d.element for d in compare(item("正常退休提取住房公积金")).differences}


@pytest.mark.django_db
def test_revised_guides_have_a_history_and_a_diff(demo: dict[str, int]) -> None:
    for spec in REVISIONS:
        impl = implementation(spec.item, places.BY_SHORT[spec.region].code)
        versions = list(impl.versions.order_by("number"))
        assert [v.status for v in versions] == [c.GuideStatus.RETIRED, c.GuideStatus.PUBLISHED]
        assert impl.current_version == versions[1]
        assert versions[0].effective_to == versions[1].effective_from == spec.effective
        changes = guide_rules.diff(services.guide_content(versions[0]), services.guide_content(versions[1]))
        assert changes, spec.item
    impl = implementation("正常退休提取住房公积金", "411500")
    old, new = impl.versions.order_by("number")
    assert (old.promised_limit, new.promised_limit) == (3, 1)


# --- agreements --------------------------------------------------------------------------------------
@pytest.mark.django_db
def test_agreement_regions_exist_and_items_are_implemented_at_home(demo: dict[str, int]) -> None:
    for agreement in Agreement.objects.prefetch_related("regions", "items"):
        assert agreement.regions.count() >= 2 and agreement.items.exists()
        assert agreement.effective_from.year == 2021
    kinds = dict(Agreement.objects.values_list("name", "kind"))
    assert sorted(kinds.values()).count(c.AgreementKind.POINT_TO_POINT) == 5
    assert c.AgreementKind.CLUSTER in kinds.values() and c.AgreementKind.ALLIANCE in kinds.values()


@pytest.mark.django_db
def test_receivable_answers_by_agreement(demo: dict[str, int]) -> None:
    xinyang, suzhou = region("411500"), region("320500")
    retire = item("正常退休提取住房公积金")
    answer = receivable(suzhou, retire, xinyang)
    assert "proxy" in answer.modes and answer.agreements == ("信阳市—苏州市政务服务“跨省通办”合作协议",)
    assert "online" in receivable(region("310110"), item("开具户籍类证明"), xinyang).modes
    assert "joint" in receivable(xinyang, item("夫妻投靠户口迁移"), region("421100")).modes
    assert "proxy" in receivable(region("140400"), retire, xinyang).modes
    # The 淮河 alliance lets a member outside the pilot, 阜阳, receive for 信阳.
    assert receivable(region("341200"), item("开具户籍类证明"), xinyang).allowed
    # No agreement, no cross-region receiving: 杨陵 has none, 苏州 and 嘉兴 none with each other.
    assert not receivable(region("610403"), retire, xinyang).allowed
    assert not receivable(suzhou, retire, region("330400")).allowed
    assert not receivable(region("410505"), item("开具户籍类证明"), xinyang).allowed
    receivable_here = receivable_implementations(suzhou)
    assert receivable_here.filter(item=retire, region_id="411500").exists()
    assert not receivable_implementations(region("610403")).exists()


# --- the journeys of SCENARIOS.md --------------------------------------------------------------------
@pytest.mark.django_db
def test_scenario_1_retirement_withdrawal_from_suzhou(demo: dict[str, int]) -> None:
    guide = implementation("正常退休提取住房公积金", "411500").current_version
    assert "proxy" in guide.modes and guide.review_steps == ["受理", "审批"]
    assert {"居民身份证", "退休证明（退休审批表或退休证）"} <= set(guide.materials.values_list("name",
                                                                                               flat=True))


@pytest.mark.django_db
def test_scenario_3_joint_household_move(demo: dict[str, int]) -> None:
    for code in ("411500", "421100"):
        guide = implementation("夫妻投靠户口迁移", code).current_version
        assert "joint" in guide.modes and guide.joint_organs
    materials = implementation("夫妻投靠户口迁移", "411500").current_version.materials
    assert materials.get(name="结婚证").license_types == [license_types.code("MARRIAGE_CERT")]


@pytest.mark.django_db
def test_scenario_4_birth_items_in_yindu(demo: dict[str, int]) -> None:
    names = set(ItemImplementation.objects.filter(region_id="410505").values_list("item__name", flat=True))
    assert {"出生医学证明签发", "新生儿入户", "城乡居民基本医疗保险参保登记", "社会保障卡申领"} <= names
    newborn = implementation("新生儿入户", "410505").current_version
    assert newborn.materials.get(name="出生医学证明").license_types == [license_types.code("BIRTH_CERT")]


@pytest.mark.django_db
def test_scenario_5_food_licence_on_commitment_in_jiaxing(demo: dict[str, int]) -> None:
    guide = implementation("食品经营许可（新办）", "330400").current_version
    assert guide.commitment_allowed and guide.number == 2
    # The 规章制度 material may be replaced by the commitment; the guide says what is committed to.
    replaceable = guide.materials.get(commitment_allowed=True)
    assert "规章制度" in replaceable.name
    assert guide.commitment_conditions and "信用记录" in guide.commitment_text
    assert guide.verification_days == 60
    assert not implementation("食品经营许可（新办）", "411500").current_version.commitment_allowed


@pytest.mark.django_db
def test_scenario_6_address_change_with_a_tolerated_material_in_suzhou(demo: dict[str, int]) -> None:
    guide = implementation("企业住所变更登记", "320500").current_version
    tolerated = guide.materials.get(necessity=c.Necessity.TOLERATED)
    assert tolerated.name == "租赁合同出租方盖章页"


@pytest.mark.django_db
def test_scenario_7_marriage_proved_by_e_licence(demo: dict[str, int]) -> None:
    guide = implementation("购房提取住房公积金", "411500").current_version
    assert license_types.code("MARRIAGE_CERT") in guide.materials.get(name="结婚证").license_types
    assert implementation("内地居民结婚登记", "421100").current_version.result_type == c.ResultType.LICENSE


@pytest.mark.django_db
def test_scenario_8_changzhi_has_items(demo: dict[str, int]) -> None:
    assert ItemImplementation.objects.filter(region_id="140400").count() >= 20
    # 山西's approval bureau registers businesses there.
    impl = implementation("内资企业及分支机构设立登记", "140400")
    assert impl.department.name == "长治市行政审批服务管理局"


@pytest.mark.django_db
@pytest.mark.parametrize(("query", "expected"), [
    ("护照", "普通护照签发"), ("社保卡", "社会保障卡申领"), ("公积金", "正常退休提取住房公积金"),
    ("户口", "夫妻投靠户口迁移"), ("营业执照", "内资企业及分支机构设立登记"),
])
def test_what_people_type_finds_the_items(demo: dict[str, int], query: str, expected: str) -> None:
    page = search.search(query, limit=200)
    found = set(ItemImplementation.objects.filter(pk__in=page.ids).values_list("item__name", flat=True))
    assert expected in found
