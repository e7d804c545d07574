"""The one registry of audit event types.

To add an event: append ``register(<new stable id>, "<domain>.<object>.<verb>", _("<label>"))`` below,
with an id never used before (ids are stored in the audit table and must never change or be reused),
then refer to it as ``AuditEvent.<NAME>`` from the service that performs the write. A duplicate id or
name fails at import.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class EventType:
    id: int
    name: str
    label: str | Promise


_BY_ID: dict[int, EventType] = {}
_BY_NAME: dict[str, EventType] = {}


def register(event_id: int, name: str, label: str | Promise) -> EventType:
    if event_id in _BY_ID:
        raise ValueError(f"audit event id {event_id} is registered twice")
    if name in _BY_NAME:
        raise ValueError(f"audit event name {name!r} is registered twice")
    event = EventType(event_id, name, label)
    _BY_ID[event_id] = event
    _BY_NAME[name] = event
    return event


def get(event_id: int) -> EventType | None:
    return _BY_ID.get(event_id)


def all_events() -> list[EventType]:
    return sorted(_BY_ID.values(), key=lambda e: e.id)


class AuditEvent:
    # accounts 100–199
    LOGIN = register(100, "accounts.session.login", _("Signed in"))
    LOGIN_FAILED = register(101, "accounts.session.login_failed", _("Sign-in failed"))
    LOGOUT = register(102, "accounts.session.logout", _("Signed out"))
    IDLE_LOGOUT = register(103, "accounts.session.idle_logout", _("Signed out after being idle"))
    ACCOUNT_LOCKED = register(104, "accounts.user.locked", _("Account locked"))
    ACCOUNT_UNLOCKED = register(105, "accounts.user.unlocked", _("Account unlocked"))
    PASSWORD_CHANGED = register(106, "accounts.user.password_changed", _("Password changed"))
    PASSWORD_RESET = register(107, "accounts.user.password_reset", _("Password reset by an administrator"))
    USER_CREATED = register(110, "accounts.user.created", _("Account created"))
    USER_UPDATED = register(111, "accounts.user.updated", _("Account changed"))
    USER_DEACTIVATED = register(112, "accounts.user.deactivated", _("Account deactivated"))
    MEMBERSHIP_GRANTED = register(120, "accounts.membership.granted", _("Role granted"))
    MEMBERSHIP_REVOKED = register(121, "accounts.membership.revoked", _("Role revoked"))
    ACCESS_DENIED = register(130, "accounts.permission.denied", _("Action refused"))
    ADMIN_REQUEST_FILED = register(140, "accounts.request.filed",
                                   _("Action on an administrator's account submitted for approval"))
    ADMIN_REQUEST_APPROVED = register(141, "accounts.request.approved",
                                      _("Action on an administrator's account approved"))
    ADMIN_REQUEST_REFUSED = register(142, "accounts.request.refused",
                                     _("Action on an administrator's account refused"))
    ADMIN_REQUEST_WITHDRAWN = register(143, "accounts.request.withdrawn",
                                       _("Request for approval withdrawn"))
    # two factors 160–179 (mofan.twofactor)
    TWOFACTOR_ENROLLED = register(160, "accounts.twofactor.enrolled", _("Authenticator enrolled"))
    TWOFACTOR_VERIFIED = register(161, "accounts.twofactor.verified", _("Second factor verified"))
    TWOFACTOR_FAILED = register(162, "accounts.twofactor.failed", _("Wrong second-factor code"))
    TWOFACTOR_RECOVERY_USED = register(163, "accounts.twofactor.recovery_used", _("Recovery code used"))
    TWOFACTOR_RECOVERY_REGENERATED = register(164, "accounts.twofactor.recovery_regenerated",
                                              _("Recovery codes regenerated"))
    TWOFACTOR_RESET = register(165, "accounts.twofactor.reset", _("Authenticator reset by an administrator"))
    # re-authentication before sensitive actions 180–189 (mofan.accounts.reauth)
    REAUTHENTICATED = register(180, "accounts.session.reauthenticated", _("Identity confirmed for a sensitive action"))
    REAUTH_FAILED = register(181, "accounts.session.reauth_failed", _("Identity confirmation failed"))
    # org 200–299
    UNIT_CREATED = register(200, "org.unit.created", _("Unit created"))
    UNIT_RENAMED = register(201, "org.unit.renamed", _("Unit renamed"))
    UNIT_MOVED = register(202, "org.unit.moved", _("Unit moved"))
    UNIT_UPDATED = register(203, "org.unit.updated", _("Unit changed"))
    UNIT_CLOSED = register(204, "org.unit.closed", _("Unit closed"))
    PERSON_CREATED = register(210, "org.person.created", _("Person created"))
    PERSON_UPDATED = register(211, "org.person.updated", _("Person changed"))
    PERSON_MOVED = register(212, "org.person.moved", _("Person moved to another unit"))
    PERSON_SENSITIVE_VIEWED = register(213, "org.person.sensitive_viewed", _("Personal data viewed unmasked"))
    IMPORT_UNITS = register(220, "org.import.units", _("Units imported"))
    IMPORT_PEOPLE = register(221, "org.import.people", _("People imported"))
    EXPORT_LIST = register(230, "core.export.list", _("List exported"))
    # cases 300–399
    CASE_CREATED = register(300, "cases.case.created", _("Case registered"))
    CASE_TRANSITION = register(301, "cases.case.transition", _("Case operation"))
    CASE_REPORTER_VIEWED = register(302, "cases.case.reporter_viewed", _("Reporter's data viewed unmasked"))
    CASE_ATTACHMENT_ADDED = register(303, "cases.attachment.added", _("Attachment added to a case"))
    CASE_PUBLIC_REFUSED = register(340, "cases.public.refused", _("Public report refused (flood)"))
    CATEGORY_CHANGED = register(310, "cases.category.changed", _("Category catalogue changed"))
    CATEGORY_IMPORTED = register(311, "cases.category.imported", _("Category catalogue imported"))
    CALENDAR_CHANGED = register(320, "cases.calendar.changed", _("Working calendar changed"))
    CASE_SWEEP = register(330, "cases.sweep.ran", _("Time limits swept"))
    # audit 900–999
    # Learning (issue 4). Reserved blocks, one per app: questions 400–429, exams 430–469, contests 470–499,
    # learning (materials, plans, 天天学, points, reading room, talent pools) 500–549.
    QUESTION_BANK_CHANGED = register(400, "questions.bank.changed", _("Question bank changed"))
    QUESTION_CHANGED = register(401, "questions.question.changed", _("Question changed"))
    QUESTIONS_IMPORTED = register(402, "questions.question.imported", _("Questions imported into a bank"))
    # exams 430–469
    EXAM_PAPER_CHANGED = register(430, "exams.paper.changed", _("Test paper changed"))
    EXAM_PAPER_PUBLISHED = register(431, "exams.paper.published", _("Test published"))
    EXAM_PAPER_CLOSED = register(432, "exams.paper.closed", _("Test closed"))
    EXAM_ATTEMPT_STARTED = register(433, "exams.attempt.started", _("Test attempt started"))
    EXAM_ATTEMPT_SUBMITTED = register(434, "exams.attempt.submitted", _("Test attempt submitted"))
    EXAM_ANSWER_MARKED = register(435, "exams.answer.marked", _("Short answer marked"))
    EXAM_SWEEP = register(436, "exams.sweep.ran", _("Lapsed test attempts submitted"))

    # learning 500–549
    LEARNING_TOPIC_CHANGED = register(500, "learning.topic.changed", _("Study topic changed"))
    LEARNING_MATERIAL_CHANGED = register(501, "learning.material.changed", _("Study material changed"))
    LEARNING_PLAN_CHANGED = register(502, "learning.plan.changed", _("Study plan changed"))
    LEARNING_SESSION_RECORDED = register(503, "learning.session.recorded", _("Study session recorded"))
    LEARNING_READING_RECORDED = register(504, "learning.reading.recorded", _("Reading recorded"))
    LEARNING_NOTE_SUBMITTED = register(505, "learning.note.submitted", _("Study note submitted"))
    LEARNING_ISSUE_PUBLISHED = register(506, "learning.issue.published", _("Daily study issue published"))
    LEARNING_ISSUE_ANSWERED = register(507, "learning.issue.answered", _("Daily study issue answered"))
    LEARNING_RULES_CHANGED = register(508, "learning.points.rules_changed", _("Points rules changed"))
    LEARNING_BOOK_CHANGED = register(509, "learning.book.changed", _("Book catalogue changed"))
    LEARNING_LOAN_BORROWED = register(510, "learning.loan.borrowed", _("Book borrowed"))
    LEARNING_LOAN_RETURNED = register(511, "learning.loan.returned", _("Book returned"))
    LEARNING_PROGRAMME_CHANGED = register(512, "learning.talent.changed", _("Talent programme changed"))
    LEARNING_SELECTION_ADDED = register(513, "learning.talent.selected", _("Person selected into a talent programme"))
    # contests 470–499
    CONTEST_CHANGED = register(470, "contests.competition.changed", _("Competition changed"))
    CONTEST_ROUND_CHANGED = register(471, "contests.round.changed", _("Competition round changed"))
    CONTEST_ENROLLED = register(472, "contests.round.enrolled", _("Contestants enrolled"))
    CONTEST_ROUND_OPENED = register(473, "contests.round.opened", _("Competition round opened"))
    CONTEST_ROUND_CLOSED = register(474, "contests.round.closed", _("Competition round closed"))
    CONTEST_QUALIFIED = register(475, "contests.round.qualified", _("Qualifiers chosen"))
    CONTEST_LIVE_QUESTION = register(476, "contests.live.question_opened", _("Live question opened"))
    AUDIT_EXPORTED = register(900, "audit.log.exported", _("Audit trail exported"))
    # the audit chain 910–929 (mofan/audit/chain.py)
    AUDIT_CHAIN_VERIFIED = register(910, "audit.chain.verified", _("Audit chain verified"))
    AUDIT_CHAIN_PURGED = register(911, "audit.chain.purged", _("Audit records past the retention period purged"))
    # backup and restore 940–949 (mofan/core/backup.py)
    BACKUP_CREATED = register(940, "core.backup.created", _("Database backed up"))
    BACKUP_RESTORED = register(941, "core.backup.restored", _("Database restored from a backup"))
