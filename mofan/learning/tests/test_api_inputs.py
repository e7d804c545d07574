"""Ids and numbers out of range on the learning API are a 4xx, never a server error (issue 9, defect 9)."""

from __future__ import annotations

from typing import Any

import pytest

from mofan.learning.models import ReadingRecord

pytestmark = pytest.mark.django_db


def test_a_material_id_that_is_not_an_id_is_a_404(world: Any, login: Any) -> None:
    client = login(world.alice)
    for bad in ("abc", "1e30", str(2**64), "9" * 5000):
        assert client.get(f"/api/learning/materials/{bad}/").status_code == 404
    assert client.get(f"/api/learning/materials/{world.material.pk}/").status_code == 200


@pytest.mark.parametrize(("body", "field"), [
    ({"seconds": 2**63}, "seconds"), ({"seconds": 10**12}, "seconds"), ({"seconds": -(2**63)}, "seconds"),
    ({"material": 2**63}, "material"), ({"material": -1}, "material"), ({"material": "abc"}, "material"),
])
def test_a_reading_with_numbers_out_of_range_is_a_400(world: Any, login: Any, body: dict[str, Any],
                                                      field: str) -> None:
    data = {"material": world.material.pk, "seconds": 45, **body}
    response = login(world.alice).post("/api/learning/readings/", data, content_type="application/json")
    assert response.status_code == 400 and field in response.json(), response.content
    assert not ReadingRecord.objects.exists()


@pytest.mark.parametrize("bad", ["²", "9" * 5000, str(2**64), "abc"])
def test_the_figures_page_with_a_unit_that_is_not_an_id_is_a_404(world: Any, login: Any, bad: str) -> None:
    client = login(world.secretary)
    client.raise_request_exception = False
    assert client.get("/learning/figures/", {"unit": bad}).status_code == 404
