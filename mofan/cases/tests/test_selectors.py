"""The case jurisdiction: one path column per root gives the same cases as the rule it stands for."""

from __future__ import annotations

from typing import Any

import pytest
from django.db.models import Q

from mofan.accounts.permissions import scope_filter
from mofan.accounts.roles import Action, Role
from mofan.cases.models import Case
from mofan.cases.selectors import case_list, held, held_list, jurisdiction
from mofan.cases.services.escalation import case_escalate
from mofan.cases.tests.ops_factory import report

pytestmark = pytest.mark.django_db


def by_the_rule(actor: Any) -> set[int]:
    """Cases held by a centre under a root, or that happened in an area under it (the rule in its long form)."""
    rows = Case.objects.filter(scope_filter(actor, Action.CASE_VIEW, "centre_path")
                               | scope_filter(actor, Action.CASE_VIEW, "area_path"))
    return set(rows.values_list("pk", flat=True))


@pytest.mark.parametrize("seek", [False, True])
def test_one_column_per_root_sees_what_the_rule_says(gov: Any, make_user: Any, seek: bool) -> None:
    d = gov.d
    made = [report(gov, area=area) for area in
            (d.village_a1, d.village_a2, d.village_b1, d.town_a, d.town_b)]
    case_escalate(actor=gov.village_a1_operator, case=made[0], reason="本级无法解决")  # now held by the town
    case_escalate(actor=gov.town_a_operator, case=report(gov), reason="需区级协调")  # and this one by the district
    on_centre = make_user(Role.CENTRE_OPERATOR, gov.town_a_centre, username="op_on_town_centre")
    actors = [gov.district_operator, gov.town_a_operator, gov.town_b_operator, gov.village_a1_operator,
              gov.grid_worker, on_centre]
    assert Case.objects.count() == 6
    for actor in actors:
        seen = set(Case.objects.filter(jurisdiction(actor, seek=seek)).values_list("pk", flat=True))
        assert seen == by_the_rule(actor), actor.username
        assert set(case_list(actor=actor, seek=seek).values_list("pk", flat=True)) == seen
    assert by_the_rule(on_centre)  # a role on a centre unit sees the cases held there, and only those
    assert by_the_rule(on_centre) == set(Case.objects.filter(centre=gov.town_a_centre).values_list("pk", flat=True))
    assert not Case.objects.filter(Q(jurisdiction(gov.town_b_operator)), area_path__startswith=d.town_a.path)


def test_held_cases_are_the_centres_work_and_always_visible(gov: Any, make_user: Any) -> None:
    d = gov.d
    for area in (d.village_a1, d.village_a2, d.village_b1, d.town_a):
        report(gov, area=area)
    escalated = case_escalate(actor=gov.village_a1_operator, case=report(gov), reason="本级无法解决")
    triage_only_below = make_user(Role.CENTRE_OPERATOR, gov.village_a1_centre, username="op_village_centre")
    for actor in (gov.district_operator, gov.town_a_operator, gov.village_a1_operator, triage_only_below,
                  gov.justice_handler, gov.grid_worker):
        mine = set(Case.objects.filter(held(actor)).values_list("pk", flat=True))
        assert mine == set(Case.objects.filter(scope_filter(actor, Action.CASE_TRIAGE, "centre_path"))
                           .values_list("pk", flat=True)), actor.username
        assert mine <= set(case_list(actor=actor).values_list("pk", flat=True)), actor.username
        assert set(held_list(actor=actor).values_list("pk", flat=True)) == mine
    assert escalated.pk in set(Case.objects.filter(held(gov.town_a_operator)).values_list("pk", flat=True))
    assert escalated.pk not in set(Case.objects.filter(held(gov.village_a1_operator)).values_list("pk", flat=True))
    assert not Case.objects.filter(held(gov.justice_handler)).exists()
