"""One case engine for every "件": governance events now; disputes, consumer complaints, rectification items
and review files later. The kinds and their state machines are declared in ``mofan/cases/kinds.py``; every
change of state goes through ``mofan/cases/services/engine.py``.

Jurisdiction columns are denormalised paths (``area_path``, ``centre_path``, ``Dispatch.department_path``), so
a list filtered by the actor's subtree is one indexed prefix scan at a million cases.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from mofan.core.indexes import CoveringIndex


class Urgency(models.TextChoices):
    URGENT = "urgent", _("Urgent")  # 紧急
    HIGH = "high", _("High")  # 较急
    NORMAL = "normal", _("Normal")  # 一般


class Channel(models.TextChoices):
    WINDOW_LABOUR = "window_labour", _("Window: labour dispute mediation")  # 劳动纠纷调解
    WINDOW_LEGAL = "window_legal", _("Window: legal services")  # 综合法律服务
    WINDOW_PSYCH = "window_psych", _("Window: psychological counselling")  # 心理咨询
    WINDOW_WOMEN = "window_women", _("Window: women and children's rights")  # 妇女儿童维权
    HOTLINE = "hotline", _("Hotline")  # 热线
    GRID = "grid", _("Grid worker")  # 网格员
    PUBLIC = "public", _("Public web form")  # 群众网上反映
    API = "api", _("API")
    OPEN311 = "open311", _("Open311")


class Satisfaction(models.TextChoices):
    SATISFIED = "satisfied", _("Satisfied")  # 满意
    BASICALLY = "basically", _("Basically satisfied")  # 基本满意
    UNSATISFIED = "unsatisfied", _("Unsatisfied")  # 不满意


class Level(models.IntegerChoices):
    DISTRICT = 1, pgettext_lazy("case level", "District")
    TOWN = 2, _("Township")
    VILLAGE = 3, _("Village")


class Category(models.Model):
    """A node of the category catalogue (一级/二级/三级分类)."""

    name = models.CharField(_("name"), max_length=100)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    level = models.PositiveSmallIntegerField(default=1)
    code = models.CharField(_("code"), max_length=32, blank=True)
    default_department = models.ForeignKey(
        "org.Unit", verbose_name=_("default department"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        ordering = ["level", "name"]
        constraints = [models.UniqueConstraint(fields=["parent", "name"], name="cases_category_unique_in_parent")]

    def __str__(self) -> str:
        return self.name


class Case(models.Model):
    kind = models.CharField(_("kind"), max_length=32, db_index=True)
    tracking_code = models.CharField(_("tracking code"), max_length=20, unique=True)
    state = models.CharField(_("state"), max_length=24)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"))
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    urgency = models.CharField(_("urgency"), max_length=10, choices=Urgency.choices, default=Urgency.NORMAL)
    category = models.ForeignKey(Category, verbose_name=_("category"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="cases")
    # Where it happened, and the centre that holds it now (changes on escalation).
    area = models.ForeignKey("org.Unit", verbose_name=_("area"), on_delete=models.PROTECT, related_name="+")
    area_path = models.CharField(max_length=255, editable=False)
    centre = models.ForeignKey("org.Unit", verbose_name=_("centre"), on_delete=models.PROTECT, related_name="+")
    centre_path = models.CharField(max_length=255, editable=False)
    level = models.PositiveSmallIntegerField(_("level"), choices=Level.choices)
    resolved_level = models.PositiveSmallIntegerField(_("resolved at level"), choices=Level.choices, null=True,
                                                      blank=True)
    # The reporter: masked for roles that do not need them (see cases.selectors), may be anonymous.
    anonymous = models.BooleanField(_("anonymous"), default=False)
    reporter_name = models.CharField(_("reporter"), max_length=50, blank=True)
    reporter_phone = models.CharField(_("reporter's phone"), max_length=20, blank=True)
    reporter_id_cipher = models.TextField(blank=True, editable=False)
    reporter_id_masked = models.CharField(_("reporter's ID number"), max_length=18, blank=True, editable=False)
    address = models.CharField(_("address"), max_length=200, blank=True)
    latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    parent = models.ForeignKey("self", verbose_name=_("merged into"), null=True, blank=True,
                               on_delete=models.PROTECT, related_name="duplicates")
    # The clock of the current step; paused while waiting for the reporter.
    due_at = models.DateTimeField(_("due"), null=True, blank=True)
    paused_at = models.DateTimeField(null=True, blank=True)
    overdue = models.BooleanField(default=False)
    # Milestones, written once by the engine, read by the KPIs.
    created_at = models.DateTimeField(_("collected"), auto_now_add=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    rejected_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    satisfaction = models.CharField(_("satisfaction"), max_length=12, choices=Satisfaction.choices, blank=True)
    reject_reason = models.CharField(_("reason for rejection"), max_length=500, blank=True)
    redirect_to = models.CharField(_("where to go instead"), max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    updated_at = models.DateTimeField(auto_now=True)
    # The one-time token of the form or client that sent the report: the same token sent again is the same
    # case (a double submit, a client's retry), and the unique index lets only one of two simultaneous ones win.
    client_token = models.CharField(max_length=64, null=True, blank=True, unique=True, editable=False)

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        ordering = ["-id"]
        indexes = [
            # Jurisdiction prefix scans (PostgreSQL needs the pattern opclass for LIKE 'prefix%'). The id is
            # included so that the capped counts of the lists are index-only scans on PostgreSQL (SQLite
            # indexes carry the rowid anyway and ignore INCLUDE); measured by `mofan bench cases`.
            models.Index(fields=["centre_path"], name="cases_centre_path_idx", opclasses=["varchar_pattern_ops"],
                         include=["id"]),
            models.Index(fields=["area_path"], name="cases_area_path_idx", opclasses=["varchar_pattern_ops"],
                         include=["id"]),
            models.Index(fields=["state", "id"], name="cases_state_id_idx"),
            # The workbench queues: one state within a jurisdiction; the clock columns make the overdue
            # queue's count index-only too.
            CoveringIndex(fields=["state", "centre_path"], name="cases_state_centre_idx",
                          opclasses=["varchar_pattern_ops", "varchar_pattern_ops"],
                          include=["id", "due_at", "paused_at", "overdue"]),
            models.Index(fields=["state", "area_path"], name="cases_state_area_idx",
                         opclasses=["varchar_pattern_ops", "varchar_pattern_ops"], include=["id"]),
            models.Index(fields=["created_at"], name="cases_created_idx"),
            models.Index(fields=["state", "due_at"], name="cases_state_due_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.tracking_code} {self.title}"


class CaseEvent(models.Model):
    """The timeline: one append-only entry per operation on a case (who, when, what, note, attachments)."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="events")
    at = models.DateTimeField(auto_now_add=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+")
    actor_name = models.CharField(max_length=150, blank=True)
    actor_unit = models.ForeignKey("org.Unit", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    action = models.CharField(max_length=32)
    from_state = models.CharField(max_length=24, blank=True)
    to_state = models.CharField(max_length=24, blank=True)
    note = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["case", "id"], name="cases_event_case_idx")]

    def __str__(self) -> str:
        return f"{self.case_id} {self.action}"


