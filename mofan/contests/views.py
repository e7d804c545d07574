"""Pages of competitions: the organiser's (competitions, rounds, enrolment, open/close, qualification, team
totals, the live host), the contestant's (my competitions, answering a heat round, the live final) and the big
screen. Writes go through ``contests.services``; reads through ``contests.selectors`` (404 outside)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from mofan.accounts.permissions import has_action
from mofan.accounts.reauth import require_recent_auth
from mofan.accounts.roles import Action
from mofan.contests import selectors, services
from mofan.contests.forms import CompetitionForm, DrawForm, EnrolForm, HeatForm, HeatScheduleForm, RoundForm
from mofan.contests.models import Competition, Entry, Outcome, Round, RoundKind, RoundQuestion, RoundState
from mofan.core.services import record_export
from mofan.core.xlsx import xlsx_response
from mofan.org.forms import apply_service_errors, flash_errors


def _managed(request: HttpRequest, pk: int) -> Competition:
    return selectors.ensure_manager(request.user, selectors.competition_get(actor=request.user, pk=pk))


def _round(request: HttpRequest, pk: int, round_id: int, *, manage: bool = False) -> Round:
    competition = _managed(request, pk) if manage else selectors.competition_get(actor=request.user, pk=pk)
    return selectors.round_get(actor=request.user, competition=competition, pk=round_id)


@login_required
def competition_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    organised = selectors.competition_list(actor=user) if has_action(user, Action.CONTEST_MANAGE) else None
    return render(request, "contests/competition_list.html", {
        "organised": organised[:100] if organised is not None else None,
        "can_create": has_action(user, Action.CONTEST_MANAGE),
        "entries": selectors.my_entries(actor=user)[:100],
    })


@login_required
def competition_create(request: HttpRequest) -> HttpResponse:
    if not has_action(request.user, Action.CONTEST_MANAGE):
        raise PermissionDenied
    form = CompetitionForm(request.POST or None, actor=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            competition = services.competition_create(
                actor=request.user, unit=form.cleaned_data["unit"], name=form.cleaned_data["name"],
                kind=form.cleaned_data["kind"], team_best_k=form.cleaned_data["team_best_k"])
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("Competition %(name)s created.") % {"name": competition.name})
            return redirect("contests:detail", competition.pk)
    return render(request, "contests/form.html", {"form": form, "title": _("New competition")})


@login_required
def competition_detail(request: HttpRequest, pk: int) -> HttpResponse:
    competition = selectors.competition_get(actor=request.user, pk=pk)
    manage = selectors.can_manage(request.user, competition)
    rounds = list(competition.rounds.order_by("order"))
    counts = dict(Entry.objects.filter(round__in=rounds).values("round_id").annotate(n=Count("id"))
                  .values_list("round_id", "n"))
    mine = {e.round_id: e for e in selectors.my_entries(actor=request.user).filter(round__in=rounds)}
    return render(request, "contests/competition_detail.html", {
        "competition": competition, "manage": manage,
        "rounds": [(r, counts.get(r.pk, 0), mine.get(r.pk)) for r in rounds],
        "round_form": RoundForm() if manage else None,
    })


@login_required
@require_POST
def round_create(request: HttpRequest, pk: int) -> HttpResponse:
    competition = _managed(request, pk)
    form = RoundForm(request.POST)
    if form.is_valid():
        try:
            rnd = services.round_create(actor=request.user, competition=competition, **form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("Round %(name)s created.") % {"name": rnd.name})
            return redirect("contests:round", competition.pk, rnd.pk)
    return render(request, "contests/form.html", {"form": form, "title": _("New round"), "competition": competition})


@login_required
def round_detail(request: HttpRequest, pk: int, round_id: int) -> HttpResponse:
    rnd = _round(request, pk, round_id)
    competition = rnd.competition
    manage = selectors.can_manage(request.user, competition)
    context: dict[str, Any] = {"competition": competition, "round": rnd, "manage": manage,
                               "entry": selectors.my_entry(actor=request.user, round=rnd)}
    if manage:
        context.update(
            entries=selectors.round_entries(actor=request.user, round=rnd)[:500],
            entry_count=Entry.objects.filter(round=rnd).count(),
            questions=selectors.round_questions(round=rnd),
            heats=list(rnd.heats.all()),
            teams=selectors.team_totals(round=rnd),
            enrol_form=EnrolForm(round=rnd), heat_form=HeatForm(), schedule_form=HeatScheduleForm(), draw_form=DrawForm(competition=competition),
            outcomes=Outcome,
        )
    return render(request, "contests/round_detail.html", context)


@login_required
@require_GET
def round_export(request: HttpRequest, pk: int, round_id: int) -> HttpResponse:
    """The round's results ledger (成绩表) as an Excel file, for the organiser: every contestant, ranked."""
    rnd = _round(request, pk, round_id, manage=True)
    title = _("Results: %(competition)s %(round)s") % {"competition": rnd.competition.name, "round": rnd.name}
    require_recent_auth(request)  # names and scores of people: personal data leaving as a file
    record_export(actor=request.user, what="contests.round.results",
                  count=selectors.round_entries(actor=request.user, round=rnd).count())
    rows = ([r.rank, r.name, r.unit, r.team, r.heat, r.score, r.seconds_used, r.answered, r.outcome]
            for r in selectors.round_results(actor=request.user, round=rnd))
    return xlsx_response(f"{title}.xlsx", [str(h) for h in selectors.RESULT_HEADERS], rows,
                         title=str(_("Results")), notes=[title])


