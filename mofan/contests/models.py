"""Competitions (岗位大练兵 / 业务大比武 / 知识竞赛) selected round by round (层层选拔).

A ``Competition`` is organised by a unit and has ``Round``s in order. A round is either heat-based (预赛: the
contestants answer its questions one after another within their ``Heat``'s window) or a live final (决赛: the
host opens question after question, everyone answers the current one against the clock, the big screen shows
the leaderboard). Every contestant of a round answers the same ``RoundQuestion``s (copied references to
``questions.Question`` with their points), so scores are comparable.

An ``Entry`` is one contestant in one round. Its ``score``, ``seconds_used`` and ``answered`` are kept up to
date by ``services.answer_submit`` (added in the database in the answer's transaction, the entry row locked
first), so the leaderboard is one ordered query over entries, served by the index (round, -score,
seconds_used, id).
Ranking: score descending, then seconds used ascending, then entry time (the entry's id: entries are created
in enrolment order).

``services.qualify`` closes a round's selection: it stores each entry's ``rank`` and ``outcome`` (qualified,
or why not: below the minimum score, the unit's quota full, the places filled) and enrols the qualifiers in
the next round.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class CompetitionKind(models.TextChoices):
    DRILL = "drill", _("Job skills drill")  # 岗位大练兵
    CONTEST = "contest", _("Business contest")  # 业务大比武
    QUIZ = "quiz", _("Knowledge quiz")  # 知识竞赛


class CompetitionState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    RUNNING = "running", _("Running")
    FINISHED = "finished", _("Finished")


class Competition(models.Model):
    name = models.CharField(_("name"), max_length=120)
    kind = models.CharField(_("kind"), max_length=10, choices=CompetitionKind.choices)
    unit = models.ForeignKey("org.Unit", verbose_name=_("organising unit"), on_delete=models.PROTECT,
                             related_name="competitions")
    unit_path = models.CharField(max_length=255, editable=False)
    state = models.CharField(_("state"), max_length=10, choices=CompetitionState.choices,
                             default=CompetitionState.DRAFT)
    # Team totals add the best ``team_best_k`` scores of each team; None: all of them.
    team_best_k = models.PositiveSmallIntegerField(_("scores counted per team"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("competition")
        verbose_name_plural = _("competitions")
        indexes = [models.Index(fields=["unit_path"], name="contests_comp_path_idx",
                                opclasses=["varchar_pattern_ops"])]

    def __str__(self) -> str:
        return self.name


class RoundKind(models.TextChoices):
    HEATS = "heats", _("Heats")  # 预赛, answered one question after another within a heat's window
    LIVE = "live", _("Live final")  # 现场决赛, every contestant answers the question the host opened


class RoundState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")
    QUALIFIED = "qualified", _("Qualifiers chosen")


class Round(models.Model):
    competition = models.ForeignKey(Competition, verbose_name=_("competition"), on_delete=models.CASCADE,
                                    related_name="rounds")
    order = models.PositiveSmallIntegerField(_("order"))
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=10, choices=RoundKind.choices, default=RoundKind.HEATS)
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    questions_per_contestant = models.PositiveSmallIntegerField(_("questions per contestant"), default=20)
    seconds_per_question = models.PositiveSmallIntegerField(_("seconds per question"), null=True, blank=True)
    qualify_top = models.PositiveIntegerField(_("qualifiers"), null=True, blank=True)
    per_unit_quota = models.PositiveIntegerField(_("qualifiers per unit at most"), null=True, blank=True)
    min_score = models.DecimalField(_("minimum score to qualify"), max_digits=8, decimal_places=2, null=True,
                                    blank=True)
    state = models.CharField(_("state"), max_length=10, choices=RoundState.choices, default=RoundState.DRAFT)
    qualified_at = models.DateTimeField(null=True, blank=True)
    # Live final: the question the host opened and its window.
    current_question = models.ForeignKey("RoundQuestion", null=True, blank=True, on_delete=models.SET_NULL,
                                         related_name="+")
    question_opened_at = models.DateTimeField(null=True, blank=True)
    question_closes_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("round")
        verbose_name_plural = _("rounds")
        ordering = ["competition", "order"]
        constraints = [models.UniqueConstraint(fields=["competition", "order"], name="contests_round_unique_order")]

    def __str__(self) -> str:
        return self.name


class RoundQuestion(models.Model):
    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="questions")
    question = models.ForeignKey("questions.Question", on_delete=models.PROTECT, related_name="+")
    order = models.PositiveSmallIntegerField()
    points = models.DecimalField(max_digits=6, decimal_places=2, default=Decimal(5))

    class Meta:
        ordering = ["round", "order"]
        constraints = [
            models.UniqueConstraint(fields=["round", "order"], name="contests_rq_unique_order"),
            models.UniqueConstraint(fields=["round", "question"], name="contests_rq_unique_question"),
        ]

    def __str__(self) -> str:
        return f"{self.order}. {self.question_id}"


class Heat(models.Model):
    """场次: a window in which part of a heat-based round's contestants answer."""

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="heats")
    name = models.CharField(_("name"), max_length=100)
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))

    class Meta:
        verbose_name = _("heat")
        verbose_name_plural = _("heats")
        ordering = ["round", "starts_at", "id"]

    def __str__(self) -> str:
        return self.name


