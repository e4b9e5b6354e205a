"""What the case API shows (read side) and what its actions accept (write side, for the schema)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from tongban.cases.choices import (
    CLOCK_RUNNING,
    CommitmentKind,
    DeliveryMethod,
    MaterialEvidence,
    SignedHow,
    SpecialProcedure,
    VerificationMethod,
)
from tongban.cases.models import (
    Case,
    CaseEvent,
    CaseMaterial,
    Commitment,
    Extension,
    MaterialFile,
    Notice,
    ReviewOpinion,
    SupervisionOrder,
    Suspension,
    Verification,
)
from tongban.identity.masking import mask_id_number
from tongban.workdays import clock


class MaterialFileSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField(help_text="download address (needs the right to read the case)")

    class Meta:
        model = MaterialFile
        fields = ["id", "version", "original_name", "content_type", "size", "sm3", "sha256", "uploaded_at", "url"]

    def get_url(self, obj: MaterialFile) -> str:
        return reverse("case-file", args=[obj.material.case.number, obj.pk])


class CaseMaterialSerializer(serializers.ModelSerializer):
    files = MaterialFileSerializer(many=True, read_only=True, help_text="every stored version, oldest first")

    class Meta:
        model = CaseMaterial
        fields = [
            "id",
            "order",
            "name",
            "required",
            "state",
            "evidence",
            "note",
            "problem",
            "commitment",
            "supply_by",
            "supplied_at",
            "files",
        ]


class CommitmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Commitment
        fields = [
            "id",
            "kind",
            "conditions",
            "text",
            "signed_how",
            "signer_name",
            "sm3",
            "signed_at",
            "supply_by",
            "state",
        ]


class VerificationSerializer(serializers.ModelSerializer):
    overdue = serializers.SerializerMethodField(help_text="open and past its due date")

    class Meta:
        model = Verification
        fields = ["id", "commitment", "due_at", "state", "method", "finding", "checked_at", "overdue"]

    def get_overdue(self, obj: Verification) -> bool:
        return obj.state == "open" and obj.due_at < timezone.now()


class VerificationListSerializer(VerificationSerializer):
    case_number = serializers.CharField(source="case.number", read_only=True, help_text="the case (办件编号)")
    item_name = serializers.CharField(source="case.item_name", read_only=True, help_text="the item")
    department_name = serializers.CharField(
        source="case.department.name", read_only=True, help_text="the department that verifies"
    )

    class Meta(VerificationSerializer.Meta):
        fields = [*VerificationSerializer.Meta.fields, "case_number", "item_name", "department_name"]


class EventSerializer(serializers.ModelSerializer):
    class Meta:
        model = CaseEvent
        fields = [
            "seq",
            "at",
            "action",
            "actor",
            "role",
            "region_code",
            "status_before",
            "status_after",
            "payload",
            "hash",
        ]


class SuspensionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Suspension
        fields = ["kind", "reason", "started_at", "ended_at", "result"]


class ExtensionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Extension
        fields = ["days", "reason", "at"]


class OpinionSerializer(serializers.ModelSerializer):
    class Meta:
        model = ReviewOpinion
        fields = ["step", "step_name", "opinion", "outcome", "handler_name", "started_at", "at"]


class NoticeSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField(help_text="the PDF, once rendered")
    verify_url = serializers.SerializerMethodField(help_text="the public page that shows the notice is authentic")

    class Meta:
        model = Notice
        fields = ["id", "kind", "number", "state", "sha256", "created_at", "rendered_at", "url", "verify_url"]

    def get_url(self, obj: Notice) -> str | None:
        return reverse("case-notice", args=[obj.case.number, obj.pk]) if obj.file else None

    def get_verify_url(self, obj: Notice) -> str:
        return obj.context.get("verify_url", "")


class OrderSerializer(serializers.ModelSerializer):
    class Meta:
        model = SupervisionOrder
        fields = ["id", "message", "issued_at", "answer_by", "state", "answer", "answered_at"]


def _applicant(case: Case) -> dict[str, Any]:
    if case.applicant_organisation_id:
        org = case.applicant_organisation
        return {"kind": "organisation", "id": org.pk, "name": org.name, "code": org.uscc}
    person = case.applicant_person
    if person is None:
        return {"kind": "", "id": None, "name": case.applicant_name, "code": ""}
    return {"kind": "person", "id": person.pk, "name": person.name, "code": mask_id_number(person.id_number)}


def clock_view(case: Case, now: Any = None) -> dict[str, Any]:
    """The case's clock as a person reads it: deadlines, working days used and left, colour."""
    view: dict[str, Any] = {
        "arrived_at": case.arrived_at,
        "accepted_at": case.accepted_at,
        "acceptance_number": case.acceptance_number,
        "statutory_deadline": case.statutory_deadline,
        "promised_deadline": case.promised_deadline,
        "extension_days": case.extension_days,
        "warning": case.warning,
        "running": case.status in CLOCK_RUNNING,
        "used": None,
        "left": None,
        "suspended_days": None,
        "problem": "",
    }
    if case.accepted_at is None or case.promised_deadline is None:
        return view
    intervals = [clock.Interval(s.started_at, s.ended_at) for s in case.suspensions.all()]
    end = case.decided_at or case.closed_at or now or timezone.now()
    try:
        progress = clock.progress(case.accepted_at, case.promised_deadline, suspended=intervals, now=end)
    except clock.CalendarGap as gap:
        view["problem"] = str(gap.problems[0].text)
        return view
    view.update(used=progress.used, left=progress.left, suspended_days=progress.suspended)
    return view


