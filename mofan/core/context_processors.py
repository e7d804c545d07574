from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from mofan.accounts.permissions import has_action
from mofan.accounts.roles import Action

# (url name, label, action needed — or a tuple: any of them — or None)
NAVIGATION = [
    ("core:home", _("Workbench"), None),
    ("cases:workbench", _("Cases"), (Action.CASE_VIEW, Action.CASE_HANDLE)),
    ("cases:intake", _("Register a case"), Action.CASE_INTAKE),
    ("cases:kpi", _("Statistics"), (Action.CASE_VIEW, Action.CASE_HANDLE)),
    ("cases:categories", _("Categories"), Action.CASE_CATALOGUE),
    ("cases:calendar", _("Working calendar"), Action.CASE_CATALOGUE),
    ("learning:home", _("Study"), (Action.LEARN, Action.LEARNING_VIEW)),
    ("exams:my_tests", _("Tests"), (Action.LEARN, Action.EXAM_MANAGE)),
    ("contests:list", _("Competitions"), (Action.LEARN, Action.CONTEST_MANAGE)),
    ("questions:bank_list", _("Question banks"), Action.QUESTION_MANAGE),
    ("org:unit_tree", _("District"), Action.ORG_VIEW),
    ("org:person_list", _("People"), Action.ORG_VIEW),
    ("org:import", _("Import"), Action.ORG_IMPORT),
    ("accounts:user_list", _("Accounts"), None),
    ("accounts:request_list", _("Approvals"), Action.ACCOUNT_APPROVE),
    ("audit:log_list", _("Audit trail"), Action.AUDIT_VIEW),
]


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": []}
    items = []
    for name, label, action in NAVIGATION:
        if name == "accounts:user_list":
            allowed = any(has_action(user, a) for a in (Action.ACCOUNT_MANAGE, Action.ACCOUNT_GRANT, Action.ACCOUNT_UNLOCK))
        else:
            needed = () if action is None else action if isinstance(action, tuple) else (action,)
            allowed = action is None or any(has_action(user, a) for a in needed)
        if allowed:
            items.append({"url": reverse(name), "label": label, "active": False})
    # The current page belongs to the entry with the longest matching URL (/cases/kpi/ is not /cases/).
    matching = [item for item in items if request.path == item["url"] or
                (item["url"] != "/" and request.path.startswith(str(item["url"])))]
    if matching:
        max(matching, key=lambda item: len(str(item["url"])))["active"] = True
    return {"nav_items": items}
