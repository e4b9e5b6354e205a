"""Cases (办件) and what hangs off them: materials and their files, events, suspensions, extensions,
review opinions, notices and supervision orders.

Nothing here changes a case's state: the commands in ``services.py`` do, row by row of the lifecycle
table. Fields that only a command may set are marked ``editable=False`` so the admin cannot bypass it.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from tongban.cases import choices as c
from tongban.catalog.choices import CaseType
from tongban.catalog.models import Department, GuideVersion, ItemImplementation, MaterialRequirement, Region
from tongban.identity.models import Authorisation, Organisation, Person, StaffAssignment


class Sequence(models.Model):
    """A named counter for readable numbers (case numbers, notice numbers); incremented under a row lock."""

    name = models.CharField(max_length=64, unique=True)
    last = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.name}={self.last}"


class Case(models.Model):
    """办件: one application for one item implementation, from draft to completion."""

    number = models.CharField(
        _("case number"), max_length=32, unique=True, editable=False, help_text=_("unique across all regions")
    )
    version = models.PositiveIntegerField(
        _("version"), default=1, editable=False, help_text=_("increases with every change; for concurrency checks")
    )
    status = models.CharField(_("status"), max_length=16, choices=c.Status.choices, editable=False, db_index=True)
    channel = models.CharField(_("channel"), max_length=10, choices=c.Channel.choices, editable=False)

    implementation = models.ForeignKey(
        ItemImplementation, verbose_name=_("item implementation"), on_delete=models.PROTECT, related_name="cases"
    )
    guide_version = models.ForeignKey(
        GuideVersion,
        verbose_name=_("guide version"),
        on_delete=models.PROTECT,
        related_name="cases",
        help_text=_("the published guide the case is handled under; pinned when it is created"),
    )
    region = models.ForeignKey(
        Region, verbose_name=_("handling region"), on_delete=models.PROTECT, related_name="+", editable=False
    )
    department = models.ForeignKey(
        Department, verbose_name=_("department"), on_delete=models.PROTECT, related_name="cases", editable=False
    )
    receiving_region = models.ForeignKey(
        Region, verbose_name=_("receiving region"), on_delete=models.PROTECT, related_name="+", editable=False
    )
    item_name = models.CharField(_("item name"), max_length=200, editable=False)

    applicant_person = models.ForeignKey(
        Person,
        verbose_name=_("applicant (person)"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cases",
    )
    applicant_organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("applicant (organisation)"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cases",
    )
    applicant_name = models.CharField(_("applicant name"), max_length=200, editable=False)
    agent = models.ForeignKey(
        Person,
        verbose_name=_("agent (经办人)"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cases_as_agent",
        help_text=_("the person who acts for an organisation or for another person"),
    )
    authorisation = models.ForeignKey(
        Authorisation,
        verbose_name=_("authorisation"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cases",
        help_text=_("the authorisation the agent acts under"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    received_by = models.ForeignKey(
        StaffAssignment,
        verbose_name=_("received in assignment"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("the window clerk's assignment, for window intake and assisted applications (帮办代办)"),
    )
    identity_check = models.CharField(
        _("identity check"), max_length=200, blank=True, help_text=_("how the clerk checked the applicant's identity")
    )
    form_data = models.JSONField(_("form"), default=dict, blank=True)

    case_type = models.CharField(_("case type"), max_length=10, choices=CaseType.choices, editable=False)
    review_steps = models.JSONField(_("review steps"), default=list, editable=False)
    current_step = models.PositiveSmallIntegerField(_("current review step"), default=0, editable=False)

    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    arrived_at = models.DateTimeField(_("arrived at"), null=True, editable=False, db_index=True)
    accepted_at = models.DateTimeField(_("accepted at"), null=True, editable=False)
    acceptance_number = models.CharField(_("acceptance number"), max_length=40, blank=True, editable=False)
    statutory_deadline = models.DateTimeField(_("statutory deadline"), null=True, editable=False)
    promised_deadline = models.DateTimeField(_("promised deadline"), null=True, editable=False, db_index=True)
    extension_days = models.PositiveSmallIntegerField(_("extension (working days)"), default=0, editable=False)
    warning = models.CharField(
        _("warning"), max_length=8, choices=c.WarningLevel.choices, default=c.WarningLevel.NONE, editable=False
    )

    outcome = models.CharField(_("outcome"), max_length=8, choices=c.Outcome.choices, blank=True, editable=False)
    decided_at = models.DateTimeField(_("decided at"), null=True, editable=False)
    reasons = models.TextField(_("reasons"), blank=True, editable=False)
    basis = models.TextField(_("legal basis"), blank=True, editable=False)
    issued_at = models.DateTimeField(_("issued at"), null=True, editable=False)
    result_number = models.CharField(_("result number"), max_length=80, blank=True, editable=False)
    delivery_method = models.CharField(
        _("delivery"), max_length=8, choices=c.DeliveryMethod.choices, blank=True, editable=False
    )
    delivery = models.JSONField(_("delivery details"), default=dict, blank=True, editable=False)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, editable=False)
    closed_at = models.DateTimeField(_("closed at"), null=True, editable=False)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, editable=False)
    # 一件事: the bundle application this case is an item of, and the item's key within the bundle.
    bundle_case = models.ForeignKey(
        "bundles.BundleCase",
        verbose_name=_("bundle application"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="item_cases",
        editable=False,
    )
    bundle_key = models.CharField(_("item key in the bundle"), max_length=32, blank=True, editable=False)
    # 异地代收代办: at the receiving node, the node that handles the case (its statuses are mirrored here);
    # at the handling node, the node whose window received it (statuses are sent back there).
    home_node = models.CharField(_("handled at node"), max_length=64, blank=True, editable=False)
    origin_node = models.CharField(_("received at node"), max_length=64, blank=True, editable=False)
    dispatch = models.JSONField(
        _("originals dispatched"), default=dict, blank=True, editable=False, help_text=_("carrier and tracking number")
    )

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        ordering = ["-created_at", "-id"]
        indexes = [
            # The clerk's and reviewer's queues: their department's open cases, soonest deadline first.
            models.Index(fields=["department", "status", "promised_deadline"], name="case_queue"),
            models.Index(fields=["region", "status"], name="case_region_status"),
            models.Index(fields=["department", "-created_at"], name="case_department_recent"),
            models.Index(fields=["applicant_person", "-created_at"], name="case_applicant_recent"),
            models.Index(fields=["warning", "status"], name="case_warning"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.item_name}"

    @property
    def is_immediate(self) -> bool:
        return self.case_type == CaseType.IMMEDIATE

    @property
    def is_closed(self) -> bool:
        return self.status in c.CLOSED

    @property
    def current_step_name(self) -> str:
        steps = self.review_steps or []
        return steps[self.current_step] if self.current_step < len(steps) else ""


class CaseMaterial(models.Model):
    """One material of a case's list (申请材料), as the pinned guide asks for it, with its files."""

    case = models.ForeignKey(Case, verbose_name=_("case"), on_delete=models.CASCADE, related_name="materials")
    requirement = models.ForeignKey(
        MaterialRequirement, verbose_name=_("requirement"), null=True, on_delete=models.PROTECT, related_name="+"
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    name = models.CharField(_("name"), max_length=200)
    required = models.BooleanField(_("required"), default=True)
    state = models.CharField(
        _("state"), max_length=10, choices=c.MaterialState.choices, default=c.MaterialState.MISSING
    )
    evidence = models.CharField(_("how given"), max_length=16, choices=c.MaterialEvidence.choices, blank=True)
    license_identifier = models.CharField(
        _("e-licence used"), max_length=120, blank=True, help_text=_("identifier of the e-licence that satisfies it")
    )
    license_document = models.JSONField(
        _("e-licence document"),
        null=True,
        blank=True,
        help_text=_("the signed licence with its log proof, as verified"),
    )
    note = models.CharField(_("note"), max_length=500, blank=True)
    problem = models.CharField(
        _("problem"),
        max_length=500,
        blank=True,
        help_text=_("what is missing or wrong, from the last correction request"),
    )
    commitment = models.ForeignKey(
        "Commitment",
        verbose_name=_("commitment"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="materials",
        help_text=_("the signed commitment that replaces it (告知承诺) or promises it later (容缺)"),
    )
    supply_by = models.DateTimeField(
        _("supply by"), null=True, blank=True, help_text=_("for a material accepted as missing: when it is due")
    )
    supplied_at = models.DateTimeField(_("supplied at"), null=True, blank=True)

    class Meta:
        verbose_name = _("case material")
        verbose_name_plural = _("case materials")
        ordering = ["case", "order", "id"]

    def __str__(self) -> str:
        return self.name


class MaterialFile(models.Model):
    """A stored file of a material; a correction adds a new version, nothing is overwritten."""

    material = models.ForeignKey(
        CaseMaterial, verbose_name=_("material"), on_delete=models.CASCADE, related_name="files"
    )
    version = models.PositiveSmallIntegerField(_("version"))
    file = models.FileField(_("file"), upload_to="cases/%Y/%m/")
    original_name = models.CharField(_("original name"), max_length=200)
    content_type = models.CharField(_("content type"), max_length=64)
    size = models.PositiveBigIntegerField(_("size (bytes)"))
    sm3 = models.CharField(_("SM3"), max_length=64)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("uploaded by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("material file")
        verbose_name_plural = _("material files")
        ordering = ["material", "version"]
        constraints = [models.UniqueConstraint(fields=["material", "version"], name="material_file_version")]

    def __str__(self) -> str:
        return f"{self.original_name} v{self.version}"


class CaseEvent(models.Model):
    """办件日志: the append-only record of a case, hash-chained (SM3) so tampering shows (责任追溯)."""

    case = models.ForeignKey(Case, verbose_name=_("case"), on_delete=models.PROTECT, related_name="events")
    seq = models.PositiveIntegerField(_("sequence"))
    at = models.DateTimeField(_("at"))
    action = models.CharField(_("action"), max_length=32)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor = models.CharField(_("actor"), max_length=150, help_text=_("login name, or 'system'"))
    role = models.CharField(_("role"), max_length=20, blank=True)
    assignment = models.ForeignKey(
        StaffAssignment, verbose_name=_("assignment"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    region_code = models.CharField(_("region"), max_length=6, blank=True)
    department_id_at = models.BigIntegerField(_("department"), null=True)
    status_before = models.CharField(_("status before"), max_length=16, blank=True)
    status_after = models.CharField(_("status after"), max_length=16)
    payload = models.JSONField(_("details"), default=dict)
    prev_hash = models.CharField(_("previous hash"), max_length=64)
    hash = models.CharField(_("hash"), max_length=64)

    class Meta:
        verbose_name = _("case event")
        verbose_name_plural = _("case events")
        ordering = ["case", "seq"]
        constraints = [models.UniqueConstraint(fields=["case", "seq"], name="case_event_seq")]

    def __str__(self) -> str:
        return f"{self.case_id}#{self.seq} {self.action}"


class Suspension(models.Model):
    """特别程序: an interval the clock does not count (行政许可法 art. 45)."""

    case = models.ForeignKey(Case, verbose_name=_("case"), on_delete=models.CASCADE, related_name="suspensions")
    kind = models.CharField(_("kind"), max_length=16, choices=c.SpecialProcedure.choices)
    reason = models.CharField(_("reason"), max_length=1000)
    started_at = models.DateTimeField(_("started at"))
    ended_at = models.DateTimeField(_("ended at"), null=True)
    result = models.CharField(_("result"), max_length=1000, blank=True)

    class Meta:
        verbose_name = _("special procedure")
        verbose_name_plural = _("special procedures")
        ordering = ["case", "started_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.started_at:%Y-%m-%d}"


class Extension(models.Model):
    """延期: extra working days approved by the department head; the reason is shown to the applicant."""

    case = models.ForeignKey(Case, verbose_name=_("case"), on_delete=models.CASCADE, related_name="extensions")
    days = models.PositiveSmallIntegerField(_("working days"))
    reason = models.CharField(_("reason"), max_length=1000)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("approved by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(_("at"))

    class Meta:
        verbose_name = _("extension")
        verbose_name_plural = _("extensions")
        ordering = ["case", "at"]

    def __str__(self) -> str:
        return f"+{self.days}"


class ReviewOpinion(models.Model):
    """审查意见: one review step's opinion, by its handler, in order."""

    case = models.ForeignKey(Case, verbose_name=_("case"), on_delete=models.CASCADE, related_name="opinions")
    step = models.PositiveSmallIntegerField(_("step"))
    step_name = models.CharField(_("step name"), max_length=50)
    opinion = models.TextField(_("opinion"))
    outcome = models.CharField(_("outcome"), max_length=8, blank=True)
    handler = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("handler"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    handler_name = models.CharField(_("handler name"), max_length=150)
    started_at = models.DateTimeField(_("step started at"))
    at = models.DateTimeField(_("signed at"))

    class Meta:
        verbose_name = _("review opinion")
        verbose_name_plural = _("review opinions")
        ordering = ["case", "step", "at"]

    def __str__(self) -> str:
        return f"{self.step_name}: {self.opinion[:20]}"


class Notice(models.Model):
    """文书: a notice given to the applicant, rendered to PDF in the background; its QR code proves it."""

    case = models.ForeignKey(Case, verbose_name=_("case"), on_delete=models.PROTECT, related_name="notices")
    kind = models.CharField(_("kind"), max_length=16, choices=c.NoticeKind.choices)
    number = models.CharField(_("notice number"), max_length=40, help_text=_("unique among one node's notices"))
    token = models.CharField(_("verification token"), max_length=43, unique=True)
    context = models.JSONField(_("content"), help_text=_("everything printed on the notice"))
    state = models.CharField(_("state"), max_length=8, choices=c.NoticeState.choices, default=c.NoticeState.PENDING)
    file = models.FileField(_("PDF"), upload_to="notices/%Y/%m/", blank=True)
    sha256 = models.CharField(_("SHA-256 of the PDF"), max_length=64, blank=True)
    error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    rendered_at = models.DateTimeField(_("rendered at"), null=True)
    # 异地代收代办: the node that issued a notice this node keeps a copy of (blank: issued here), and, for a
    # notice issued here on a case another node received, the message that took it there.
    node = models.CharField(
        _("issued at node"),
        max_length=64,
        blank=True,
        editable=False,
        help_text=_("for a copy of a notice another node issued on a case received here: that node"),
    )
    sent_in = models.CharField(
        _("sent in message"),
        max_length=36,
        blank=True,
        editable=False,
        help_text=_("the status message that carried it to the node where the case was received"),
    )

    class Meta:
        verbose_name = _("notice")
        verbose_name_plural = _("notices")
        ordering = ["case", "created_at", "id"]
        constraints = [
            # Numbers are unique per issuing node: the node that decides a case received elsewhere numbers
            # its notices in the receiving region, as the receiving node numbers its own.
            models.UniqueConstraint(fields=["node", "number"], name="notice_number_per_node")
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.get_kind_display()}"


class IncomingChunk(models.Model):
    """分片: a piece of a large material file on its way from the node whose window received the case,
    kept until the last piece arrives and the file is put together, checked and stored.

    The inbox applies each message once, in the order of the case's stream, inside the transaction that
    records it: a piece kept here survives a crash between pieces, and is never kept twice.
    """

    case = models.ForeignKey(Case, verbose_name=_("case"), on_delete=models.CASCADE, related_name="+")
    material = models.CharField(_("material"), max_length=200)
    original_name = models.CharField(_("original name"), max_length=200)
    size = models.PositiveBigIntegerField(_("size of the whole file (bytes)"))
    sm3 = models.CharField(_("SM3 of the whole file"), max_length=64)
    index = models.PositiveIntegerField(_("piece"), help_text=_("from 0"))
    count = models.PositiveIntegerField(_("pieces in all"))
    data = models.BinaryField(_("content"))
    received_at = models.DateTimeField(_("received at"), auto_now_add=True)

    class Meta:
        verbose_name = _("incoming file piece")
        verbose_name_plural = _("incoming file pieces")
        ordering = ["case", "index"]
        constraints = [models.UniqueConstraint(fields=["case", "index"], name="incoming_chunk_once")]

    def __str__(self) -> str:
        return f"{self.material} {self.index + 1}/{self.count}"


class SupervisionOrder(models.Model):
    """督办单: a supervisor's order on a late or troubled case, with a deadline to answer."""

    case = models.ForeignKey(Case, verbose_name=_("case"), on_delete=models.CASCADE, related_name="orders")
    message = models.TextField(_("order"))
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("issued by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    issued_at = models.DateTimeField(_("issued at"))
    answer_by = models.DateTimeField(_("answer by"))
    state = models.CharField(_("state"), max_length=10, choices=c.OrderState.choices, default=c.OrderState.OPEN)
    answer = models.TextField(_("answer"), blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("answered by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    answered_at = models.DateTimeField(_("answered at"), null=True)

    class Meta:
        verbose_name = _("supervision order")
        verbose_name_plural = _("supervision orders")
        ordering = ["case", "issued_at"]

    def __str__(self) -> str:
        return f"{self.case_id} {self.issued_at:%Y-%m-%d}"


class Commitment(models.Model):
    """承诺书: what the applicant signed, either instead of proof (告知承诺) or to supply a missing
    material by a deadline (容缺受理承诺). Kept as signed: its text is copied from the guide."""

    case = models.ForeignKey(Case, verbose_name=_("case"), on_delete=models.CASCADE, related_name="commitments")
    kind = models.CharField(_("kind"), max_length=12, choices=c.CommitmentKind.choices)
    conditions = models.JSONField(_("conditions committed to"), default=list, blank=True)
    text = models.TextField(_("text signed"))
    signed_how = models.CharField(_("signed how"), max_length=8, choices=c.SignedHow.choices)
    signer_name = models.CharField(_("signed by"), max_length=200)
    file = models.FileField(_("signed copy"), upload_to="commitments/%Y/%m/", blank=True)
    sm3 = models.CharField(_("SM3 of the signed copy"), max_length=64, blank=True)
    signed_at = models.DateTimeField(_("signed at"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    supply_by = models.DateTimeField(_("supply by"), null=True, blank=True)
    state = models.CharField(
        _("state"), max_length=8, choices=c.CommitmentState.choices, default=c.CommitmentState.OPEN
    )

    class Meta:
        verbose_name = _("commitment")
        verbose_name_plural = _("commitments")
        ordering = ["case", "signed_at", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.signer_name}"


class Verification(models.Model):
    """事后核查: the check, after acceptance, that what was committed to is true."""

    case = models.ForeignKey(Case, verbose_name=_("case"), on_delete=models.CASCADE, related_name="verifications")
    commitment = models.OneToOneField(
        Commitment, verbose_name=_("commitment"), on_delete=models.PROTECT, related_name="verification"
    )
    due_at = models.DateTimeField(_("due"), db_index=True)
    state = models.CharField(
        _("state"), max_length=8, choices=c.VerificationState.choices, default=c.VerificationState.OPEN
    )
    method = models.CharField(_("method"), max_length=16, choices=c.VerificationMethod.choices, blank=True)
    finding = models.TextField(_("finding"), blank=True)
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("checked by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    checked_at = models.DateTimeField(_("checked at"), null=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("post-verification")
        verbose_name_plural = _("post-verifications")
        ordering = ["due_at", "id"]
        indexes = [models.Index(fields=["state", "due_at"], name="verification_queue")]

    def __str__(self) -> str:
        return f"{self.case_id} {self.get_state_display()}"
