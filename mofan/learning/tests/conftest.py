from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture(autouse=True)
def english(settings: Any) -> None:
    settings.LANGUAGE_CODE = "en"
