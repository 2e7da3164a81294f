"""Review and block thresholds that follow an alert budget.

A security team can look at so many transactions a day. The budget says which share of
traffic may go to review (default 0.5 %) and to block (0.1 %); the thresholds are the
scores that cut those shares off the recent score distribution, never lower than the
rule document's own thresholds. So a new model, or new traffic, that scores everything
higher cannot flood the team: the cut rises with it.

Recent scores are kept as counts per score bin and day (:class:`ScoreCounts`), which add
up exactly in any order: the analyze function folds each finished window's decisions
into them once, and the detect function reads the last days with a short cache. Each
day is cut on its own and the median day's cut holds (:meth:`AlertBudget.daily_thresholds`),
so an attack's burst on one day does not starve the next seven.
"""

from __future__ import annotations

import math
import statistics
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from cardwatch.domain.engine.rules import Thresholds
from cardwatch.domain.engine.state import DAY_MS

__all__ = ["BINS", "DAY_ALERTS", "AlertBudget", "bin_floor", "bin_of", "count_bins"]

#: Scores are binned on the log-odds scale, a twentieth of a unit wide, from -20 to +20
#: (2e-9 to 1 - 2e-9): finer where the cut falls (scores near 1) than even steps.
_STEP = 0.05
_LOW = -20.0
BINS = round(-2 * _LOW / _STEP)
#: a day is cut on its own when it holds scores enough to put this many above its
#: review cut
DAY_ALERTS = 2


def bin_of(score: float) -> int:
    """The bin of a score in [0, 1] (0 is the lowest, ``BINS - 1`` the highest)."""
    if score <= 0:
        return 0
    if score >= 1:
        return BINS - 1
    logit = math.log(score / (1.0 - score))
    return min(BINS - 1, max(0, int((logit - _LOW) / _STEP)))


def bin_floor(index: int) -> float:
    """The lowest score in bin ``index``."""
    if index <= 0:
        return 0.0
    logit = _LOW + index * _STEP
    return 1.0 / (1.0 + math.exp(-logit))


def count_bins(scores: Iterable[float]) -> Counter[int]:
    return Counter(bin_of(score) for score in scores)


@dataclass(frozen=True, slots=True)
class AlertBudget:
    review_share: float = 0.005
    block_share: float = 0.001
    #: how many days of scores the cut is taken from
    days: int = 7
    #: below this many scores the rule document's thresholds apply as they are
    min_scores: int = 1000

    def __post_init__(self) -> None:
        if not 0 < self.block_share <= self.review_share < 1:
            raise ValueError("alert budget: need 0 < block share <= review share < 1")

    def thresholds(
        self, counts: Mapping[int, int], floor: Thresholds, *, minimum: int | None = None
    ) -> Thresholds:
        """The cut for each share, from recent ``counts`` (bin -> scores), at least
        ``floor``'s (the floor alone under ``minimum`` scores, ``min_scores`` unless
        given)."""
        total = sum(counts.values())
        if total < (self.min_scores if minimum is None else minimum):
            return floor
        review = max(floor.review, self._cut(counts, total * self.review_share))
        block = max(floor.block, self._cut(counts, total * self.block_share))
        return Thresholds(min(review, 1.0), min(max(block, review), 1.0))

    def daily_thresholds(
        self, days: Mapping[int, Mapping[int, int]], floor: Thresholds, today: int
    ) -> Thresholds:
        """The cut that holds the budget on every day: the typical recent day's cut, or
        today's own when today already scores higher.

        Each earlier day with scores enough to place its review cut (:meth:`day_cut`) is
        cut on its own and the median day's cut (the higher of two middles) is taken: one
        day's burst, an attack's hundreds of near-certain frauds, raises that day's cut
        only. Pooled with the others, it filled the budget's share of the whole week and
        left the team nothing to see for the next seven days. Today's finished windows
        are cut on their own too, and the higher cut holds: a burst today is held to
        today's share. Until the days hold ``min_scores``, the rule document's floor;
        without a day big enough, the days are pooled (:meth:`thresholds`).
        """
        pooled: Counter[int] = Counter()
        for counts in days.values():
            pooled.update(counts)
        past = (self.day_cut(c, floor) for day, c in days.items() if day != today)
        return self.combined([cut for cut in past if cut], days.get(today), pooled, floor)

    def combined(
        self,
        past: list[Thresholds],
        today: Mapping[int, int] | None,
        pooled: Mapping[int, int],
        floor: Thresholds,
    ) -> Thresholds:
        """The earlier days' own ``past`` cuts' median, raised to ``today``'s own cut;
        the ``pooled`` counts' cut when no day has a cut of its own; the floor until
        ``pooled`` holds ``min_scores`` (:meth:`daily_thresholds`, for a caller that
        keeps the finished days' cuts)."""
        if sum(pooled.values()) < self.min_scores:
            return floor
        today_cut = self.day_cut(today, floor) if today else None
        if not past:
            return today_cut or self.thresholds(pooled, floor)
        typical = Thresholds(
            statistics.median_high(cut.review for cut in past),
            statistics.median_high(cut.block for cut in past),
        )
        if today_cut is None:
            return typical
        return Thresholds(
            max(typical.review, today_cut.review), max(typical.block, today_cut.block)
        )

    def day_cut(self, counts: Mapping[int, int], floor: Thresholds) -> Thresholds | None:
        """One day's own cut; None for a day too small to place it: fewer scores than
        put :data:`DAY_ALERTS` above the review cut (400 at 0.5 %)."""
        if sum(counts.values()) < DAY_ALERTS / self.review_share:
            return None
        return self.thresholds(counts, floor, minimum=0)

    @staticmethod
    def _cut(counts: Mapping[int, int], allowed: float) -> float:
        """The lowest bin floor above which at most ``allowed`` scores lie. A bin that
        alone holds more than ``allowed`` (a model's tie: trees give many transactions
        the same score) cannot be split: it is flagged whole when nothing above it would
        fill half the budget, so the team sees the highest scores rather than none."""
        above = 0
        for index in sorted(counts, reverse=True):
            if above + counts[index] > allowed:
                tie = counts[index] > allowed and above < allowed / 2
                return bin_floor(index if tie else index + 1)
            above += counts[index]
        return 0.0

    def window(self, now_ms: int) -> tuple[int, int]:
        """The days whose scores set the cut, ``first <= day < last``: the ``days`` before
        today and today's finished windows. So a new deployment, or a market a model has
        never seen, is held to the budget from its first thousand scores, not from its
        second day (a replay of day one flagged 13 % of a week's traffic without them)."""
        today = now_ms // DAY_MS
        return today - self.days, today + 1
