"""``mofan bench learning --participants N``: the option is the learning benchmark's scale and nothing else's."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from bench import runner


def test_participants_belongs_to_the_learning_benchmark() -> None:
    with pytest.raises(CommandError, match="--participants is the scale of the learning benchmark"):
        call_command("bench", "org", participants=10)
    with pytest.raises(CommandError, match="give one of them"):
        call_command("bench", "learning", participants=10, scale=10)
    with pytest.raises(CommandError, match="positive"):
        call_command("bench", "learning", participants=0)
    module = runner.load("learning")
    assert module.DEFAULT_SCALE == 5000
