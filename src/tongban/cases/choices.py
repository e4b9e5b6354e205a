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


# Statuses in which the case is finished: nothing but reading and evaluation happens any more.
CLOSED = frozenset({Status.COMPLETED, Status.REFUSED, Status.WITHDRAWN, Status.TERMINATED})
# Statuses in which the legal clock runs (or is paused by a special procedure).
CLOCK_RUNNING = frozenset({Status.IN_REVIEW, Status.SUSPENDED})


class Channel(models.TextChoices):
    """How the application arrived (申请渠道)."""

    ONLINE = "online", _("online (全程网办)")
    WINDOW = "window", _("at a window (窗口收件)")


class MaterialState(models.TextChoices):
    MISSING = "missing", _("missing")
    PROVIDED = "provided", _("provided")
    REJECTED = "rejected", _("needs correction")


class MaterialEvidence(models.TextChoices):
    """How a material was given: what the clerk saw or what was uploaded."""

    UPLOAD = "upload", _("uploaded electronic file")
    ORIGINAL_SEEN = "original_seen", _("original seen at the window")
    COPY_SCANNED = "copy_scanned", _("paper copy scanned")


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


class NoticeState(models.TextChoices):
    PENDING = "pending", _("being rendered")
    READY = "ready", _("ready")
    FAILED = "failed", _("rendering failed")


class OrderState(models.TextChoices):
    OPEN = "open", _("open")
    ANSWERED = "answered", _("answered")
