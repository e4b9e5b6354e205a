"""Applying for a bundle (一件事办件): one form and one material list, items dispatched as the graph allows,
an earlier item's e-licence as a later item's material, the join, refusals, and the output window."""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib.auth.models import User

from tests import factories as f
from tests.cases.make import PDF
from tests.federation.conftest import federation  # noqa: F401  (the node key and trust list)
from tests.identity import make
from tests.licenses import factories as lf
from tongban.bundles import services as bundle_services
from tongban.bundles.models import Bundle, BundleCase, BundleCaseStatus
from tongban.bundles.services import applications as apply
from tongban.bundles.timeline import timeline as bundle_timeline
from tongban.cases import services as cases
from tongban.cases.choices import MaterialEvidence, Status
from tongban.cases.models import Case, MaterialFile
from tongban.catalog.models import Department, ItemImplementation, Region
from tongban.core.errors import Conflict, DomainError
from tongban.identity.actor import SYSTEM, Actor, actor_for_user
from tongban.identity.denied import PolicyDenied
from tongban.identity.models import Person
from tongban.licenses.models import License

pytestmark = pytest.mark.django_db

ID_CARD = "居民身份证"
BIRTH_PROOF = "出生医学证明"


def text(*names: str) -> dict[str, Any]:
    return {n: {"type": "string", "minLength": 1} for n in names}


@dataclass
class Birth:
    bundle: Bundle
    items: dict[str, ItemImplementation]
    departments: dict[str, Department]
    clerk: User  # a comprehensive window (综合窗口): no department, every department of the region
    reviewers: dict[str, User]
    heads: dict[str, User]
    person: Person

    def actor(self, user: User) -> Actor:
        return actor_for_user(user)

    @property
    def window(self) -> Actor:
        return actor_for_user(self.clerk)


def _impl(dept: Department, title: str, properties: dict[str, Any], materials: list[dict[str, Any]], **guide: Any):
    data = f.guide(
        name=title,
        form_schema={"type": "object", "properties": properties, "required": list(properties)},
        **guide,
    )
    return f.implementation(f.item(name=title), dept, guide_data=data, material_list=materials, region_code="411500")


def birth_world(monkeypatch, tmp_path, federation, on_refusal: str = "continue", parallel: bool = False) -> Birth:  # noqa: F811
    lf.isolated_keys(monkeypatch, tmp_path / "var")
    federation.accept()
    cert_type = lf.license_type(name="出生医学证明")
    depts = {
        "cert": f.department("411500", name="信阳市卫生健康委员会"),
        "hukou": f.department("411500", name="信阳市公安局"),
        "medical": f.department("411500", name="信阳市医疗保障局"),
        "card": f.department("411500", name="信阳市人力资源和社会保障局"),
    }
    lf.publish(federation, lf.seal(depts["cert"]))
    birth_proof = {"name": BIRTH_PROOF, "license_types": [cert_type.code]}
    items = {
        "cert": _impl(
            depts["cert"],
            "出生医学证明签发",
            text("baby_name", "name", "id_number"),
            [{"name": "父母居民身份证"}],
            result_type="license",
            result_name="出生医学证明",
            result_license_type=cert_type.code,
        ),
        "hukou": _impl(depts["hukou"], "新生儿入户", text("baby_name", "name", "address"), [birth_proof]),
        "medical": _impl(depts["medical"], "医保参保登记", text("baby_name", "phone"), [{"name": ID_CARD}]),
        "card": _impl(depts["card"], "社会保障卡申领", text("name", "phone"), [{"name": ID_CARD}]),
    }
    deps = [] if parallel else [("hukou", "cert"), ("medical", "hukou"), ("card", "hukou")]
    bundle = bundle_services.create_bundle(
        SYSTEM,
        code="xy-birth",
        name="新生儿出生一件事",
        region=Region.objects.get(code="411500"),
        lead_department=depts["cert"],
        promised_limit=5,
        on_refusal=on_refusal,
        items=[{"key": k, "implementation": v} for k, v in items.items()],
        dependencies=deps,
    )
    bundle_services.publish(SYSTEM, bundle)
    return Birth(
        bundle=bundle,
        items=items,
        departments=depts,
        clerk=make.staff("window_clerk", "411500"),
        reviewers={k: make.staff("reviewer", "411500", department=d) for k, d in depts.items()},
        heads={k: make.staff("department_head", "411500", department=d) for k, d in depts.items()},
        person=make.person("411500", name="张伟"),
    )


@pytest.fixture
def birth(monkeypatch, tmp_path, federation) -> Birth:  # noqa: F811
    return birth_world(monkeypatch, tmp_path, federation)


