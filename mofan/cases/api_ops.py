"""REST API of the operations on a case — the same services as the pages, so the same permissions and the
same refusals:

- ``POST /api/case-ops/{case id}/{operation}/`` — the centre's operations (accept, reject, classify, merge,
  dispatch, summon, redispatch, press, decide_extension, rate, escalate, pause, resume, verify,
  verify_failed, callback, reopen);
- ``POST /api/dispatches/{dispatch id}/{operation}/`` — the dispatched department's (check_in, feedback,
  return, request_extension);
- ``/api/calendar-days/`` — the working calendar (read by everyone signed in; changed with CASE_CATALOGUE).

A case or dispatch outside the caller's jurisdiction is a 404; a role that may not act there a 403; bad
input or an operation not possible in the current state a 400 with a clear message. Each answer carries the
case as it now is and the operations the caller may perform next.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from mofan.cases import kinds
from mofan.cases.categories import category_get
from mofan.cases.models import CalendarDay, Case, Category, Dispatch, Satisfaction
from mofan.cases.selectors import case_get, case_list, dispatch_get
from mofan.cases.services import closing, escalation, triage
from mofan.cases.services import dispatch as dispatching
from mofan.cases.services.calendar_days import calendar_day_set, calendar_load_year, calendar_year
from mofan.cases.views_ops import available_operations
from mofan.core.api import IdField, id_list

# Output -----------------------------------------------------------------------------------------------------


class DispatchStateSerializer(serializers.ModelSerializer):
    department = serializers.CharField(source="department.name")

    class Meta:
        model = Dispatch
        fields = ["id", "department", "role", "state", "summons", "checkin_due", "checked_in_at", "handle_due",
                  "feedback_at", "extension_days", "rating", "overdue"]


class CaseStateSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    tracking_code = serializers.CharField()
    state = serializers.CharField()
    state_label = serializers.CharField()
    level = serializers.IntegerField()
    centre = serializers.CharField()
    due_at = serializers.DateTimeField(allow_null=True)
    overdue = serializers.BooleanField()
    paused = serializers.BooleanField()
    resolved_level = serializers.IntegerField(allow_null=True)
    satisfaction = serializers.CharField()
    operations = serializers.ListField(child=serializers.CharField())
    dispatches = DispatchStateSerializer(many=True)


def case_state(actor: Any, case: Case) -> dict[str, Any]:
    case = Case.objects.select_related("centre").get(pk=case.pk)
    dispatches = list(case.dispatches.select_related("department").order_by("id"))
    return CaseStateSerializer({
        "id": case.pk, "tracking_code": case.tracking_code, "state": case.state,
        "state_label": kinds.get(case.kind).state_label(case.state), "level": case.level,
        "centre": case.centre.name, "due_at": case.due_at, "overdue": case.overdue,
        "paused": case.paused_at is not None, "resolved_level": case.resolved_level,
        "satisfaction": case.satisfaction,
        "operations": available_operations(actor, case, dispatches), "dispatches": dispatches,
    }).data


# Input ------------------------------------------------------------------------------------------------------


class NoteSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=4000)


class RequiredNoteSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=4000)


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500)


class AcceptSerializer(NoteSerializer):
    category = IdField(required=False, allow_null=True, default=None)


class RejectSerializer(ReasonSerializer):
    redirect_to = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)


class ClassifySerializer(serializers.Serializer):
    category = IdField()


class MergeSerializer(NoteSerializer):
    into = IdField(help_text=gettext_lazy("id of the case to merge into"))


class DispatchSerializer(NoteSerializer):
    lead = IdField(required=False, allow_null=True, default=None,
                                    help_text=gettext_lazy("unit id of the lead department; omit to add co-handlers"))
    co = id_list(required=False, default=list)
    checkin_due = serializers.DateTimeField(required=False, allow_null=True, default=None)
    handle_due = serializers.DateTimeField(required=False, allow_null=True, default=None)


class SummonSerializer(NoteSerializer):
    departments = id_list(allow_empty=False)
    handle_due = serializers.DateTimeField(required=False, allow_null=True, default=None)


class PressSerializer(RequiredNoteSerializer):
    dispatch = IdField(required=False, allow_null=True, default=None)


class DecideExtensionSerializer(NoteSerializer):
    dispatch = IdField()
    approve = serializers.BooleanField()


class RateSerializer(NoteSerializer):
    dispatch = IdField()
    rating = serializers.IntegerField(min_value=1, max_value=5)


class CallbackSerializer(NoteSerializer):
    satisfaction = serializers.ChoiceField(choices=Satisfaction.choices)
    solved = serializers.BooleanField()


class FeedbackSerializer(serializers.Serializer):
    result = serializers.CharField(max_length=4000)
    files = serializers.ListField(child=serializers.FileField(), required=False, default=list)


class ExtensionRequestSerializer(ReasonSerializer):
    days = serializers.IntegerField(min_value=1, max_value=dispatching.MAX_EXTENSION_DAYS)


def _valid(serializer_class: Any, request: Request) -> dict[str, Any]:
    data: Any = request.data
    if serializer_class is FeedbackSerializer and hasattr(data, "getlist"):
        data = {"result": data.get("result", ""), "files": request.FILES.getlist("files")}
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def _category(pk: Any) -> Category:
    category = category_get(pk)
    if category is None:
        raise DjangoValidationError({"category": _("Unknown category.")})
    return category


def _case_dispatch(case: Case, pk: Any) -> Dispatch:
    dispatch = Dispatch.objects.select_related("department").filter(case=case, pk=pk).first()
    if dispatch is None:
        raise DjangoValidationError({"dispatch": _("This case has no such dispatch.")})
    return dispatch


def _op(serializer_class: Any) -> Any:
    return extend_schema(request=serializer_class, responses={200: CaseStateSerializer})


# The centre's operations -------------------------------------------------------------------------------------


@extend_schema(tags=["case operations"])
class CaseOperationViewSet(viewsets.GenericViewSet):
    """The centre's operations on a case. ``{id}`` is the case's id."""

    queryset = Case.objects.none()
    serializer_class = CaseStateSerializer
    parser_classes = [JSONParser, FormParser, MultiPartParser]

    def _case(self) -> Case:
        return case_get(actor=self.request.user, pk=self.kwargs["pk"])

    def _done(self, case: Case) -> Response:
        return Response(case_state(self.request.user, case))

    @_op(AcceptSerializer)
    @action(detail=True, methods=["post"])
    def accept(self, request: Request, pk: str | None = None) -> Response:
        """受理."""
        case, data = self._case(), _valid(AcceptSerializer, request)
        category = _category(data["category"]) if data["category"] is not None else None
        return self._done(triage.case_accept(actor=request.user, case=case, category=category, note=data["note"]))

    @_op(RejectSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request: Request, pk: str | None = None) -> Response:
        """驳回, with the reason and where to go instead."""
        case, data = self._case(), _valid(RejectSerializer, request)
        return self._done(triage.case_reject(actor=request.user, case=case, reason=data["reason"],
                                             redirect_to=data["redirect_to"]))

    @_op(ClassifySerializer)
    @action(detail=True, methods=["post"])
    def classify(self, request: Request, pk: str | None = None) -> Response:
        case, data = self._case(), _valid(ClassifySerializer, request)
        return self._done(triage.case_classify(actor=request.user, case=case, category=_category(data["category"])))

    @_op(MergeSerializer)
    @action(detail=True, methods=["post"])
    def merge(self, request: Request, pk: str | None = None) -> Response:
        """并案: link this case to the case it duplicates."""
        case, data = self._case(), _valid(MergeSerializer, request)
        into = case_list(actor=request.user).filter(pk=data["into"]).first()
        if into is None:
            raise DjangoValidationError({"into": _("Unknown case.")})
        return self._done(triage.case_merge(actor=request.user, case=case, into=into, note=data["note"]))

    @_op(DispatchSerializer)
    @action(detail=True, methods=["post"], url_path="dispatch", url_name="dispatch")
    def dispatch_(self, request: Request, pk: str | None = None) -> Response:  # ``dispatch`` is APIView's own
        """交办 to a lead department and co-handling departments (unit ids)."""
        case, data = self._case(), _valid(DispatchSerializer, request)
        lead = dispatching.units_by_ids([data["lead"]])[0] if data["lead"] is not None else None
        dispatching.case_dispatch(actor=request.user, case=case, lead=lead, co=dispatching.units_by_ids(data["co"]),
                                  checkin_due=data["checkin_due"], handle_due=data["handle_due"], note=data["note"])
        return self._done(case)

    @_op(SummonSerializer)
    @action(detail=True, methods=["post"])
    def summon(self, request: Request, pk: str | None = None) -> Response:
        """吹哨: a township centre summons district departments (unit ids) to report on site."""
        case, data = self._case(), _valid(SummonSerializer, request)
        dispatching.case_summon(actor=request.user, case=case, departments=dispatching.units_by_ids(data["departments"]),
                                handle_due=data["handle_due"], note=data["note"])
        return self._done(case)

    @_op(RequiredNoteSerializer)
    @action(detail=True, methods=["post"])
    def redispatch(self, request: Request, pk: str | None = None) -> Response:
        """Take the case back from its departments (back to accepted)."""
        case, data = self._case(), _valid(RequiredNoteSerializer, request)
        return self._done(dispatching.case_redispatch(actor=request.user, case=case, note=data["note"]))

    @_op(PressSerializer)
    @action(detail=True, methods=["post"])
    def press(self, request: Request, pk: str | None = None) -> Response:
        """督办: one dispatch, or every department still handling the case."""
        case, data = self._case(), _valid(PressSerializer, request)
        dispatch = _case_dispatch(case, data["dispatch"]) if data["dispatch"] is not None else None
        return self._done(dispatching.case_press(actor=request.user, case=case, note=data["note"], dispatch=dispatch))

    @_op(DecideExtensionSerializer)
    @action(detail=True, methods=["post"])
    def decide_extension(self, request: Request, pk: str | None = None) -> Response:
        """延期审批 on a dispatch of this case."""
        case, data = self._case(), _valid(DecideExtensionSerializer, request)
        dispatching.dispatch_decide_extension(actor=request.user, dispatch=_case_dispatch(case, data["dispatch"]),
                                              approve=data["approve"], note=data["note"])
        return self._done(case)

    @_op(RateSerializer)
    @action(detail=True, methods=["post"])
    def rate(self, request: Request, pk: str | None = None) -> Response:
        """评价 a department's response (1–5) after it reported back."""
        case, data = self._case(), _valid(RateSerializer, request)
        dispatching.dispatch_rate(actor=request.user, dispatch=_case_dispatch(case, data["dispatch"]),
                                  rating=data["rating"], note=data["note"])
        return self._done(case)

    @_op(ReasonSerializer)
    @action(detail=True, methods=["post"])
    def escalate(self, request: Request, pk: str | None = None) -> Response:
        """逐级上报 to the centre one level up (refused at the district)."""
        case, data = self._case(), _valid(ReasonSerializer, request)
        return self._done(escalation.case_escalate(actor=request.user, case=case, reason=data["reason"]))

    @_op(ReasonSerializer)
    @action(detail=True, methods=["post"])
    def pause(self, request: Request, pk: str | None = None) -> Response:
        """Stop the clock while waiting for the reporter."""
        case, data = self._case(), _valid(ReasonSerializer, request)
        return self._done(closing.case_pause(actor=request.user, case=case, reason=data["reason"]))

    @_op(NoteSerializer)
    @action(detail=True, methods=["post"])
    def resume(self, request: Request, pk: str | None = None) -> Response:
        case, data = self._case(), _valid(NoteSerializer, request)
        return self._done(closing.case_resume(actor=request.user, case=case, note=data["note"]))

    @_op(NoteSerializer)
    @action(detail=True, methods=["post"])
    def verify(self, request: Request, pk: str | None = None) -> Response:
        """核查: the result is confirmed."""
        case, data = self._case(), _valid(NoteSerializer, request)
        return self._done(closing.case_verify(actor=request.user, case=case, note=data["note"]))

    @_op(ReasonSerializer)
    @action(detail=True, methods=["post"])
    def verify_failed(self, request: Request, pk: str | None = None) -> Response:
        case, data = self._case(), _valid(ReasonSerializer, request)
        return self._done(closing.case_verify_failed(actor=request.user, case=case, reason=data["reason"]))

    @_op(CallbackSerializer)
    @action(detail=True, methods=["post"])
    def callback(self, request: Request, pk: str | None = None) -> Response:
        """回访: satisfaction and whether the problem is solved (not solved reopens the case)."""
        case, data = self._case(), _valid(CallbackSerializer, request)
        return self._done(closing.case_callback(actor=request.user, case=case, satisfaction=data["satisfaction"],
                                                solved=data["solved"], note=data["note"]))

    @_op(ReasonSerializer)
    @action(detail=True, methods=["post"])
    def reopen(self, request: Request, pk: str | None = None) -> Response:
        case, data = self._case(), _valid(ReasonSerializer, request)
        return self._done(closing.case_reopen(actor=request.user, case=case, reason=data["reason"]))


