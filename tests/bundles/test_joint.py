"""多地联办 through a bundle (SCENARIOS §3, in small): a 信阳 application whose first part another region's
node does. 陈敏 moves her household to 信阳: the move-out (迁出) is 苏州's part, the move-in (迁入) 信阳's,
after it. The part goes to 苏州 as a case transfer; what 苏州 does comes back as statuses, and the bundle
moves on with them. Between real nodes the messages themselves are tested in tests/federation/.
"""

from __future__ import annotations

import io
from datetime import date

import pytest

from tests import factories as f
from tests.cases.make import PDF
from tests.cases.test_transfer import envelope
from tests.federation.conftest import PEER, federation  # noqa: F401
from tests.identity import make
from tongban.bundles import services as bundles
from tongban.bundles.models import BundleCaseStatus
from tongban.bundles.services import applications as apply
from tongban.cases.choices import Status
from tongban.cases.services import transfer
from tongban.catalog import services as catalog
from tongban.catalog.models import Region
from tongban.core.errors import DomainError
from tongban.federation.models import OutboxMessage
from tongban.identity.actor import SYSTEM, actor_for_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def parts(federation, settings, tmp_path):  # noqa: F811
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path)}},
    }
    federation.accept()
    police_there = f.department("320500", name="苏州市公安局")
    police_here = f.department("411500", name="信阳市公安局")
    move_out = f.implementation(
        f.item(name="户口迁出"), police_there, material_list=[{"name": "居民户口簿"}], region_code="320500"
    )
    move_in = f.implementation(f.item(name="夫妻投靠户口迁入"), police_here, material_list=[{"name": "结婚证"}])
    return move_out, move_in, police_here


def define(move_out, move_in, lead):  # type: ignore[no-untyped-def]
    return bundles.create_bundle(
        SYSTEM,
        code="xy-spouse-move",
        name="夫妻投靠户口迁移一件事",
        region=Region.objects.get(code="411500"),
        lead_department=lead,
        promised_limit=10,
        items=[{"key": "move_out", "implementation": move_out}, {"key": "move_in", "implementation": move_in}],
        dependencies=[("move_in", "move_out")],
    )


def joint_agreement(item) -> None:  # type: ignore[no-untyped-def]
    catalog.create_agreement(
        SYSTEM,
        name="信阳—苏州户籍多地联办协议",
        kind="p2p",
        region_codes=["411500", "320500"],
        item_codes=[item.basic_code],
        modes=["joint"],
        effective_from=date(2020, 1, 1),
    )


def test_another_regions_part_needs_an_agreement_to_handle_it_jointly(parts):
    move_out, move_in, lead = parts
    with pytest.raises(DomainError) as refused:
        define(move_out, move_in, lead)
    assert [(p.field, p.code) for p in refused.value.problems] == [
        ("items[0].implementation", "implementation_outside_region")
    ]
    joint_agreement(move_out.item)
    assert define(move_out, move_in, lead).items.count() == 2


def test_the_other_nodes_part_goes_there_and_its_result_moves_the_bundle_on(parts):
    move_out, move_in, lead = parts
    joint_agreement(move_out.item)
    bundles.publish(SYSTEM, define(move_out, move_in, lead))
    clerk = actor_for_user(make.staff("window_clerk", "411500"))
    bc = apply.start(clerk, "xy-spouse-move", person=make.person("411500", name="陈敏"), identity_check="身份证原件")
    for m in bc.materials.filter(from_result_of=""):
        apply.give_material(clerk, bc, material_id=m.pk, evidence="upload", upload=io.BytesIO(PDF), name="m.pdf")
    apply.submit(clerk, bc)

    out = bc.item_cases.get(bundle_key="move_out")
    assert out.home_node == PEER and out.status == Status.FORWARDED
    sent = OutboxMessage.objects.filter(stream=f"case:{out.number}").order_by("id")
    assert [m.type for m in sent] == ["case.transfer", "case.file"] and sent[0].receiver == PEER
    assert apply.item_states(bc) == {"move_out": "running", "move_in": "waiting"}

    for status, action in ((Status.IN_REVIEW, "accept"), (Status.APPROVED, "approve"), (Status.ISSUED, "issue")):
        transfer.mirror_status(envelope("case.status", {"number": out.number, "status": status, "action": action}))
    bc.refresh_from_db()
    assert apply.item_states(bc) == {"move_out": "ready", "move_in": "running"}
    move_in_case = bc.item_cases.get(bundle_key="move_in")
    assert move_in_case.home_node == "" and move_in_case.status == Status.PENDING  # 信阳's own part, here


def test_a_refusal_there_stops_what_waits_here(parts):
    move_out, move_in, lead = parts
    joint_agreement(move_out.item)
    bundles.publish(SYSTEM, define(move_out, move_in, lead))
    clerk = actor_for_user(make.staff("window_clerk", "411500"))
    bc = apply.start(clerk, "xy-spouse-move", person=make.person("411500", name="陈敏"), identity_check="身份证原件")
    for m in bc.materials.filter(from_result_of=""):
        apply.give_material(clerk, bc, material_id=m.pk, evidence="original_seen")
    apply.submit(clerk, bc)
    out = bc.item_cases.get(bundle_key="move_out")
    transfer.mirror_status(
        envelope(
            "case.status",
            {
                "number": out.number,
                "status": Status.REFUSED,
                "action": "refuse",
                "payload": {"reasons": "非本辖区户籍"},
            },
        )
    )
    bc.refresh_from_db()
    assert apply.item_states(bc) == {"move_out": "failed", "move_in": "stopped"}
    assert bc.status == BundleCaseStatus.REFUSED
    out.refresh_from_db()
    assert out.reasons == "非本辖区户籍"  # shown on the application's page, where it was received
