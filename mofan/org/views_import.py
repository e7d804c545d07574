"""The import page (导入): download the xlsx templates, upload a filled one, see what was imported or the
per-row error report. The page only shapes input; ``mofan.org.importers`` checks permission, validates every
row and writes all rows or none."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.encoding import escape_uri_path
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from mofan.core.xlsx import XLSX_CONTENT_TYPE
from mofan.org.importers import (
    IMPORTERS,
    KINDS,
    ImportRejected,
    RowError,
    ensure_may_import,
    template_filename,
    template_xlsx,
)


class ImportForm(forms.Form):
    kind = forms.ChoiceField(label=_("What to import"), choices=KINDS, widget=forms.RadioSelect, initial="people")
    # Empty files reach the importer, so that every refusal reads the same way in the error report.
    file = forms.FileField(
        label=_("Filled-in template (.xlsx)"), allow_empty_file=True,
        widget=forms.ClearableFileInput(attrs={"accept": f".xlsx,{XLSX_CONTENT_TYPE}"}),
    )


@login_required
@never_cache
def import_page(request: HttpRequest) -> HttpResponse:
    ensure_may_import(request.user)
    form = ImportForm(request.POST or None, request.FILES or None)
    report: list[RowError] | None = None
    error_total = 0
    if request.method == "POST" and form.is_valid():
        kind = form.cleaned_data["kind"]
        try:
            result = IMPORTERS[kind](actor=request.user, file=form.cleaned_data["file"])
        except ImportRejected as exc:
            report, error_total = exc.report, exc.total
        else:
            if kind == "units":
                text = ngettext("Imported %(count)s unit.", "Imported %(count)s units.", result.created)
            else:
                text = ngettext("Imported %(count)s person.", "Imported %(count)s people.", result.created)
            messages.success(request, text % {"count": result.created})
            return redirect("org:import")
    context = {
        "form": form,
        "report": report,
        "error_total": error_total,
        "kinds": KINDS,
        "max_rows": settings.MOFAN_IMPORT_MAX_ROWS,
        "max_bytes": settings.MOFAN_IMPORT_MAX_BYTES,
    }
    return render(request, "org/import.html", context, status=400 if request.method == "POST" else 200)


@login_required
@require_GET
def import_template(request: HttpRequest, kind: str) -> HttpResponse:
    if kind not in IMPORTERS:
        raise Http404
    response = HttpResponse(template_xlsx(actor=request.user, kind=kind), content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{escape_uri_path(template_filename(kind))}"
    return response
