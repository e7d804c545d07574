"""REST API for organisers of tests under /api/exams/manage/: what the organiser's pages do.

- ``GET|POST papers/``: the papers I set or follow (at most 200); set a draft paper — its settings as the page's
  form takes them, ``items`` ``[{"question": id, "points": "2"}]`` and ``draws`` ``[{"bank": id, "count": n,
  "points_each": "2", "tag": id, "difficulty": 1–5, "qtype": "single"}]``;
- ``GET papers/<id>/``; ``POST papers/<id>/publish/``, ``papers/<id>/close/``;
- ``GET papers/<id>/results/?by=person|branch|unit``, ``papers/<id>/analysis/`` (facility, discrimination,
  Cronbach's α), ``papers/<id>/unfinished/`` (未完成名单);
- ``GET marking/`` short answers waiting (at most 100), ``POST marking/<item id>/`` ``{"score": "3"}``.

Reads go through ``exams.selectors`` with the actor (a paper outside their scope is a 404, results hold only
learners in their scope), writes through ``exams.services`` (which check permission and audit); a refused write
is a 400 with its message, and nothing is written.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from mofan.accounts.permissions import has_action
from mofan.accounts.reauth import require_recent_auth
from mofan.accounts.roles import Action
from mofan.core.api import parse_id, request_object, valid_form
from mofan.core.services import record_export
from mofan.exams import selectors, services
from mofan.exams.api import paper_data
from mofan.exams.forms import MarkForm, PaperSettingsForm, usable_banks
from mofan.exams.models import Paper
from mofan.questions.models import Question, Tag

RESULTS_BY = ("person", "branch", "unit")


def _organiser(request: Request) -> None:
    if not has_action(request.user, Action.EXAM_MANAGE):
        raise PermissionDenied


def _num(value: Any) -> str | None:
    return None if value is None else str(value)


def _decimal(value: Any, field: str) -> Decimal:
    try:
        return Decimal(str(value if value is not None else 0))
    except InvalidOperation:
        raise ValidationError({field: [_("Give the points as a number.")]}) from None


def _rows(body: Any, field: str) -> list[dict[str, Any]]:
    rows = body.get(field) or []
    if not isinstance(rows, list) or not all(isinstance(row, dict) for row in rows):
        raise ValidationError({field: [_("Give a list of objects.")]})
    return rows


def _ids(rows: list[dict[str, Any]], key: str, field: str) -> list[int]:
    ids = [parse_id(row.get(key)) for row in rows]  # an id: 1 to 2**63 - 1, never "²" nor 1e30
    if any(pk is None for pk in ids):
        raise ValidationError({field: [_("Each row needs a number under “%(key)s”.") % {"key": key}]})
    return [pk for pk in ids if pk is not None]


def fixed_items(actor: Any, body: Any) -> list[services.FixedItem]:
    """``items`` of a request: questions of banks the actor may use, with their points."""
    rows = _rows(body, "items")
    ids = _ids(rows, "question", "items")
    found = Question.objects.filter(pk__in=ids, bank__in=usable_banks(actor), is_active=True).in_bulk()
    missing = [str(pk) for pk in ids if pk not in found]
    if missing:
        raise ValidationError({"items": [_("No such question in the banks you may use: %(ids)s")
                                         % {"ids": ", ".join(missing)}]})
    return [services.FixedItem(found[pk], _decimal(row.get("points", 2), "items")) for pk, row in zip(ids, rows,
                                                                                                       strict=True)]


def draw_rules(actor: Any, body: Any) -> list[services.DrawRule]:
    """``draws`` of a request: rules on banks the actor may use (the service checks counts and pools)."""
    rows = _rows(body, "draws")
    banks = usable_banks(actor).in_bulk(_ids(rows, "bank", "draws"))
    tag_ids = [parse_id(row.get("tag")) for row in rows]
    tags = Tag.objects.in_bulk([pk for pk in tag_ids if pk is not None])
    rules = []
    for row, tag_id in zip(rows, tag_ids, strict=True):
        bank = banks.get(int(row["bank"]))
        tag = tags.get(tag_id) if tag_id is not None else None
        if bank is None or (row.get("tag") and tag is None):
            raise ValidationError({"draws": [_("No such bank or tag among those you may use: %(bank)s")
                                             % {"bank": row.get("bank")}]})
        try:
            count = int(row.get("count") or 0)
            difficulty = int(row["difficulty"]) if row.get("difficulty") not in (None, "") else None
        except (TypeError, ValueError):
            raise ValidationError({"draws": [_("Give the count and the difficulty as whole numbers.")]}) from None
        rules.append(services.DrawRule(bank=bank, count=count, points_each=_decimal(row.get("points_each", 2), "draws"),
                                       tag=tag, difficulty=difficulty, qtype=str(row.get("qtype") or "")))
    return rules


def _settings(request: Request) -> dict[str, Any]:
    """The paper's settings through the page's form; fields left out take the form's initial values."""
    body = request_object(request)
    form = PaperSettingsForm(actor=request.user)
    data = {name: body.get(name, field.initial) for name, field in form.fields.items()}
    return valid_form(PaperSettingsForm(data, actor=request.user))


