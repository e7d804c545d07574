from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from mofan.accounts.permissions import has_action
from mofan.accounts.roles import Action
from mofan.core.paging import capped_count
from mofan.org.selectors import person_list, unit_list


@login_required
def home(request: HttpRequest) -> HttpResponse:
    memberships = request.user.memberships.select_related("unit").order_by("unit__path")  # type: ignore[union-attr]
    context = {"memberships": memberships, "unit_count": None, "person_count": None}
    if has_action(request.user, Action.ORG_VIEW):
        context["unit_count"] = unit_list(actor=request.user).count()
        context["person_count"], context["person_count_capped"] = capped_count(person_list(actor=request.user))
    return render(request, "core/home.html", context)
