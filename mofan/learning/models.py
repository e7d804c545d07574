"""The learning-type organ (学习型机关): materials and study plans, 天天学, points, the reading room (职工书屋) and
talent pools.

A learner is an account linked to an ``org.Person``; the person's unit is their branch. Rows about a learner
are read through the unit path of that person (``user__person__unit__path``), rows owned by a unit through
their own ``unit_path`` copy. Tests and competitions (``mofan.exams``, ``mofan.contests``) are referred to by
a ``source_kind`` + ``source_id`` pair, never by a foreign key, so the apps stay independent.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

_PATH_OPS = ["varchar_pattern_ops"]


class Topic(models.Model):
    """A subject materials are filed under (专题): 党的二十大精神, 税收业务 …"""

    name = models.CharField(_("name"), max_length=100)
    unit = models.ForeignKey("org.Unit", verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+")
    unit_path = models.CharField(max_length=255, editable=False)

    class Meta:
        verbose_name = _("topic")
        verbose_name_plural = _("topics")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["unit", "name"], name="learning_topic_unique_name")]

    def __str__(self) -> str:
        return self.name


class MaterialKind(models.TextChoices):
    TEXT = "text", _("Text")
    FILE = "file", _("Word or PDF document")
    LINK = "link", _("Link")
    VIDEO = "video", _("Video")


def material_file_path(instance: Material, filename: str) -> str:
    return f"learning/materials/{instance.unit_id}/{filename}"


class Material(models.Model):
    """学习资料: a text, an uploaded Word/PDF document, a link or a video reference."""

    topic = models.ForeignKey(Topic, verbose_name=_("topic"), on_delete=models.PROTECT, related_name="materials")
    title = models.CharField(_("title"), max_length=200)
    kind = models.CharField(_("kind"), max_length=8, choices=MaterialKind.choices)
    body = models.TextField(_("text"), blank=True)
    file = models.FileField(_("file"), upload_to=material_file_path, blank=True)
    file_sha256 = models.CharField(max_length=64, blank=True, editable=False)
    url = models.URLField(_("link"), blank=True)
    minutes = models.PositiveIntegerField(_("minutes"), null=True, blank=True)
    unit = models.ForeignKey("org.Unit", verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+")
    unit_path = models.CharField(max_length=255, editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("study material")
        verbose_name_plural = _("study materials")
        ordering = ["-id"]
        indexes = [models.Index(fields=["unit_path"], name="learning_material_path_idx", opclasses=_PATH_OPS)]

    def __str__(self) -> str:
        return self.title


class StudyPlan(models.Model):
    """专题学习计划: materials to read and sessions to attend, assigned to units (their members) and/or people."""

    title = models.CharField(_("title"), max_length=200)
    unit = models.ForeignKey("org.Unit", verbose_name=_("organising unit"), on_delete=models.PROTECT,
                             related_name="+")
    unit_path = models.CharField(max_length=255, editable=False)
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    assigned_units = models.ManyToManyField("org.Unit", verbose_name=_("assigned units"), blank=True,
                                            related_name="+")
    assigned_people = models.ManyToManyField("org.Person", verbose_name=_("assigned people"), blank=True,
                                             related_name="+")
    materials = models.ManyToManyField(Material, verbose_name=_("materials"), blank=True, related_name="plans")
    note_min_length = models.PositiveIntegerField(_("minimum length of the study note"), default=0,
                                                  help_text=_("0: no 心得体会 required"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("study plan")
        verbose_name_plural = _("study plans")
        ordering = ["-starts_on", "-id"]
        indexes = [models.Index(fields=["unit_path"], name="learning_plan_path_idx", opclasses=_PATH_OPS)]

    def __str__(self) -> str:
        return self.title


class SessionKind(models.TextChoices):
    COLLECTIVE = "collective", _("Collective study")  # 集中学习
    SEMINAR = "seminar", _("Thematic seminar")  # 专题研讨
    CENTRE_GROUP = "centre_group", _("Centre group study")  # 中心组学习
    LECTURE = "lecture", _("Lecture")  # 专题党课 / 讲座


class StudySession(models.Model):
    """A study session of a plan, with the people who attended."""

    plan = models.ForeignKey(StudyPlan, verbose_name=_("study plan"), on_delete=models.CASCADE,
                             related_name="sessions")
    kind = models.CharField(_("kind"), max_length=16, choices=SessionKind.choices)
    held_on = models.DateField(_("date"))
    place = models.CharField(_("place"), max_length=100, blank=True)
    topic = models.CharField(_("subject"), max_length=200, blank=True)
    attendees = models.ManyToManyField("org.Person", verbose_name=_("attendees"), blank=True, related_name="+")
    unit_path = models.CharField(max_length=255, editable=False)  # the plan's unit

    class Meta:
        verbose_name = _("study session")
        verbose_name_plural = _("study sessions")
        ordering = ["-held_on", "-id"]
        indexes = [models.Index(fields=["unit_path"], name="learning_session_path_idx", opclasses=_PATH_OPS)]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.held_on}"


class ReadingRecord(models.Model):
    """自学: a learner read a material (or a book of the reading room) for some seconds."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("learner"), on_delete=models.PROTECT,
                             related_name="reading_records")
    material = models.ForeignKey(Material, verbose_name=_("material"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="readings")
    book = models.ForeignKey("Book", verbose_name=_("book"), null=True, blank=True, on_delete=models.PROTECT,
                             related_name="readings")
    started_at = models.DateTimeField(_("started"))
    seconds = models.PositiveIntegerField(_("seconds read"))
    unit_path = models.CharField(max_length=255, editable=False)  # the learner's branch at the time

    class Meta:
        verbose_name = _("reading record")
        verbose_name_plural = _("reading records")
        ordering = ["-started_at", "-id"]
        constraints = [models.CheckConstraint(condition=models.Q(material__isnull=False) | models.Q(book__isnull=False),
                                              name="learning_reading_material_or_book")]
        indexes = [models.Index(fields=["unit_path"], name="learning_reading_path_idx", opclasses=_PATH_OPS)]

    def __str__(self) -> str:
        return f"{self.started_at:%Y-%m-%d} {self.user} · {self.material or self.book} · {self.seconds // 60}′"


class StudyNote(models.Model):
    """心得体会: a learner's note on a plan."""

    plan = models.ForeignKey(StudyPlan, verbose_name=_("study plan"), on_delete=models.CASCADE, related_name="notes")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("learner"), on_delete=models.PROTECT,
                             related_name="study_notes")
    text = models.TextField(_("study note"))
    submitted_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("study note")
        verbose_name_plural = _("study notes")
        ordering = ["-submitted_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["plan", "user"], name="learning_note_one_per_plan")]

    def __str__(self) -> str:
        return f"{self.plan_id}/{self.user_id}"


class IssueCounter(models.Model):
    """The last 天天学 number given by a unit: locked while the next issue is numbered (gapless per unit)."""

    unit = models.OneToOneField("org.Unit", on_delete=models.CASCADE, related_name="+")
    last_number = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.unit_id}: {self.last_number}"


