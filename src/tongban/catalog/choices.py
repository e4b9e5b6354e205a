"""The closed vocabularies of the catalog (STANDARDS §1), one place each."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class RegionLevel(models.TextChoices):
    PROVINCE = "province", _("province")
    PREFECTURE = "prefecture", _("prefecture")
    COUNTY = "county", _("county")


class DepartmentKind(models.TextChoices):
    ORGAN = "organ", _("administrative organ")
    INSTITUTION = "institution", _("public institution")
    AUTHORISED = "authorised", _("authorised organisation")
    CENTRE = "centre", _("government service centre")
    OTHER = "other", _("other")


class WindowKind(models.TextChoices):
    COMPREHENSIVE = "comprehensive", _("comprehensive window")
    SPECIAL = "special", _("department window")
    OUTPUT = "output", _("unified output window")
    CROSS_REGION = "cross_region", _("cross-region window")


class ItemKind(models.TextChoices):
    MAIN = "main", _("main item")
    SUB = "sub", _("sub-item")
    HANDLING = "handling", _("handling item")


class ItemType(models.TextChoices):
    """事项类型, with the codes seen in national data; 行政备案 has no published code."""

    LICENSING = "1", _("administrative licensing")
    BENEFIT = "5", _("administrative benefit")
    CONFIRMATION = "7", _("administrative confirmation")
    REWARD = "8", _("administrative reward")
    ADJUDICATION = "9", _("administrative adjudication")
    OTHER_POWER = "10", _("other administrative power")
    PUBLIC_SERVICE = "20", _("public service")
    FILING = "filing", _("administrative filing")


class ExerciseLevel(models.TextChoices):
    NATIONAL = "national", _("national")
    PROVINCIAL = "provincial", _("provincial")
    CITY = "city", _("city")
    COUNTY = "county", _("county")
    TOWNSHIP = "township", _("township")
    VILLAGE = "village", _("village or community")


class HandlingKind(models.TextChoices):
    NEW = "new", _("new")
    CHANGE = "change", _("change")
    RENEW = "renew", _("renewal")
    CANCEL = "cancel", _("cancellation")


class GuideStatus(models.TextChoices):
    DRAFT = "draft", _("draft")
    PUBLISHED = "published", _("published")
    RETIRED = "retired", _("retired")


class LimitUnit(models.TextChoices):
    WORKING_DAYS = "working_days", _("working days")
    CALENDAR_DAYS = "calendar_days", _("calendar days")
    HOURS = "hours", _("hours")


class CaseType(models.TextChoices):
    IMMEDIATE = "immediate", _("immediate (即办件)")
    PROMISED = "promised", _("promised (承诺件)")


class Mode(models.TextChoices):
    """办理方式: how an application may be made."""

    WINDOW = "window", _("at the window")
    ONLINE = "online", _("whole process online")
    PROXY = "proxy", _("received elsewhere (异地代收代办)")
    JOINT = "joint", _("joint handling (多地联办)")
    KIOSK = "kiosk", _("self-service kiosk")


class Scope(models.TextChoices):
    """通办范围."""

    NATIONWIDE = "nationwide", _("nationwide")
    CROSS_PROVINCE = "cross_province", _("cross-province")
    PROVINCE = "province", _("within the province")
    CITY = "city", _("within the city")
    COUNTY = "county", _("within the county")


class ServiceObject(models.TextChoices):
    NATURAL = "natural", _("natural person")
    LEGAL = "legal", _("legal person")


class ResultType(models.TextChoices):
    LICENSE = "license", _("licence or certificate")
    APPROVAL = "approval", _("approval document")
    RECORD = "record", _("record or filing")
    PAYMENT = "payment", _("payment")
    OTHER = "other", _("other")


class MaterialSource(models.TextChoices):
    APPLICANT = "applicant", _("applicant")
    GOVERNMENT = "government", _("issued by government")
    INTERMEDIARY = "intermediary", _("intermediary")
    OTHER = "other", _("other")


class MaterialForm(models.TextChoices):
    ORIGINAL = "original", _("original")
    COPY = "copy", _("copy")
    ORIGINAL_AND_COPY = "original_and_copy", _("original and copy")
    ELECTRONIC = "electronic", _("electronic")


class Necessity(models.TextChoices):
    REQUIRED = "required", _("required")
    OPTIONAL = "optional", _("optional")
    TOLERATED = "tolerated", _("required, may be supplied later (容缺)")


class AgreementKind(models.TextChoices):
    POINT_TO_POINT = "p2p", _("point to point")
    CLUSTER = "cluster", _("city cluster or region")
    ALLIANCE = "alliance", _("cloud alliance")
