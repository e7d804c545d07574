"""Tests (测试/考试): papers, their questions, and the learners' attempts.

A ``Paper`` is set by a unit (``unit``/``unit_path``); its audience are the learners whose ``person.unit.path``
starts with the paper's ``unit_path``. Its questions are fixed ones (``PaperItem``) and random-draw rules
(``PaperDraw``: so many questions of a bank, optionally of one tag, difficulty and type). When a learner starts
an ``Attempt`` the draws are made and every question is frozen as an ``AttemptItem`` with the option order that
attempt shows (texts, never letters), so a later edit of the bank cannot change a running test.

Writes go through ``exams.services``; reads through ``exams.selectors``; item analysis and the anti-cheat
flags live in ``exams.analysis``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Grading(models.TextChoices):
    HIGHEST = "highest", _("Highest attempt counts")
    LAST = "last", _("Last attempt counts")
    AVERAGE = "average", _("Average of the attempts counts")


class Feedback(models.TextChoices):
    IMMEDIATELY = "immediately", _("Right answers shown on submitting")
    AFTER_CLOSE = "after_close", _("Right answers shown after the test closes")
    NEVER = "never", _("Right answers never shown")


class PaperState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")
    CLOSED = "closed", _("Closed")


class Paper(models.Model):
    """试卷: one test set by a unit for the learners of its subtree."""

    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    unit = models.ForeignKey("org.Unit", verbose_name=_("organising unit"), on_delete=models.PROTECT,
                             related_name="papers")
    unit_path = models.CharField(max_length=255, editable=False)
    opens_at = models.DateTimeField(_("opens at"))
    closes_at = models.DateTimeField(_("closes at"))
    time_limit_minutes = models.PositiveIntegerField(_("time limit (minutes)"), null=True, blank=True)
    attempts_allowed = models.PositiveSmallIntegerField(_("attempts allowed"), default=1)
    grading = models.CharField(_("which attempt counts"), max_length=10, choices=Grading.choices,
                               default=Grading.HIGHEST)
    pass_score = models.DecimalField(_("pass score"), max_digits=7, decimal_places=2, default=60)
    feedback = models.CharField(_("feedback"), max_length=12, choices=Feedback.choices,
                                default=Feedback.AFTER_CLOSE)
    shuffle_questions = models.BooleanField(_("shuffle questions"), default=True)
    shuffle_options = models.BooleanField(_("shuffle options"), default=True)
    state = models.CharField(_("state"), max_length=10, choices=PaperState.choices, default=PaperState.DRAFT)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("test paper")
        verbose_name_plural = _("test papers")
        constraints = [
            models.CheckConstraint(condition=models.Q(closes_at__gt=models.F("opens_at")),
                                   name="exams_paper_closes_after_opens"),
            models.CheckConstraint(condition=models.Q(attempts_allowed__gte=1), name="exams_paper_attempts_1"),
        ]
        indexes = [
            models.Index(fields=["unit_path", "state"], name="exams_paper_path_idx",
                         opclasses=["varchar_pattern_ops", "varchar_pattern_ops"]),
            models.Index(fields=["state", "closes_at"], name="exams_paper_state_close_idx"),
        ]

    def __str__(self) -> str:
        return self.title


class PaperItem(models.Model):
    """A fixed question of a paper."""

    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="items")
    question = models.ForeignKey("questions.Question", verbose_name=_("question"), on_delete=models.PROTECT,
                                 related_name="+")
    points = models.DecimalField(_("points"), max_digits=6, decimal_places=2)
    order = models.PositiveIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["paper", "order", "pk"]
        constraints = [models.UniqueConstraint(fields=["paper", "question"], name="exams_item_unique_question")]

    def __str__(self) -> str:
        return f"{self.paper_id}:{self.question_id}"


class PaperDraw(models.Model):
    """A random-draw rule (随机抽题): ``count`` questions of a bank, optionally of one tag, difficulty and type."""

    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="draws")
    bank = models.ForeignKey("questions.QuestionBank", verbose_name=_("question bank"), on_delete=models.PROTECT,
                             related_name="+")
    tag = models.ForeignKey("questions.Tag", verbose_name=_("tag"), null=True, blank=True, on_delete=models.PROTECT,
                            related_name="+")
    difficulty = models.PositiveSmallIntegerField(_("difficulty"), null=True, blank=True)
    qtype = models.CharField(_("type"), max_length=10, blank=True)
    count = models.PositiveIntegerField(_("number of questions"))
    points_each = models.DecimalField(_("points each"), max_digits=6, decimal_places=2)
    order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["paper", "order", "pk"]

    def __str__(self) -> str:
        return f"{self.paper_id}:{self.bank_id}×{self.count}"


class AttemptState(models.TextChoices):
    IN_PROGRESS = "in_progress", _("In progress")
    SUBMITTED = "submitted", _("Submitted, waiting for marking")
    MARKED = "marked", _("Marked")


class Attempt(models.Model):
    """One learner's sitting of a paper (第 n 次作答)."""

    paper = models.ForeignKey(Paper, on_delete=models.PROTECT, related_name="attempts")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="exam_attempts")
    number = models.PositiveSmallIntegerField()
    started_at = models.DateTimeField()
    deadline = models.DateTimeField()  # min(start + time limit, the paper's close)
    submitted_at = models.DateTimeField(null=True, blank=True)
    auto_submitted = models.BooleanField(default=False)
    score = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)
    max_score = models.DecimalField(max_digits=8, decimal_places=2, default=0)
    state = models.CharField(max_length=12, choices=AttemptState.choices, default=AttemptState.IN_PROGRESS)
    flags = models.JSONField(default=list, blank=True)  # anti-cheat flags found by exams.analysis

    class Meta:
        constraints = [models.UniqueConstraint(fields=["paper", "user", "number"], name="exams_attempt_unique_number")]
        indexes = [
            models.Index(fields=["paper", "state"], name="exams_attempt_paper_state_idx"),
            models.Index(fields=["state", "deadline"], name="exams_attempt_lapse_idx"),
            models.Index(fields=["user", "paper"], name="exams_attempt_user_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.paper_id}/{self.user_id}#{self.number}"


class AttemptItem(models.Model):
    """One question as one attempt shows it, with the learner's response and its score."""

    attempt = models.ForeignKey(Attempt, on_delete=models.CASCADE, related_name="items")
    question = models.ForeignKey("questions.Question", on_delete=models.PROTECT, related_name="+")
    order = models.PositiveIntegerField()
    option_order = models.JSONField(default=list, blank=True)  # the option TEXTS in the order shown
    points = models.DecimalField(max_digits=6, decimal_places=2)
    response = models.JSONField(null=True, blank=True)
    saved_at = models.DateTimeField(null=True, blank=True)
    seconds_spent = models.PositiveIntegerField(default=0)
    score = models.DecimalField(max_digits=6, decimal_places=2, null=True, blank=True)
    needs_marking = models.BooleanField(default=False)
    marked_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="+")
    marked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["attempt", "order"]
        constraints = [
            models.UniqueConstraint(fields=["attempt", "question"], name="exams_attempt_item_unique_question"),
        ]
        indexes = [models.Index(fields=["needs_marking", "attempt"], name="exams_marking_queue_idx",
                                condition=models.Q(needs_marking=True))]

    def __str__(self) -> str:
        return f"{self.attempt_id}:{self.order}"