def _round_form(request: HttpRequest, pk: int, round_id: int, make_form: Callable[[Round], forms.Form],
                act: Callable[[Round, dict[str, Any]], str], invalid: str = "") -> HttpResponse:
    """A form posted on the round page: when valid, ``act`` calls the service and says what it did (or the
    service's refusal is shown); when not, ``invalid`` or the form's own messages. Back to the round page."""
    rnd = _round(request, pk, round_id, manage=True)
    form = make_form(rnd)
    if form.is_valid():
        try:
            messages.success(request, act(rnd, form.cleaned_data))
        except ValidationError as exc:
            flash_errors(request, exc)
    elif invalid:
        messages.error(request, invalid)
    else:
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
    return redirect("contests:round", pk, round_id)


@login_required
@require_POST
def round_heat(request: HttpRequest, pk: int, round_id: int) -> HttpResponse:
    def act(rnd: Round, data: dict[str, Any]) -> str:
        services.heat_create(actor=request.user, round=rnd, **data)
        return _("Heat added.")

    return _round_form(request, pk, round_id, lambda _rnd: HeatForm(request.POST), act,
                       invalid=_("Give the heat a name, a start and an end."))


@login_required
@require_POST
def round_heats_schedule(request: HttpRequest, pk: int, round_id: int) -> HttpResponse:
    """分场次: several heats at once, the contestants without a heat spread over them."""
    def act(rnd: Round, data: dict[str, Any]) -> str:
        result = services.heats_schedule(actor=request.user, round=rnd, **data)
        return _("%(heats)d heats scheduled; %(assigned)d contestants placed in them.") % {
            "heats": len(result.heats), "assigned": result.assigned}

    return _round_form(request, pk, round_id, lambda _rnd: HeatScheduleForm(request.POST), act)


@login_required
@require_POST
def round_draw(request: HttpRequest, pk: int, round_id: int) -> HttpResponse:
    def act(rnd: Round, data: dict[str, Any]) -> str:
        rows = services.round_draw_questions(actor=request.user, round=rnd, bank_ids=[data["bank"].pk],
                                             points=data["points"])
        return _("%(count)d questions drawn.") % {"count": len(rows)}

    return _round_form(request, pk, round_id, lambda rnd: DrawForm(request.POST, competition=rnd.competition), act,
                       invalid=_("Choose a question bank and the points per question."))


@login_required
@require_POST
def round_enrol(request: HttpRequest, pk: int, round_id: int) -> HttpResponse:
    def act(rnd: Round, data: dict[str, Any]) -> str:
        result = services.enrol(actor=request.user, round=rnd, units=list(data["units"]), users=data["usernames"],
                                heat=data["heat"], team=data["team"])
        return _("%(added)d contestants enrolled; %(already)d were already in the round.") % {
            "added": result.added, "already": result.already}

    return _round_form(request, pk, round_id, lambda rnd: EnrolForm(request.POST, round=rnd), act)


@login_required
@require_POST
def round_state(request: HttpRequest, pk: int, round_id: int, action: str) -> HttpResponse:
    rnd = _round(request, pk, round_id, manage=True)
    try:
        if action == "open":
            services.round_open(actor=request.user, round=rnd)
            messages.success(request, _("The round is open."))
        elif action == "close":
            services.round_close(actor=request.user, round=rnd)
            messages.success(request, _("The round is closed."))
        else:
            qualifiers = services.qualify(actor=request.user, round=rnd)
            messages.success(request, _("%(count)d contestants go on.") % {"count": len(qualifiers)})
    except ValidationError as exc:
        flash_errors(request, exc)
    return redirect("contests:round", pk, round_id)


