"""What the bundle application API shows (read side) and what its actions accept (write side, for the schema).

The item rows are read from the item cases and the bundle's plan at the moment of asking (the states are
never stored, see services.applications); the request serializers document the bodies, and the commands
check their meaning.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from tongban.bundles import plan as bundle_plan
from tongban.bundles.models import BundleCase, BundleMaterial, DeliveryChoice
from tongban.bundles.services import applications as apply
from tongban.cases.choices import Channel, DeliveryMethod, MaterialEvidence, Status
from tongban.identity.masking import mask_id_number

ITEM_STATE_VALUES = ", ".join(apply.ITEM_STATES)


class BundleMaterialSerializer(serializers.ModelSerializer):
    serves = serializers.SerializerMethodField(help_text="keys of the items that need the material")
    given = serializers.BooleanField(read_only=True, help_text="whether the material is in (evidence recorded)")

    class Meta:
        model = BundleMaterial
        fields = [
            "id",
            "order",
            "name",
            "required",
            "serves",
            "from_result_of",
            "given",
            "evidence",
            "note",
            "original_name",
            "content_type",
            "size",
            "sm3",
        ]
        extra_kwargs = {
            "from_result_of": {
                "help_text": "key of the earlier item whose result provides the material (not asked); blank if none"
            },
            "evidence": {
                "help_text": "how it was given: original_seen, copy_scanned or upload; blank while it is missing"
            },
            "original_name": {"help_text": "name of the uploaded file, if a file was uploaded"},
            "content_type": {"help_text": "type of the uploaded file, recognised by its content"},
            "size": {"help_text": "size of the uploaded file in bytes"},
            "sm3": {"help_text": "SM3 digest of the uploaded file (hex)"},
        }

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_serves(self, obj: BundleMaterial) -> list[str]:
        # Stored as [key, the item's own name for it] pairs; a client needs the keys, the names are the items'.
        return sorted({key for key, _ in obj.serves})


class BundleItemStateSerializer(serializers.Serializer):
    key = serializers.CharField(help_text="short name of the item within the bundle")
    item_name = serializers.CharField(help_text="name of the service item")
    department = serializers.CharField(help_text="the department that decides the item")
    depends_on = serializers.ListField(
        child=serializers.CharField(), help_text="keys of the items whose results this item waits for"
    )
    state = serializers.CharField(help_text=f"how the item stands: one of {ITEM_STATE_VALUES}")
    state_label = serializers.CharField(help_text="the state in the request's language")
    case_id = serializers.IntegerField(allow_null=True, help_text="id of the item's case, once it is dispatched")
    case_number = serializers.CharField(
        allow_null=True, help_text="number of the item's case (its address under /api/v1/cases/), once dispatched"
    )
    case_status = serializers.CharField(allow_null=True, help_text="status of the item's case, once dispatched")
    case_status_label = serializers.CharField(allow_null=True, help_text="the case's status in the request's language")


def item_rows(bundle_case: BundleCase) -> list[dict[str, Any]]:
    """Each item of the application, in the bundle's order, with its state and its case."""
    plan = bundle_plan.of(bundle_case.bundle)
    states = apply.item_states(bundle_case, plan)
    by_key = {c.bundle_key: c for c in bundle_case.item_cases.all()}
    rows = []
    for key in plan.keys:
        impl = plan.implementations[key]
        case = by_key.get(key)
        rows.append(
            {
                "key": key,
                "item_name": impl.item.name,
                "department": impl.department.name,
                "depends_on": plan.depends_on(key),
                "state": states[key],
                "state_label": str(apply.ITEM_STATES[states[key]]),
                "case_id": case.pk if case else None,
                "case_number": case.number if case else None,
                "case_status": case.status if case else None,
                "case_status_label": str(Status(case.status).label) if case else None,
            }
        )
    return rows


class BundleApplicationListSerializer(serializers.ModelSerializer):
    bundle_code = serializers.CharField(source="bundle.code", read_only=True, help_text="code of the bundle")
    bundle_name = serializers.CharField(source="bundle.name", read_only=True, help_text="name of the bundle")
    status_label = serializers.CharField(
        source="get_status_display", read_only=True, help_text="the status in the request's language"
    )
    status = serializers.CharField(
        read_only=True, help_text="draft, running, ready (results to hand out), completed or refused"
    )
    channel = serializers.CharField(read_only=True, help_text="window or online")
    delivery_choice = serializers.CharField(
        read_only=True, help_text="together (one package at the output window) or separately (each when ready)"
    )

    class Meta:
        model = BundleCase
        fields = [
            "id",
            "number",
            "version",
            "bundle_code",
            "bundle_name",
            "status",
            "status_label",
            "channel",
            "receiving_region",
            "applicant_name",
            "delivery_choice",
            "created_at",
            "submitted_at",
            "promised_deadline",
            "finished_at",
            "delivered_at",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "number": {"help_text": "the application's number (一件事办件编号), carried by its item cases"},
            "version": {"help_text": "changes with every change; send it back with an action (409 when stale)"},
            "receiving_region": {"help_text": "GB/T 2260 code of the region where the application arrived"},
            "promised_deadline": {"help_text": "the bundle's promised deadline, set on submission"},
            "applicant_name": {"help_text": "name of the applicant (the person, or the organisation)"},
            "created_at": {"help_text": "when the application was started"},
            "submitted_at": {"help_text": "when it was submitted; the bundle's clock starts then"},
            "finished_at": {"help_text": "when the last item was decided or stopped"},
            "delivered_at": {"help_text": "when the package was handed out"},
        }