# The dispatched department's operations ------------------------------------------------------------------------


@extend_schema(tags=["case operations"])
class DispatchViewSet(viewsets.GenericViewSet):
    """The dispatched department's operations. ``{id}`` is the dispatch's id; a department that was not
    dispatched cannot see the case (404) or is refused (403)."""

    queryset = Dispatch.objects.none()
    serializer_class = CaseStateSerializer
    parser_classes = [JSONParser, FormParser, MultiPartParser]

    def _dispatch(self) -> Dispatch:
        return dispatch_get(actor=self.request.user, pk=self.kwargs["pk"])

    def _done(self, dispatch: Dispatch) -> Response:
        return Response(case_state(self.request.user, dispatch.case))

    @_op(NoteSerializer)
    @action(detail=True, methods=["post"])
    def check_in(self, request: Request, pk: str | None = None) -> Response:
        """报到."""
        dispatch, data = self._dispatch(), _valid(NoteSerializer, request)
        return self._done(dispatching.dispatch_check_in(actor=request.user, dispatch=dispatch, note=data["note"]))

    @_op(FeedbackSerializer)
    @action(detail=True, methods=["post"])
    def feedback(self, request: Request, pk: str | None = None) -> Response:
        """办结反馈: the result, with evidence files (multipart ``files``)."""
        dispatch, data = self._dispatch(), _valid(FeedbackSerializer, request)
        return self._done(dispatching.dispatch_feedback(actor=request.user, dispatch=dispatch, result=data["result"],
                                                        files=data["files"]))

    @_op(ReasonSerializer)
    @action(detail=True, methods=["post"], url_path="return", url_name="return")
    def return_(self, request: Request, pk: str | None = None) -> Response:
        """退单, with the reason."""
        dispatch, data = self._dispatch(), _valid(ReasonSerializer, request)
        return self._done(dispatching.dispatch_return(actor=request.user, dispatch=dispatch, reason=data["reason"]))

    @_op(ExtensionRequestSerializer)
    @action(detail=True, methods=["post"])
    def request_extension(self, request: Request, pk: str | None = None) -> Response:
        """延期申请: more working days, with the reason."""
        dispatch, data = self._dispatch(), _valid(ExtensionRequestSerializer, request)
        return self._done(dispatching.dispatch_request_extension(actor=request.user, dispatch=dispatch,
                                                                 days=data["days"], reason=data["reason"]))


