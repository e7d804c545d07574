"""Roles and the actions they grant. A membership gives a role on a unit; the role's actions then hold
on that unit and everything under it.

To add an action: add it to ``Action``, grant it to roles in ``ROLE_ACTIONS``, and check it inside the
service with ``ensure_can(actor, Action.X, unit)`` and in selectors with ``scope_filter``.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    SYSTEM_ADMIN = "system_admin", _("System administrator")  # 系统管理员
    SECURITY_ADMIN = "security_admin", _("Security administrator")  # 安全管理员
    AUDIT_ADMIN = "audit_admin", _("Audit administrator")  # 审计管理员
    CENTRE_OPERATOR = "centre_operator", _("Centre operator")  # 中心受理员
    DEPARTMENT_HANDLER = "department_handler", _("Department handler")  # 部门处置员
    GRID_WORKER = "grid_worker", _("Grid worker")  # 网格员
    MEDIATOR = "mediator", _("Mediator")  # 调解员
    SECRETARY = "secretary", _("Branch secretary")  # 书记
    PARTY_MEMBER = "party_member", _("Party member")  # 党员
    CADRE = "cadre", _("Cadre")  # 干部


# 三员分立: one account holds at most one of these (enforced by a database constraint too), and an account
# holding one holds no other role (enforced by accounts.services.membership_grant).
ADMIN_ROLES = frozenset({Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN, Role.AUDIT_ADMIN})


class Action(models.TextChoices):
    ORG_VIEW = "org.view", _("View units and people")
    ORG_MANAGE = "org.manage", _("Create and change units and people")
    ORG_IMPORT = "org.import", _("Import units and people")
    PERSON_VIEW_SENSITIVE = "org.person.view_sensitive", _("View unmasked personal data")
    ACCOUNT_MANAGE = "accounts.user.manage", _("Create and deactivate accounts")
    ACCOUNT_GRANT = "accounts.membership.grant", _("Grant and revoke roles")
    ACCOUNT_UNLOCK = "accounts.user.unlock", _("Unlock accounts and reset passwords")
    ACCOUNT_APPROVE = "accounts.request.decide", _("Approve or refuse actions on administrators' accounts")
    CASE_VIEW = "cases.view", _("View cases held or happening in the jurisdiction")
    CASE_INTAKE = "cases.intake", _("Register cases on a reporter's behalf")
    CASE_TRIAGE = "cases.triage", _("Accept, reject, dispatch, verify and call back cases")
    CASE_HANDLE = "cases.handle", _("Check in and handle cases dispatched to the department")
    CASE_VIEW_REPORTER = "cases.view_reporter", _("View the reporter's unmasked contact data")
    CASE_CATALOGUE = "cases.catalogue", _("Maintain the category catalogue and the working calendar")
    LEARN = "learning.learn", _("Study, answer daily issues, take tests and competitions")
    LEARNING_VIEW = "learning.view", _("See the study records and results of the unit's members")
    LEARNING_MANAGE = "learning.manage", _("Manage study materials, plans, daily issues, the reading room and talent pools")
    QUESTION_MANAGE = "learning.questions", _("Manage question banks")
    EXAM_MANAGE = "learning.exams", _("Set tests, mark answers and analyse results")
    CONTEST_MANAGE = "learning.contests", _("Run competitions")
    AUDIT_VIEW = "audit.view", _("Read the audit trail")
    AUDIT_EXPORT = "audit.export", _("Export the audit trail")


_EVERYDAY = frozenset({Action.ORG_VIEW})

ROLE_ACTIONS: dict[str, frozenset[str]] = {
    Role.SYSTEM_ADMIN: frozenset(
        {Action.ORG_VIEW, Action.ORG_MANAGE, Action.ORG_IMPORT, Action.PERSON_VIEW_SENSITIVE, Action.ACCOUNT_MANAGE,
         Action.CASE_CATALOGUE, Action.ACCOUNT_APPROVE}
    ),
    Role.SECURITY_ADMIN: frozenset({Action.ORG_VIEW, Action.ACCOUNT_GRANT, Action.ACCOUNT_UNLOCK,
                                    Action.ACCOUNT_APPROVE}),
    # The audit administrator reads the trail and nothing else: no business data. Like the other two it
    # decides requests for actions on administrators' accounts (two-person rule, ADR 0012).
    Role.AUDIT_ADMIN: frozenset({Action.AUDIT_VIEW, Action.AUDIT_EXPORT, Action.ACCOUNT_APPROVE}),
    Role.CENTRE_OPERATOR: _EVERYDAY
    | {Action.CASE_VIEW, Action.CASE_INTAKE, Action.CASE_TRIAGE, Action.CASE_VIEW_REPORTER},
    # A department sees only the cases dispatched to it (cases.selectors), through CASE_HANDLE.
    Role.DEPARTMENT_HANDLER: _EVERYDAY | {Action.CASE_HANDLE},
    Role.GRID_WORKER: _EVERYDAY | {Action.CASE_VIEW, Action.CASE_INTAKE},
    Role.MEDIATOR: _EVERYDAY,
    # The branch secretary runs the learning of the branch (or the organ, on an organ) and learns too.
    Role.SECRETARY: _EVERYDAY | {Action.LEARN, Action.LEARNING_VIEW, Action.LEARNING_MANAGE, Action.QUESTION_MANAGE,
                                 Action.EXAM_MANAGE, Action.CONTEST_MANAGE},
    Role.PARTY_MEMBER: _EVERYDAY | {Action.LEARN},
    Role.CADRE: _EVERYDAY | {Action.LEARN},
}


def roles_granting(action: str) -> list[str]:
    return [role for role, actions in ROLE_ACTIONS.items() if action in actions]