@login_required
@require_POST
def live_open(request: HttpRequest, pk: int, round_id: int, rq_id: int) -> HttpResponse:
    rnd = _round(request, pk, round_id, manage=True)
    rq = RoundQuestion.objects.filter(round=rnd, pk=rq_id).first()
    try:
        if rq is None:
            raise ValidationError(_("This question is not part of the round."))
        services.live_open_question(actor=request.user, round=rnd, round_question=rq)
        messages.success(request, _("Question %(order)d is open.") % {"order": rq.order})
    except ValidationError as exc:
        flash_errors(request, exc)
    return redirect("contests:round", pk, round_id)


# Contestants -----------------------------------------------------------------------------------------


def _own_entry(request: HttpRequest, rnd: Round) -> Entry:
    entry = selectors.my_entry(actor=request.user, round=rnd)
    if entry is None:
        raise PermissionDenied
    return entry


@login_required
@never_cache
def play(request: HttpRequest, pk: int, round_id: int) -> HttpResponse:
    """The answering page: a heat round shows the next unanswered question with the time left; a live final
    polls the current question every second."""
    rnd = _round(request, pk, round_id)
    entry = _own_entry(request, rnd)
    context: dict[str, Any] = {"competition": rnd.competition, "round": rnd, "entry": entry}
    if rnd.kind == RoundKind.HEATS:
        if rnd.state == RoundState.OPEN:
            entry = services.entry_start(actor=request.user, entry=entry)
        answered = set(selectors.entry_answers(actor=request.user, entry=entry).values_list("round_question_id",
                                                                                             flat=True))
        questions = selectors.round_questions(round=rnd)
        pending = [q for q in questions if q.pk not in answered]
        starts, ends = (entry.heat.starts_at, entry.heat.ends_at) if entry.heat else (rnd.starts_at, rnd.ends_at)
        now = timezone.now()
        context.update(question=pending[0] if pending else None, done=len(answered), total=len(questions),
                       ends_at=ends, seconds_left=max(0, int((ends - now).total_seconds())),
                       not_started=now < starts, open=rnd.state == RoundState.OPEN and starts <= now <= ends)
    return render(request, "contests/play.html", context)


@login_required
@never_cache
def play_current(request: HttpRequest, pk: int, round_id: int) -> HttpResponse:
    """The live final's current question (a fragment, polled every second)."""
    rnd = _round(request, pk, round_id)
    entry = _own_entry(request, rnd)
    now = timezone.now()
    rq = rnd.current_question
    answered = rq is not None and entry.answers.filter(round_question=rq).exists()
    live = (rnd.state == RoundState.OPEN and rq is not None and rnd.question_closes_at is not None
            and now <= rnd.question_closes_at)
    return render(request, "contests/_live_question.html", {
        "competition": rnd.competition, "round": rnd, "entry": entry, "rq": rq, "answered": answered,
        "live": live, "seconds_left": max(0, int((rnd.question_closes_at - now).total_seconds()))
        if rnd.question_closes_at else 0,
    })


def _response(request: HttpRequest, rq: RoundQuestion) -> Any:
    if rq.question.qtype in ("multiple", "fill"):  # several choices, or one answer per blank
        return request.POST.getlist("response")
    return request.POST.get("response", "")


@login_required
@require_POST
def answer(request: HttpRequest, pk: int, round_id: int) -> HttpResponse:
    rnd = _round(request, pk, round_id)
    entry = _own_entry(request, rnd)
    rq = RoundQuestion.objects.filter(pk=request.POST.get("question") or 0).select_related("question").first()
    try:
        services.answer_submit(actor=request.user, entry=entry, round_question=rq,
                               response=_response(request, rq) if rq else None)
    except ValidationError as exc:
        flash_errors(request, exc)
    if request.htmx:  # type: ignore[attr-defined]
        return play_current(request, pk, round_id)
    return redirect("contests:play", pk, round_id)


# Big screen ------------------------------------------------------------------------------------------


def _screen_round(request: HttpRequest, pk: int) -> Round:
    competition = _managed(request, pk)
    rnd = (competition.rounds.filter(state=RoundState.OPEN).order_by("-order").first()
           or competition.rounds.exclude(state=RoundState.DRAFT).order_by("-order").first()
           or competition.rounds.order_by("order").first())
    if rnd is None:
        raise ValidationError(_("The competition has no round yet."))
    return rnd


@login_required
def screen(request: HttpRequest, pk: int) -> HttpResponse:
    competition = _managed(request, pk)
    return render(request, "contests/screen.html", {"competition": competition})


@login_required
@never_cache
def screen_board(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        rnd = _screen_round(request, pk)
    except ValidationError:
        return render(request, "contests/_screen_board.html", {"round": None})
    return render(request, "contests/_screen_board.html", {
        "round": rnd, "board": selectors.leaderboard(round=rnd, limit=10), "teams": selectors.team_totals(round=rnd)[:8],
        "now": timezone.now(),
    })