class DailyIssue(models.Model):
    """天天学 第 n 期: a short material and a few questions pushed to a unit's members."""

    unit = models.ForeignKey("org.Unit", verbose_name=_("organising unit"), on_delete=models.PROTECT,
                             related_name="+")
    unit_path = models.CharField(max_length=255, editable=False)
    number = models.PositiveIntegerField(_("number"))
    published_on = models.DateField(_("date"))
    title = models.CharField(_("title"), max_length=200)
    material_text = models.TextField(_("material"))
    questions = models.ManyToManyField("questions.Question", verbose_name=_("questions"), related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("daily study issue")
        verbose_name_plural = _("daily study issues")
        ordering = ["-published_on", "-number"]
        constraints = [models.UniqueConstraint(fields=["unit", "number"], name="learning_issue_number_unique")]
        indexes = [models.Index(fields=["unit_path"], name="learning_issue_path_idx", opclasses=_PATH_OPS)]

    def __str__(self) -> str:
        return f"{self.published_on:%Y-%m-%d} {self.number}: {self.title}"


class DailyAnswer(models.Model):
    """A member's one answer to a daily issue."""

    issue = models.ForeignKey(DailyIssue, on_delete=models.CASCADE, related_name="answers")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="daily_answers")
    responses = models.JSONField(default=dict)  # {question id: response}
    correct = models.PositiveSmallIntegerField(default=0)
    score = models.DecimalField(max_digits=5, decimal_places=2, default=0)  # 0..100
    answered_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("daily study answer")
        verbose_name_plural = _("daily study answers")
        constraints = [models.UniqueConstraint(fields=["issue", "user"], name="learning_answer_once")]

    def __str__(self) -> str:
        return f"{self.issue_id}/{self.user_id}"


