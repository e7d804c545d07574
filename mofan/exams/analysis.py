"""Item analysis (试题分析) and the anti-cheat flags of a test.

- facility (难度系数 P): the mean score fraction of an item over the attempts that had it;
- discrimination (区分度 D): the item's mean fraction in the upper 27% of attempts by total score minus its mean
  fraction in the lower 27% (each group at least one attempt); a low or negative D marks a flawed question, a
  facility near 1 with D near 0 a leaked one;
- Cronbach's α over the items every analysed attempt had (the fixed questions; drawn ones differ per attempt):
  α = k/(k−1) · (1 − Σ var(item) / var(total)), population variances, item scores in points.

Flags (shown on the results page, never acted on automatically):
- ``fast``: the median seconds spent per choice item is below ``FAST_SECONDS`` over at least ``MIN_ITEMS`` items;
- ``identical``: two attempts of one paper answered every one of at least ``MIN_ITEMS`` items the same way,
  with at least one wrong answer in common (a shared stream of right answers proves nothing).
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from mofan.questions.models import QuestionType

FAST_SECONDS = 2
MIN_ITEMS = 5
GROUP_SHARE = 0.27
CHOICE = (QuestionType.SINGLE, QuestionType.MULTIPLE, QuestionType.JUDGE)


def facility(fractions: Sequence[float]) -> float | None:
    return sum(fractions) / len(fractions) if fractions else None


def discrimination(totals: Sequence[float], fractions: Sequence[float]) -> float | None:
    """Upper-27% mean minus lower-27% mean of one item's fractions, attempts ranked by ``totals``."""
    n = len(totals)
    if n < 2:
        return None
    size = max(1, round(n * GROUP_SHARE))
    ranked = sorted(range(n), key=lambda i: totals[i])
    lower = [fractions[i] for i in ranked[:size]]
    upper = [fractions[i] for i in ranked[-size:]]
    return sum(upper) / size - sum(lower) / size


def cronbach_alpha(matrix: Sequence[Sequence[float]]) -> float | None:
    """α of a score matrix (rows: attempts, columns: items); None when it is not defined."""
    if len(matrix) < 2 or not matrix[0] or len(matrix[0]) < 2:
        return None
    k = len(matrix[0])
    item_var = sum(statistics.pvariance([row[j] for row in matrix]) for j in range(k))
    total_var = statistics.pvariance([sum(row) for row in matrix])
    if total_var == 0:
        return None
    return k / (k - 1) * (1 - item_var / total_var)


@dataclass(frozen=True)
class ItemStat:
    question_id: int
    stem: str
    qtype: str
    attempts: int
    facility: float | None
    discrimination: float | None


@dataclass(frozen=True)
class PaperAnalysis:
    attempts: int
    items: list[ItemStat]
    alpha: float | None
    alpha_items: int


def analyse(rows: Iterable[tuple[int, int, str, str, Decimal | None, Decimal]]) -> PaperAnalysis:
    """``rows``: (attempt id, question id, stem, qtype, score, points) of the analysed attempts' items."""
    per_attempt: dict[int, dict[int, float]] = defaultdict(dict)
    points: dict[int, float] = {}
    info: dict[int, tuple[str, str]] = {}
    for attempt_id, question_id, stem, qtype, score, item_points in rows:
        per_attempt[attempt_id][question_id] = float(score or 0)
        points[question_id] = float(item_points)
        info[question_id] = (stem, qtype)
    attempt_ids = sorted(per_attempt)
    totals = {a: sum(per_attempt[a].values()) for a in attempt_ids}
    stats = []
    for qid in sorted(info):
        having = [a for a in attempt_ids if qid in per_attempt[a]]
        fractions = [per_attempt[a][qid] / points[qid] if points[qid] else 0.0 for a in having]
        stats.append(ItemStat(question_id=qid, stem=info[qid][0], qtype=info[qid][1], attempts=len(having),
                              facility=facility(fractions),
                              discrimination=discrimination([totals[a] for a in having], fractions)))
    common = sorted(set.intersection(*(set(per_attempt[a]) for a in attempt_ids))) if attempt_ids else []
    matrix = [[per_attempt[a][q] for q in common] for a in attempt_ids]
    return PaperAnalysis(attempts=len(attempt_ids), items=stats, alpha=cronbach_alpha(matrix),
                         alpha_items=len(common))


def speed_flags(items: Sequence[Any]) -> list[str]:
    """``["fast"]`` when the median seconds per choice item is humanly impossible (see the module docstring)."""
    seconds = [item.seconds_spent for item in items
               if item.question.qtype in CHOICE and item.response not in (None, "", [])]
    if len(seconds) >= MIN_ITEMS and statistics.median(seconds) < FAST_SECONDS:
        return ["fast"]
    return []


def _key(response: Any) -> str:
    return repr(response)


def identical_streams(streams: dict[int, list[tuple[int, Any, bool]]]) -> dict[int, list[int]]:
    """Attempts whose answer streams are identical. ``streams``: attempt id → [(question id, response,
    right?)] in question order. Returns attempt id → the other attempt ids sharing its stream."""
    groups: dict[tuple[Any, ...], list[int]] = defaultdict(list)
    for attempt_id, stream in streams.items():
        answered = [s for s in stream if s[1] not in (None, "", [])]
        if len(answered) < MIN_ITEMS or len(answered) != len(stream) or all(right for _q, _r, right in stream):
            continue
        groups[tuple(sorted((q, _key(r)) for q, r, _right in stream))].append(attempt_id)
    found: dict[int, list[int]] = {}
    for members in groups.values():
        if len(members) > 1:
            for a in members:
                found[a] = [b for b in members if b != a]
    return found
