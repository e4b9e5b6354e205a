"""Identity commands: every change to persons, organisations, authorisations and staff roles.

Each command takes the actor first, checks its input (raising DomainError naming the field, in Chinese
and English), asks the policy whether the actor may do it *on the record as it would be written*
(PolicyDenied, 403, when not), and writes in one transaction. Nothing is written when any check fails.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date
from pathlib import PurePath
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, models, transaction
from django.utils import timezone

from tongban.catalog.models import Department, Region
from tongban.catalog.services import get_region
from tongban.core.codes import CodeError, validate_uscc
from tongban.core.errors import Conflict, DomainError, NotFound
from tongban.identity import ids
from tongban.identity.actor import Actor
from tongban.identity.choices import Evidence, IdType, Role
from tongban.identity.denied import require
from tongban.identity.models import (
    Authorisation,
    Organisation,
    Person,
    PersonalDataAccess,
    StaffAssignment,
    StaffProfile,
)
from tongban.identity.policy import Decision

_PHONE_RE = re.compile(r"^\+?[0-9()]{5,20}$")
EVIDENCE_EXTENSIONS = (".pdf", ".jpg", ".jpeg", ".png")


def _fail(field: str | None, code: str, zh: str, en: str) -> DomainError:
    return DomainError.single(field, code, zh, en)


def _code(field: str, check: Any, *args: Any) -> Any:
    try:
        return check(*args)
    except CodeError as exc:
        raise DomainError.from_code_error(field, exc) from exc


def _required_text(field: str, value: str | None, max_length: int, zh: str, en: str) -> str:
    text = (value or "").strip()
    if not text:
        raise _fail(field, "required", f"{zh}为必填项", f"{en} is required")
    if len(text) > max_length:
        raise _fail(field, "too_long", f"{zh}不能超过{max_length}个字符", f"{en} has at most {max_length} characters")
    return text


def _phone(value: str | None) -> str:
    phone = re.sub(r"[\s\-]", "", value or "")
    if phone and not _PHONE_RE.match(phone):
        raise _fail(
            "phone", "phone_format", "电话号码应为5至20位数字，可带+和括号", "a phone number has 5 to 20 digits"
        )
    return phone


def _acting_region(actor: Actor, region_code: str | None, field: str = "region") -> Region:
    """The region a new record is registered in: the one given, else the actor's assignment's."""
    if region_code:
        return get_region(region_code, field)
    if actor.assignment is not None:
        return actor.assignment.region
    raise _fail(
        field,
        "required",
        "请指定登记地区（行政区划代码）",
        "give the region the record is registered in (a region code)",
    )


def _recorder(actor: Actor) -> dict[str, Any]:
    return {"user": actor.user if actor.user_id else None, "assignment": actor.assignment}


# --- persons ----------------------------------------------------------------------------------------


@transaction.atomic
def register_person(
    actor: Actor,
    *,
    name: str,
    id_type: str,
    id_number: str,
    nationality: str = "CHN",
    phone: str = "",
    region_code: str | None = None,
    user: Any = None,
) -> Person:
    """Register a natural person (自然人), by a window clerk or by the person themself (``user``)."""
    name = _required_text("name", name, 100, "姓名", "the name")
    id_type = _code("id_type", ids.validate_id_type, id_type)
    nationality = _code("nationality", ids.validate_nationality, nationality or "CHN")
    _code("nationality", ids.check_nationality_fits, id_type, nationality)
    number = _code("id_number", ids.validate_id_number, id_type, id_number, nationality)
    phone = _phone(phone)
    region = _acting_region(actor, region_code)
    if user is not None and Person.objects.filter(user=user).exists():
        raise Conflict.single("user", "duplicate", "该账号已关联自然人", "this login already belongs to a person")
    recorder = _recorder(actor)
    person = Person(
        name=name,
        id_type=id_type,
        id_number=number,
        nationality=nationality,
        phone=phone,
        region=region,
        user=user,
        registered_by=recorder["user"],
        registered_as=recorder["assignment"],
    )
    require(actor, "identity.person.write", person)
    if Person.objects.filter(id_type=id_type, nationality=nationality, id_number=number).exists():
        raise Conflict.single(
            "id_number", "duplicate", "该证件号码已登记", "a person with this document number is already registered"
        )
    try:
        with transaction.atomic():
            person.save()
    except IntegrityError as exc:  # registered concurrently by another window
        raise Conflict.single(
            "id_number", "duplicate", "该证件号码已登记", "a person with this document number is already registered"
        ) from exc
    return person


@transaction.atomic
def update_person(actor: Actor, person: Person, *, name: str | None = None, phone: str | None = None) -> Person:
    """Change a person's name or phone. The document never changes: a new document is a new record."""
    person = Person.objects.select_for_update().get(pk=person.pk)
    require(actor, "identity.person.write", person)
    if name is not None:
        person.name = _required_text("name", name, 100, "姓名", "the name")
    if phone is not None:
        person.phone = _phone(phone)
    person.save(update_fields=["name", "phone"])
    return person


