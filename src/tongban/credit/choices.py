"""The fixed vocabularies of the credit record (信用记录): whose entry, what kind, from where, and the two
privileges that depend on it."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class SubjectType(models.TextChoices):
    """Whose entry it is: a natural person (by document number) or an organisation (by its USCC)."""

    PERSON = "person", _("natural person")
    ORGANISATION = "organisation", _("legal person or other organisation")


class EntryKind(models.TextChoices):
    """What the entry records."""

    GOOD_CONDUCT = "good_conduct", _("commitment kept (good conduct)")
    BROKEN_COMMITMENT = "broken_commitment", _("commitment not kept")
    FALSE_COMMITMENT = "false_commitment", _("false commitment")
    DISHONEST = "dishonest", _("on a dishonest list")
    REPAIR = "repair", _("credit repair")


class EntrySource(models.TextChoices):
    """Where the entry comes from."""

    TONGBAN = "tongban", _("this node's own cases and decisions")
    MANUAL = "manual", _("recorded by a supervisor")
    IMPORT = "import", _("imported from a list of another body")


class Privilege(models.TextChoices):
    """The facilitations an applicant's credit record can bar."""

    COMMITMENT = "commitment", _("notification and commitment (告知承诺)")
    TOLERANCE = "tolerance", _("acceptance with materials missing (容缺受理)")


class ImportFormat(models.TextChoices):
    """The file formats of an import."""

    CSV = "csv", "CSV"
    JSON = "json", "JSON"
