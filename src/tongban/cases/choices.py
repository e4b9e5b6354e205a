"""The closed vocabularies of case handling (办件), one place each."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Status(models.TextChoices):
    """办件状态. The transitions between them are the table in ``lifecycle.py``."""

    DRAFT = "draft", _("draft")
    PENDING = "pending", _("awaiting acceptance")
    CORRECTION = "correction", _("awaiting correction")
    IN_REVIEW = "in_review", _("in review")
    SUSPENDED = "suspended", _("special procedure")
    APPROVED = "approved", _("approved, result being produced")
    DENIED = "denied", _("denied")
    ISSUED = "issued", _("result issued, awaiting delivery")
    COMPLETED = "completed", _("completed")
    REFUSED = "refused", _("acceptance refused")
    WITHDRAWN = "withdrawn", _("withdrawn")
    TERMINATED = "terminated", _("terminated")
    REVOKED = "revoked", _("decision revoked")
    FORWARDED = "forwarded", _("forwarded to the handling region")


# Statuses in which the case is finished: nothing but reading and evaluation happens any more.
CLOSED = frozenset({Status.COMPLETED, Status.REFUSED, Status.WITHDRAWN, Status.TERMINATED, Status.REVOKED})
# Statuses in which the legal clock runs (or is paused by a special procedure).
CLOCK_RUNNING = frozenset({Status.IN_REVIEW, Status.SUSPENDED})


class Channel(models.TextChoices):
    """How the application arrived (申请渠道)."""

    ONLINE = "online", _("online (全程网办)")
    WINDOW = "window", _("at a window (窗口收件)")
    PROXY = "proxy", _("at another region's window (异地代收)")


class MaterialState(models.TextChoices):
    MISSING = "missing", _("missing")
    PROVIDED = "provided", _("provided")
    REJECTED = "rejected", _("needs correction")
    COMMITTED = "committed", _("replaced by a commitment (告知承诺)")
    TOLERATED = "tolerated", _("accepted as missing, to be supplied (容缺)")


# Material states that let a case be accepted: given, or covered by a signed commitment.
MATERIAL_COVERED = frozenset({MaterialState.PROVIDED, MaterialState.COMMITTED, MaterialState.TOLERATED})


class MaterialEvidence(models.TextChoices):
    """How a material was given: what the clerk saw or what was uploaded."""

    UPLOAD = "upload", _("uploaded electronic file")
    ORIGINAL_SEEN = "original_seen", _("original seen at the window")
    COPY_SCANNED = "copy_scanned", _("paper copy scanned")
    LICENSE = "license", _("verified e-licence (免提交)")


class SpecialProcedure(models.TextChoices):
    """特别程序 (行政许可法 art. 45): time spent in them is not counted."""

    HEARING = "hearing", _("hearing (听证)")
    TENDER = "tender", _("tender (招标)")
    AUCTION = "auction", _("auction (拍卖)")
    INSPECTION = "inspection", _("inspection (检验)")
    TESTING = "testing", _("testing (检测)")
    QUARANTINE = "quarantine", _("quarantine (检疫)")
    APPRAISAL = "appraisal", _("appraisal (鉴定)")
    EXPERT_REVIEW = "expert_review", _("expert review (专家评审)")
    ON_SITE = "on_site", _("on-site verification (现场核查)")
    OTHER = "other", _("other special procedure")


class Outcome(models.TextChoices):
    APPROVE = "approve", _("approved (准予)")
    DENY = "deny", _("denied (不予)")


class DeliveryMethod(models.TextChoices):
    """送达方式."""

    WINDOW = "window", _("pickup at the window")
    POST = "post", _("by post")
    ONLINE = "online", _("online download")


class WarningLevel(models.TextChoices):
    """预警: yellow when few working days remain, red when overdue."""

    NONE = "none", _("on time")
    YELLOW = "yellow", _("due soon")
    RED = "red", _("overdue")


class NoticeKind(models.TextChoices):
    """文书."""

    ACCEPTANCE = "acceptance", _("acceptance notice (受理通知书)")
    REFUSAL = "refusal", _("refusal of acceptance (不予受理通知书)")
    CORRECTION = "correction", _("correction notice (补正材料通知书)")
    DECISION = "decision", _("completion notice (办结通知书)")
    TOLERANCE = "tolerance", _("notice of tolerated materials (容缺受理告知书)")
    COMMITMENT = "commitment", _("commitment (告知承诺书)")
    LAPSE = "lapse", _("termination for materials not supplied (终止办理通知书)")
    REVOCATION = "revocation", _("revocation decision (撤销决定书)")


class NoticeState(models.TextChoices):
    PENDING = "pending", _("being rendered")
    READY = "ready", _("ready")
    FAILED = "failed", _("rendering failed")


class OrderState(models.TextChoices):
    OPEN = "open", _("open")
    ANSWERED = "answered", _("answered")


class CommitmentKind(models.TextChoices):
    """What the applicant signs: a commitment instead of proof, or a promise to supply what is missing."""

    COMMITMENT = "commitment", _("commitment instead of proof (告知承诺)")
    TOLERANCE = "tolerance", _("promise to supply missing materials (容缺受理承诺)")


class SignedHow(models.TextChoices):
    ONLINE = "online", _("confirmed online after real-name login")
    PAPER = "paper", _("signed on paper and scanned")


class CommitmentState(models.TextChoices):
    OPEN = "open", _("in force, not yet fulfilled or verified")
    KEPT = "kept", _("kept")
    BROKEN = "broken", _("broken: not supplied in time")
    FALSE = "false", _("found false")


class VerificationMethod(models.TextChoices):
    """事后核查方式."""

    DATA_SHARING = "data_sharing", _("data-sharing check")
    DOCUMENTS = "documents", _("document check")
    ON_SITE = "on_site", _("on-site inspection")


class VerificationState(models.TextChoices):
    OPEN = "open", _("to be verified")
    TRUE = "true", _("commitment true")
    FALSE = "false", _("commitment false")
