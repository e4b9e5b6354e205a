"""Whose credit: the subject (主体) of an entry, identified by type and code.

Codes are stored normalised (spaces and hyphens gone, letters in capitals) so that the look-up at intake
finds what a window, a supervisor or an imported list wrote, however it was typed.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from tongban.core.codes import CodeError, validate_uscc
from tongban.core.messages import Text
from tongban.credit.choices import SubjectType
from tongban.identity import ids

if TYPE_CHECKING:
    from tongban.identity.actor import Actor

_OTHER_DOCUMENT_RE = re.compile(r"^[0-9A-Z]{5,30}$")


def normalise(code: str | None) -> str:
    return re.sub(r"[\s\-]", "", code or "").upper()


def validate_subject_type(value: str | None) -> str:
    subject_type = (value or "").strip().lower()
    if subject_type not in SubjectType.values:
        raise CodeError(
            "invalid_choice",
            Text(
                f"主体类型“{value or ''}”无效，可选：{'、'.join(SubjectType.values)}",
                f"'{value or ''}' is not a subject type; choose from {', '.join(SubjectType.values)}",
            ),
        )
    return subject_type


def validate_subject_code(subject_type: str, value: str | None) -> str:
    """The normalised code of a subject, or CodeError saying why it is not one.

    Persons: an 18-character number is a resident ID (GB 11643, fully checked) or, starting with 9, a
    2023 foreign permanent resident ID; other documents (passports, permits) are 5 to 30 letters and
    digits. Organisations: a unified social credit code (GB 32100, with its check character).
    """
    code = normalise(value)
    if not code:
        raise CodeError(
            "required", Text("请填写主体代码（证件号码或统一社会信用代码）", "the subject code is required")
        )
    if subject_type == SubjectType.ORGANISATION:
        return validate_uscc(code)
    if len(code) == 18 and code.startswith("9"):
        return ids.validate_foreign_permanent_resident(code)
    if len(code) == 18:
        return ids.validate_resident_id(code)
    if not _OTHER_DOCUMENT_RE.match(code):
        raise CodeError(
            "id_format",
            Text(
                "证件号码应为18位居民身份证号码，或5至30位字母和数字（其他证件）",
                "a document number is an 18-character resident ID number, or 5 to 30 letters and digits",
            ),
        )
    return code


def subject_of_case(case: Any) -> tuple[str, str, str]:
    """(subject_type, subject_code, subject_name) of a case's applicant: the organisation when there is one."""
    org = case.applicant_organisation
    if org is not None:
        return SubjectType.ORGANISATION, normalise(org.uscc), org.name
    person = case.applicant_person
    if person is None:
        raise ValueError(f"case {case.pk} has no applicant")
    return SubjectType.PERSON, normalise(person.id_number), person.name


def own_codes(actor: Actor) -> set[str]:
    """The subject codes that are the actor's own: their document number, and the credit codes of the
    organisations they represent or are authorised for (as the policy's ``own`` rule sees them)."""
    person = actor.person
    if person is None:
        return set()
    from tongban.identity.policy import own_organisations

    orgs = own_organisations(actor)
    return {normalise(person.id_number), *(normalise(c) for c in orgs.values_list("uscc", flat=True))}