def attachment_path(instance: CaseAttachment, filename: str) -> str:
    return f"cases/{instance.case_id}/{instance.sha256[:16]}-{filename[-80:]}"


class CaseAttachment(models.Model):
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="attachments")
    event = models.ForeignKey(CaseEvent, null=True, blank=True, on_delete=models.PROTECT, related_name="attachments")
    file = models.FileField(upload_to=attachment_path)
    name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_at = models.DateTimeField(auto_now_add=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")

    def __str__(self) -> str:
        return self.name


class Dispatch(models.Model):
    """交办 / 吹哨: a case handed to a department (lead or co-handling), with its check-in and handling clocks."""

    class Role(models.TextChoices):
        LEAD = "lead", _("Lead")  # 主办
        CO = "co", _("Co-handling")  # 协办

    class State(models.TextChoices):
        DISPATCHED = "dispatched", _("Waiting for check-in")  # 待报到
        CHECKED_IN = "checked_in", _("Handling")  # 已报到，办理中
        RETURNED = "returned", _("Returned")  # 退单
        DONE = "done", _("Feedback given")  # 已反馈
        WITHDRAWN = "withdrawn", _("Withdrawn")  # 已撤回

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="dispatches")
    department = models.ForeignKey("org.Unit", verbose_name=_("department"), on_delete=models.PROTECT,
                                   related_name="+")
    department_path = models.CharField(max_length=255, editable=False)
    role = models.CharField(max_length=8, choices=Role.choices)
    state = models.CharField(max_length=12, choices=State.choices, default=State.DISPATCHED)
    summons = models.BooleanField(_("summoned (吹哨)"), default=False)
    dispatched_at = models.DateTimeField(auto_now_add=True)
    dispatched_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                      related_name="+")
    checkin_due = models.DateTimeField()
    checked_in_at = models.DateTimeField(null=True, blank=True)
    handle_due = models.DateTimeField()
    feedback_at = models.DateTimeField(null=True, blank=True)
    result = models.TextField(blank=True)
    return_reason = models.CharField(max_length=500, blank=True)
    extension_days = models.PositiveSmallIntegerField(null=True, blank=True)
    extension_reason = models.CharField(max_length=500, blank=True)
    rating = models.PositiveSmallIntegerField(null=True, blank=True)  # 1–5, the township's rating of the response
    rating_note = models.CharField(max_length=500, blank=True)
    overdue = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("dispatch")
        verbose_name_plural = _("dispatches")
        ordering = ["id"]
        indexes = [
            models.Index(fields=["department_path"], name="cases_dispatch_dept_idx", opclasses=["varchar_pattern_ops"]),
            models.Index(fields=["state", "checkin_due"], name="cases_dispatch_checkin_idx"),
            models.Index(fields=["state", "handle_due"], name="cases_dispatch_handle_idx"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["case", "department"], condition=~models.Q(state="withdrawn"),
                                    name="cases_dispatch_one_live_per_department"),
        ]

    def __str__(self) -> str:
        return f"{self.case_id}→{self.department_id}"


