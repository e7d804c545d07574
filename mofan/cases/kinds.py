"""Case kinds declared in code: states, transitions, who may perform them, and time limits.

To add a kind (e.g. a consumer complaint): build a ``CaseKind`` with its states and transitions and call
``register(kind)`` at import time; the engine (``services/engine.py``) then enforces it for every case whose
``kind`` is that key, and the shared KPIs read the milestones the engine writes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from mofan.accounts.roles import Action
from mofan.cases.models import Urgency


@dataclass(frozen=True)
class Limit:
    """A time limit: clock time (``hours``/``minutes``) or working days (``working_days``)."""

    minutes: int = 0
    working_days: int = 0

    @property
    def delta(self) -> timedelta:
        return timedelta(minutes=self.minutes)


@dataclass(frozen=True)
class Transition:
    name: str
    label: str | Promise
    sources: frozenset[str]
    target: str | None  # None: the state does not change (e.g. 督办, 暂停计时)
    action: str  # the permission needed, checked on the unit named by ``scope``
    scope: str = "centre"  # "centre" (the holding centre), "dispatch" (the dispatched department), "area"


@dataclass(frozen=True)
class CaseKind:
    key: str
    label: str | Promise
    states: dict[str, str | Promise]
    initial: str
    terminal: frozenset[str]
    transitions: dict[str, Transition]
    triage_limit: dict[str, Limit] = field(default_factory=dict)  # by urgency: 受理/派单 time
    checkin_limit: dict[str, Limit] = field(default_factory=dict)  # by urgency: 报到 time
    handle_limit: dict[str, Limit] = field(default_factory=dict)  # by urgency: 办结反馈 time
    verify_limit: Limit = Limit(working_days=2)
    callback_limit: Limit = Limit(working_days=3)

    def transition(self, name: str) -> Transition:
        return self.transitions[name]

    def state_label(self, state: str) -> str:
        return str(self.states.get(state, state))


_REGISTRY: dict[str, CaseKind] = {}


def register(kind: CaseKind) -> CaseKind:
    if kind.key in _REGISTRY:
        raise ValueError(f"case kind {kind.key!r} is registered twice")
    for t in kind.transitions.values():
        unknown = (t.sources | ({t.target} if t.target else set())) - set(kind.states)
        if unknown:
            raise ValueError(f"{kind.key}.{t.name} names unknown states {sorted(unknown)}")
    _REGISTRY[kind.key] = kind
    return kind


def get(key: str) -> CaseKind:
    return _REGISTRY[key]


def all_kinds() -> list[CaseKind]:
    return list(_REGISTRY.values())


def _t(name: str, label: str | Promise, sources: set[str], target: str | None, action: str,
       scope: str = "centre") -> tuple[str, Transition]:
    return name, Transition(name, label, frozenset(sources), target, action, scope)


# The three-level governance event (社会治理事件): 收集 → 受理/驳回 → 交办 → 报到 → 办结反馈 → 核查 → 回访 → 结案.
COLLECTED, ACCEPTED, DISPATCHED, HANDLED, VERIFIED, CLOSED, REJECTED, MERGED = (
    "collected", "accepted", "dispatched", "handled", "verified", "closed", "rejected", "merged",
)
OPEN_STATES = frozenset({COLLECTED, ACCEPTED, DISPATCHED, HANDLED, VERIFIED})
TRIAGE, HANDLE = Action.CASE_TRIAGE, Action.CASE_HANDLE

GOVERNANCE = register(CaseKind(
    key="governance",
    label=_("Governance event"),
    states={
        COLLECTED: _("Waiting for acceptance"),  # 待受理
        ACCEPTED: _("Accepted, to dispatch"),  # 已受理，待交办
        DISPATCHED: _("Dispatched, being handled"),  # 已交办，办理中
        HANDLED: _("Handled, to verify"),  # 已办结，待核查
        VERIFIED: _("Verified, to call back"),  # 已核查，待回访
        CLOSED: _("Closed"),  # 已结案
        REJECTED: _("Rejected"),  # 已驳回
        MERGED: _("Merged into another case"),  # 已并案
    },
    initial=COLLECTED,
    terminal=frozenset({CLOSED, REJECTED, MERGED}),
    transitions=dict([
        _t("accept", _("Accept"), {COLLECTED}, ACCEPTED, TRIAGE),
        _t("reject", _("Reject"), {COLLECTED}, REJECTED, TRIAGE),
        _t("merge", _("Merge into a case"), {COLLECTED, ACCEPTED}, MERGED, TRIAGE),
        _t("classify", _("Classify"), {COLLECTED, ACCEPTED, DISPATCHED}, None, TRIAGE),
        _t("dispatch", _("Dispatch"), {ACCEPTED, DISPATCHED}, DISPATCHED, TRIAGE),
        _t("summon", _("Summon departments (吹哨)"), {ACCEPTED, DISPATCHED}, DISPATCHED, TRIAGE),
        _t("check_in", _("Check in (报到)"), {DISPATCHED}, None, HANDLE, "dispatch"),
        _t("feedback", _("Report the result"), {DISPATCHED}, None, HANDLE, "dispatch"),
        _t("return", _("Return to the centre (退单)"), {DISPATCHED}, None, HANDLE, "dispatch"),
        _t("request_extension", _("Ask for more time"), {DISPATCHED}, None, HANDLE, "dispatch"),
        _t("decide_extension", _("Decide on more time"), {DISPATCHED}, None, TRIAGE),
        _t("press", _("Press (督办)"), {DISPATCHED}, None, TRIAGE),
        _t("complete", _("All dispatches answered"), {DISPATCHED}, HANDLED, TRIAGE),
        _t("redispatch", _("Back to the centre"), {DISPATCHED}, ACCEPTED, TRIAGE),
        _t("rate", _("Rate a department's response"), {DISPATCHED, HANDLED, VERIFIED, CLOSED}, None, TRIAGE),
        _t("escalate", _("Escalate to the level above"), {COLLECTED, ACCEPTED, DISPATCHED}, COLLECTED, TRIAGE),
        _t("pause", _("Wait for the reporter"), {COLLECTED, ACCEPTED, DISPATCHED}, None, TRIAGE),
        _t("resume", _("Resume"), {COLLECTED, ACCEPTED, DISPATCHED}, None, TRIAGE),
        _t("verify", _("Verify the result (核查)"), {HANDLED}, VERIFIED, TRIAGE),
        _t("verify_failed", _("Verification failed"), {HANDLED}, ACCEPTED, TRIAGE),
        _t("callback", _("Call the reporter back (回访)"), {VERIFIED}, CLOSED, TRIAGE),
        _t("reopen", _("Reopen"), {VERIFIED, CLOSED}, ACCEPTED, TRIAGE),
    ]),
    # Beijing 接诉即办: dispatch within 1 h (urgent), 2 h, 24 h; report on site within 30 min (吹哨报到);
    # feedback within 2 h / 24 h / 7 working days.
    triage_limit={Urgency.URGENT: Limit(minutes=60), Urgency.HIGH: Limit(minutes=120),
                  Urgency.NORMAL: Limit(minutes=24 * 60)},
    checkin_limit={Urgency.URGENT: Limit(minutes=30), Urgency.HIGH: Limit(minutes=120),
                   Urgency.NORMAL: Limit(minutes=24 * 60)},
    handle_limit={Urgency.URGENT: Limit(minutes=120), Urgency.HIGH: Limit(minutes=24 * 60),
                  Urgency.NORMAL: Limit(working_days=7)},
))