# The working calendar ------------------------------------------------------------------------------------------


class CalendarDaySerializer(serializers.ModelSerializer):
    class Meta:
        model = CalendarDay
        fields = ["date", "is_workday", "note"]


class CalendarLoadSerializer(serializers.Serializer):
    year = serializers.IntegerField(min_value=2000, max_value=2100)


@extend_schema(tags=["working calendar"])
class CalendarDayViewSet(viewsets.GenericViewSet):
    """The working calendar's exceptions to the Monday–Friday week, per year."""

    queryset = CalendarDay.objects.none()
    serializer_class = CalendarDaySerializer
    pagination_class = None

    @extend_schema(parameters=[OpenApiParameter("year", OpenApiTypes.INT, required=True)],
                   responses=CalendarDaySerializer(many=True))
    def list(self, request: Request) -> Response:
        try:
            year = int(request.query_params.get("year", ""))
        except ValueError:
            raise DjangoValidationError({"year": _("Give a year, e.g. ?year=2026.")}) from None
        return Response(CalendarDaySerializer(calendar_year(year=year), many=True).data)

    @extend_schema(request=CalendarDaySerializer, responses={200: CalendarDaySerializer})
    def create(self, request: Request) -> Response:
        """Make a date a day off or a working day (a setting equal to the ordinary week removes the entry)."""
        serializer = CalendarDaySerializer(data=request.data)
        # The date is the key: an existing entry is changed, so the model's unique check does not apply here.
        serializer.fields["date"].validators = []
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        calendar_day_set(actor=request.user, day=data["date"], is_workday=data["is_workday"],
                         note=data.get("note", ""))
        return Response(dict(serializer.data), status=status.HTTP_200_OK)

    @extend_schema(request=CalendarLoadSerializer, responses={200: OpenApiTypes.OBJECT})
    @action(detail=False, methods=["post"])
    def load(self, request: Request) -> Response:
        """Load the State Council's published schedule of a year."""
        serializer = CalendarLoadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        year = serializer.validated_data["year"]
        return Response({"year": year, "days": calendar_load_year(actor=request.user, year=year)})
