"""REST API for secretaries who manage learning: what their pages do, through the same forms and services.

- ``POST manage/<what>/`` with ``what`` one of material, issue, plan, book, programme (``learning.manage``): the
  page's fields (a material's file as multipart), answered with the new record's id;
- ``POST plans/<id>/sessions/``: a session of a plan with its ``attendees`` (person ids);
- ``GET plans/<id>/progress/``, ``daily/<id>/progress/``: completion per branch (rates and bands, no ranking of
  individuals) and the list of who has not finished — the export's rows, audited like it;
- ``POST talent/<id>/rounds/``, ``talent/<id>/selections/``: a selection round of a talent programme, and a
  person selected in one.

A record outside the actor's scope is a 404, one they see but do not manage a 403, and a refused write a 400 with
its message (nothing written).
"""

from __future__ import annotations

from typing import Any

from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from mofan.accounts.permissions import can, has_action
from mofan.accounts.reauth import require_recent_auth
from mofan.accounts.roles import Action
from mofan.core.api import request_object, valid_form
from mofan.core.services import record_export
from mofan.learning import forms, selectors, services
from mofan.learning.manage import CREATE
from mofan.learning.models import TalentProgramme


def _manager(request: Request, unit: Any) -> None:
    if not can(request.user, Action.LEARNING_MANAGE, unit):
        raise PermissionDenied


class CreateView(APIView):
    @extend_schema(request=OpenApiTypes.OBJECT, responses=OpenApiTypes.OBJECT)
    def post(self, request: Request, what: str) -> Response:
        if what not in CREATE:
            raise Http404
        if not has_action(request.user, Action.LEARNING_MANAGE):
            raise PermissionDenied
        form_class, create, _title, _target = CREATE[what]
        data = valid_form(form_class(request_object(request), request.FILES or None, actor=request.user))
        created = create(request.user, data)
        return Response({"what": what, "id": created.pk, "name": str(created)}, status=status.HTTP_201_CREATED)


class SessionView(APIView):
    @extend_schema(request=OpenApiTypes.OBJECT, responses=OpenApiTypes.OBJECT)
    def post(self, request: Request, pk: int) -> Response:
        plan = selectors.plan_get(actor=request.user, pk=pk)
        _manager(request, plan.unit)
        data = valid_form(forms.SessionForm(request_object(request), people=services.plan_assigned_people(plan)))
        session = services.session_record(actor=request.user, plan=plan, kind=data["kind"], held_on=data["held_on"],
                                          place=data["place"], topic=data["topic"], attendees=list(data["attendees"]))
        return Response({"id": session.pk, "plan": plan.pk, "attendees": len(data["attendees"])},
                        status=status.HTTP_201_CREATED)


def _progress(request: Request, rows: list[selectors.Progress], what: str) -> Response:
    if not has_action(request.user, Action.LEARNING_VIEW):
        raise PermissionDenied
    unfinished = [r for r in rows if not r.complete]  # rows are already limited to the actor's scope
    require_recent_auth(request)  # names of people leave, as in the page's export
    record_export(actor=request.user, what=what, count=len(unfinished))
    return Response({
        "members": len(rows), "complete": len(rows) - len(unfinished),
        "branches": [{"unit": b.unit_id, "name": b.name, "members": b.members, "complete": b.complete,
                      "rate": str(b.rate)} for b in selectors.branch_rates(rows)],
        "unfinished": [{"name": r.name, "branch": r.branch, "done": r.done, "needed": r.needed,
                        "missing": r.missing} for r in unfinished],
    })


class PlanProgressView(APIView):
    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request: Request, pk: int) -> Response:
        plan = selectors.plan_get(actor=request.user, pk=pk)
        return _progress(request, selectors.plan_progress(actor=request.user, plan=plan), "learning.plan.unfinished")


class IssueProgressView(APIView):
    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request: Request, pk: int) -> Response:
        issue = selectors.issue_get(actor=request.user, pk=pk)
        return _progress(request, selectors.issue_progress(actor=request.user, issue=issue),
                         "learning.issue.unfinished")


def _programme(request: Request, pk: int) -> TalentProgramme:
    programme = selectors.programme_get(actor=request.user, pk=pk)
    _manager(request, programme.unit)
    return programme


class TalentRoundView(APIView):
    @extend_schema(request=OpenApiTypes.OBJECT, responses=OpenApiTypes.OBJECT)
    def post(self, request: Request, pk: int) -> Response:
        programme = _programme(request, pk)
        data = valid_form(forms.RoundForm(request_object(request)))
        rnd = services.round_create(actor=request.user, programme=programme, name=data["name"],
                                    held_on=data["held_on"])
        return Response({"id": rnd.pk, "programme": programme.pk, "name": rnd.name}, status=status.HTTP_201_CREATED)


class TalentSelectView(APIView):
    @extend_schema(request=OpenApiTypes.OBJECT, responses=OpenApiTypes.OBJECT)
    def post(self, request: Request, pk: int) -> Response:
        programme = _programme(request, pk)
        data = valid_form(forms.SelectionForm(request_object(request), programme=programme))
        selection = services.selection_add(actor=request.user, selection_round=data["selection_round"],
                                           person=data["person"], reason=data["reason"],
                                           source_kind=data["source_kind"] or "", source_id=data["source_id"])
        return Response({"id": selection.pk, "round": data["selection_round"].pk, "person": data["person"].pk},
                        status=status.HTTP_201_CREATED)