FORM = {
    "baby_name": "张小宝",
    "name": "张伟",
    "id_number": "411502199001011234",
    "address": "信阳市浉河区",
    "phone": "13800000000",
}


def received(w: Birth, form: dict[str, Any] | None = None, delivery: str = "together") -> BundleCase:
    """At the comprehensive window: the merged form, each asked material seen once, submitted."""
    bc = apply.start(
        w.window,
        w.bundle,
        person=w.person,
        identity_check="居民身份证原件核验",
        form_data=form or FORM,
        delivery_choice=delivery,
    )
    for m in bc.materials.filter(from_result_of=""):
        apply.give_material(w.window, bc, material_id=m.pk, evidence=MaterialEvidence.ORIGINAL_SEEN)
    return apply.submit(w.window, bc)


def item(bc: BundleCase, key: str) -> Case:
    return bc.item_cases.get(bundle_key=key)


def grant(w: Birth, case: Case, **issue: Any) -> Case:
    """The department's back office: accept, review every step, approve, produce the result."""
    cases.accept(w.window, case)
    case.refresh_from_db()
    reviewer = w.actor(w.reviewers[case.bundle_key])
    while "review" in cases.allowed_actions(reviewer, case):
        cases.review(reviewer, case, opinion="符合条件")
        case.refresh_from_db()
    cases.approve(w.actor(w.heads[case.bundle_key]), case, opinion="准予")
    return cases.issue(reviewer, case, **issue)


def deny(w: Birth, case: Case) -> Case:
    cases.accept(w.window, case)
    case.refresh_from_db()
    reviewer = w.actor(w.reviewers[case.bundle_key])
    while "review" in cases.allowed_actions(reviewer, case):
        cases.review(reviewer, case, opinion="不符合条件")
        case.refresh_from_db()
    return cases.deny(
        w.actor(w.heads[case.bundle_key]), case, reasons="出生登记信息与户籍信息不符", basis="户口登记条例"
    )


def states(bc: BundleCase) -> dict[str, str]:
    bc.refresh_from_db()
    return apply.item_states(bc)


CERT_DATA = {"title": "出生医学证明"}


# --- applying ----------------------------------------------------------------------------------------------


def test_one_form_and_each_material_once_start_only_the_items_that_wait_for_nothing(birth):
    bc = apply.start(birth.window, birth.bundle, person=birth.person, identity_check="身份证原件", form_data=FORM)
    # 居民身份证 is asked once for two items; the birth certificate comes from the first item's result.
    listed = {m.name: (m.from_result_of, sorted(k for k, _ in m.serves)) for m in bc.materials.all()}
    assert listed == {
        "父母居民身份证": ("", ["cert"]),
        BIRTH_PROOF: ("cert", ["hukou"]),
        ID_CARD: ("", ["card", "medical"]),
    }
    ids = bc.materials.get(name=ID_CARD)
    apply.give_material(
        birth.window, bc, material_id=ids.pk, evidence="upload", upload=io.BytesIO(PDF), name="身份证.pdf"
    )
    apply.give_material(
        birth.window, bc, material_id=bc.materials.get(name="父母居民身份证").pk, evidence="original_seen"
    )
    apply.submit(birth.window, bc)

    bc.refresh_from_db()
    assert bc.status == BundleCaseStatus.RUNNING and bc.promised_deadline is not None
    assert states(bc) == {"cert": "running", "hukou": "waiting", "medical": "waiting", "card": "waiting"}
    cert = item(bc, "cert")
    assert cert.status == Status.PENDING and cert.department == birth.departments["cert"]
    assert cert.form_data == {"baby_name": "张小宝", "name": "张伟", "id_number": "411502199001011234"}
    assert cert.received_by is not None and cert.identity_check == "身份证原件"
    assert cert.materials.get().state == "provided"
    assert cert.events.first().payload["bundle"] == bc.number


def test_an_earlier_items_licence_is_the_next_items_material_and_parallel_items_start_together(birth):
    bc = received(birth)
    grant(birth, item(bc, "cert"), license_data=CERT_DATA)
    licence = License.objects.get(case=item(bc, "cert"))
    assert states(bc) == {"cert": "ready", "hukou": "running", "medical": "waiting", "card": "waiting"}

    hukou = item(bc, "hukou")
    proof = hukou.materials.get(name=BIRTH_PROOF)
    assert proof.state == "provided" and proof.evidence == MaterialEvidence.LICENSE
    assert proof.license_identifier == licence.identifier and proof.license_document == licence.document
    assert not proof.files.exists()  # nobody uploaded it

    grant(birth, hukou)
    # 医保参保 and 社保卡 wait for 户口登记 only: both start on its result, side by side.
    assert states(bc) == {"cert": "ready", "hukou": "ready", "medical": "running", "card": "running"}


