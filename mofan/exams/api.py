"""REST API of tests under /api/exams/: what the test page's script and a mobile client need.

- ``GET papers/``: my tests (open, upcoming, finished); ``?as=organiser``: the papers I set or follow;
- ``POST papers/<id>/start/``: start, or resume the running attempt (same answer both times);
- ``GET attempts/<id>/``: the attempt with its questions in the attempt's order and the saved answers;
- ``POST attempts/<id>/answers/`` ``{"question": id, "response": …, "seconds": n}``: save one answer;
- ``POST attempts/<id>/submit/``; ``GET attempts/<id>/result/``.

Responses are option TEXTS (never letters). Reads go through ``exams.selectors`` (outside: 404), writes
through ``exams.services``; Django's ValidationError becomes a 400 with the message (``core.api``).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from mofan.exams import selectors, services
from mofan.exams.models import Attempt, AttemptState, Paper


def _num(value: Decimal | None) -> str | None:
    """Decimals as strings, as DRF's serializers give them."""
    return None if value is None else str(value)


def paper_data(paper: Paper) -> dict[str, Any]:
    return {"id": paper.pk, "title": paper.title, "unit": paper.unit.name, "opens_at": paper.opens_at,
            "closes_at": paper.closes_at, "time_limit_minutes": paper.time_limit_minutes,
            "attempts_allowed": paper.attempts_allowed, "pass_score": _num(paper.pass_score), "state": paper.state}


def attempt_data(attempt: Attempt) -> dict[str, Any]:
    return {
        "id": attempt.pk, "paper": attempt.paper_id, "number": attempt.number, "state": attempt.state,
        "started_at": attempt.started_at, "deadline": attempt.deadline, "submitted_at": attempt.submitted_at,
        "items": [{"question": i.question_id, "order": i.order, "qtype": i.question.qtype, "stem": i.question.stem,
                   "options": i.option_order, "blanks": len(i.question.answers) if i.question.qtype == "fill" else 0,
                   "points": _num(i.points), "response": i.response, "saved_at": i.saved_at}
                  for i in selectors.attempt_items(attempt)],
    }


class PaperListView(APIView):
    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request: Request) -> Response:
        if request.query_params.get("as") == "organiser":
            papers = selectors.organiser_papers(actor=request.user).select_related("unit").order_by("-opens_at")
            return Response({"results": [paper_data(p) for p in papers[:200]]})
        mine = selectors.my_papers(actor=request.user)

        def entry(e: selectors.MyPaper) -> dict[str, Any]:
            return {**paper_data(e.paper), "attempts_left": e.attempts_left,
                    "running_attempt": e.running.pk if e.running else None,
                    "score": _num(e.counted) if e.show_score else None, "passed": e.passed if e.show_score else None}

        return Response({"open": [entry(e) for e in mine.open], "upcoming": [entry(e) for e in mine.upcoming],
                         "finished": [entry(e) for e in mine.finished]})


class AttemptStartView(APIView):
    @extend_schema(request=None, responses=OpenApiTypes.OBJECT)
    def post(self, request: Request, pk: int) -> Response:
        paper = selectors.learner_paper_get(actor=request.user, pk=pk)
        attempt = services.attempt_start(actor=request.user, paper=paper)
        return Response(attempt_data(attempt), status=201)


class AttemptView(APIView):
    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request: Request, pk: int) -> Response:
        return Response(attempt_data(selectors.learner_attempt_get(actor=request.user, pk=pk)))


class AnswerView(APIView):
    @extend_schema(request=OpenApiTypes.OBJECT, responses=OpenApiTypes.OBJECT)
    def post(self, request: Request, pk: int) -> Response:
        attempt = selectors.learner_attempt_get(actor=request.user, pk=pk)
        data = request.data if isinstance(request.data, dict) else {}
        try:
            question = int(data.get("question"))  # type: ignore[arg-type]
        except (TypeError, ValueError):
            return Response({"question": [_("Say which question the answer is for.")]}, status=400)
        item = services.answer_save(actor=request.user, attempt=attempt, question_id=question,
                                    response=data.get("response"), seconds=data.get("seconds") or 0)
        return Response({"question": item.question_id, "response": item.response, "saved_at": item.saved_at})


class SubmitView(APIView):
    @extend_schema(request=None, responses=OpenApiTypes.OBJECT)
    def post(self, request: Request, pk: int) -> Response:
        attempt = selectors.learner_attempt_get(actor=request.user, pk=pk)
        attempt = services.attempt_submit(actor=request.user, attempt=attempt)
        return Response(result_data(attempt))


def result_data(attempt: Attempt) -> dict[str, Any]:
    paper = attempt.paper
    show = selectors.feedback_open(paper)
    score_known = attempt.state == AttemptState.MARKED and selectors.score_visible(paper)
    data: dict[str, Any] = {"id": attempt.pk, "state": attempt.state, "submitted_at": attempt.submitted_at,
                            "auto_submitted": attempt.auto_submitted,
                            "score": _num(attempt.score) if score_known else None, "max_score": _num(attempt.max_score),
                            "passed": services.passed(attempt) if score_known else None}
    if show and attempt.state != AttemptState.IN_PROGRESS:
        data["items"] = [{"question": r.item.question_id, "stem": r.item.question.stem, "response": r.item.response,
                          "answers": r.item.question.answers, "explanation": r.item.question.explanation,
                          "score": _num(r.item.score), "points": _num(r.item.points), "right": r.right}
                         for r in selectors.result_items(attempt)]
    return data


class ResultView(APIView):
    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request: Request, pk: int) -> Response:
        return Response(result_data(selectors.learner_attempt_get(actor=request.user, pk=pk)))
