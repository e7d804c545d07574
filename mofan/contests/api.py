"""REST API of competitions: a round's leaderboard (the big screen and the contestants' apps), the live
final's current question, and answering. Reads go through ``contests.selectors`` (a round outside what the
actor sees is a 404); answering goes through ``services.answer_submit`` (a refused answer is a 400 with its
message, and nothing is written)."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from mofan.contests import selectors, services
from mofan.contests.models import Entry, RoundQuestion, RoundState
from mofan.core.api import request_object


class LeaderboardView(APIView):
    @extend_schema(parameters=[OpenApiParameter("limit", OpenApiTypes.INT, description="top N (1–100, default 10)")],
                   responses=OpenApiTypes.OBJECT)
    def get(self, request: Request, pk: int) -> Response:
        rnd = selectors.round_by_id(actor=request.user, pk=pk)
        if not selectors.can_read_board(request.user, rnd):
            raise PermissionDenied
        try:
            limit = min(100, max(1, int(request.query_params.get("limit", 10))))
        except ValueError:
            limit = 10
        entry = selectors.my_entry(actor=request.user, round=rnd)
        rows = selectors.leaderboard(round=rnd, limit=limit)
        return Response({
            "round": rnd.pk, "state": rnd.state,
            "rows": [{"rank": r.rank, "name": r.name, "unit": r.unit, "team": r.team, "score": str(r.score),
                      "seconds_used": str(r.seconds_used), "answered": r.answered} for r in rows],
            "own": None if entry is None else {"rank": selectors.own_rank(entry=entry), "score": str(entry.score)},
        })


class ResultsView(APIView):
    """A round's results (成绩表), ranked, for the organiser: ``offset`` and ``limit`` (1–1,000, default 100)."""

    @extend_schema(parameters=[OpenApiParameter("offset", OpenApiTypes.INT, description="rows to skip (default 0)"),
                               OpenApiParameter("limit", OpenApiTypes.INT, description="rows (1–1,000, default 100)")],
                   responses=OpenApiTypes.OBJECT)
    def get(self, request: Request, pk: int) -> Response:
        rnd = selectors.round_by_id(actor=request.user, pk=pk)
        selectors.ensure_manager(request.user, rnd.competition)
        try:
            offset = max(0, int(request.query_params.get("offset", 0)))
            limit = min(1000, max(1, int(request.query_params.get("limit", 100))))
        except ValueError:
            raise ValidationError({"offset": [_("Give whole numbers for offset and limit.")]}) from None
        rows = selectors.round_results(actor=request.user, round=rnd, offset=offset, limit=limit)
        return Response({
            "round": rnd.pk, "state": rnd.state, "count": Entry.objects.filter(round=rnd).count(), "offset": offset,
            "rows": [{"rank": r.rank, "name": r.name, "unit": r.unit, "team": r.team, "heat": r.heat,
                      "score": str(r.score), "seconds_used": str(r.seconds_used), "answered": r.answered,
                      "outcome": r.outcome, "qualified": r.qualified} for r in rows],
        })


class CurrentQuestionView(APIView):
    """The live final's open question, without its answers."""

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request: Request, pk: int) -> Response:
        rnd = selectors.round_by_id(actor=request.user, pk=pk)
        if selectors.my_entry(actor=request.user, round=rnd) is None and not selectors.can_manage(
                request.user, rnd.competition):
            raise PermissionDenied
        now = timezone.now()
        rq = rnd.current_question
        if rnd.state != RoundState.OPEN or rq is None or rnd.question_closes_at is None or now > rnd.question_closes_at:
            return Response({"question": None})
        question = rq.question
        return Response({"question": {"id": rq.pk, "order": rq.order, "qtype": question.qtype, "stem": question.stem,
                                      "options": question.options, "points": str(rq.points),
                                      "closes_at": rnd.question_closes_at.isoformat()}})


class AnswerView(APIView):
    @extend_schema(request=OpenApiTypes.OBJECT, responses=OpenApiTypes.OBJECT)
    def post(self, request: Request, pk: int) -> Response:
        rnd = selectors.round_by_id(actor=request.user, pk=pk)
        entry = selectors.my_entry(actor=request.user, round=rnd)
        if entry is None:
            raise PermissionDenied
        data = request_object(request)
        try:
            question_id = int(data.get("question"))
        except (TypeError, ValueError):
            question_id = 0
        rq = RoundQuestion.objects.filter(pk=question_id).select_related("question").first()
        answer = services.answer_submit(actor=request.user, entry=entry, round_question=rq,
                                        response=data.get("response"))
        entry.refresh_from_db(fields=["score", "answered"])
        return Response({"question": question_id, "score": str(answer.score), "entry_score": str(entry.score),
                         "answered": entry.answered}, status=status.HTTP_201_CREATED)
