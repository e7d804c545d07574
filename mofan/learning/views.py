"""Pages of the learning organ: the learner's home, materials (with the reading timer), plans, 天天学, boards,
the reading room, talent pools and the figures. Views read through the selectors and write through one
service each; ``can()`` only decides which parts of a page to show."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any, TypeVar

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from mofan.accounts.permissions import can, has_action, scope_paths
from mofan.accounts.reauth import require_recent_auth
from mofan.accounts.roles import Action
from mofan.core import figures as figure_registry
from mofan.core.api import parse_id
from mofan.core.figures import FigureScope
from mofan.core.services import record_export
from mofan.core.xlsx import xlsx_response
from mofan.learning import forms, points, selectors, services
from mofan.learning.manage import CREATE
from mofan.learning.models import DailyIssue
from mofan.org.forms import apply_service_errors, flash_errors
from mofan.org.models import Unit

FIGURE_ROWS_SHOWN = 200
T = TypeVar("T")


def _run(request: HttpRequest, call: Callable[[], T]) -> T | None:
    """Call one service; a refusal or bad input becomes a message on the page (and None)."""
    try:
        return call()
    except ValidationError as exc:
        flash_errors(request, exc)
    except PermissionDenied as exc:
        messages.error(request, str(exc))
    return None


def _date(value: str | None, default: dt.date) -> dt.date:
    try:
        return dt.date.fromisoformat(value) if value else default
    except ValueError:
        return default


def _period(request: HttpRequest) -> tuple[dt.date, dt.date]:
    today = timezone.localdate()
    start = _date(request.GET.get("start"), today.replace(day=1))
    end = _date(request.GET.get("end"), today)
    return (start, end) if start <= end else (end, start)


@login_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """学习首页: my plans, today's 天天学, my points, my loans."""
    user: Any = request.user
    today = timezone.localdate()
    issue = selectors.todays_issue(actor=user, today=today)
    return render(request, "learning/home.html", {
        "plans": selectors.my_plans(actor=user).filter(ends_on__gte=today)[:10],
        "issue": issue,
        "issue_answer": selectors.my_answer(actor=user, issue=issue) if issue else None,
        "points_total": points.points_total(user=user),
        "points_week": points.points_total(user=user, start=today - dt.timedelta(days=today.weekday())),
        "recent_points": [(a, points.POINT_ACTIONS.get(a.action, a.action))
                          for a in selectors.my_points(actor=user)[:10]],
        "loans": selectors.loan_list(actor=user, open_only=True).filter(user=user),
        "can_view": has_action(user, Action.LEARNING_VIEW),
        "can_manage": has_action(user, Action.LEARNING_MANAGE),
    })


# Materials -----------------------------------------------------------------------------------------------


@login_required
@require_GET
def material_list(request: HttpRequest) -> HttpResponse:
    search = request.GET.get("q", "").strip()[:50]
    return render(request, "learning/material_list.html", {
        "materials": selectors.material_list(actor=request.user, search=search)[:200], "search": search,
    })


@login_required
@require_GET
def material_detail(request: HttpRequest, pk: int) -> HttpResponse:
    material = selectors.material_get(actor=request.user, pk=pk)
    return render(request, "learning/material_detail.html", {
        "material": material, "is_learner": services.branch_of(request.user) is not None,
    })


