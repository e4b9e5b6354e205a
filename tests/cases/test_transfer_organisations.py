"""异地代收代办 and 全程网办 across regions for organisations (法人): the case goes to the deciding node with
the organisation (its unified social credit code, name, legal representative) and its agent (经办人), and
there the organisation is found by its code or registered through identity's command. A malformed code
is refused, naming it.
"""

from __future__ import annotations

import io
from datetime import date, timedelta
from typing import Any

import pytest

from tests import factories as f
from tests.cases.make import PDF
from tests.cases.test_transfer import nodes, their_item, transferred  # noqa: F401
from tests.federation.conftest import PEER, federation  # noqa: F401
from tests.identity import make
from tongban.cases import services
from tongban.cases.choices import Status
from tongban.cases.models import Case
from tongban.catalog import services as catalog
from tongban.core.errors import DomainError
from tongban.federation.models import OutboxMessage
from tongban.identity import services as identity
from tongban.identity.actor import SYSTEM, actor_for_user
from tongban.identity.models import Organisation, Person

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("nodes")]


def company(representative: Person, region: str = "411500") -> Organisation:
    return identity.register_organisation(
        SYSTEM, name="信阳茶叶有限公司", uscc=f.uscc(region), legal_representative=representative, region_code=region
    )


def transfer_body() -> dict[str, Any]:
    return OutboxMessage.objects.get(type="case.transfer").body


def test_a_window_forwards_an_organisations_case_with_the_organisation_and_its_agent():
    impl = their_item()
    clerk = actor_for_user(make.staff("window_clerk", "411500"))
    boss, agent = make.person("411500", name="陈总"), make.person("411500", name="张经办")
    org = company(boss)
    authorisation = identity.record_authorisation(
        SYSTEM,
        agent=agent,
        principal_organisation=org,
        scope="代为办理住房公积金提取",
        valid_from=date.today() - timedelta(days=1),
        valid_to=date.today() + timedelta(days=30),
        evidence="in_person",
        id_check_note="法定代表人到场核验身份证",
        region_code="411500",
    )
    case = services.receive(
        clerk,
        implementation=impl,
        organisation=org,
        agent=agent,
        authorisation=authorisation,
        identity_check="经办人身份证读卡器核验",
    )
    for material in case.materials.all():
        services.attach_file(clerk, case, material_id=material.pk, upload=io.BytesIO(PDF), name="scan.pdf")
    services.forward(clerk, case)
    assert Case.objects.get(pk=case.pk).status == Status.FORWARDED
    body = transfer_body()
    assert body["applicant"] is None
    assert body["organisation"] == {
        "name": "信阳茶叶有限公司",
        "uscc": org.uscc,
        "legal_representative": {
            "name": "陈总",
            "id_type": boss.id_type,
            "id_number": boss.id_number,
            "nationality": "CHN",
            "phone": boss.phone,
        },
        "region": "411500",
    }
    assert body["agent"]["name"] == "张经办" and body["agent"]["id_number"] == agent.id_number
    assert body["authorisation"]["scope"] == "代为办理住房公积金提取"


def organisation_body(uscc: str, **changes: Any) -> dict[str, Any]:
    return {
        "name": "苏州丝绸有限公司",
        "uscc": uscc,
        "legal_representative": {
            "name": "周总",
            "id_type": "resident_id",
            "id_number": make.resident_id("411502", "20000401"),
            "nationality": "CHN",
            "phone": "",
        },
        "region": "320500",
        **changes,
    }


AGENT = {"name": "吴经办", "id_type": "resident_id", "id_number": "", "nationality": "CHN", "phone": ""}


def test_the_deciding_node_registers_the_organisation_then_finds_it_by_its_code():
    uscc = f.uscc("320500")
    agent = {**AGENT, "id_number": make.resident_id("411502", "20000501")}
    case, _impl = transferred(applicant=None, organisation=organisation_body(uscc), agent=agent)
    org = Organisation.objects.get(uscc=uscc)
    assert (org.name, org.region_id, org.legal_representative.name) == ("苏州丝绸有限公司", "320500", "周总")
    assert case.applicant_organisation == org and case.applicant_person is None
    assert case.applicant_name == "苏州丝绸有限公司" and case.agent.name == "吴经办"
    assert case.events.get().payload["agent"] == "吴经办"
    again, _impl = transferred(
        number="320500-20261122-000008",
        applicant=None,
        organisation=organisation_body(uscc, name="苏州丝绸有限公司（更名前）"),
        agent=agent,
    )
    assert again.applicant_organisation == org and Organisation.objects.count() == 1


@pytest.mark.parametrize(
    ("uscc", "code"), [("91320500MA1X", "uscc_length"), ("91320500MA1XXXXXXO", "uscc_charset")]
)
def test_a_malformed_credit_code_is_refused_naming_it_and_nothing_is_opened(uscc, code):
    with pytest.raises(DomainError) as refused:
        transferred(applicant=None, organisation=organisation_body(uscc))
    assert (refused.value.problems[0].field, refused.value.problems[0].code) == ("organisation.uscc", code)
    assert not Case.objects.exists() and not Organisation.objects.exists()


def test_a_wrong_check_character_is_refused_too():
    good = f.uscc("320500")
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    with pytest.raises(DomainError) as refused:
        transferred(applicant=None, organisation=organisation_body(bad))
    assert refused.value.problems[0].field == "organisation.uscc"
    assert not Case.objects.exists()


def test_the_legal_representatives_bad_document_is_refused_naming_the_part():
    rep = {**organisation_body(f.uscc("320500"))["legal_representative"], "id_number": "41150220000401001"}
    with pytest.raises(DomainError) as refused:
        transferred(applicant=None, organisation=organisation_body(f.uscc("320500"), legal_representative=rep))
    assert refused.value.problems[0].field == "organisation.legal_representative.id_number"
    assert not Case.objects.exists()


def test_a_transfer_without_any_applicant_is_refused():
    with pytest.raises(DomainError) as refused:
        transferred(applicant=None)
    assert (refused.value.problems[0].field, refused.value.problems[0].code) == ("applicant", "required")


def test_online_an_organisations_application_for_another_regions_item_goes_there_on_submission():
    impl = their_item(agreement=False)
    catalog.create_agreement(
        SYSTEM,
        name="信阳—苏州全程网办协议",
        kind="p2p",
        region_codes=["411500", "320500"],
        item_codes=[impl.item.basic_code],
        modes=["online"],
        effective_from=date(2020, 1, 1),
    )
    account = make.applicant("411500")
    applicant = actor_for_user(account)
    org = company(applicant.person)  # they represent it in law: no authorisation needed
    case = services.create_draft(applicant, implementation=impl, organisation=org)
    for material in case.materials.all():
        services.attach_file(applicant, case, material_id=material.pk, upload=io.BytesIO(PDF), name="m.pdf")
    services.submit(applicant, case)
    case.refresh_from_db()
    assert case.status == Status.FORWARDED and case.channel == "online"
    body = transfer_body()
    assert body["organisation"]["uscc"] == org.uscc and body["agent"]["name"] == applicant.person.name
    sent = OutboxMessage.objects.filter(stream=f"case:{case.number}").order_by("created_at", "id")
    assert [m.type for m in sent] == ["case.transfer", "case.file", "case.file"]
