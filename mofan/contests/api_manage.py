"""REST API for organisers of competitions: what the organiser's pages do, through the same forms (which shape
the input) and the same services (which check permission, decide, audit). A competition outside what the actor
sees is a 404; one they see but do not organise is a 403; a refused change is a 400 with its message, and
nothing is written."""

from __future__ import annotations

from typing import Any

from django.db.models import Count
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from mofan.accounts.permissions import has_action
from mofan.accounts.roles import Action
from mofan.contests import selectors, services
from mofan.contests.forms import CompetitionForm, DrawForm, EnrolForm, HeatForm, HeatScheduleForm, RoundForm
from mofan.contests.models import Competition, Entry, Round, RoundQuestion
from mofan.core.api import request_object, valid_form


def _managed(request: Request, pk: int) -> Competition:
    return selectors.ensure_manager(request.user, selectors.competition_get(actor=request.user, pk=pk))


def _managed_round(request: Request, pk: int) -> Round:
    rnd = selectors.round_by_id(actor=request.user, pk=pk)
    selectors.ensure_manager(request.user, rnd.competition)
    return rnd


def _round_data(rnd: Round, entries: int) -> dict[str, Any]:
    return {"id": rnd.pk, "order": rnd.order, "name": rnd.name, "kind": rnd.kind, "state": rnd.state,
            "starts_at": rnd.starts_at.isoformat(), "ends_at": rnd.ends_at.isoformat(),
            "questions_per_contestant": rnd.questions_per_contestant, "qualify_top": rnd.qualify_top,
            "per_unit_quota": rnd.per_unit_quota, "entries": entries}


def _competition_data(competition: Competition, *, rounds: bool = False) -> dict[str, Any]:
    data: dict[str, Any] = {"id": competition.pk, "name": competition.name, "kind": competition.kind,
                            "state": competition.state, "unit": competition.unit_id,
                            "team_best_k": competition.team_best_k}
    if rounds:
        all_rounds = list(competition.rounds.order_by("order"))
        counts = dict(Entry.objects.filter(round__in=all_rounds).values("round_id").annotate(n=Count("id"))
                      .values_list("round_id", "n"))
        data["rounds"] = [_round_data(r, counts.get(r.pk, 0)) for r in all_rounds]
    return data


class CompetitionListView(APIView):
    """The competitions the actor organises (newest first, at most 200), and creating one."""

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request: Request) -> Response:
        if not has_action(request.user, Action.CONTEST_MANAGE):
            raise PermissionDenied
        organised = [c for c in selectors.competition_list(actor=request.user)[:200]
                     if selectors.can_manage(request.user, c)]
        return Response({"results": [_competition_data(c) for c in organised]})

    @extend_schema(request=OpenApiTypes.OBJECT, responses=OpenApiTypes.OBJECT)
    def post(self, request: Request) -> Response:
        if not has_action(request.user, Action.CONTEST_MANAGE):
            raise PermissionDenied
        data = valid_form(CompetitionForm(request_object(request), actor=request.user))
        competition = services.competition_create(actor=request.user, unit=data["unit"], name=data["name"],
                                                  kind=data["kind"], team_best_k=data["team_best_k"])
        return Response(_competition_data(competition, rounds=True), status=status.HTTP_201_CREATED)


class CompetitionView(APIView):
    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request: Request, pk: int) -> Response:
        return Response(_competition_data(_managed(request, pk), rounds=True))


class RoundCreateView(APIView):
    @extend_schema(request=OpenApiTypes.OBJECT, responses=OpenApiTypes.OBJECT)
    def post(self, request: Request, pk: int) -> Response:
        competition = _managed(request, pk)
        rnd = services.round_create(actor=request.user, competition=competition, **valid_form(RoundForm(request_object(request))))
        return Response(_round_data(rnd, 0), status=status.HTTP_201_CREATED)


class HeatCreateView(APIView):
    @extend_schema(request=OpenApiTypes.OBJECT, responses=OpenApiTypes.OBJECT)
    def post(self, request: Request, pk: int) -> Response:
        rnd = _managed_round(request, pk)
        heat = services.heat_create(actor=request.user, round=rnd, **valid_form(HeatForm(request_object(request))))
        return Response({"id": heat.pk, "name": heat.name, "starts_at": heat.starts_at.isoformat(),
                         "ends_at": heat.ends_at.isoformat()}, status=status.HTTP_201_CREATED)


