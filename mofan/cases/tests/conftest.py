"""Cases fixtures: the test district with governance centres at every level and district departments, and
the people who work cases there."""

from __future__ import annotations

from typing import Any

import pytest

from mofan.accounts.roles import Role
from mofan.conftest import District
from mofan.org import services as org_services
from mofan.org.models import Unit, UnitKind


@pytest.fixture(autouse=True)
def english(settings: Any) -> None:
    """Assert on the English msgids, whatever the zh-Hans catalogue says."""
    settings.LANGUAGE_CODE = "en"


class Governance:
    """测试区 (区社会治理中心) → 甲镇 (甲镇中心) → 村一 (村一中心), 村二 (no centre: its cases go to 甲镇);
    乙镇 (乙镇中心) → 村三 (村三中心); departments: 区委政法委/综治科, 司法局, 城管局."""

    def __init__(self, district: District, make_user: Any) -> None:
        mk = org_services.unit_create
        self.d = district
        self.district_centre = mk(actor=None, name="区社会治理中心", kind=UnitKind.CENTRE, parent=district.district)
        self.town_a_centre = mk(actor=None, name="甲镇社会治理中心", kind=UnitKind.CENTRE, parent=district.town_a)
        self.town_b_centre = mk(actor=None, name="乙镇社会治理中心", kind=UnitKind.CENTRE, parent=district.town_b)
        self.village_a1_centre = mk(actor=None, name="村一治理中心", kind=UnitKind.CENTRE, parent=district.village_a1)
        self.village_b1_centre = mk(actor=None, name="村三治理中心", kind=UnitKind.CENTRE, parent=district.village_b1)
        self.justice = mk(actor=None, name="司法局", kind=UnitKind.ORGAN, parent=district.district)
        self.urban = mk(actor=None, name="城管局", kind=UnitKind.ORGAN, parent=district.district)
        self.department = district.department  # 综治科
        self.district_operator = make_user(Role.CENTRE_OPERATOR, self.district_centre, username="op_district")
        self.town_a_operator = make_user(Role.CENTRE_OPERATOR, district.town_a, username="op_town_a")
        self.town_b_operator = make_user(Role.CENTRE_OPERATOR, district.town_b, username="op_town_b")
        self.village_a1_operator = make_user(Role.CENTRE_OPERATOR, district.village_a1, username="op_village_a1")
        self.justice_handler = make_user(Role.DEPARTMENT_HANDLER, self.justice, username="h_justice")
        self.urban_handler = make_user(Role.DEPARTMENT_HANDLER, self.urban, username="h_urban")
        self.grid_worker = make_user(Role.GRID_WORKER, district.village_a1, username="grid_a1")

    def refresh(self) -> None:
        for value in vars(self).values():
            if isinstance(value, Unit):
                value.refresh_from_db()


@pytest.fixture
def gov(district: District, make_user: Any) -> Governance:
    return Governance(district, make_user)
