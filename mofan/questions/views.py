"""Pages of the question banks (题库): the banks in the actor's scope, a bank's questions with filters and
keyset pages, question forms, import (upload → a background job whose page polls the progress) and export.

Views shape input and call the selectors (reads: outside the actor's scope is a 404) or one service
(writes: the service checks permission, validates and audits).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.encoding import escape_uri_path
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from mofan.accounts.permissions import has_action
from mofan.accounts.roles import Action
from mofan.core.paging import PAGE_SIZE, keyset_page
from mofan.core.xlsx import xlsx_response
from mofan.org.forms import apply_service_errors
from mofan.questions import selectors, services
from mofan.questions.exporters import FORMATS, ExportFile, export_bank, template_file
from mofan.questions.forms import BankCreateForm, BankEditForm, ImportForm, QuestionForm
from mofan.questions.jobs import import_job_start, job_progress, job_stalled
from mofan.questions.models import ImportJob, QuestionType


def _refuse_unless_manager(actor: Any) -> None:
    if not has_action(actor, Action.QUESTION_MANAGE):
        raise PermissionDenied(_("You do not have permission to do this here."))


def _download(file: ExportFile) -> HttpResponse:
    response = HttpResponse(file.content, content_type=file.content_type)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{escape_uri_path(file.filename)}"
    return response


# Banks ---------------------------------------------------------------------------------------------------------


@login_required
@require_GET
def bank_list(request: HttpRequest) -> HttpResponse:
    _refuse_unless_manager(request.user)
    banks = keyset_page(selectors.bank_list(actor=request.user), after=request.GET.get("after"),
                        before=request.GET.get("before"), size=PAGE_SIZE, descending=True)
    return render(request, "questions/bank_list.html", {"banks": banks})


@login_required
def bank_create(request: HttpRequest) -> HttpResponse:
    actor = request.user
    _refuse_unless_manager(actor)
    form = BankCreateForm(request.POST or None, actor=actor)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            bank = services.bank_create(actor=actor, unit=data["unit"], name=data["name"],
                                        description=data["description"])
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("The question bank was created."))
            return redirect("questions:bank_detail", bank.pk)
    return render(request, "questions/bank_form.html", {"form": form, "bank": None},
                  status=400 if request.method == "POST" else 200)


@login_required
def bank_edit(request: HttpRequest, pk: int) -> HttpResponse:
    actor = request.user
    bank = selectors.bank_get(actor=actor, pk=pk)
    initial = {"name": bank.name, "description": bank.description, "is_active": bank.is_active}
    form = BankEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.bank_update(actor=actor, bank=bank, name=data["name"], description=data["description"],
                                 is_active=data["is_active"])
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("questions:bank_detail", bank.pk)
    return render(request, "questions/bank_form.html", {"form": form, "bank": bank},
                  status=400 if request.method == "POST" else 200)


@login_required
@require_GET
def bank_detail(request: HttpRequest, pk: int) -> HttpResponse:
    actor = request.user
    bank = selectors.bank_get(actor=actor, pk=pk)
    filters = selectors.QuestionFilters.from_params(request.GET)
    questions = keyset_page(selectors.question_list(actor=actor, bank=bank, filters=filters),
                            after=request.GET.get("after"), before=request.GET.get("before"), size=PAGE_SIZE)
    return render(request, "questions/bank_detail.html", {
        "bank": bank,
        "questions": questions,
        "filters": filters,
        "types": QuestionType.choices,
        "tags": selectors.bank_tags(bank=bank),
        "difficulties": range(1, 6),
        "formats": FORMATS,
        "jobs": ImportJob.objects.filter(bank=bank).defer("content").order_by("-id")[:5],
    })


@login_required
@require_GET
def bank_export(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    if fmt not in FORMATS:
        raise Http404
    bank = selectors.bank_get(actor=request.user, pk=pk)
    return _download(export_bank(actor=request.user, bank=bank, fmt=fmt))


# Questions -----------------------------------------------------------------------------------------------------


@login_required
def question_create(request: HttpRequest, pk: int) -> HttpResponse:
    actor = request.user
    bank = selectors.bank_get(actor=actor, pk=pk)
    form = QuestionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.question_create(actor=actor, bank=bank, **form.service_fields())
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("The question was added."))
            if "another" in request.POST:
                return redirect("questions:question_create", bank.pk)
            return redirect("questions:bank_detail", bank.pk)
    return render(request, "questions/question_form.html", {"form": form, "bank": bank, "question": None},
                  status=400 if request.method == "POST" else 200)


@login_required
def question_edit(request: HttpRequest, pk: int, question_pk: int) -> HttpResponse:
    actor = request.user
    bank = selectors.bank_get(actor=actor, pk=pk)
    question = selectors.question_get(actor=actor, bank=bank, pk=question_pk)
    form = QuestionForm(request.POST or None, initial=QuestionForm.initial_for(question))
    if request.method == "POST" and form.is_valid():
        try:
            services.question_update(actor=actor, question=question, **form.service_fields())
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("questions:bank_detail", bank.pk)
    return render(request, "questions/question_form.html", {"form": form, "bank": bank, "question": question},
                  status=400 if request.method == "POST" else 200)


@login_required
@require_POST
def question_active(request: HttpRequest, pk: int, question_pk: int) -> HttpResponse:
    """停用 / 启用: deactivate a question (drawn no more) or bring it back."""
    actor = request.user
    bank = selectors.bank_get(actor=actor, pk=pk)
    question = selectors.question_get(actor=actor, bank=bank, pk=question_pk)
    active = request.POST.get("active") == "1"
    services.question_set_active(actor=actor, question=question, active=active)
    messages.success(request, _("The question is in use again.") if active else _("The question was deactivated."))
    return redirect("questions:bank_detail", bank.pk)


# Import --------------------------------------------------------------------------------------------------------


@login_required
@never_cache
def import_page(request: HttpRequest, pk: int) -> HttpResponse:
    actor = request.user
    bank = selectors.bank_get(actor=actor, pk=pk)
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            job = import_job_start(actor=actor, bank=bank, upload=form.cleaned_data["file"],
                                   fmt=form.cleaned_data["fmt"])
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            return redirect("questions:job_detail", job.pk)
    return render(request, "questions/import.html", {"form": form, "bank": bank, "formats": FORMATS},
                  status=400 if request.method == "POST" else 200)


@login_required
@require_GET
def import_template(request: HttpRequest, fmt: str) -> HttpResponse:
    _refuse_unless_manager(request.user)
    if fmt not in FORMATS:
        raise Http404
    return _download(template_file(fmt))


def _job_context(job: ImportJob) -> dict[str, Any]:
    return {"job": job, "progress": job_progress(job), "stalled": job_stalled(job)}


@login_required
@require_GET
@never_cache
def job_detail(request: HttpRequest, pk: int) -> HttpResponse:
    job = selectors.import_job_get(actor=request.user, pk=pk)
    return render(request, "questions/job.html", _job_context(job))


@login_required
@require_GET
@never_cache
def job_progress_fragment(request: HttpRequest, pk: int) -> HttpResponse:
    """HTMX: the progress block, polled every second until the job has finished.

    A poll is not the user's activity, so it does not save the session (which every other request does,
    ``SESSION_SAVE_EVERY_REQUEST``): the idle timeout's "last seen" stays where the user left it, and the poll
    does not queue behind SQLite's one writer while the import's transaction holds it (embedded profile),
    which would fail the poll and freeze the bar."""
    job = selectors.import_job_get(actor=request.user, pk=pk)
    response = render(request, "questions/_job_progress.html", _job_context(job))
    request.session.save = _no_save  # type: ignore[method-assign]
    return response


def _no_save(must_create: bool = False) -> None:
    return None


@login_required
@require_GET
def job_errors(request: HttpRequest, pk: int) -> HttpResponse:
    """The error report of a refused file, as xlsx."""
    job = selectors.import_job_get(actor=request.user, pk=pk)
    rows = [[e.get("row"), e.get("column"), e.get("value"), e.get("message")] for e in job.errors]
    return xlsx_response(f"{job.file_name}-错误报告.xlsx", [_("Row"), _("Column"), _("Value"), _("Problem")], rows,
                         title=_("Errors"))