def test_a_file_given_once_is_shared_by_reference_with_every_item_that_needs_it(birth):
    bc = apply.start(birth.window, birth.bundle, person=birth.person, identity_check="身份证原件", form_data=FORM)
    ids = bc.materials.get(name=ID_CARD)
    apply.give_material(birth.window, bc, material_id=ids.pk, evidence="upload", upload=io.BytesIO(PDF), name="id.pdf")
    apply.give_material(
        birth.window, bc, material_id=bc.materials.get(name="父母居民身份证").pk, evidence="copy_scanned"
    )
    apply.submit(birth.window, bc)
    grant(birth, item(bc, "cert"), license_data=CERT_DATA)
    grant(birth, item(bc, "hukou"))
    ids.refresh_from_db()
    stored = MaterialFile.objects.filter(material__case__bundle_case=bc)
    assert sorted(stored.values_list("material__case__bundle_key", flat=True)) == ["card", "medical"]
    assert set(stored.values_list("file", flat=True)) == {ids.file.name}  # one stored file, two references
    assert set(stored.values_list("sm3", flat=True)) == {ids.sm3}


def test_the_package_is_handed_out_at_the_output_window_and_the_timeline_is_one(birth):
    bc = received(birth)
    grant(birth, item(bc, "cert"), license_data=CERT_DATA)
    grant(birth, item(bc, "hukou"))
    grant(birth, item(bc, "medical"))
    bc.refresh_from_db()
    assert bc.status == BundleCaseStatus.RUNNING
    with pytest.raises(Conflict):
        apply.deliver(birth.window, bc, method="window", recipient_id_check="身份证原件")
    grant(birth, item(bc, "card"))
    bc.refresh_from_db()
    assert bc.status == BundleCaseStatus.READY and bc.finished_at is not None

    apply.deliver(birth.window, bc, method="window", recipient_id_check="居民身份证原件核验")
    bc.refresh_from_db()
    assert bc.status == BundleCaseStatus.COMPLETED
    assert set(bc.item_cases.values_list("status", flat=True)) == {Status.COMPLETED}
    assert bc.delivery["cases"] == [c.number for c in bc.item_cases.order_by("id")]
    timeline = bundle_timeline(bc)
    assert [e.action for e in timeline][:2] == ["create", "give-material"]
    assert {e.item for e in timeline if e.item} == {"cert", "hukou", "medical", "card"}
    assert [e.at for e in timeline] == sorted(e.at for e in timeline)


def test_results_may_be_taken_item_by_item(birth):
    bc = received(birth, delivery="separately")
    cert = grant(birth, item(bc, "cert"), license_data=CERT_DATA)
    cases.deliver(birth.window, cert, method="online")
    assert states(bc)["cert"] == "done"
    assert bc.status == BundleCaseStatus.RUNNING


# --- refusals ---------------------------------------------------------------------------------------------


def test_a_refused_item_stops_those_waiting_for_it_and_the_package_carries_the_refusal(birth):
    bc = received(birth)
    grant(birth, item(bc, "cert"), license_data=CERT_DATA)
    deny(birth, item(bc, "hukou"))
    assert states(bc) == {"cert": "ready", "hukou": "failed", "medical": "stopped", "card": "stopped"}
    assert bc.status == BundleCaseStatus.READY  # the certificate and the decision to deny are handed out
    stops = bc.events.filter(action="stop")
    assert {e.item for e in stops} == {"medical", "card"}
    apply.deliver(birth.window, bc, method="window", recipient_id_check="身份证原件")
    bc.refresh_from_db()
    assert bc.status == BundleCaseStatus.COMPLETED


@pytest.mark.parametrize(("on_refusal", "other"), [("continue", Status.PENDING), ("stop", Status.TERMINATED)])
def test_the_bundle_says_whether_the_others_go_on(monkeypatch, tmp_path, federation, on_refusal, other):  # noqa: F811
    w = birth_world(monkeypatch, tmp_path, federation, on_refusal=on_refusal, parallel=True)
    bc = received(w)
    assert set(bc.item_cases.values_list("status", flat=True)) == {Status.PENDING}
    cases.refuse(w.window, item(bc, "hukou"), reasons="非本辖区户籍", basis="户口登记条例")
    assert item(bc, "medical").status == other
    assert item(bc, "card").status == other
    if other == Status.TERMINATED:
        assert "一并终止" in item(bc, "card").events.last().payload["reasons"]


def test_nothing_granted_means_the_application_is_refused(monkeypatch, tmp_path, federation):  # noqa: F811
    w = birth_world(monkeypatch, tmp_path, federation, on_refusal="stop", parallel=True)
    bc = received(w)
    cases.refuse(w.window, item(bc, "cert"), reasons="材料不齐", basis="母婴保健法")
    bc.refresh_from_db()
    assert bc.status == BundleCaseStatus.REFUSED


