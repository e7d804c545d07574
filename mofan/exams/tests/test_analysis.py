"""Item analysis against numbers worked out by hand, and the anti-cheat flags."""

from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace

import pytest

from mofan.exams import analysis

# Six attempts (A–F) of three items worth 2 points each:
#        item1 item2 item3  total
#   A      2     2     0      4
#   B      2     2     2      6
#   C      2     1     0      3
#   D      0     0     2      2
#   E      1     0     0      1
#   F      2     2     1      5
# Ranked by total: E1 D2 C3 A4 F5 B6; 27% of 6 is 1.62 → groups of 2: lower {E, D}, upper {F, B}.
# Facility (mean fraction): item1 4.5/6 = 0.75, item2 3.5/6 = 0.5833, item3 2.5/6 = 0.4167.
# Discrimination: item1 (1+1)/2 − (0.5+0)/2 = 0.75; item2 1 − 0 = 1; item3 (0.5+1)/2 − (0+1)/2 = 0.25.
# Cronbach's α: item variances 3.5/6, 29/36, 29/36 (sum 79/36); total variance 17.5/6 = 105/36;
# α = 3/2 · (1 − 79/105) = 13/35 = 0.3714.
MATRIX = {"A": [2, 2, 0], "B": [2, 2, 2], "C": [2, 1, 0], "D": [0, 0, 2], "E": [1, 0, 0], "F": [2, 2, 1]}


Row = tuple[int, int, str, str, Decimal | None, Decimal]


def rows() -> list[Row]:
    out: list[Row] = []
    for attempt_id, scores in enumerate(MATRIX.values(), start=1):
        for question_id, score in enumerate(scores, start=1):
            out.append((attempt_id, question_id, f"题{question_id}", "single", Decimal(score), Decimal(2)))
    return out


def test_facility_discrimination_and_alpha_match_the_hand_computation() -> None:
    result = analysis.analyse(rows())
    assert result.attempts == 6 and result.alpha_items == 3
    facility = [item.facility for item in result.items]
    assert facility == pytest.approx([0.75, 3.5 / 6, 2.5 / 6])
    assert [item.discrimination for item in result.items] == pytest.approx([0.75, 1.0, 0.25])
    assert result.alpha == pytest.approx(13 / 35)


def test_alpha_is_over_the_items_every_attempt_had() -> None:
    extra: list[Row] = [(1, 99, "抽到的题", "judge", Decimal(1), Decimal(1))]  # only attempt 1 drew question 99
    result = analysis.analyse(rows() + extra)
    assert result.alpha_items == 3 and result.alpha == pytest.approx(13 / 35)
    drawn = next(i for i in result.items if i.question_id == 99)
    assert drawn.attempts == 1 and drawn.facility == 1 and drawn.discrimination is None


def test_undefined_cases() -> None:
    assert analysis.cronbach_alpha([[1, 1]]) is None  # one attempt
    assert analysis.cronbach_alpha([[1, 0], [1, 0]]) is None  # no variance in totals
    assert analysis.discrimination([3], [1.0]) is None
    assert analysis.facility([]) is None


def item(qtype: str, seconds: int, response: object = "甲") -> SimpleNamespace:
    return SimpleNamespace(question=SimpleNamespace(qtype=qtype), seconds_spent=seconds, response=response)


def test_fast_flag_needs_five_choice_items_under_two_seconds_median() -> None:
    assert analysis.speed_flags([item("single", 1) for _ in range(5)]) == ["fast"]
    assert analysis.speed_flags([item("single", 1) for _ in range(4)]) == []  # too few to judge
    assert analysis.speed_flags([item("single", 1)] * 2 + [item("judge", 3)] * 3) == []  # median 3 s
    assert analysis.speed_flags([item("short", 0, "文字")] * 6) == []  # writing is not a choice
    assert analysis.speed_flags([item("single", 0, None)] * 6) == []  # unanswered items do not count


def test_identical_streams_need_a_shared_wrong_answer_on_every_item() -> None:
    wrong = [(q, "甲", q != 3) for q in range(1, 6)]
    all_right = [(q, "乙", True) for q in range(1, 6)]
    streams = {1: wrong, 2: list(wrong), 3: all_right, 4: list(all_right), 5: wrong[:4], 6: wrong[:4]}
    streams[7] = [*wrong[:4], (5, "丙", False)]
    found = analysis.identical_streams(streams)
    assert found == {1: [2], 2: [1]}