class CaseListSerializer(serializers.ModelSerializer):
    status_label = serializers.CharField(
        source="get_status_display", read_only=True, help_text="the status in the request's language"
    )
    department_name = serializers.CharField(source="department.name", read_only=True, help_text="the department")

    class Meta:
        model = Case
        fields = [
            "number",
            "status",
            "status_label",
            "version",
            "channel",
            "item_name",
            "applicant_name",
            "region",
            "department",
            "department_name",
            "arrived_at",
            "accepted_at",
            "promised_deadline",
            "warning",
        ]


class CaseStateSerializer(serializers.ModelSerializer):
    """What an action answers: the new state and what the caller may do next."""

    status_label = serializers.CharField(
        source="get_status_display", read_only=True, help_text="the status in the request's language"
    )
    allowed_actions = serializers.SerializerMethodField(
        help_text="the actions you may take now (POST /api/v1/cases/{number}/{action}/)"
    )

    class Meta:
        model = Case
        fields = [
            "number",
            "status",
            "status_label",
            "version",
            "current_step",
            "statutory_deadline",
            "promised_deadline",
            "warning",
            "allowed_actions",
        ]

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_allowed_actions(self, obj: Case) -> list[str]:
        return self.context.get("allowed_actions", [])


class CaseDetailSerializer(CaseStateSerializer):
    """One case whole: the page needs nothing else."""

    applicant = serializers.SerializerMethodField(
        help_text="kind (person or organisation), id, name and code (document number masked, or USCC)"
    )
    agent_name = serializers.CharField(
        source="agent.name", default="", read_only=True, help_text="the agent (经办人) acting for the applicant"
    )
    department_name = serializers.CharField(source="department.name", read_only=True, help_text="the department")
    region_name = serializers.CharField(source="region.name", read_only=True, help_text="the handling region")
    implementation_code = serializers.CharField(source="implementation.implementation_code", read_only=True)
    clock = serializers.SerializerMethodField(
        help_text="arrived and accepted at, both deadlines, working days used and left, suspended days, colour"
    )
    materials = CaseMaterialSerializer(many=True, read_only=True, help_text="the material list with its files")
    suspensions = SuspensionSerializer(many=True, read_only=True, help_text="special procedures (not counted)")
    extensions = ExtensionSerializer(many=True, read_only=True, help_text="extensions with their reasons")
    opinions = OpinionSerializer(many=True, read_only=True, help_text="the review steps' opinions, in order")
    notices = NoticeSerializer(many=True, read_only=True, help_text="notices (文书) given to the applicant")
    orders = OrderSerializer(many=True, read_only=True, help_text="supervision orders (督办)")
    commitments = CommitmentSerializer(
        many=True, read_only=True, help_text="signed commitments: 告知承诺, and promises to supply (容缺)"
    )
    verifications = VerificationSerializer(
        many=True, read_only=True, help_text="post-verifications (事后核查) of commitments"
    )
    events = EventSerializer(many=True, read_only=True, help_text="the hash-chained record, oldest first")

    class Meta(CaseStateSerializer.Meta):
        fields = [
            *CaseStateSerializer.Meta.fields,
            "channel",
            "item_name",
            "implementation",
            "implementation_code",
            "guide_version",
            "region",
            "region_name",
            "department",
            "department_name",
            "receiving_region",
            "home_node",
            "origin_node",
            "dispatch",
            "applicant",
            "agent_name",
            "identity_check",
            "form_data",
            "case_type",
            "review_steps",
            "clock",
            "outcome",
            "decided_at",
            "reasons",
            "basis",
            "issued_at",
            "result_number",
            "delivery_method",
            "delivery",
            "delivered_at",
            "closed_at",
            "revoked_at",
            "materials",
            "commitments",
            "verifications",
            "suspensions",
            "extensions",
            "opinions",
            "notices",
            "orders",
            "events",
        ]

    @extend_schema_field(serializers.DictField())
    def get_applicant(self, obj: Case) -> dict[str, Any]:
        return _applicant(obj)

    @extend_schema_field(serializers.DictField())
    def get_clock(self, obj: Case) -> dict[str, Any]:
        return clock_view(obj)