class Outcome(models.TextChoices):
    QUALIFIED = "qualified", _("Qualified")
    BELOW_MIN = "below_min", _("Below the minimum score")
    OVER_QUOTA = "over_quota", _("The unit's quota was full")
    NOT_PLACED = "not_placed", _("All places were taken")


class Entry(models.Model):
    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="entries")
    heat = models.ForeignKey(Heat, null=True, blank=True, on_delete=models.SET_NULL, related_name="entries")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="contest_entries")
    unit = models.ForeignKey("org.Unit", verbose_name=_("branch"), on_delete=models.PROTECT, related_name="+")
    unit_path = models.CharField(max_length=255, editable=False)
    team = models.CharField(_("team"), max_length=100, blank=True)
    score = models.DecimalField(_("score"), max_digits=9, decimal_places=2, default=Decimal(0))
    seconds_used = models.DecimalField(_("seconds used"), max_digits=10, decimal_places=3, default=Decimal(0))
    answered = models.PositiveIntegerField(_("answered"), default=0)
    started_at = models.DateTimeField(null=True, blank=True)
    last_answer_at = models.DateTimeField(null=True, blank=True)
    qualified = models.BooleanField(_("qualified"), default=False)
    outcome = models.CharField(_("outcome"), max_length=12, choices=Outcome.choices, blank=True)
    rank = models.PositiveIntegerField(_("rank"), null=True, blank=True)
    entered_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("entry")
        verbose_name_plural = _("entries")
        constraints = [models.UniqueConstraint(fields=["round", "user"], name="contests_entry_unique_user")]
        indexes = [
            models.Index("round", models.F("score").desc(), "seconds_used", "id", name="contests_entry_board_idx"),
            models.Index(fields=["unit_path"], name="contests_entry_path_idx", opclasses=["varchar_pattern_ops"]),
            models.Index(fields=["user", "round"], name="contests_entry_user_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.round_id}:{self.user_id}"


class Answer(models.Model):
    entry = models.ForeignKey(Entry, on_delete=models.CASCADE, related_name="answers")
    round_question = models.ForeignKey(RoundQuestion, on_delete=models.PROTECT, related_name="answers")
    response = models.JSONField(default=None, null=True)
    score = models.DecimalField(max_digits=6, decimal_places=2)
    answered_at = models.DateTimeField()
    elapsed_ms = models.PositiveIntegerField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["entry", "round_question"], name="contests_answer_once")]

    def __str__(self) -> str:
        return f"{self.entry_id}:{self.round_question_id}"

