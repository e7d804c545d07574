"""The registry of demo steps: how later modules add "months of realistic activity" to ``mofan demo``.

``mofan demo`` first builds the district (units, people, accounts; see ``mofan.demo.district``), then runs
every registered step in ``order``, each inside its own transaction, handing it the built ``DemoDistrict``.

To extend the demo from a module (say ``mofan.cases``):

1. Create ``mofan/cases/demo.py`` (the command imports the ``demo`` module of every installed app):

   .. code-block:: python

       from mofan.demo.registry import demo_step
       from mofan.demo.district import DemoDistrict

       @demo_step(order=200, name="cases")
       def cases_demo(district: DemoDistrict) -> str:
           if Case.objects.filter(unit__path__startswith=district.root.path).exists():
               return "already there"            # idempotent: a second run adds nothing
           rng = district.rng("cases")             # seeded per step: same data on every machine
           for day in district.days():             # the demo period, oldest first
               ...call your services with actor=district.account(Role.CENTRE_OPERATOR)...
           return "1,234 cases"                    # one line printed after the step

2. Use ``order`` to run after what you need: 100s for org-level additions, 200s for cases and governance,
   300s for mediation and market, 400s for ledgers and learning, 500s for assessment and reports.
3. Write through your services (so rules, permissions and the audit trail hold) with the demo accounts as
   actors; read what the district offers: ``district.root``, ``district.towns``, ``district.villages``,
   ``district.units[key]``, ``district.people_in(unit)``, ``district.account(role)``.
4. Keep the step idempotent and fast (the whole demo should load in well under a minute on SQLite).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mofan.demo.district import DemoDistrict

StepFunc = Callable[["DemoDistrict"], Any]


@dataclass(frozen=True)
class DemoStep:
    order: int
    name: str
    func: StepFunc


_STEPS: dict[str, DemoStep] = {}


def demo_step(order: int, name: str) -> Callable[[StepFunc], StepFunc]:
    """Register ``func(district)`` as a demo step. A name may be registered only once."""

    def register(func: StepFunc) -> StepFunc:
        existing = _STEPS.get(name)
        if existing is not None and existing.func is not func:
            raise ValueError(f"demo step {name!r} is registered twice")
        _STEPS[name] = DemoStep(order=order, name=name, func=func)
        return func

    return register


def unregister(name: str) -> None:
    """Remove a step (for tests)."""
    _STEPS.pop(name, None)


def steps() -> list[DemoStep]:
    """The registered steps in the order they run."""
    return sorted(_STEPS.values(), key=lambda step: (step.order, step.name))


def discover() -> None:
    """Import the ``demo`` module of every installed app, which registers its steps."""
    from django.utils.module_loading import autodiscover_modules

    autodiscover_modules("demo")