# --- request bodies (documentation and validation of shape; the commands check meaning) ---------------


class VersionSerializer(serializers.Serializer):
    version = serializers.IntegerField(
        required=False, help_text="the version you saw; 409 if the case changed since (or send If-Match)"
    )


class CreateSerializer(serializers.Serializer):
    implementation = serializers.CharField(help_text="implementation code (实施编码) or id")
    organisation = serializers.IntegerField(required=False, help_text="apply for this organisation (id)")
    form_data = serializers.DictField(required=False)


class ReceiveSerializer(serializers.Serializer):
    implementation = serializers.CharField(help_text="implementation code (实施编码) or id")
    person = serializers.IntegerField(required=False, help_text="the applicant, a registered person (id)")
    organisation = serializers.IntegerField(required=False, help_text="the applicant, an organisation (id)")
    agent = serializers.IntegerField(required=False, help_text="the person acting for the applicant (id)")
    authorisation = serializers.IntegerField(required=False, help_text="the authorisation the agent acts under (id)")
    identity_check = serializers.CharField(help_text="how the identity was checked (e.g. 身份证读卡器核验)")
    form_data = serializers.DictField(required=False)


class SaveSerializer(VersionSerializer):
    form_data = serializers.DictField()


class UploadSerializer(VersionSerializer):
    file = serializers.FileField()


class RecordMaterialSerializer(VersionSerializer):
    evidence = serializers.ChoiceField(choices=MaterialEvidence.choices)
    note = serializers.CharField(required=False, allow_blank=True)


class UseLicenseSerializer(VersionSerializer):
    license_document = serializers.DictField(
        required=False,
        help_text="the signed licence document with its log proof, as a licence look-up returned it "
        "(a licence of another node)",
    )
    identifier = serializers.CharField(
        required=False, help_text="instead of the document: the identifier of a licence this node issued"
    )
    consent = serializers.CharField(help_text="how the holder agreed to the use of their licence (授权)")


class ReasonsSerializer(VersionSerializer):
    reasons = serializers.CharField()
    basis = serializers.CharField()


class CorrectionItemSerializer(serializers.Serializer):
    material = serializers.IntegerField(help_text="the material's id on this case")
    problem = serializers.CharField()
    requirement = serializers.CharField(required=False, allow_blank=True)


