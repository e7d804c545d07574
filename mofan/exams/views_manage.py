"""The organiser's pages: papers (list, new, one paper with publish/close and its results by person, branch
and unit with the anti-cheat flags), item analysis, the marking queue, and the one-click xlsx of who has not
finished (导出未完成名单), audited through ``core.services.record_export``.

Everything reads through ``exams.selectors`` with the actor: a paper outside the organiser's scope is a 404,
and results hold only learners in their scope.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from mofan.accounts.permissions import can, has_action
from mofan.accounts.reauth import require_recent_auth
from mofan.accounts.roles import Action
from mofan.core.api import parse_id
from mofan.core.services import record_export
from mofan.core.xlsx import xlsx_response
from mofan.exams import selectors, services
from mofan.exams.forms import MarkForm, PaperForm, usable_banks
from mofan.exams.models import Paper
from mofan.org.forms import flash_errors

RESULT_TABS = ("person", "branch", "unit")


def _organiser(request: HttpRequest) -> None:
    if not has_action(request.user, Action.EXAM_MANAGE):
        raise PermissionDenied(_("You do not have permission to do this here."))


@login_required
@require_GET
def paper_list(request: HttpRequest) -> HttpResponse:
    _organiser(request)
    papers = selectors.organiser_papers(actor=request.user).select_related("unit").order_by("-opens_at", "-pk")
    return render(request, "exams/manage/paper_list.html", {"papers": papers[:200]})


@login_required
@require_http_methods(["GET", "POST"])
def paper_new(request: HttpRequest) -> HttpResponse:
    _organiser(request)
    banks = usable_banks(request.user)
    wanted = parse_id(request.GET.get("bank", ""))
    bank = banks.filter(pk=wanted).first() if wanted is not None else None
    form = PaperForm(request.POST or None, actor=request.user, bank=bank)
    if request.method == "POST" and form.is_valid():
        try:
            paper = services.paper_create(actor=request.user, unit=form.cleaned_data["unit"],
                                          items=form.fixed_items(), draws=form.draw_rules(), **form.paper_data())
        except ValidationError as error:
            flash_errors(request, error)
        else:
            messages.success(request, _("The test was saved as a draft."))
            return redirect("exams:manage_paper", pk=paper.pk)
    return render(request, "exams/manage/paper_form.html", {"form": form, "banks": banks, "bank": bank})


@login_required
@require_http_methods(["GET", "POST"])
def paper_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Change a draft: its settings, fixed questions and draw rules (the organising unit stays)."""
    paper = selectors.organiser_paper_get(actor=request.user, pk=pk)
    if paper.state != "draft" or not can(request.user, Action.EXAM_MANAGE, paper.unit):
        raise PermissionDenied(_("Only a draft can be changed, by its organisers."))
    banks = usable_banks(request.user)
    items = list(paper.items.select_related("question__bank"))
    draws = list(paper.draws.select_related("bank", "tag"))
    wanted = parse_id(request.GET.get("bank", ""))
    bank = (banks.filter(pk=wanted).first() if wanted is not None else None) or (
        draws[0].bank if draws else items[0].question.bank if items else None)
    initial: dict[str, Any] = {field: getattr(paper, field) for field in services.PAPER_FIELDS}
    initial.update(unit=paper.unit, questions=[str(i.question_id) for i in items],
                   item_points=items[0].points if items else 2)
    for n, draw in enumerate(d for d in draws if d.bank == bank):
        initial.update({f"draw_{n}_tag": draw.tag, f"draw_{n}_difficulty": draw.difficulty,
                        f"draw_{n}_qtype": draw.qtype, f"draw_{n}_count": draw.count,
                        f"draw_{n}_points": draw.points_each})
    form = PaperForm(request.POST or None, actor=request.user, bank=bank, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.paper_update(actor=request.user, paper=paper, items=form.fixed_items(),
                                  draws=form.draw_rules(), **form.paper_data())
        except ValidationError as error:
            flash_errors(request, error)
        else:
            messages.success(request, _("The test was saved as a draft."))
            return redirect("exams:manage_paper", pk=paper.pk)
    return render(request, "exams/manage/paper_form.html", {"form": form, "banks": banks, "bank": bank,
                                                           "paper": paper})


def _results_context(request: HttpRequest, paper: Paper) -> dict[str, Any]:
    tab = request.GET.get("tab") if request.GET.get("tab") in RESULT_TABS else "person"
    rows = selectors.results_by_person(actor=request.user, paper=paper)
    context: dict[str, Any] = {"tab": tab, "rows": rows, "flagged": sum(1 for r in rows if r.flags)}
    if tab == "branch":
        context["groups"] = selectors.results_by_branch(actor=request.user, paper=paper, rows=rows)
    elif tab == "unit":
        context["groups"] = selectors.results_by_unit(actor=request.user, paper=paper, rows=rows)
    return context


@login_required
@require_GET
def paper_manage(request: HttpRequest, pk: int) -> HttpResponse:
    paper = selectors.organiser_paper_get(actor=request.user, pk=pk)
    context = {
        "paper": paper, "owner": can(request.user, Action.EXAM_MANAGE, paper.unit),
        "items": paper.items.select_related("question"), "draws": paper.draws.select_related("bank", "tag"),
        "unfinished_count": selectors.unfinished(actor=request.user, paper=paper).count(),
        "marking_count": selectors.marking_queue(actor=request.user, paper=paper).count(),
        **_results_context(request, paper),
    }
    return render(request, "exams/manage/paper_detail.html", context)


def _paper_step(request: HttpRequest, pk: int, step: Any, done: str) -> HttpResponse:
    paper = selectors.organiser_paper_get(actor=request.user, pk=pk)
    try:
        step(actor=request.user, paper=paper)
        messages.success(request, done)
    except ValidationError as error:
        flash_errors(request, error)
    return redirect("exams:manage_paper", pk=paper.pk)


@login_required
@require_POST
def paper_publish(request: HttpRequest, pk: int) -> HttpResponse:
    return _paper_step(request, pk, services.paper_publish, _("The test is published."))


@login_required
@require_POST
def paper_close(request: HttpRequest, pk: int) -> HttpResponse:
    return _paper_step(request, pk, services.paper_close, _("The test is closed; running attempts were submitted."))


@login_required
@require_GET
def paper_analysis(request: HttpRequest, pk: int) -> HttpResponse:
    paper = selectors.organiser_paper_get(actor=request.user, pk=pk)
    return render(request, "exams/manage/analysis.html", {
        "paper": paper, "analysis": selectors.item_analysis(actor=request.user, paper=paper)})


@login_required
@require_GET
def unfinished_export(request: HttpRequest, pk: int) -> HttpResponse:
    """导出未完成名单: the audience in the actor's scope without a submitted attempt, as xlsx."""
    paper = selectors.organiser_paper_get(actor=request.user, pk=pk)
    require_recent_auth(request)  # names of people: personal data leaving as a file (before reading them)
    people = selectors.unfinished_with_state(actor=request.user, paper=paper)
    record_export(actor=request.user, what="exams.unfinished", count=len(people))
    headers = [pgettext("person", "Name"), _("Branch"), _("Account"), _("Status")]
    rows = [[u.display_name, u.person.unit.name if u.person else "", u.username,
             _("Started, not submitted") if started else _("Not started")] for u, started in people]
    stamp = timezone.localtime().strftime("%Y%m%d")
    return xlsx_response(f"{paper.title}-{_('unfinished')}-{stamp}.xlsx", headers, rows, title=_("Unfinished"),
                         notes=[_("%(title)s: learners who have not finished (%(count)d)")
                                % {"title": paper.title, "count": len(people)}])


@login_required
@require_GET
def marking_queue(request: HttpRequest) -> HttpResponse:
    _organiser(request)
    items = selectors.marking_queue(actor=request.user)
    return render(request, "exams/manage/marking.html", {"items": items[:100], "form": MarkForm()})


@login_required
@require_POST
def answer_mark(request: HttpRequest, pk: int) -> HttpResponse:
    item = selectors.marking_item_get(actor=request.user, pk=pk)
    form = MarkForm(request.POST)
    if form.is_valid():
        try:
            services.answer_mark(actor=request.user, item=item, score=form.cleaned_data["score"])
            messages.success(request, _("The answer is marked."))
        except ValidationError as error:
            flash_errors(request, error)
    else:
        messages.error(request, _("Give a score from 0 to %(points)s.") % {"points": item.points})
    return redirect("exams:marking")