class BundleApplicationSerializer(BundleApplicationListSerializer):
    """One application whole: what a page or an action's caller needs, in one answer."""

    applicant = serializers.SerializerMethodField(
        help_text="kind (person or organisation), id, name and code (document number masked, or USCC)"
    )
    agent_name = serializers.CharField(
        source="agent.name", default="", read_only=True, help_text="the agent (经办人) acting for the applicant"
    )
    materials = BundleMaterialSerializer(
        many=True, read_only=True, help_text="the merged material list, each material given once"
    )
    items = serializers.SerializerMethodField(help_text="the bundle's items with their states and cases")

    class Meta(BundleApplicationListSerializer.Meta):
        fields = [
            *BundleApplicationListSerializer.Meta.fields,
            "applicant",
            "agent_name",
            "identity_check",
            "form_data",
            "delivery",
            "materials",
            "items",
        ]
        read_only_fields = fields
        extra_kwargs = {
            **BundleApplicationListSerializer.Meta.extra_kwargs,
            "identity_check": {"help_text": "at a window: how the applicant's identity was checked"},
            "form_data": {"help_text": "the merged form (one JSON object for every item)"},
            "delivery": {"help_text": "how the package was handed out: method and the item cases' numbers"},
        }

    @extend_schema_field(serializers.DictField())
    def get_applicant(self, obj: BundleCase) -> dict[str, Any]:
        if obj.applicant_organisation_id:
            org = obj.applicant_organisation
            return {"kind": "organisation", "id": org.pk, "name": org.name, "code": org.uscc}
        person = obj.applicant_person
        if person is None:
            return {"kind": "", "id": None, "name": obj.applicant_name, "code": ""}
        return {"kind": "person", "id": person.pk, "name": person.name, "code": mask_id_number(person.id_number)}

    @extend_schema_field(BundleItemStateSerializer(many=True))
    def get_items(self, obj: BundleCase) -> list[dict[str, Any]]:
        return BundleItemStateSerializer(item_rows(obj), many=True).data


class BundleTimelineEntrySerializer(serializers.Serializer):
    at = serializers.DateTimeField(help_text="when it happened")
    item = serializers.CharField(help_text="key of the item it concerns; blank for the application as a whole")
    item_name = serializers.CharField(help_text="name of that item; blank for the application")
    action = serializers.CharField(help_text="what happened (create, submit, dispatch, accept, deliver, …)")
    actor = serializers.CharField(help_text="login name of who acted, or 'system'")
    status = serializers.CharField(help_text="the item case's status after the event; blank for the application's own")
    case = serializers.CharField(help_text="number of the item case concerned, if any")
    payload = serializers.JSONField(help_text="the event's details")


# --- request bodies (documentation and validation of shape; the commands check meaning) ---------------


class BundleVersionSerializer(serializers.Serializer):
    version = serializers.IntegerField(
        required=False, help_text="the version you saw; 409 if the application changed since (or send If-Match)"
    )


class BundleStartSerializer(serializers.Serializer):
    bundle = serializers.CharField(help_text="code of a published bundle, e.g. yindu-birth")
    channel = serializers.ChoiceField(
        choices=Channel.choices, help_text="window: a clerk receives it for the applicant; online: your own"
    )
    person = serializers.IntegerField(required=False, help_text="window: the applicant, a registered person (id)")
    organisation = serializers.IntegerField(
        required=False, help_text="the applicant, an organisation (id); online: one you represent"
    )
    agent = serializers.IntegerField(required=False, help_text="window: the person acting for the applicant (id)")
    authorisation = serializers.IntegerField(
        required=False, help_text="window: the authorisation the agent acts under (id)"
    )
    identity_check = serializers.CharField(
        required=False, help_text="window (required): how the identity was checked, e.g. 身份证读卡器核验"
    )
    form_data = serializers.DictField(required=False, help_text="the merged form, as far as it is known")
    delivery_choice = serializers.ChoiceField(
        choices=DeliveryChoice.choices,
        required=False,
        help_text="together (default): every result in one package; separately: each when it is ready",
    )


class BundleFormSerializer(BundleVersionSerializer):
    form_data = serializers.DictField(help_text="the whole merged form (replaces what was saved)")


class BundleGiveMaterialSerializer(BundleVersionSerializer):
    evidence = serializers.ChoiceField(
        choices=MaterialEvidence.choices,
        required=False,
        help_text="original_seen or copy_scanned (at a window), or upload with a file; default upload with a file",
    )
    file = serializers.FileField(required=False, help_text="the material's file (PDF, JPG, PNG or OFD); multipart")
    note = serializers.CharField(required=False, allow_blank=True, help_text="a note on the material")


class BundleDeliverSerializer(BundleVersionSerializer):
    # A plain string: an enum here would collide in the schema with the other fields named "method".
    method = serializers.CharField(help_text=f"how the package is handed out: {', '.join(DeliveryMethod.values)}")
    recipient_id_check = serializers.CharField(
        required=False, allow_blank=True, help_text="at the window: how the recipient's identity was checked"
    )
    carrier = serializers.CharField(required=False, allow_blank=True, help_text="by post: the carrier")
    tracking_number = serializers.CharField(required=False, allow_blank=True, help_text="by post: tracking number")
    address = serializers.CharField(required=False, allow_blank=True, help_text="by post: the address")
