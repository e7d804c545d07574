"""REST API of the learning organ: /api/learning/materials/, /api/learning/readings/,
/api/learning/daily/<id>/answer/, /api/learning/points/me/, /api/learning/boards/, and the reading room:
/api/learning/books/, /api/learning/books/<id>/borrow/, /api/learning/loans/<id>/return/. The secretaries'
endpoints are in ``api_manage``.

Reads go through the selectors, writes through one service each; Django's ValidationError, PermissionDenied
and Http404 become 400, 403 and 404 in ``mofan.core.api.exception_handler``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from mofan.core.api import IdField, KeysetPagination, request_object, valid_form
from mofan.learning import forms, points, selectors, services
from mofan.learning.models import Material, PointsAward


class NewestFirst(KeysetPagination):
    descending = True


class MaterialSerializer(serializers.ModelSerializer[Material]):
    topic = serializers.CharField(source="topic.name")
    file = serializers.SerializerMethodField()

    class Meta:
        model = Material
        fields = ["id", "title", "kind", "topic", "body", "file", "url", "minutes", "created_at"]

    def get_file(self, material: Material) -> str | None:
        return material.file.url if material.file else None


@extend_schema(tags=["learning"])
class MaterialViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet[Material]):
    """Study materials offered to the caller (their branch and the units above it) or in their scope."""

    serializer_class = MaterialSerializer
    pagination_class = NewestFirst
    queryset = Material.objects.none()

    def get_queryset(self) -> QuerySet[Material]:
        return selectors.material_list(actor=self.request.user, search=self.request.query_params.get("q", "")[:50])

    def get_object(self) -> Material:
        return selectors.material_get(actor=self.request.user, pk=self.kwargs["pk"])


class ReadingInSerializer(serializers.Serializer[Any]):
    material = IdField()
    seconds = serializers.IntegerField(min_value=1, max_value=24 * 3600,
                                       help_text="More than the service's plausible maximum is counted as that.")
    started_at = serializers.DateTimeField(required=False)


class ReadingOutSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    material = serializers.IntegerField(source="material_id")
    seconds = serializers.IntegerField()
    started_at = serializers.DateTimeField()


class ReadingView(APIView):
    @extend_schema(tags=["learning"], responses={200: ReadingOutSerializer(many=True)})
    def get(self, request: Request) -> Response:
        """The caller's latest 100 reading records of materials."""
        user: Any = request.user
        records = selectors.reading_list(actor=user).filter(user=user, material__isnull=False)[:100]
        return Response(ReadingOutSerializer(records, many=True).data)

    @extend_schema(tags=["learning"], request=ReadingInSerializer, responses={201: ReadingOutSerializer})
    def post(self, request: Request) -> Response:
        """Record the seconds spent reading a material (capped when implausible)."""
        data = ReadingInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        material = selectors.material_get(actor=request.user, pk=data.validated_data["material"])
        record = services.reading_record(actor=request.user, material=material,
                                         seconds=data.validated_data["seconds"],
                                         started_at=data.validated_data.get("started_at"))
        return Response(ReadingOutSerializer(record).data, status=status.HTTP_201_CREATED)


class AnswerInSerializer(serializers.Serializer[Any]):
    responses = serializers.DictField(help_text="question id → response (an option text, a list of texts, a text)")


class AnswerOutSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    issue = serializers.IntegerField(source="issue_id")
    correct = serializers.IntegerField()
    score = serializers.DecimalField(max_digits=5, decimal_places=2)


class IssueAnswerView(APIView):
    @extend_schema(tags=["learning"], request=AnswerInSerializer, responses={201: AnswerOutSerializer})
    def post(self, request: Request, pk: int) -> Response:
        """Answer a 天天学 issue (once)."""
        issue = selectors.issue_get(actor=request.user, pk=pk)
        data = AnswerInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        answer = services.daily_issue_answer(actor=request.user, issue=issue, responses=data.validated_data["responses"])
        return Response(AnswerOutSerializer(answer).data, status=status.HTTP_201_CREATED)


class AwardSerializer(serializers.ModelSerializer[PointsAward]):
    class Meta:
        model = PointsAward
        fields = ["id", "action", "ref", "day", "points", "rule_version"]


class MyPointsView(APIView):
    @extend_schema(tags=["learning"], responses={200: AwardSerializer(many=True)})
    def get(self, request: Request) -> Response:
        """The caller's points: the total and the latest 100 awards."""
        awards = selectors.my_points(actor=request.user)[:100]
        return Response({"total": points.points_total(user=request.user),
                         "awards": AwardSerializer(awards, many=True).data})


class BoardRowSerializer(serializers.Serializer[Any]):
    rank = serializers.IntegerField()
    name = serializers.CharField()
    points = serializers.IntegerField()
    members = serializers.IntegerField()
    average = serializers.DecimalField(max_digits=10, decimal_places=1)
    rate = serializers.DecimalField(max_digits=5, decimal_places=1, allow_null=True)
    band = serializers.CharField(allow_null=True)


def _day(value: str | None, default: dt.date) -> dt.date:
    if not value:
        return default
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise serializers.ValidationError({"date": ["YYYY-MM-DD"]}) from None


