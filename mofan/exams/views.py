"""The learner's pages: my tests, a test's start page, the test itself (all questions on one page, each answer
saved as it is given through ``/api/exams/attempts/<id>/answers/``), and the result.

Reads go through ``exams.selectors`` (outside the audience or not one's own: 404), writes through
``exams.services``.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from mofan.accounts.permissions import has_action
from mofan.accounts.roles import Action
from mofan.exams import selectors, services
from mofan.exams.models import AttemptState
from mofan.org.forms import flash_errors


@login_required
@require_GET
def my_tests(request: HttpRequest) -> HttpResponse:
    """我的测试."""
    return render(request, "exams/my_tests.html", {
        "mine": selectors.my_papers(actor=request.user),
        "organiser": has_action(request.user, Action.EXAM_MANAGE),
    })


@login_required
@require_GET
def paper_start_page(request: HttpRequest, pk: int) -> HttpResponse:
    paper = selectors.learner_paper_get(actor=request.user, pk=pk)
    mine = next((e for group in vars(selectors.my_papers(actor=request.user)).values() for e in group
                 if e.paper.pk == paper.pk), None)
    now = timezone.now()
    return render(request, "exams/paper_start.html", {
        "paper": paper, "entry": mine, "is_open": paper.state == "published" and paper.opens_at <= now < paper.closes_at,
    })


@login_required
@require_POST
def attempt_start(request: HttpRequest, pk: int) -> HttpResponse:
    paper = selectors.learner_paper_get(actor=request.user, pk=pk)
    try:
        attempt = services.attempt_start(actor=request.user, paper=paper)
    except ValidationError as error:
        flash_errors(request, error)
        return redirect("exams:paper", pk=paper.pk)
    return redirect("exams:attempt", pk=attempt.pk)


@login_required
@require_GET
def attempt_page(request: HttpRequest, pk: int) -> HttpResponse:
    """The test page; reloading it resumes the attempt with the answers saved so far."""
    attempt = selectors.learner_attempt_get(actor=request.user, pk=pk)
    if attempt.state != AttemptState.IN_PROGRESS:
        return redirect("exams:result", pk=attempt.pk)
    items = selectors.attempt_items(attempt)
    for item in items:
        if item.question.qtype == "fill":
            given = item.response if isinstance(item.response, list) else []
            item.blanks = [given[i] if i < len(given) else "" for i in range(len(item.question.answers))]  # type: ignore[attr-defined]
    return render(request, "exams/attempt.html", {
        "attempt": attempt, "paper": attempt.paper, "items": items, "now": timezone.now(),
    })


@login_required
@require_POST
def attempt_submit(request: HttpRequest, pk: int) -> HttpResponse:
    attempt = selectors.learner_attempt_get(actor=request.user, pk=pk)
    services.attempt_submit(actor=request.user, attempt=attempt)
    return redirect("exams:result", pk=attempt.pk)


@login_required
@require_GET
def attempt_result(request: HttpRequest, pk: int) -> HttpResponse:
    attempt = selectors.learner_attempt_get(actor=request.user, pk=pk)
    if attempt.state == AttemptState.IN_PROGRESS:
        return redirect("exams:attempt", pk=attempt.pk)
    paper = attempt.paper
    show_answers = selectors.feedback_open(paper)
    show_score = selectors.score_visible(paper)
    context: dict[str, Any] = {
        "attempt": attempt, "paper": paper, "show_answers": show_answers, "show_score": show_score,
        "passed": services.passed(attempt) if show_score else None,
        "items": selectors.result_items(attempt) if show_answers else [],
    }
    return render(request, "exams/result.html", context)