class CorrectionSerializer(VersionSerializer):
    items = CorrectionItemSerializer(many=True)
    note = serializers.CharField(required=False, allow_blank=True)


class OpinionBodySerializer(VersionSerializer):
    opinion = serializers.CharField()


class ApproveSerializer(VersionSerializer):
    opinion = serializers.CharField(required=False, allow_blank=True)
    basis = serializers.CharField(required=False, allow_blank=True)


class ExtendSerializer(VersionSerializer):
    days = serializers.IntegerField()
    reason = serializers.CharField()


class SuspendSerializer(VersionSerializer):
    kind = serializers.ChoiceField(choices=SpecialProcedure.choices)
    reason = serializers.CharField()


class ResumeSerializer(VersionSerializer):
    result = serializers.CharField(required=False, allow_blank=True)


class WithdrawSerializer(VersionSerializer):
    reason = serializers.CharField(required=False, allow_blank=True)


class TerminateSerializer(VersionSerializer):
    reasons = serializers.CharField()
    basis = serializers.CharField(required=False, allow_blank=True)


class IssueSerializer(VersionSerializer):
    result_number = serializers.CharField(required=False, allow_blank=True)
    license_data = serializers.DictField(
        required=False,
        help_text="When the guide names a result licence type: the licence's data the case's form does not "
        "give (fields of the type's JSON Schema, e.g. the registration number). The e-licence is signed in "
        "the same step.",
    )


class DeliverSerializer(VersionSerializer):
    method = serializers.ChoiceField(choices=DeliveryMethod.choices)
    recipient_id_check = serializers.CharField(required=False, allow_blank=True)
    carrier = serializers.CharField(required=False, allow_blank=True)
    tracking_number = serializers.CharField(required=False, allow_blank=True)
    address = serializers.CharField(required=False, allow_blank=True)


class ForwardSerializer(VersionSerializer):
    carrier = serializers.CharField(required=False, allow_blank=True, help_text="carrier of the paper originals")
    tracking_number = serializers.CharField(required=False, allow_blank=True, help_text="its tracking number")


class SuperviseSerializer(serializers.Serializer):
    message = serializers.CharField()
    days = serializers.IntegerField(required=False, help_text="working days to answer (default 2)")


class AnswerSerializer(serializers.Serializer):
    order = serializers.IntegerField()
    answer = serializers.CharField()


class CommitSerializer(VersionSerializer):
    kind = serializers.ChoiceField(
        choices=CommitmentKind.choices, help_text="commitment (告知承诺) or tolerance (容缺受理承诺)"
    )
    materials = serializers.ListField(
        child=serializers.IntegerField(),
        required=False,
        help_text="ids of the case's materials the commitment replaces, or that will be supplied later",
    )
    conditions = serializers.ListField(
        child=serializers.CharField(),
        required=False,
        help_text="conditions committed to, as the guide words them (告知承诺 only)",
    )
    signed_how = serializers.ChoiceField(
        choices=SignedHow.choices, help_text="online (the applicant, in the draft) or paper (a scan is uploaded)"
    )
    signer_name = serializers.CharField(required=False, help_text="who signed on paper; default the applicant")
    file = serializers.FileField(required=False, help_text="the signed commitment, scanned (PDF, JPG, PNG or OFD)")


class SupplySerializer(VersionSerializer):
    material = serializers.IntegerField(help_text="id of the material accepted as missing")
    file = serializers.FileField(required=False, help_text="the material's file")
    evidence = serializers.ChoiceField(
        choices=MaterialEvidence.choices,
        required=False,
        help_text="without a file, at the window: original_seen or copy_scanned",
    )
    note = serializers.CharField(required=False, help_text="a note on the material")


class VerifySerializer(VersionSerializer):
    method = serializers.ChoiceField(choices=VerificationMethod.choices, help_text="how the commitment was checked")
    outcome = serializers.ChoiceField(
        choices=[("true", "true"), ("false", "false")], help_text="true: as committed; false: the commitment was false"
    )
    finding = serializers.CharField(help_text="what the check found")