@transaction.atomic
def reveal_person(actor: Actor, person: Person, *, reason: str = "") -> Decision:
    """Allow the unmasked document number and phone of ``person``, logging the look-up when it is not
    the actor's own record. The caller shows the full data only after this returns."""
    decision = require(actor, "identity.person.read_full", person)
    if decision.must_log:
        log_personal_data_access(actor, record=person, person=person, fields=["id_number", "phone"], reason=reason)
    return decision


# --- organisations ----------------------------------------------------------------------------------


def _person(value: Person | int | str | None, field: str) -> Person:
    if isinstance(value, Person):
        return value
    found = Person.objects.filter(pk=value).first() if str(value or "").isdigit() else None
    if found is None:
        raise _fail(field, "unknown_person", f"自然人“{value}”不存在", f"there is no person '{value}'")
    return found


@transaction.atomic
def register_organisation(
    actor: Actor,
    *,
    name: str,
    uscc: str,
    legal_representative: Person | int | str | None,
    region_code: str | None = None,
) -> Organisation:
    """Register a legal person (法人) with its unified social credit code and legal representative."""
    name = _required_text("name", name, 200, "名称", "the name")
    uscc = _code("uscc", validate_uscc, uscc)
    representative = _person(legal_representative, "legal_representative")
    if not region_code and actor.assignment is None and Region.objects.filter(code=uscc[2:8]).exists():
        region_code = uscc[2:8]  # without a window's region, the registering authority's in the code
    region = _acting_region(actor, region_code)
    recorder = _recorder(actor)
    org = Organisation(
        name=name,
        uscc=uscc,
        legal_representative=representative,
        region=region,
        registered_by=recorder["user"],
        registered_as=recorder["assignment"],
    )
    require(actor, "identity.organisation.write", org)
    if Organisation.objects.filter(uscc=uscc).exists():
        raise Conflict.single("uscc", "duplicate", f"统一社会信用代码“{uscc}”已登记", f"'{uscc}' is already registered")
    org.save()
    return org


# --- authorisations ---------------------------------------------------------------------------------


def _check_evidence(evidence: str, evidence_file: UploadedFile | None, id_check_note: str) -> None:
    if evidence not in Evidence.values:
        raise _fail(
            "evidence",
            "invalid_choice",
            f"证明方式“{evidence}”无效，可选：{'、'.join(Evidence.values)}",
            f"'{evidence}' is not a kind of evidence; choose from {', '.join(Evidence.values)}",
        )
    if evidence == Evidence.SIGNED_FORM:
        if evidence_file is None:
            raise _fail("evidence_file", "required", "请上传签字的授权委托书", "upload the signed authorisation form")
        if PurePath(evidence_file.name or "").suffix.lower() not in EVIDENCE_EXTENSIONS:
            raise _fail(
                "evidence_file",
                "file_type",
                "授权委托书应为PDF、JPG或PNG文件",
                "the signed form must be a PDF, JPG or PNG file",
            )
        if evidence_file.size and evidence_file.size > settings.TONGBAN_MAX_UPLOAD_BYTES:
            raise _fail("evidence_file", "too_large", "文件过大", "the file is too large")
    elif not id_check_note.strip():
        raise _fail(
            "id_check_note",
            "required",
            "当面授权须记录委托人身份核验情况",
            "an in-person authorisation must record how the principal's identity was checked",
        )


