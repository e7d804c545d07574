"""积分: the one way any app gives a learner points.

``award(user=..., action="read_material", ref="material:42")`` gives the points of ``action`` under the rule
set in force on the day (``PointsRuleSet``: a version number, an effective date, rules per action with their
points and daily cap, and an overall daily cap), cut by the caps, and records what was actually given with
the rule version. An award is given once per (user, action, ref): calling again returns 0 and writes
nothing, so callers need not remember whether they already awarded.

To give points for a new kind of action: add it to ``POINT_ACTIONS`` and give it a rule in the next rule
set (``ruleset_create``); until a rule set has a rule for it, the action earns nothing.

Concurrency: the learner's account row is locked while the day's totals are summed, so two awards at the
same moment cannot both pass a cap.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Q, Subquery, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from mofan.accounts.permissions import can, ensure_can
from mofan.accounts.roles import Action
from mofan.audit.events import AuditEvent
from mofan.audit.services import audit_record
from mofan.learning.models import PointsAward, PointsRule, PointsRuleSet

# action → label. The rule sets say how many points each earns.
POINT_ACTIONS = {
    "read_material": gettext_lazy("Read a study material"),
    "study_note": gettext_lazy("Submitted a study note"),
    "daily_issue": gettext_lazy("Answered the daily study issue"),
    "test_submitted": gettext_lazy("Submitted a test"),
    "test_passed": gettext_lazy("Passed a test"),
    "contest_round": gettext_lazy("Took part in a competition round"),
    "book_returned": gettext_lazy("Read a book of the reading room"),
    "session_attended": gettext_lazy("Attended a study session"),
}

# 学习强国-like defaults for a first rule set: action → (points, daily cap).
DEFAULT_RULES: dict[str, tuple[int, int]] = {
    "read_material": (1, 12),
    "study_note": (5, 10),
    "daily_issue": (5, 5),
    "test_submitted": (5, 10),
    "test_passed": (10, 20),
    "contest_round": (5, 15),
    "book_returned": (5, 10),
    "session_attended": (3, 6),
}
DEFAULT_DAILY_CAP = 60


def ruleset_in_force(day: dt.date) -> PointsRuleSet | None:
    return PointsRuleSet.objects.filter(effective_from__lte=day).order_by("-effective_from").first()


def _root() -> Any:
    from mofan.org.models import Unit

    return Unit.objects.filter(parent__isnull=True).order_by("path").first()


def can_change_rules(actor: Any) -> bool:
    """Whether ``actor`` manages learning at the top of the tree, where the rules are set."""
    root = _root()
    return root is not None and can(actor, Action.LEARNING_MANAGE, root)


def rulesets() -> list[PointsRuleSet]:
    """Every version, newest first, with its rules."""
    return list(PointsRuleSet.objects.prefetch_related("rules").order_by("-version"))


def next_ruleset_initial(today: dt.date) -> dict[str, Any]:
    """What a new version starts from: the latest rules (or the defaults), the next number, the next day."""
    latest = PointsRuleSet.objects.prefetch_related("rules").order_by("-version").first()
    rules = {r.action: (r.points, r.daily_cap) for r in latest.rules.all()} if latest else DEFAULT_RULES
    initial: dict[str, Any] = {
        "version": (latest.version + 1) if latest else 1,
        "effective_from": max(today, latest.effective_from) + dt.timedelta(days=1) if latest else today,
        "daily_cap": latest.daily_cap if latest else DEFAULT_DAILY_CAP}
    for action in POINT_ACTIONS:
        initial[f"{action}_points"], initial[f"{action}_cap"] = rules.get(action, (0, 0))
    return initial


def ruleset_create(*, actor: Any, version: int, effective_from: dt.date, daily_cap: int,
                   rules: dict[str, tuple[int, int]]) -> PointsRuleSet:
    """A new version of the rules. Only those who manage learning at the top of the tree may change them; the
    actor is None for the system (the demo, migrations of rules). Versions and dates only grow."""
    if actor is not None:
        root = _root()
        if root is None:
            raise ValidationError(_("There is no district to set rules for."))
        ensure_can(actor, Action.LEARNING_MANAGE, root)
    unknown = sorted(set(rules) - set(POINT_ACTIONS))
    if unknown:
        raise ValidationError(_("Unknown points actions: %(actions)s.") % {"actions": ", ".join(unknown)})
    if daily_cap <= 0 or any(points < 0 or cap < 0 for points, cap in rules.values()):
        raise ValidationError(_("Points and caps must not be negative, and the daily cap must be positive."))
    latest = PointsRuleSet.objects.order_by("-version").first()
    if latest is not None and (version <= latest.version or effective_from <= latest.effective_from):
        raise ValidationError(_("A new rule set needs a higher version and a later date than version %(v)d.")
                              % {"v": latest.version})
    with transaction.atomic():
        ruleset = PointsRuleSet.objects.create(version=version, effective_from=effective_from, daily_cap=daily_cap)
        PointsRule.objects.bulk_create([PointsRule(ruleset=ruleset, action=action, points=points, daily_cap=cap)
                                        for action, (points, cap) in rules.items()])
        audit_record(actor=actor, event=AuditEvent.LEARNING_RULES_CHANGED, target=ruleset,
                     new={"version": version, "effective_from": effective_from.isoformat(), "daily_cap": daily_cap,
                          "rules": {a: list(v) for a, v in rules.items()}})
    return ruleset


def _branch_path(user: Any) -> str:
    person = getattr(user, "person", None)
    return person.unit.path if person is not None else ""


def award(*, user: Any, action: str, ref: Any, at: dt.datetime | None = None) -> int:
    """Give ``user`` the points of ``action`` for ``ref`` (once), within the caps of the day's rule set.
    Returns the points actually given (0 when already awarded, capped, or no rule applies)."""
    if action not in POINT_ACTIONS:
        raise ValueError(f"unknown points action {action!r}")
    at = at or timezone.now()
    day = timezone.localdate(at)
    ref = str(ref)[:64]
    if PointsAward.objects.filter(user=user, action=action, ref=ref).exists():
        return 0
    in_force = PointsRuleSet.objects.filter(effective_from__lte=day).order_by("-effective_from").values("pk")[:1]
    rule = PointsRule.objects.filter(ruleset=Subquery(in_force), action=action).select_related("ruleset").first()
    if rule is None:  # no rule set yet, or the one in force gives nothing for this action
        return 0
    ruleset = rule.ruleset
    try:
        with transaction.atomic():
            if connection.features.has_select_for_update:  # SQLite serialises writers anyway
                get_user_model().objects.select_for_update().filter(pk=user.pk).values_list("pk").get()
            sums = PointsAward.objects.filter(user=user, day=day).aggregate(
                total=Sum("points"), for_action=Sum("points", filter=Q(action=action)))
            total, for_action = sums["total"] or 0, sums["for_action"] or 0
            points = max(0, min(rule.points, rule.daily_cap - for_action, ruleset.daily_cap - total))
            PointsAward.objects.create(user=user, action=action, ref=ref, day=day, awarded_at=at, points=points,
                                       rule_version=ruleset.version, unit_path=_branch_path(user))
    except IntegrityError:  # the same award given at the same moment by another request
        return 0
    return points


def points_total(*, user: Any, start: dt.date | None = None, end: dt.date | None = None) -> int:
    qs = PointsAward.objects.filter(user=user)
    if start is not None:
        qs = qs.filter(day__gte=start)
    if end is not None:
        qs = qs.filter(day__lte=end)
    return int(qs.aggregate(n=Sum("points"))["n"] or 0)


def on_attempt_submitted(sender: Any, attempt: Any, passed: bool | None = None, **kwargs: Any) -> None:
    """Receiver of ``mofan.exams.signals.attempt_submitted``: points for submitting and for passing a test."""
    user = getattr(attempt, "user", None)
    if user is None:
        return
    at = getattr(attempt, "submitted_at", None) or timezone.now()
    award(user=user, action="test_submitted", ref=attempt.pk, at=at)
    if passed:
        award(user=user, action="test_passed", ref=attempt.pk, at=at)