# --- bad input changes nothing ------------------------------------------------------------------------------


def test_an_incomplete_form_or_a_missing_material_is_named_and_nothing_starts(birth):
    bc = apply.start(
        birth.window, birth.bundle, person=birth.person, identity_check="身份证原件", form_data={**FORM, "phone": ""}
    )
    with pytest.raises(DomainError) as refused:
        apply.submit(birth.window, bc)
    problems = {(p.field, p.code) for p in refused.value.problems}
    assert ("form_data.phone", "form_minLength") in problems
    assert sum(1 for field, code in problems if code == "material_missing") == 2
    bc.refresh_from_db()
    assert bc.status == BundleCaseStatus.DRAFT and not Case.objects.exists()


def test_a_result_material_cannot_be_given_and_unknown_evidence_is_named(birth):
    bc = apply.start(birth.window, birth.bundle, person=birth.person, identity_check="身份证原件", form_data=FORM)
    proof = bc.materials.get(name=BIRTH_PROOF)
    with pytest.raises(DomainError) as refused:
        apply.give_material(birth.window, bc, material_id=proof.pk, evidence="original_seen")
    assert refused.value.problems[0].code == "from_result"
    with pytest.raises(DomainError) as refused:
        apply.give_material(birth.window, bc, material_id=bc.materials.get(name=ID_CARD).pk, evidence="fax")
    assert refused.value.problems[0].field == "evidence"
    assert not bc.materials.exclude(evidence="").exists()


def test_only_a_window_clerk_of_the_region_receives_and_a_submitted_application_is_fixed(birth):
    with pytest.raises(PolicyDenied):
        apply.start(birth.actor(birth.reviewers["cert"]), birth.bundle, person=birth.person, identity_check="x")
    elsewhere = actor_for_user(make.staff("window_clerk", "320500"))
    with pytest.raises(PolicyDenied):
        apply.start(elsewhere, birth.bundle, person=birth.person, identity_check="x")
    with pytest.raises(DomainError) as refused:
        apply.start(birth.window, birth.bundle, person=birth.person, identity_check="")
    assert refused.value.problems[0].field == "identity_check"
    assert not BundleCase.objects.exists()
    bc = received(birth)
    with pytest.raises(Conflict):
        apply.save_form(birth.window, bc, form_data=FORM)


def test_an_unpublished_bundle_cannot_be_applied_for(birth):
    Bundle.objects.filter(pk=birth.bundle.pk).update(published=False)
    with pytest.raises(DomainError) as refused:
        apply.start(birth.window, birth.bundle.code, person=birth.person, identity_check="身份证原件")
    assert refused.value.problems[0].field == "bundle"


# --- online ------------------------------------------------------------------------------------------------


def test_online_the_applicant_uploads_each_material_once_and_the_items_arrive_online(birth):
    account = make.applicant("411500")
    me = actor_for_user(account)
    bc = apply.start(me, birth.bundle, channel="online", form_data=FORM)
    assert bc.applicant_person == me.person
    assert not cases_visible_to(birth.window, bc)  # a draft is the applicant's alone
    with pytest.raises(DomainError):
        apply.give_material(me, bc, material_id=bc.materials.get(name=ID_CARD).pk, evidence="original_seen")
    for m in bc.materials.filter(from_result_of=""):
        apply.give_material(me, bc, material_id=m.pk, evidence="upload", upload=io.BytesIO(PDF), name="m.pdf")
    apply.submit(me, bc)
    cert = item(bc, "cert")
    assert cert.channel == "online" and cert.status == Status.PENDING
    assert cert.events.first().actor == "system"


def cases_visible_to(actor: Actor, bc: BundleCase) -> bool:
    from tongban.identity.policy import may

    return bool(may(actor, "case.read", bc))


def test_a_material_given_again_another_way_leaves_no_file_behind(birth):
    bc = apply.start(birth.window, birth.bundle, person=birth.person, identity_check="身份证原件", form_data=FORM)
    ids = bc.materials.get(name=ID_CARD)
    apply.give_material(birth.window, bc, material_id=ids.pk, evidence="upload", upload=io.BytesIO(PDF), name="id.pdf")
    apply.give_material(birth.window, bc, material_id=ids.pk, evidence="original_seen")
    ids.refresh_from_db()
    assert ids.evidence == "original_seen" and not ids.file and ids.sm3 == "" and ids.original_name == ""


def test_on_the_timeline_an_item_is_sent_before_its_department_receives_it(birth):
    bc = received(birth)
    actions = [(e.item, e.action) for e in bundle_timeline(bc)]
    assert actions.index(("cert", "dispatch")) < actions.index(("cert", "receive"))