class HeatScheduleView(APIView):
    """分场次: ``count`` heats of ``minutes`` from ``starts_at`` (``gap_minutes`` apart); with ``assign`` (default
    true) the contestants without a heat are spread over them."""

    @extend_schema(request=OpenApiTypes.OBJECT, responses=OpenApiTypes.OBJECT)
    def post(self, request: Request, pk: int) -> Response:
        rnd = _managed_round(request, pk)
        body = request_object(request)
        form = HeatScheduleForm({**{k: f.initial for k, f in HeatScheduleForm.base_fields.items()}, **body})
        result = services.heats_schedule(actor=request.user, round=rnd, **valid_form(form))
        return Response({"heats": [{"id": h.pk, "name": h.name, "starts_at": h.starts_at.isoformat(),
                                    "ends_at": h.ends_at.isoformat()} for h in result.heats],
                         "assigned": result.assigned}, status=status.HTTP_201_CREATED)


class DrawView(APIView):
    """Draw the round's questions at random from a bank."""

    @extend_schema(request=OpenApiTypes.OBJECT, responses=OpenApiTypes.OBJECT)
    def post(self, request: Request, pk: int) -> Response:
        rnd = _managed_round(request, pk)
        data = valid_form(DrawForm(request_object(request), competition=rnd.competition))
        rows = services.round_draw_questions(actor=request.user, round=rnd, bank_ids=[data["bank"].pk],
                                             points=data["points"])
        return Response({"questions": [{"id": rq.pk, "order": rq.order, "points": str(rq.points)} for rq in rows]},
                        status=status.HTTP_201_CREATED)


class EnrolView(APIView):
    """Enrol the learners of units and/or named learners (``usernames``: a list, or lines of text)."""

    @extend_schema(request=OpenApiTypes.OBJECT, responses=OpenApiTypes.OBJECT)
    def post(self, request: Request, pk: int) -> Response:
        rnd = _managed_round(request, pk)
        data = valid_form(EnrolForm(request_object(request), round=rnd))
        result = services.enrol(actor=request.user, round=rnd, units=list(data["units"]), users=data["usernames"],
                                heat=data["heat"], team=data["team"])
        return Response({"added": result.added, "already": result.already}, status=status.HTTP_201_CREATED)


class RoundStateView(APIView):
    """``open``, ``close`` or ``qualify`` a round (the action is the last part of the address)."""

    action = ""

    @extend_schema(request=None, responses=OpenApiTypes.OBJECT)
    def post(self, request: Request, pk: int) -> Response:
        rnd = _managed_round(request, pk)
        qualified = None
        if self.action == "open":
            rnd = services.round_open(actor=request.user, round=rnd)
        elif self.action == "close":
            rnd = services.round_close(actor=request.user, round=rnd)
        else:
            qualified = len(services.qualify(actor=request.user, round=rnd))
            rnd.refresh_from_db()
        data = _round_data(rnd, Entry.objects.filter(round=rnd).count())
        return Response(data if qualified is None else {**data, "qualified": qualified})


class LiveOpenView(APIView):
    """The live final's host opens a question (``question``: the round question's id)."""

    @extend_schema(request=OpenApiTypes.OBJECT, responses=OpenApiTypes.OBJECT)
    def post(self, request: Request, pk: int) -> Response:
        rnd = _managed_round(request, pk)
        try:
            question_id = int(request_object(request).get("question"))
        except (TypeError, ValueError):
            question_id = 0
        rq = RoundQuestion.objects.filter(round=rnd, pk=question_id).first()
        if rq is None:
            raise ValidationError({"question": [_("This question is not part of the round.")]})
        rnd = services.live_open_question(actor=request.user, round=rnd, round_question=rq)
        closes = rnd.question_closes_at.isoformat() if rnd.question_closes_at else None
        return Response({"round": rnd.pk, "question": rq.pk, "order": rq.order, "closes_at": closes})
