"""The learning figures (see ``mofan.core.figures``): 集中学习 x次, 自学 x次, 天天学 x期, x名入选人才库, 积分 x分.

Each counts rows of one table in the actor's LEARNING_VIEW jurisdiction, under the scope's unit and in its
period; ``rows`` gives the records behind the number.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet, Sum
from django.utils.translation import gettext_lazy as _

from mofan.accounts.permissions import scope_filter
from mofan.accounts.roles import Action
from mofan.core.figures import Figure, FigureScope, register
from mofan.learning.models import DailyIssue, PointsAward, ReadingRecord, Selection, StudySession


def _scoped(model: Any, actor: Any, scope: FigureScope) -> QuerySet[Any]:
    return model.objects.filter(scope_filter(actor, Action.LEARNING_VIEW, "unit_path"),
                                unit_path__startswith=scope.unit_path)


def study_sessions(actor: Any, scope: FigureScope) -> QuerySet[StudySession]:
    return _scoped(StudySession, actor, scope).filter(held_on__range=(scope.start, scope.end)).order_by("-held_on")


def self_study(actor: Any, scope: FigureScope) -> QuerySet[ReadingRecord]:
    first, after = scope.bounds()
    return _scoped(ReadingRecord, actor, scope).filter(started_at__gte=first, started_at__lt=after).select_related(
        "user", "material", "book").order_by("-started_at")


def daily_issues(actor: Any, scope: FigureScope) -> QuerySet[DailyIssue]:
    return _scoped(DailyIssue, actor, scope).filter(published_on__range=(scope.start, scope.end)).order_by(
        "-published_on")


def talent_selections(actor: Any, scope: FigureScope) -> QuerySet[Selection]:
    return _scoped(Selection, actor, scope).filter(round__held_on__range=(scope.start, scope.end)).select_related(
        "round", "person").order_by("-round__held_on")


def talent_selected_people(actor: Any, scope: FigureScope) -> int:
    return talent_selections(actor, scope).order_by().values("person_id").distinct().count()


def points_awards(actor: Any, scope: FigureScope) -> QuerySet[PointsAward]:
    return _scoped(PointsAward, actor, scope).filter(day__range=(scope.start, scope.end), points__gt=0).select_related(
        "user").order_by("-awarded_at")


def points_given(actor: Any, scope: FigureScope) -> int:
    return int(points_awards(actor, scope).aggregate(n=Sum("points"))["n"] or 0)


register(Figure(key="learning.study_sessions", label=_("Study sessions held"), unit=_("sessions"),
                definition=_("Collective study, seminars and centre-group sessions held in the period."),
                rows=study_sessions))
register(Figure(key="learning.self_study", label=_("Self-study"), unit=_("times"),
                definition=_("Reading records of study materials and books in the period."), rows=self_study))
register(Figure(key="learning.daily_issues", label=_("Daily study issues"), unit=_("issues"),
                definition=_("Issues of 天天学 published for the unit's members in the period."), rows=daily_issues))
register(Figure(key="learning.talent_selected", label=_("People selected into talent pools"), unit=_("people"),
                definition=_("Different people selected into a talent programme in a round held in the period."),
                rows=talent_selections, compute=talent_selected_people))
register(Figure(key="learning.points_given", label=_("Points given"), unit=_("points"),
                definition=_("Study points given to learners of the unit in the period, after the caps."),
                rows=points_awards, compute=points_given))
