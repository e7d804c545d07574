"""What a secretary creates, by name — a study material, a 天天学 issue, a plan, a book, a talent programme: the
form that shapes the input, the service call, the page's title and where it goes after. The pages
(``views.manage_create``) and the API (``api_manage``) share it, so both check and write the same way."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from mofan.accounts.permissions import ensure_can
from mofan.accounts.roles import Action
from mofan.learning import forms, services
from mofan.learning.models import Topic


def _create_material(actor: Any, data: dict[str, Any]) -> Any:
    """The material under its topic, the topic made when the unit has none of that name — both or neither: a
    refused material leaves no new topic behind. (Permission is checked first, so a refusal's audit row stays.)"""
    unit = data["unit"]
    ensure_can(actor, Action.LEARNING_MANAGE, unit)
    with transaction.atomic():
        topic = Topic.objects.filter(unit=unit, name=data["topic"].strip()).first() or services.topic_create(
            actor=actor, unit=unit, name=data["topic"])
        return services.material_create(actor=actor, topic=topic, title=data["title"], kind=data["kind"],
                                        body=data["body"], upload=data["file"], url=data["url"],
                                        minutes=data["minutes"])


def _create_issue(actor: Any, data: dict[str, Any]) -> Any:
    return services.daily_issue_publish(actor=actor, unit=data["unit"], published_on=data["published_on"],
                                        title=data["title"], material_text=data["material_text"],
                                        questions=list(data["questions"]))


def _create_plan(actor: Any, data: dict[str, Any]) -> Any:
    return services.plan_create(actor=actor, unit=data["unit"], title=data["title"], starts_on=data["starts_on"],
                                ends_on=data["ends_on"], units=list(data["units"]), people=data["people"],
                                materials=list(data["materials"]), note_min_length=data["note_min_length"])


def _create_book(actor: Any, data: dict[str, Any]) -> Any:
    return services.book_create(actor=actor, unit=data["unit"], title=data["title"], author=data["author"],
                                isbn=data["isbn"], copies=data["copies"])


def _create_programme(actor: Any, data: dict[str, Any]) -> Any:
    return services.programme_create(actor=actor, unit=data["unit"], name=data["name"],
                                     description=data["description"])


CREATE: dict[str, tuple[type[forms.UnitScopedForm], Callable[[Any, dict[str, Any]], Any], Any, str]] = {
    "material": (forms.MaterialForm, _create_material, _("New study material"), "learning:material_detail"),
    "issue": (forms.IssueForm, _create_issue, _("New daily study issue"), "learning:issue_detail"),
    "plan": (forms.PlanForm, _create_plan, _("New study plan"), "learning:plan_detail"),
    "book": (forms.BookForm, _create_book, _("New book"), "learning:reading_room"),
    "programme": (forms.ProgrammeForm, _create_programme, _("New talent programme"), "learning:talent"),
}
