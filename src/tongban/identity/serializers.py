"""API shapes of identity. Document numbers and phones are masked unless the serializer's context says
``full`` (set only after services.reveal_person allowed and logged the look-up).

Write serializers only check the shape (types, dates); the commands check the meaning and name the
field in both languages.
"""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from tongban.identity.masking import mask_id_number, mask_name, mask_phone
from tongban.identity.models import Authorisation, Organisation, Person, PersonalDataAccess, StaffAssignment


class PersonSerializer(serializers.ModelSerializer):
    region = serializers.CharField(
        source="region_id", read_only=True, help_text="code of the region it was registered in"
    )
    has_account = serializers.SerializerMethodField(help_text="whether the person has a login")
    masked = serializers.SerializerMethodField(help_text="true when id_number and phone are masked")

    class Meta:
        model = Person
        fields = [
            "id",
            "name",
            "id_type",
            "id_number",
            "nationality",
            "phone",
            "region",
            "has_account",
            "registered_at",
            "masked",
        ]
        extra_kwargs = {
            "id_number": {"help_text": "document number; masked (4115**********123X) unless full=1 was allowed"},
            "phone": {"help_text": "contact phone; masked (138****5678) unless full=1 was allowed"},
        }

    def _full(self) -> bool:
        return bool(self.context.get("full"))

    def get_has_account(self, obj: Person) -> bool:
        return obj.user_id is not None

    def get_masked(self, obj: Person) -> bool:
        return not self._full()

    def to_representation(self, instance: Person) -> dict[str, Any]:
        data = super().to_representation(instance)
        if not self._full():
            data["id_number"] = mask_id_number(instance.id_number)
            data["phone"] = mask_phone(instance.phone)
        return data


class PersonSummarySerializer(serializers.Serializer):
    """A person as shown inside other records: always masked."""

    id = serializers.IntegerField(help_text="id of the person")
    name = serializers.CharField(help_text="full name")
    id_type = serializers.CharField(help_text="document type")
    id_number = serializers.SerializerMethodField(help_text="document number, masked")

    def get_id_number(self, obj: Person) -> str:
        return mask_id_number(obj.id_number)


class PersonWriteSerializer(serializers.Serializer):
    name = serializers.CharField(help_text="full name as on the document", required=False, allow_blank=True)
    id_type = serializers.CharField(
        help_text="resident_id, passport, hk_macao_permit, taiwan_permit or foreign_permanent_resident",
        required=False,
        allow_blank=True,
    )
    id_number = serializers.CharField(help_text="document number", required=False, allow_blank=True)
    nationality = serializers.CharField(help_text="ISO 3166-1 alpha-3, default CHN", required=False, default="CHN")
    phone = serializers.CharField(help_text="contact phone", required=False, allow_blank=True, default="")
    region = serializers.CharField(
        help_text="region code it is registered in; default: the region of your current role",
        required=False,
        allow_blank=True,
    )
    myself = serializers.BooleanField(
        help_text="register yourself: the person is linked to your login", required=False, default=False
    )


class PersonUpdateSerializer(serializers.Serializer):
    name = serializers.CharField(help_text="new full name", required=False)
    phone = serializers.CharField(help_text="new contact phone", required=False, allow_blank=True)


class OrganisationSerializer(serializers.ModelSerializer):
    legal_representative = PersonSummarySerializer(read_only=True, help_text="the legal representative (masked)")
    region = serializers.CharField(
        source="region_id", read_only=True, help_text="code of the region it was registered in"
    )

    class Meta:
        model = Organisation
        fields = ["id", "name", "uscc", "legal_representative", "region", "registered_at"]


class OrganisationWriteSerializer(serializers.Serializer):
    name = serializers.CharField(help_text="registered name", required=False, allow_blank=True)
    uscc = serializers.CharField(help_text="unified social credit code", required=False, allow_blank=True)
    legal_representative = serializers.CharField(
        help_text="id of the legal representative's person record", required=False, allow_blank=True
    )
    region = serializers.CharField(
        help_text="region code it is registered in; default: your role's region, else the one in the code",
        required=False,
        allow_blank=True,
    )


class OrganisationSummarySerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="id of the organisation")
    name = serializers.CharField(help_text="registered name")
    uscc = serializers.CharField(help_text="unified social credit code")