class BoardView(APIView):
    @extend_schema(tags=["learning"], parameters=[
        OpenApiParameter("level", str, enum=["person", "branch", "unit"]),
        OpenApiParameter("start", dt.date), OpenApiParameter("end", dt.date),
    ], responses={200: BoardRowSerializer(many=True)})
    def get(self, request: Request) -> Response:
        """Leaderboards over a period; the person board is empty unless individual ranking is switched on."""
        today = timezone.localdate()
        start = _day(request.query_params.get("start"), today.replace(day=1))
        end = _day(request.query_params.get("end"), today)
        level = request.query_params.get("level", "branch")
        board = {"person": selectors.person_board, "branch": selectors.branch_board,
                 "unit": selectors.unit_board}.get(level)
        if board is None:
            raise serializers.ValidationError({"level": ["person, branch or unit"]})
        rows = board(actor=request.user, start=start, end=end)
        for row in rows:
            row.band = str(row.band) if row.band is not None else None
        return Response({"level": level, "start": start, "end": end, "individual_ranking":
                         selectors.individual_ranking(), "rows": BoardRowSerializer(rows, many=True).data})


# 职工书屋 --------------------------------------------------------------------------------------------------


def _loan(loan: Any) -> dict[str, Any]:
    return {"id": loan.pk, "book": loan.book_id, "title": loan.book.title, "borrowed_on": loan.borrowed_on,
            "due_on": loan.due_on, "returned_on": loan.returned_on}


class BookListView(APIView):
    """The reading room: its books with the copies free (at most 300), and my open loans."""

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request: Request) -> Response:
        books = selectors.book_list(actor=request.user)[:300]
        user: Any = request.user
        mine = selectors.loan_list(actor=user, open_only=True).filter(user=user)
        return Response({
            "books": [{"id": b.pk, "title": b.title, "author": b.author, "isbn": b.isbn, "copies": b.copies,
                       "available": b.copies - getattr(b, "on_loan", 0)} for b in books],
            "loans": [_loan(loan) for loan in mine],
        })


class BorrowView(APIView):
    @extend_schema(request=None, responses=OpenApiTypes.OBJECT)
    def post(self, request: Request, pk: int) -> Response:
        book = selectors.book_get(actor=request.user, pk=pk)
        loan = services.loan_borrow(actor=request.user, book=book)
        return Response(_loan(loan), status=status.HTTP_201_CREATED)


class ReturnView(APIView):
    """Return a loan; ``minutes_read`` (whole minutes, default 0) becomes a reading record."""

    @extend_schema(request=OpenApiTypes.OBJECT, responses=OpenApiTypes.OBJECT)
    def post(self, request: Request, pk: int) -> Response:
        loan = selectors.loan_get(actor=request.user, pk=pk)
        try:
            minutes = int(request_object(request).get("minutes_read") or 0)
        except (TypeError, ValueError):
            minutes = -1  # the service refuses it with its message
        return Response(_loan(services.loan_return(actor=request.user, loan=loan, minutes_read=minutes)))


# 积分规则 --------------------------------------------------------------------------------------------------


def _ruleset(ruleset: Any) -> dict[str, Any]:
    return {"version": ruleset.version, "effective_from": ruleset.effective_from, "daily_cap": ruleset.daily_cap,
            "rules": {r.action: {"label": r.label, "points": r.points, "daily_cap": r.daily_cap}
                      for r in ruleset.rules.all()}}


class RulesView(APIView):
    """Every version of the points rules (newest first), for everyone; a new version from who manages learning at
    the top: ``version``, ``effective_from``, ``daily_cap`` and ``rules`` ``{action: [points, daily cap]}``."""

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request: Request) -> Response:
        return Response({"results": [_ruleset(r) for r in points.rulesets()]})

    @extend_schema(request=OpenApiTypes.OBJECT, responses=OpenApiTypes.OBJECT)
    def post(self, request: Request) -> Response:
        if not points.can_change_rules(request.user):
            raise PermissionDenied
        body = request_object(request)
        rules = body.get("rules")
        initial = points.next_ruleset_initial(timezone.localdate())
        data = {**initial, **{k: body[k] for k in ("version", "effective_from", "daily_cap") if k in body}}
        if rules is not None:
            if not isinstance(rules, dict) or not all(isinstance(v, list | tuple) and len(v) == 2
                                                      for v in rules.values()):
                raise ValidationError({"rules": [_("Give each action as [points, daily cap].")]})
            for action, (value, cap) in rules.items():
                data[f"{action}_points"], data[f"{action}_cap"] = value, cap
        form = forms.RuleSetForm(data)
        cleaned = valid_form(form)
        unknown = {action: tuple(v) for action, v in (rules or {}).items() if action not in points.POINT_ACTIONS}
        ruleset = points.ruleset_create(actor=request.user, version=cleaned["version"],  # refuses unknown actions
                                        effective_from=cleaned["effective_from"], daily_cap=cleaned["daily_cap"],
                                        rules={**form.rules(), **unknown})
        return Response(_ruleset(ruleset), status=status.HTTP_201_CREATED)