@login_required
@require_POST
def material_read(request: HttpRequest, pk: int) -> JsonResponse:
    """The reading page reports the seconds read (``seconds``) since it opened (``opened``: epoch seconds)."""
    material = selectors.material_get(actor=request.user, pk=pk)
    started_at = None
    try:
        opened = float(request.POST.get("opened", ""))
        started_at = dt.datetime.fromtimestamp(opened, tz=dt.UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        started_at = None
    try:
        record = services.reading_record(actor=request.user, material=material,
                                         seconds=request.POST.get("seconds", ""),  # type: ignore[arg-type]
                                         started_at=started_at)
    except ValidationError as exc:
        return JsonResponse({"errors": exc.messages}, status=400)
    except PermissionDenied as exc:
        return JsonResponse({"errors": [str(exc)]}, status=403)
    return JsonResponse({"id": record.pk, "seconds": record.seconds})


# Plans ---------------------------------------------------------------------------------------------------


@login_required
@require_GET
def plan_list(request: HttpRequest) -> HttpResponse:
    return render(request, "learning/plan_list.html", {"plans": selectors.plan_list(actor=request.user)[:200]})


@login_required
def plan_detail(request: HttpRequest, pk: int) -> HttpResponse:
    plan = selectors.plan_get(actor=request.user, pk=pk)
    user: Any = request.user
    if request.method == "POST":
        if _run(request, lambda: services.note_submit(actor=user, plan=plan, text=request.POST.get("text", ""))):
            messages.success(request, _("Your study note is saved."))
            return redirect("learning:plan_detail", pk=plan.pk)
    rows = selectors.plan_progress(actor=user, plan=plan)
    follows = has_action(user, Action.LEARNING_VIEW)
    mine = next((r for r in rows if r.user.pk == user.pk), None)
    return render(request, "learning/plan_detail.html", {
        "plan": plan, "materials": plan.materials.all(), "sessions": plan.sessions.all(),
        "mine": mine, "my_note": plan.notes.filter(user=user).first(), "follows": follows,
        "can_manage": can(user, Action.LEARNING_MANAGE, plan.unit),
        "rows": [r for r in rows if not r.complete] if follows else [],
        "branches": selectors.branch_rates(rows) if follows else [],
        "note_text": request.POST.get("text", ""),
    })


def _unfinished_export(request: HttpRequest, rows: list[selectors.Progress], what: str, title: str) -> HttpResponse:
    if not has_action(request.user, Action.LEARNING_VIEW):
        raise PermissionDenied(_("You do not have permission to do this here."))
    unfinished = [r for r in rows if not r.complete]  # rows are already limited to the actor's scope
    require_recent_auth(request)  # names of people: personal data leaving as a file
    record_export(actor=request.user, what=what, count=len(unfinished))
    headers = [_("Name"), _("Branch"), _("Done"), _("Required"), _("Missing")]
    return xlsx_response(f"{title}.xlsx", headers,
                         ([r.name, r.branch, r.done, r.needed, "；".join(r.missing)] for r in unfinished),
                         title=str(_("Not finished")), notes=[title])


@login_required
@require_GET
def plan_export(request: HttpRequest, pk: int) -> HttpResponse:
    """一键导出未完成名单 of a plan, for the branch secretary (their branch's learners only)."""
    plan = selectors.plan_get(actor=request.user, pk=pk)
    rows = selectors.plan_progress(actor=request.user, plan=plan)
    return _unfinished_export(request, rows, "learning.plan.unfinished",
                              _("Not finished: %(title)s") % {"title": plan.title})


# 天天学 ------------------------------------------------------------------------------------------------------


@login_required
@require_GET
def issue_list(request: HttpRequest) -> HttpResponse:
    return render(request, "learning/issue_list.html", {"issues": selectors.issue_list(actor=request.user)[:200]})


def _issue_context(request: HttpRequest, issue: DailyIssue) -> dict[str, Any]:
    user: Any = request.user
    follows = has_action(user, Action.LEARNING_VIEW)
    rows = selectors.issue_progress(actor=user, issue=issue) if follows else []
    answer = selectors.my_answer(actor=user, issue=issue)
    questions = list(issue.questions.all())
    return {
        "issue": issue, "answer": answer, "follows": follows,
        "questions": [(q, (answer.responses or {}).get(str(q.pk)) if answer else None) for q in questions],
        "is_member": (services.branch_of(user) is not None
                      and services.branch_of(user).path.startswith(issue.unit_path)),  # type: ignore[union-attr]
        "branches": selectors.branch_rates(rows), "unfinished": [r for r in rows if not r.complete],
    }


@login_required
def issue_detail(request: HttpRequest, pk: int) -> HttpResponse:
    issue = selectors.issue_get(actor=request.user, pk=pk)
    if request.method == "POST":
        responses: dict[str, Any] = {}
        for q in issue.questions.all():
            key = f"q{q.pk}"
            if q.qtype in ("multiple", "fill"):
                responses[str(q.pk)] = [v for v in request.POST.getlist(key)]
            else:
                responses[str(q.pk)] = request.POST.get(key, "")
        answer = _run(request, lambda: services.daily_issue_answer(actor=request.user, issue=issue,
                                                                    responses=responses))
        if answer is not None:
            messages.success(request, _("Answered: %(correct)d of %(total)d right.")
                             % {"correct": answer.correct, "total": len(responses)})
            return redirect("learning:issue_detail", pk=issue.pk)
    return render(request, "learning/issue_detail.html", _issue_context(request, issue))


@login_required
@require_GET
def issue_export(request: HttpRequest, pk: int) -> HttpResponse:
    issue = selectors.issue_get(actor=request.user, pk=pk)
    rows = selectors.issue_progress(actor=request.user, issue=issue)
    return _unfinished_export(request, rows, "learning.issue.unfinished",
                              _("Not answered: daily study no. %(n)d") % {"n": issue.number})


# Boards ----------------------------------------------------------------------------------------------------


@login_required
def points_rules(request: HttpRequest) -> HttpResponse:
    """积分规则: every version for everyone to read; a new version for who manages learning at the top."""
    manager = points.can_change_rules(request.user)
    form = None
    if manager:
        form = forms.RuleSetForm(request.POST or None, initial=points.next_ruleset_initial(timezone.localdate()))
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            if _saved(request, form, lambda: points.ruleset_create(
                    actor=request.user, version=data["version"], effective_from=data["effective_from"],
                    daily_cap=data["daily_cap"], rules=form.rules())):
                return redirect("learning:points_rules")
    elif request.method == "POST":
        raise PermissionDenied(_("You do not have permission to do this here."))
    return render(request, "learning/rules.html", {"rulesets": points.rulesets(), "form": form})


@login_required
@require_GET
def board(request: HttpRequest) -> HttpResponse:
    """积分榜: individuals (only when the setting allows), branches with completion bands, units."""
    start, end = _period(request)
    user: Any = request.user
    return render(request, "learning/board.html", {
        "start": start, "end": end, "individual": selectors.individual_ranking(),
        "people": selectors.person_board(actor=user, start=start, end=end),
        "branches": selectors.branch_board(actor=user, start=start, end=end),
        "units": selectors.unit_board(actor=user, start=start, end=end),
        "my_total": points.points_total(user=user, start=start, end=end),
    })


# Reading room ----------------------------------------------------------------------------------------------


@login_required
@require_GET
def reading_room(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    return render(request, "learning/reading_room.html", {
        "books": selectors.book_list(actor=user)[:300],
        "loans": selectors.loan_list(actor=user, open_only=True).filter(user=user),
        "is_learner": services.branch_of(user) is not None,
    })


@login_required
@require_POST
def book_borrow(request: HttpRequest, pk: int) -> HttpResponse:
    book = selectors.book_get(actor=request.user, pk=pk)
    loan = _run(request, lambda: services.loan_borrow(actor=request.user, book=book))
    if loan is not None:
        messages.success(request, _("Borrowed; please return it by %(due)s.") % {"due": loan.due_on.isoformat()})
    return redirect("learning:reading_room")


@login_required
@require_POST
def loan_return(request: HttpRequest, pk: int) -> HttpResponse:
    loan = selectors.loan_get(actor=request.user, pk=pk)
    try:
        minutes = int(request.POST.get("minutes_read") or 0)
    except ValueError:
        minutes = -1
    if _run(request, lambda: services.loan_return(actor=request.user, loan=loan, minutes_read=minutes)):
        messages.success(request, _("Returned. Thank you."))
    return redirect("learning:reading_room")


# Talent pools and figures ----------------------------------------------------------------------------------


@login_required
@require_GET
def talent(request: HttpRequest) -> HttpResponse:
    programmes = list(selectors.programme_list(actor=request.user))
    selections = selectors.selection_list(actor=request.user).filter(round__programme__in=programmes)
    by_programme: dict[int, list[Any]] = {}
    for selection in selections.order_by("-round__held_on", "person__name"):
        by_programme.setdefault(selection.round.programme_id, []).append(selection)
    return render(request, "learning/talent.html", {
        "programmes": [(p, by_programme.get(p.pk, []), can(request.user, Action.LEARNING_MANAGE, p.unit_path))
                       for p in programmes],
        "can_manage": has_action(request.user, Action.LEARNING_MANAGE),
    })


def _figure_scope(request: HttpRequest) -> FigureScope:
    start, end = _period(request)
    unit = None
    if request.GET.get("unit"):
        roots = scope_paths(request.user, Action.LEARNING_VIEW)
        wanted = parse_id(request.GET["unit"])
        unit = Unit.objects.filter(pk=wanted).first() if wanted is not None else None
        if unit is None or not any(unit.path.startswith(r) for r in roots):
            raise Http404
    return FigureScope(unit=unit, start=start, end=end)


@login_required
@require_GET
def figures(request: HttpRequest) -> HttpResponse:
    if not has_action(request.user, Action.LEARNING_VIEW):
        raise PermissionDenied(_("You do not have permission to do this here."))
    scope = _figure_scope(request)
    values = [(f, f.value(request.user, scope)) for f in figure_registry.all_figures("learning.")]
    roots = scope_paths(request.user, Action.LEARNING_VIEW)
    return render(request, "learning/figures.html", {
        "scope": scope, "values": values,
        "units": Unit.objects.filter(path__in=roots) | Unit.objects.filter(parent__path__in=roots, is_active=True),
    })


@login_required
@require_GET
def figure_rows(request: HttpRequest, key: str) -> HttpResponse:
    if not key.startswith("learning.") or not has_action(request.user, Action.LEARNING_VIEW):
        raise Http404
    try:
        figure = figure_registry.get(key)
    except KeyError:
        raise Http404 from None
    scope = _figure_scope(request)
    rows = figure.rows(request.user, scope) if figure.rows is not None else None
    return render(request, "learning/figure_rows.html", {
        "figure": figure, "scope": scope, "value": figure.value(request.user, scope),
        "rows": list(rows[:FIGURE_ROWS_SHOWN]) if rows is not None else [], "shown": FIGURE_ROWS_SHOWN,
    })



# Managing (secretaries) ------------------------------------------------------------------------------------


def _saved(request: HttpRequest, form: Any, call: Callable[[], Any]) -> bool:
    """Call one service for a valid form; its ValidationError lands on the form's fields."""
    try:
        call()
    except ValidationError as exc:
        apply_service_errors(form, exc)
        return False
    messages.success(request, _("Saved."))
    return True


@login_required
def manage_create(request: HttpRequest, what: str) -> HttpResponse:
    """One page per thing a secretary creates; the service decides and its messages land on the form."""
    if what not in CREATE:
        raise Http404
    if not has_action(request.user, Action.LEARNING_MANAGE):
        raise PermissionDenied(_("You do not have permission to do this here."))
    form_class, create, title, target = CREATE[what]
    form = form_class(request.POST or None, request.FILES or None, actor=request.user)
    if request.method == "POST" and form.is_valid():
        created: list[Any] = []
        if _saved(request, form, lambda: created.append(create(request.user, form.cleaned_data))):
            return redirect(target) if what in ("book", "programme") else redirect(target, pk=created[0].pk)
    return render(request, "learning/manage_form.html", {"form": form, "title": title})


@login_required
def plan_session(request: HttpRequest, pk: int) -> HttpResponse:
    """Record a session of a plan (集中学习, 专题研讨, 中心组学习) with its attendees."""
    plan = selectors.plan_get(actor=request.user, pk=pk)
    if not can(request.user, Action.LEARNING_MANAGE, plan.unit):
        raise PermissionDenied(_("You do not have permission to do this here."))
    form = forms.SessionForm(request.POST or None, people=services.plan_assigned_people(plan))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if _saved(request, form, lambda: services.session_record(
                actor=request.user, plan=plan, kind=data["kind"], held_on=data["held_on"], place=data["place"],
                topic=data["topic"], attendees=list(data["attendees"]))):
            return redirect("learning:plan_detail", pk=plan.pk)
    return render(request, "learning/manage_form.html", {"form": form, "title": _("Record a study session"),
                                                         "plan": plan})


def _managed_programme(request: HttpRequest, pk: int) -> Any:
    programme = selectors.programme_get(actor=request.user, pk=pk)
    if not can(request.user, Action.LEARNING_MANAGE, programme.unit):
        raise PermissionDenied(_("You do not have permission to do this here."))
    return programme


@login_required
def talent_round(request: HttpRequest, pk: int) -> HttpResponse:
    programme = _managed_programme(request, pk)
    form = forms.RoundForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if _saved(request, form, lambda: services.round_create(actor=request.user, programme=programme,
                                                               name=data["name"], held_on=data["held_on"])):
            return redirect("learning:talent")
    return render(request, "learning/manage_form.html", {
        "form": form, "title": _("New selection round of %(name)s") % {"name": programme.name}})


@login_required
def talent_select(request: HttpRequest, pk: int) -> HttpResponse:
    """入选: a person selected in a round, with the test or competition that fed the selection if any."""
    programme = _managed_programme(request, pk)
    form = forms.SelectionForm(request.POST or None, programme=programme)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if _saved(request, form, lambda: services.selection_add(
                actor=request.user, selection_round=data["selection_round"], person=data["person"],
                reason=data["reason"], source_kind=data["source_kind"] or "", source_id=data["source_id"])):
            return redirect("learning:talent")
    return render(request, "learning/manage_form.html", {
        "form": form, "title": _("Select into %(name)s") % {"name": programme.name}})