class PointsRuleSet(models.Model):
    """A version of the points rules, in force from ``effective_from`` until the next version."""

    version = models.PositiveIntegerField(_("version"), unique=True)
    effective_from = models.DateField(_("in force from"), unique=True)
    daily_cap = models.PositiveIntegerField(_("overall daily cap"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("points rules")
        verbose_name_plural = _("points rules")
        ordering = ["-effective_from"]

    def __str__(self) -> str:
        return f"v{self.version} ({self.effective_from})"


class PointsRule(models.Model):
    ruleset = models.ForeignKey(PointsRuleSet, on_delete=models.CASCADE, related_name="rules")
    action = models.CharField(_("action"), max_length=32)
    points = models.PositiveIntegerField(_("points"))
    daily_cap = models.PositiveIntegerField(_("daily cap"))

    class Meta:
        verbose_name = _("points rule")
        verbose_name_plural = _("points rules")
        constraints = [models.UniqueConstraint(fields=["ruleset", "action"], name="learning_rule_unique_action")]

    def __str__(self) -> str:
        return f"{self.action}: {self.points}"

    @property
    def label(self) -> str:
        """The action as people read it."""
        from mofan.learning.points import POINT_ACTIONS

        return str(POINT_ACTIONS.get(self.action, self.action))


class PointsAward(models.Model):
    """积分: points given to a learner for one action on one thing (``ref``), once. ``points`` is what was
    actually given after the caps (0 when a cap was reached) under rule set ``rule_version``."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="points_awards")
    action = models.CharField(max_length=32)
    ref = models.CharField(max_length=64)
    day = models.DateField()
    awarded_at = models.DateTimeField()
    points = models.PositiveIntegerField()
    rule_version = models.PositiveIntegerField()
    unit_path = models.CharField(max_length=255, editable=False)  # the learner's branch at the time

    class Meta:
        verbose_name = _("points award")
        verbose_name_plural = _("points awards")
        ordering = ["-awarded_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["user", "action", "ref"], name="learning_award_once")]
        indexes = [
            models.Index(fields=["user", "day"], name="learning_award_user_day_idx"),
            models.Index(fields=["unit_path"], name="learning_award_path_idx", opclasses=_PATH_OPS),
        ]

    def __str__(self) -> str:
        return f"{self.day:%Y-%m-%d} {self.user} · {self.action} · {self.points}"


class Book(models.Model):
    """A title of the reading room (职工书屋)."""

    unit = models.ForeignKey("org.Unit", verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+")
    unit_path = models.CharField(max_length=255, editable=False)
    title = models.CharField(_("title"), max_length=200)
    author = models.CharField(_("author"), max_length=100, blank=True)
    isbn = models.CharField(_("ISBN"), max_length=13)
    copies = models.PositiveSmallIntegerField(_("copies"), default=1)

    class Meta:
        verbose_name = _("book")
        verbose_name_plural = _("books")
        ordering = ["title", "id"]
        constraints = [models.UniqueConstraint(fields=["unit", "isbn"], name="learning_book_unique_isbn")]

    def __str__(self) -> str:
        return self.title


class Loan(models.Model):
    book = models.ForeignKey(Book, verbose_name=_("book"), on_delete=models.PROTECT, related_name="loans")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("reader"), on_delete=models.PROTECT,
                             related_name="book_loans")
    borrowed_on = models.DateField(_("borrowed on"))
    due_on = models.DateField(_("due on"))
    returned_on = models.DateField(_("returned on"), null=True, blank=True)

    class Meta:
        verbose_name = _("loan")
        verbose_name_plural = _("loans")
        ordering = ["-borrowed_on", "-id"]
        indexes = [models.Index(fields=["book", "returned_on"], name="learning_loan_open_idx")]

    def __str__(self) -> str:
        return f"{self.book_id}/{self.user_id}"


class TalentProgramme(models.Model):
    """A talent pool or honour (头雁人才, 岗位能手 …) of a unit."""

    unit = models.ForeignKey("org.Unit", verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+")
    unit_path = models.CharField(max_length=255, editable=False)
    name = models.CharField(_("name"), max_length=100)
    description = models.TextField(_("description"), blank=True)

    class Meta:
        verbose_name = _("talent programme")
        verbose_name_plural = _("talent programmes")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["unit", "name"], name="learning_programme_unique_name")]

    def __str__(self) -> str:
        return self.name


class SelectionRound(models.Model):
    programme = models.ForeignKey(TalentProgramme, verbose_name=_("talent programme"), on_delete=models.CASCADE,
                                  related_name="rounds")
    name = models.CharField(_("name"), max_length=100)
    held_on = models.DateField(_("date"))

    class Meta:
        verbose_name = _("selection round")
        verbose_name_plural = _("selection rounds")
        ordering = ["-held_on", "-id"]

    def __str__(self) -> str:
        return self.name


class SourceKind(models.TextChoices):
    NONE = "", _("None")
    EXAM = "exams.paper", _("Test")
    CONTEST = "contests.competition", _("Competition")


class Selection(models.Model):
    """入选: a person selected in a round, with the test or competition that fed the selection, if any."""

    round = models.ForeignKey(SelectionRound, verbose_name=_("selection round"), on_delete=models.CASCADE,
                              related_name="selections")
    person = models.ForeignKey("org.Person", verbose_name=_("person"), on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    source_kind = models.CharField(_("source"), max_length=32, choices=SourceKind.choices, blank=True)
    source_id = models.PositiveIntegerField(null=True, blank=True)
    unit_path = models.CharField(max_length=255, editable=False)  # the programme's unit
    selected_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("selection")
        verbose_name_plural = _("selections")
        ordering = ["-round__held_on", "-id"]
        constraints = [models.UniqueConstraint(fields=["round", "person"], name="learning_selection_once")]

    def __str__(self) -> str:
        return f"{self.round} · {self.person}"