def paper_detail(paper: Paper) -> dict[str, Any]:
    return {
        **paper_data(paper),
        "items": [{"question": i.question_id, "stem": i.question.stem, "points": _num(i.points)}
                  for i in paper.items.select_related("question").order_by("order")],
        "draws": [{"bank": d.bank_id, "tag": d.tag_id, "difficulty": d.difficulty, "qtype": d.qtype, "count": d.count,
                   "points_each": _num(d.points_each)} for d in paper.draws.order_by("order")],
    }


class PaperListView(APIView):
    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request: Request) -> Response:
        _organiser(request)
        papers = selectors.organiser_papers(actor=request.user).select_related("unit").order_by("-opens_at", "-pk")
        return Response({"results": [paper_data(p) for p in papers[:200]]})

    @extend_schema(request=OpenApiTypes.OBJECT, responses=OpenApiTypes.OBJECT)
    def post(self, request: Request) -> Response:
        _organiser(request)
        settings = _settings(request)
        body = request_object(request)
        unit = settings.pop("unit")
        paper = services.paper_create(actor=request.user, unit=unit, items=fixed_items(request.user, body),
                                      draws=draw_rules(request.user, body), **settings)
        return Response(paper_detail(paper), status=status.HTTP_201_CREATED)


class PaperView(APIView):
    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request: Request, pk: int) -> Response:
        return Response(paper_detail(selectors.organiser_paper_get(actor=request.user, pk=pk)))


class PaperStepView(APIView):
    """``publish`` or ``close`` a paper (the action is the last part of the address)."""

    action = ""

    @extend_schema(request=None, responses=OpenApiTypes.OBJECT)
    def post(self, request: Request, pk: int) -> Response:
        paper = selectors.organiser_paper_get(actor=request.user, pk=pk)
        step = services.paper_publish if self.action == "publish" else services.paper_close
        return Response(paper_data(step(actor=request.user, paper=paper)))


class ResultsView(APIView):
    @extend_schema(parameters=[OpenApiParameter("by", OpenApiTypes.STR, enum=list(RESULTS_BY))],
                   responses=OpenApiTypes.OBJECT)
    def get(self, request: Request, pk: int) -> Response:
        paper = selectors.organiser_paper_get(actor=request.user, pk=pk)
        by = request.query_params.get("by", "person")
        if by not in RESULTS_BY:
            raise ValidationError({"by": [_("Group the results by person, branch or unit.")]})
        rows = selectors.results_by_person(actor=request.user, paper=paper)
        if by == "person":
            return Response({"paper": paper.pk, "by": by, "rows": [
                {"user": r.user_id, "name": r.name, "unit": r.unit_name, "attempts": r.attempts,
                 "score": _num(r.counted), "passed": r.passed, "waiting": r.waiting, "flags": r.flags} for r in rows]})
        group = selectors.results_by_branch if by == "branch" else selectors.results_by_unit
        return Response({"paper": paper.pk, "by": by, "rows": [
            {"unit": g.unit_id, "name": g.name, "audience": g.audience, "participants": g.participants,
             "average": _num(g.average), "pass_rate": _num(g.pass_rate)}
            for g in group(actor=request.user, paper=paper, rows=rows)]})


class AnalysisView(APIView):
    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request: Request, pk: int) -> Response:
        paper = selectors.organiser_paper_get(actor=request.user, pk=pk)
        result = selectors.item_analysis(actor=request.user, paper=paper)
        return Response({"paper": paper.pk, "attempts": result.attempts, "alpha": result.alpha,
                         "alpha_items": result.alpha_items, "items": [
                             {"question": i.question_id, "stem": i.stem, "qtype": i.qtype, "attempts": i.attempts,
                              "facility": i.facility, "discrimination": i.discrimination} for i in result.items]})


class UnfinishedView(APIView):
    """未完成名单: the audience in the actor's scope without a submitted attempt."""

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request: Request, pk: int) -> Response:
        paper = selectors.organiser_paper_get(actor=request.user, pk=pk)
        require_recent_auth(request)  # names of people leave, as in the page's export (before reading them)
        people = selectors.unfinished_with_state(actor=request.user, paper=paper)
        record_export(actor=request.user, what="exams.unfinished", count=len(people))  # names leave, as a file's
        return Response({"paper": paper.pk, "count": len(people), "rows": [
            {"name": u.display_name, "branch": u.person.unit.name if u.person else "", "account": u.username,
             "started": started} for u, started in people]})


class MarkingQueueView(APIView):
    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request: Request) -> Response:
        _organiser(request)
        items = selectors.marking_queue(actor=request.user)[:100]
        return Response({"results": [
            {"id": i.pk, "paper": i.attempt.paper_id, "paper_title": i.attempt.paper.title, "stem": i.question.stem,
             "response": i.response, "points": _num(i.points), "learner": i.attempt.user.display_name}
            for i in items]})


class MarkView(APIView):
    @extend_schema(request=OpenApiTypes.OBJECT, responses=OpenApiTypes.OBJECT)
    def post(self, request: Request, pk: int) -> Response:
        item = selectors.marking_item_get(actor=request.user, pk=pk)
        score = valid_form(MarkForm(request_object(request)))["score"]
        item = services.answer_mark(actor=request.user, item=item, score=score)
        return Response({"id": item.pk, "score": _num(item.score), "attempt_state": item.attempt.state})