@transaction.atomic
def record_authorisation(
    actor: Actor,
    *,
    agent: Person | int | str | None,
    scope: str,
    valid_from: date | None,
    valid_to: date | None,
    evidence: str,
    principal_person: Person | int | str | None = None,
    principal_organisation: Organisation | int | str | None = None,
    evidence_file: UploadedFile | None = None,
    id_check_note: str = "",
    region_code: str | None = None,
) -> Authorisation:
    """Record an authorisation (授权委托): a principal lets an agent act for them, proven by a signed
    form or in person with the principal's identity checked."""
    if (principal_person in (None, "")) == (principal_organisation in (None, "")):
        raise _fail(
            "principal",
            "one_principal",
            "委托人须为一个自然人或一个法人（二选一）",
            "give exactly one principal: a person or an organisation",
        )
    person = _person(principal_person, "principal_person") if principal_person not in (None, "") else None
    org: Organisation | None = None
    if principal_organisation not in (None, ""):
        if isinstance(principal_organisation, Organisation):
            org = principal_organisation
        else:
            org = (
                Organisation.objects.filter(pk=principal_organisation).first()
                if str(principal_organisation).isdigit()
                else None
            )
        if org is None:
            raise _fail(
                "principal_organisation",
                "unknown_organisation",
                f"法人“{principal_organisation}”不存在",
                f"there is no organisation '{principal_organisation}'",
            )
    agent_person = _person(agent, "agent")
    if person is not None and agent_person.pk == person.pk:
        raise _fail("agent", "agent_is_principal", "受托人不能是委托人本人", "the agent cannot be the principal")
    if org is not None and agent_person.pk == org.legal_representative_id:
        raise _fail(
            "agent",
            "agent_is_representative",
            "法定代表人无需授权即可代表法人",
            "the legal representative acts for the organisation without an authorisation",
        )
    scope = _required_text("scope", scope, 2000, "授权范围", "the scope")
    if valid_from is None:
        raise _fail("valid_from", "required", "请填写授权起始日期", "give the first day of the authorisation")
    if valid_to is None:
        raise _fail("valid_to", "required", "请填写授权截止日期", "give the last day of the authorisation")
    if valid_to < valid_from:
        raise _fail("valid_to", "before_start", "截止日期早于起始日期", "the authorisation ends before it starts")
    if valid_to < timezone.localdate():
        raise _fail("valid_to", "in_the_past", "授权截止日期已过", "the authorisation has already ended")
    _check_evidence(evidence, evidence_file, id_check_note or "")
    region = _acting_region(actor, region_code)
    recorder = _recorder(actor)
    authorisation = Authorisation(
        principal_person=person,
        principal_organisation=org,
        agent=agent_person,
        scope=scope,
        valid_from=valid_from,
        valid_to=valid_to,
        evidence=evidence,
        id_check_note=(id_check_note or "").strip() if evidence == Evidence.IN_PERSON else "",
        region=region,
        recorded_by=recorder["user"],
        recorded_as=recorder["assignment"],
    )
    require(actor, "identity.authorisation.write", authorisation)
    if evidence == Evidence.SIGNED_FORM and evidence_file is not None:
        authorisation.evidence_file = evidence_file
    authorisation.save()
    return authorisation


@transaction.atomic
def revoke_authorisation(actor: Actor, authorisation: Authorisation, *, reason: str) -> Authorisation:
    """Revoke an authorisation from now on; what the agent did before stays valid."""
    authorisation = Authorisation.objects.select_for_update().get(pk=authorisation.pk)
    require(actor, "identity.authorisation.revoke", authorisation)
    reason = _required_text("reason", reason, 500, "撤销原因", "the reason")
    if authorisation.revoked_at is not None:
        raise Conflict.single("revoked_at", "already_revoked", "该授权已撤销", "this authorisation is already revoked")
    authorisation.revoked_at = timezone.now()
    authorisation.revoked_by = actor.user if actor.user_id else None
    authorisation.revoke_reason = reason
    authorisation.save(update_fields=["revoked_at", "revoked_by", "revoke_reason"])
    return authorisation


# --- staff ------------------------------------------------------------------------------------------


def _user(value: Any, field: str = "user") -> Any:
    User = get_user_model()
    if isinstance(value, models.Model):
        user = value
    else:
        user = User.objects.filter(**{User.USERNAME_FIELD: str(value or "").strip()}).first()
    if user is None:
        raise _fail(field, "unknown_user", f"用户“{value}”不存在", f"there is no user '{value}'")
    if not user.is_active:
        raise _fail(field, "inactive_user", "该用户已停用", "this user is deactivated")
    return user


@transaction.atomic
def register_staff(actor: Actor, *, user: Any, staff_number: str, name: str) -> StaffProfile:
    """Record the staff profile (工作人员) of a login: staff number and name."""
    require(actor, "identity.assignment.write")
    user = _user(user)
    staff_number = _required_text("staff_number", staff_number, 32, "工号", "the staff number")
    name = _required_text("name", name, 100, "姓名", "the name")
    if StaffProfile.objects.filter(staff_number=staff_number).exists():
        raise Conflict.single("staff_number", "duplicate", "工号已存在", "this staff number is already used")
    if StaffProfile.objects.filter(user=user).exists():
        raise Conflict.single("user", "duplicate", "该用户已有工作人员档案", "this user already has a staff profile")
    return StaffProfile.objects.create(user=user, staff_number=staff_number, name=name)


