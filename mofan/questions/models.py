"""Question banks (题库) and their questions.

A question stores its options as TEXT and its answers as the texts of the right options, never as letters:
tests shuffle the options per attempt (``mofan.exams``), so "B" means nothing outside one attempt.

- single (单选): ``options`` ≥ 2 texts, ``answers`` = [the right option's text];
- multiple (多选): ``options`` ≥ 2 texts, ``answers`` = the right options' texts (≥ 1);
- judge (判断): ``options`` = ["对", "错"], ``answers`` = ["对"] or ["错"];
- fill (填空): ``options`` = [], ``answers`` = one list per blank of the accepted texts: [["北京", "北京市"]];
- short (简答): ``options`` = [], ``answers`` = [reference answer] or []; marked by a person.

``questions.validation.clean_question`` checks these rules; ``questions.marking.mark`` scores a response.
``fingerprint`` (type + normalised stem + sorted normalised options) finds duplicates within a bank.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class QuestionType(models.TextChoices):
    SINGLE = "single", _("Single choice")  # 单选题
    MULTIPLE = "multiple", _("Multiple choice")  # 多选题
    JUDGE = "judge", _("True or false")  # 判断题
    FILL = "fill", _("Fill in the blank")  # 填空题
    SHORT = "short", _("Short answer")  # 简答题


AUTO_MARKED = (QuestionType.SINGLE, QuestionType.MULTIPLE, QuestionType.JUDGE, QuestionType.FILL)
JUDGE_TRUE, JUDGE_FALSE = "对", "错"


class QuestionBank(models.Model):
    """A bank of questions kept by a unit (its subtree may use it)."""

    name = models.CharField(_("name"), max_length=100)
    unit = models.ForeignKey("org.Unit", verbose_name=_("unit"), on_delete=models.PROTECT, related_name="question_banks")
    unit_path = models.CharField(max_length=255, editable=False)
    description = models.TextField(_("description"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("question bank")
        verbose_name_plural = _("question banks")
        constraints = [models.UniqueConstraint(fields=["unit", "name"], name="questions_bank_unique_name")]
        indexes = [models.Index(fields=["unit_path"], name="questions_bank_path_idx",
                                opclasses=["varchar_pattern_ops"])]

    def __str__(self) -> str:
        return self.name


class Tag(models.Model):
    """A topic label for drawing questions at random (按标签随机抽题)."""

    name = models.CharField(_("name"), max_length=50, unique=True)

    class Meta:
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Question(models.Model):
    bank = models.ForeignKey(QuestionBank, verbose_name=_("question bank"), on_delete=models.PROTECT,
                             related_name="questions")
    qtype = models.CharField(_("type"), max_length=10, choices=QuestionType.choices)
    stem = models.TextField(_("stem"))
    options = models.JSONField(_("options"), default=list, blank=True)
    answers = models.JSONField(_("answers"), default=list, blank=True)
    tags = models.ManyToManyField(Tag, verbose_name=_("tags"), blank=True, related_name="questions")
    difficulty = models.PositiveSmallIntegerField(_("difficulty"), default=3)  # 1 (easy) … 5 (hard)
    source = models.CharField(_("source"), max_length=200, blank=True)
    explanation = models.TextField(_("explanation"), blank=True)
    fingerprint = models.CharField(max_length=64, editable=False)
    is_active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        constraints = [
            models.UniqueConstraint(fields=["bank", "fingerprint"], name="questions_question_unique_in_bank"),
            models.CheckConstraint(condition=models.Q(difficulty__gte=1, difficulty__lte=5),
                                   name="questions_question_difficulty_1_5"),
        ]
        indexes = [models.Index(fields=["bank", "qtype", "difficulty"], name="questions_draw_idx")]

    def __str__(self) -> str:
        return self.stem[:40]

    @property
    def auto_marked(self) -> bool:
        return self.qtype in AUTO_MARKED


class ImportFormat(models.TextChoices):
    XLSX = "xlsx", "Excel (.xlsx)"
    CSV = "csv", "CSV"
    JSON = "json", "JSON"


class ImportJob(models.Model):
    """导入任务: one upload into a bank, run in the background (``questions.jobs``) while its page polls the
    progress. The file is kept in the row until the run ends, so a Celery worker on another machine reads it
    from the database; the report of a refused file stays for the job page and its xlsx download."""

    class State(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    bank = models.ForeignKey(QuestionBank, verbose_name=_("question bank"), on_delete=models.CASCADE,
                             related_name="import_jobs")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    file_name = models.CharField(_("file"), max_length=200)
    fmt = models.CharField(_("format"), max_length=10, choices=ImportFormat.choices)
    content = models.BinaryField(default=bytes, editable=False)
    language = models.CharField(max_length=16, blank=True)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.QUEUED)
    stage = models.CharField(max_length=10, blank=True)  # "validate" or "write" (importers.ProgressCallback)
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    created_count = models.PositiveIntegerField(default=0)
    error_total = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True)  # [{"row", "column", "value", "message"}]
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("import job")
        verbose_name_plural = _("import jobs")

    def __str__(self) -> str:
        return self.file_name

    @property
    def finished(self) -> bool:
        return self.state in (self.State.DONE, self.State.FAILED)