class CalendarDay(models.Model):
    """An exception to the Monday–Friday week: a public holiday (is_workday False) or an adjusted working
    day (调休, is_workday True). Editable per year."""

    date = models.DateField(unique=True)
    is_workday = models.BooleanField()
    note = models.CharField(max_length=50, blank=True)

    class Meta:
        verbose_name = _("calendar day")
        verbose_name_plural = _("working calendar")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date} {'work' if self.is_workday else 'holiday'}"


class KpiTally(models.Model):
    """KPI counters (see ``cases.kpis``): for the cases collected in one month, in one area, held by one
    centre at one level, the count of every figure that does not depend on the clock; a row with a
    department counts that department's dispatches of those cases (the row without one, all dispatches).

    Denormalised on purpose: the district's funnel for a year then sums a few thousand rows instead of
    counting a million cases. ``kpis.tally_before``/``tally_after`` adjust the rows inside every change of a
    case (``engine.perform``, ``intake.case_create``); ``kpis.tally_rebuild()`` recounts them from the cases.
    The count columns are named after the figures (``kpis.TALLY_COLUMNS``)."""

    month = models.DateField()  # the first day of the local month of created_at
    area = models.ForeignKey("org.Unit", on_delete=models.PROTECT, related_name="+")
    area_path = models.CharField(max_length=255)
    centre = models.ForeignKey("org.Unit", on_delete=models.PROTECT, related_name="+")
    centre_path = models.CharField(max_length=255)
    level = models.PositiveSmallIntegerField(choices=Level.choices)
    department = models.ForeignKey("org.Unit", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    department_path = models.CharField(max_length=255, blank=True)
    # Cases (on rows without a department).
    collected = models.IntegerField(default=0)
    rejected = models.IntegerField(default=0)
    accepted = models.IntegerField(default=0)
    pending = models.IntegerField(default=0)
    merged = models.IntegerField(default=0)
    resolved = models.IntegerField(default=0)
    closed = models.IntegerField(default=0)
    called_back = models.IntegerField(default=0)
    satisfied = models.IntegerField(default=0)
    unsatisfied = models.IntegerField(default=0)
    resolved_village = models.IntegerField(default=0)
    resolved_town = models.IntegerField(default=0)
    resolved_district = models.IntegerField(default=0)
    # Dispatches.
    dispatches = models.IntegerField(default=0)
    dispatches_answered = models.IntegerField(default=0)
    checked_in_on_time = models.IntegerField(default=0)
    summons = models.IntegerField(default=0)
    rated = models.IntegerField(default=0)
    rating_sum = models.IntegerField(default=0)
    dispatch_case_resolved = models.IntegerField(default=0)
    dispatch_case_called_back = models.IntegerField(default=0)
    dispatch_case_satisfied = models.IntegerField(default=0)

    class Meta:
        verbose_name = _("KPI counter")
        verbose_name_plural = _("KPI counters")
        constraints = [
            models.UniqueConstraint(fields=["month", "area", "centre", "level"], condition=models.Q(department=None),
                                    name="cases_kpitally_case_key"),
            models.UniqueConstraint(fields=["month", "area", "centre", "level", "department"],
                                    condition=models.Q(department__isnull=False), name="cases_kpitally_dept_key"),
        ]
        indexes = [models.Index(fields=["month"], name="cases_kpitally_month_idx")]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.area_id}/{self.centre_id}/{self.department_id or '-'}"
