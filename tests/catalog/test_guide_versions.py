"""Guides are drafted, published (then immutable), revised as new drafts, retired; changes are listed."""

import pytest
from django.core.exceptions import ValidationError

from tests import factories as f
from tongban.catalog import guide as guide_rules
from tongban.catalog import services
from tongban.catalog.models import GuideVersion, MaterialRequirement
from tongban.core.errors import Conflict, DomainError
from tongban.identity.actor import SYSTEM

pytestmark = pytest.mark.django_db


def test_publishing_makes_the_version_current_and_hashed():
    impl = f.implementation()
    guide = impl.current_version
    assert guide.status == "published" and guide.number == 1
    assert guide.content_hash == guide_rules.content_hash(services.guide_dict(guide), services.material_dicts(guide))


def test_a_published_version_cannot_be_changed_by_any_path():
    impl = f.implementation()
    guide = impl.current_version
    with pytest.raises(Conflict):
        services.update_draft(SYSTEM, guide, guide={"promised_limit": 1})
    guide.promised_limit = 1
    with pytest.raises(ValidationError):
        guide.save()  # the admin and any other ORM path hit the same guard
    with pytest.raises(ValidationError):
        MaterialRequirement.objects.create(guide=guide, name="新材料")
    with pytest.raises(ValidationError):
        guide.materials.first().delete()
    assert GuideVersion.objects.get(pk=guide.pk).promised_limit == 3


def test_revision_copies_the_guide_and_publishing_it_retires_the_old_one():
    impl = f.implementation()
    draft = services.start_revision(SYSTEM, impl)
    assert draft.number == 2 and draft.status == "draft"
    assert services.material_dicts(draft) == services.material_dicts(impl.current_version)
    with pytest.raises(Conflict):
        services.start_revision(SYSTEM, impl)  # one draft at a time
    draft = services.update_draft(
        SYSTEM, draft, guide={"promised_limit": 2}, materials=f.materials("居民身份证", "退休证明", "银行卡")
    )
    published = services.publish_guide(SYSTEM, draft)
    impl.refresh_from_db()
    assert impl.current_version_id == published.pk
    assert list(impl.versions.values_list("number", "status")) == [(1, "retired"), (2, "published")]


def test_diff_lists_changed_fields_and_materials():
    impl = f.implementation()
    old = impl.current_version
    draft = services.update_draft(
        SYSTEM,
        services.start_revision(SYSTEM, impl),
        guide={"promised_limit": 2},
        materials=[{"name": "居民身份证", "form": "copy", "paper_copies": 1}, {"name": "银行卡"}],
    )
    changes = {c.field: c for c in guide_rules.diff(services.guide_content(old), services.guide_content(draft))}
    assert changes["promised_limit"].before == 3 and changes["promised_limit"].after == 2
    assert changes["materials.退休证明"].kind == "removed"
    assert changes["materials.银行卡"].kind == "added"
    assert changes["materials.居民身份证.form"].after == "copy"
    assert str(changes["promised_limit"].label) == "承诺办结时限"


@pytest.mark.parametrize(
    ("guide", "materials", "field", "code"),
    [
        ({"promised_limit": 30}, None, "promised_limit", "promised_exceeds_statutory"),
        ({"modes": ["teleport"]}, None, "modes", "invalid_choice"),
        ({"form_schema": {"type": "nonsense"}}, None, "form_schema", "invalid_schema"),
        ({"colour": "red"}, None, "colour", "unknown_field"),
        ({"online_url": "javascript:alert(1)"}, None, "online_url", "invalid_url"),
        ({}, [{"name": "身份证"}, {"name": "身份证"}], "materials[1].name", "duplicate"),
        ({}, [{"name": "身份证", "necessity": "sometimes"}], "materials[0].necessity", "invalid_choice"),
    ],
)
def test_bad_guide_content_is_refused_naming_the_field(guide, materials, field, code):
    impl = f.implementation()
    draft = services.start_revision(SYSTEM, impl)
    before = services.guide_content(draft)
    with pytest.raises(DomainError) as exc:
        services.update_draft(SYSTEM, draft, guide=guide, materials=materials)
    assert (field, code) in [(p.field, p.code) for p in exc.value.problems]
    draft.refresh_from_db()
    assert services.guide_content(draft) == before  # nothing written


def test_retiring_the_version_in_force_withdraws_the_implementation():
    impl = f.implementation()
    services.retire_guide(SYSTEM, impl.current_version)
    impl.refresh_from_db()
    assert impl.current_version is None