class AuthorisationSerializer(serializers.ModelSerializer):
    principal_person = PersonSummarySerializer(read_only=True, allow_null=True, help_text="principal, when a person")
    principal_organisation = OrganisationSummarySerializer(
        read_only=True, allow_null=True, help_text="principal, when an organisation"
    )
    agent = PersonSummarySerializer(read_only=True, help_text="the agent (masked)")
    region = serializers.CharField(
        source="region_id", read_only=True, help_text="code of the region it was recorded in"
    )
    has_evidence_file = serializers.SerializerMethodField(help_text="whether a signed form is on file")
    in_force = serializers.SerializerMethodField(help_text="whether it applies today")
    recorded_by = serializers.SerializerMethodField(help_text="username of who recorded it")

    class Meta:
        model = Authorisation
        fields = [
            "id",
            "principal_person",
            "principal_organisation",
            "agent",
            "scope",
            "valid_from",
            "valid_to",
            "evidence",
            "has_evidence_file",
            "id_check_note",
            "region",
            "recorded_at",
            "recorded_by",
            "recorded_as",
            "revoked_at",
            "revoke_reason",
            "in_force",
        ]

    def get_has_evidence_file(self, obj: Authorisation) -> bool:
        return bool(obj.evidence_file)

    def get_in_force(self, obj: Authorisation) -> bool:
        from django.utils import timezone

        return obj.in_force(timezone.localdate())

    def get_recorded_by(self, obj: Authorisation) -> str:
        return obj.recorded_by.get_username() if obj.recorded_by else ""


class AuthorisationWriteSerializer(serializers.Serializer):
    principal_person = serializers.CharField(
        help_text="id of the principal's person record (or give principal_organisation)",
        required=False,
        allow_blank=True,
    )
    principal_organisation = serializers.CharField(
        help_text="id of the principal organisation (or give principal_person)", required=False, allow_blank=True
    )
    agent = serializers.CharField(help_text="id of the agent's person record", required=False, allow_blank=True)
    scope = serializers.CharField(help_text="what the agent may do", required=False, allow_blank=True)
    valid_from = serializers.DateField(help_text="first day, YYYY-MM-DD", required=False, allow_null=True)
    valid_to = serializers.DateField(help_text="last day, YYYY-MM-DD", required=False, allow_null=True)
    evidence = serializers.CharField(help_text="signed_form or in_person", required=False, allow_blank=True)
    evidence_file = serializers.FileField(
        help_text="the signed form (PDF, JPG or PNG) when evidence is signed_form", required=False
    )
    id_check_note = serializers.CharField(
        help_text="how the principal's identity was checked, when evidence is in_person",
        required=False,
        allow_blank=True,
        default="",
    )
    region = serializers.CharField(
        help_text="region code it is recorded in; default: your role's region", required=False, allow_blank=True
    )


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(help_text="why", required=False, allow_blank=True, default="")


class StaffAssignmentSerializer(serializers.ModelSerializer):
    user = serializers.SerializerMethodField(help_text="username of the holder")
    region = serializers.CharField(source="region_id", read_only=True, help_text="code of the region the role acts in")
    region_name = serializers.CharField(source="region.full_name", read_only=True, help_text="name of the region")
    department_name = serializers.SerializerMethodField(help_text="name of the department, when bound to one")
    current = serializers.SerializerMethodField(help_text="whether you are acting in this assignment now")

    class Meta:
        model = StaffAssignment
        fields = [
            "id",
            "user",
            "role",
            "region",
            "region_name",
            "include_descendants",
            "department",
            "department_name",
            "active",
            "started_at",
            "ended_at",
            "current",
        ]

    def get_user(self, obj: StaffAssignment) -> str:
        return obj.user.get_username()

    def get_department_name(self, obj: StaffAssignment) -> str:
        return obj.department.name if obj.department_id else ""

    def get_current(self, obj: StaffAssignment) -> bool:
        current = self.context.get("current")
        return current is not None and current == obj.pk


class StaffAssignmentWriteSerializer(serializers.Serializer):
    user = serializers.CharField(help_text="username of the staff member", required=False, allow_blank=True)
    role = serializers.CharField(
        help_text="window_clerk, reviewer, department_head, supervisor, catalog_admin, hotline_operator "
        "or node_operator",
        required=False,
        allow_blank=True,
    )
    region = serializers.CharField(help_text="code of the region the role acts in", required=False, allow_blank=True)
    department = serializers.CharField(
        help_text="id of the department, to bind the role to one", required=False, allow_blank=True
    )
    include_descendants = serializers.BooleanField(
        help_text="whether the role also covers the divisions inside the region", required=False, default=False
    )


class PersonalDataAccessSerializer(serializers.ModelSerializer):
    user = serializers.SerializerMethodField(help_text="username of who looked")
    role = serializers.SerializerMethodField(help_text="role they acted in, when staff")
    region = serializers.CharField(source="region_id", read_only=True, allow_null=True, help_text="region of that role")
    person = serializers.IntegerField(source="person_id", read_only=True, allow_null=True, help_text="id of the person")
    person_name = serializers.SerializerMethodField(help_text="name of the person concerned, masked")

    class Meta:
        model = PersonalDataAccess
        fields = [
            "id",
            "user",
            "assignment",
            "role",
            "region",
            "at",
            "record_type",
            "record_id",
            "person",
            "person_name",
            "fields",
            "reason",
        ]

    def get_user(self, obj: PersonalDataAccess) -> str:
        return obj.user.get_username()

    def get_role(self, obj: PersonalDataAccess) -> str:
        return obj.assignment.role if obj.assignment_id else ""

    def get_person_name(self, obj: PersonalDataAccess) -> str:
        return mask_name(obj.person.name) if obj.person_id else ""