@transaction.atomic
def assign_role(
    actor: Actor,
    *,
    user: Any,
    role: str,
    region_code: str,
    department: Department | int | str | None = None,
    include_descendants: bool = False,
) -> StaffAssignment:
    """Give a user a role in a region (and maybe a department): a staff assignment (岗位授权)."""
    user = _user(user)
    if role not in Role.values:
        raise _fail(
            "role",
            "invalid_choice",
            f"岗位“{role}”无效，可选：{'、'.join(Role.values)}",
            f"'{role}' is not a role; choose from {', '.join(Role.values)}",
        )
    region = get_region(region_code, "region")
    dept: Department | None = None
    if department not in (None, ""):
        if isinstance(department, Department):
            dept = department
        else:
            dept = Department.objects.filter(pk=department).first() if str(department).isdigit() else None
        if dept is None:
            raise _fail(
                "department",
                "unknown_department",
                f"部门“{department}”不存在",
                f"there is no department '{department}'",
            )
        inside = dept.region_id == region.code or (include_descendants and region.contains(dept.region_id))
        if not inside:
            raise _fail(
                "department",
                "department_outside_region",
                f"部门“{dept.name}”不在该岗位的地区范围（{region.name}）内",
                f"department '{dept.name}' is outside the assignment's region ({region.code})",
            )
    if not actor.system and actor.user_id == user.pk:
        raise _fail("user", "self_assignment", "不能给自己授予岗位", "you cannot give yourself a role")
    assignment = StaffAssignment(
        user=user,
        role=role,
        region=region,
        department=dept,
        include_descendants=bool(include_descendants),
        assigned_by=actor.user if actor.user_id else None,
    )
    require(actor, "identity.assignment.write", assignment)
    duplicate = StaffAssignment.objects.filter(user=user, role=role, region=region, department=dept, active=True)
    if duplicate.exists():
        raise Conflict.single(
            "role", "duplicate", "该用户在此范围已有相同岗位", "the user already holds this role in this scope"
        )
    assignment.save()
    return assignment


@transaction.atomic
def end_assignment(actor: Actor, assignment: StaffAssignment) -> StaffAssignment:
    """End a staff assignment: it gives no rights from now on; records made in it keep naming it."""
    assignment = StaffAssignment.objects.select_for_update().select_related("region").get(pk=assignment.pk)
    require(actor, "identity.assignment.write", assignment)
    if not assignment.active:
        raise Conflict.single("active", "already_ended", "该岗位已终止", "this assignment has already ended")
    assignment.active = False
    assignment.ended_at = timezone.now()
    assignment.ended_by = actor.user if actor.user_id else None
    assignment.save(update_fields=["active", "ended_at", "ended_by"])
    return assignment


# --- the personal data access log -------------------------------------------------------------------


@transaction.atomic
def log_personal_data_access(
    actor: Actor,
    *,
    record: models.Model,
    fields: Iterable[str],
    reason: str,
    person: Person | None = None,
) -> PersonalDataAccess | None:
    """Append who looked at which fields of whose record, in which role and why (个人信息查阅记录).

    The system actor (loaders, management commands) is not a person looking: nothing is logged.
    """
    if actor.system:
        return None
    if actor.user_id is None:
        raise _fail(None, "not_authenticated", "查阅个人信息须先登录", "log in before looking at personal data")
    reason = _required_text("reason", reason, 500, "查阅理由", "the reason for looking")
    names = [str(f) for f in fields if str(f).strip()]
    if not names:
        raise _fail("fields", "required", "请说明查阅了哪些字段", "name the fields that were viewed")
    if record.pk is None:
        raise NotFound.single("record", "unsaved", "记录不存在", "the record does not exist")
    assignment = actor.assignment
    return PersonalDataAccess.objects.create(
        user=actor.user,
        assignment=assignment,
        region=assignment.region if assignment else None,
        record_type=record._meta.label_lower,
        record_id=str(record.pk),
        person=person if person is not None else (record if isinstance(record, Person) else None),
        fields=names,
        reason=reason,
    )


__all__ = [
    "IdType",
    "assign_role",
    "end_assignment",
    "log_personal_data_access",
    "record_authorisation",
    "register_organisation",
    "register_person",
    "register_staff",
    "reveal_person",
    "revoke_authorisation",
    "update_person",
]
