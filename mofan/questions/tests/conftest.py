from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture(autouse=True)
def english(settings: Any) -> None:
    settings.LANGUAGE_CODE = "en"


@pytest.fixture(autouse=True)
def fresh_cache() -> None:
    """Import jobs keep their live progress in the cache; ids are reused between tests."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def secretary(district: Any, make_user: Any) -> Any:
    """The secretary of 甲镇: manages the question banks of 甲镇 and everything under it."""
    return make_user("secretary", district.town_a, username="sec_a")


@pytest.fixture
def bank(district: Any, secretary: Any) -> Any:
    from mofan.questions.services import bank_create

    return bank_create(actor=secretary, unit=district.town_a, name="业务知识")
