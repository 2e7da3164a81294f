"""The alert budget: thresholds cut from recent scores, never below the rule document's."""

import random
from collections import Counter

import pytest

from cardwatch.adapters.memory import InMemoryScoreLog
from cardwatch.domain.engine.budget import (
    AlertBudget,
    bin_floor,
    bin_of,
    count_bins,
)
from cardwatch.domain.engine.rules import Thresholds
from cardwatch.domain.engine.state import DAY_MS

FLOOR = Thresholds(0.5, 0.9)


def scores(n: int, seed: int = 1) -> list[float]:
    """Mostly low scores, with a long tail towards 1 (as a fraud model's are)."""
    rng = random.Random(seed)
    return [rng.betavariate(0.4, 12) for _ in range(n)]


def share_at_or_above(values: list[float], cut: float) -> float:
    return sum(v >= cut for v in values) / len(values)


def test_the_cut_lets_through_about_the_budgeted_share_of_new_scores() -> None:
    # GIVEN a week of scores
    counts = count_bins(scores(70_000))
    # WHEN the thresholds for a 0.5 % review and 0.1 % block budget are cut
    budget = AlertBudget(review_share=0.005, block_share=0.001)
    cut = budget.thresholds(counts, Thresholds(0.01, 0.02))
    # THEN fresh scores from the same distribution are flagged at about those shares
    fresh = scores(70_000, seed=2)
    assert 0.003 < share_at_or_above(fresh, cut.review) <= 0.0065
    assert 0.0004 < share_at_or_above(fresh, cut.block) <= 0.0016
    assert cut.review < cut.block


def test_the_rule_documents_thresholds_are_a_floor() -> None:
    # GIVEN quiet traffic, whose top half percent scores under 0.5
    counts = count_bins(scores(20_000))
    # THEN the budget never lowers the thresholds to fill itself
    assert AlertBudget().thresholds(counts, FLOOR) == FLOOR


def test_a_flood_of_high_scores_raises_the_cut() -> None:
    # GIVEN a new model that scores 10 % of traffic above 0.5
    rng = random.Random(3)
    flood = [
        rng.uniform(0.5, 1.0) if rng.random() < 0.1 else rng.uniform(0, 0.3) for _ in range(50_000)
    ]
    cut = AlertBudget().thresholds(count_bins(flood), FLOOR)
    # THEN about 0.5 % is sent to review, not 10 %
    assert share_at_or_above(flood, FLOOR.review) > 0.09
    assert share_at_or_above(flood, cut.review) <= 0.006


def test_a_tie_bigger_than_the_budget_is_flagged_whole_rather_than_not_at_all() -> None:
    # GIVEN 2 % of recent scores at one value (a tree ensemble's top leaf)
    recent = [0.997] * 200 + [0.01] * 9_800
    cut = AlertBudget().thresholds(count_bins(recent), FLOOR)
    # THEN that tie is flagged (the team sees the highest scores, not none)
    assert cut.review <= 0.997
    # AND with a few scores above it, filling the budget, only those are
    above = [0.9995] * 40 + recent[40:]
    assert AlertBudget().thresholds(count_bins(above), FLOOR).review > 0.997


def test_too_few_scores_leave_the_rule_documents_thresholds() -> None:
    assert AlertBudget().thresholds(count_bins([0.99] * 500), FLOOR) == FLOOR


def test_bins_are_ordered_and_cover_zero_to_one() -> None:
    points = [0.0, 1e-12, 0.001, 0.3, 0.5, 0.9, 0.999, 0.999999, 1.0]
    bins = [bin_of(p) for p in points]
    assert bins == sorted(bins) and bins[0] == 0
    for p in points[1:-1]:
        assert bin_floor(bin_of(p)) <= p


@pytest.mark.parametrize(("review", "block"), [(0.001, 0.005), (0, 0), (1.5, 0.1)])
def test_an_impossible_budget_is_refused(review: float, block: float) -> None:
    with pytest.raises(ValueError, match="alert budget"):
        AlertBudget(review_share=review, block_share=block)


def test_a_window_is_folded_once_and_days_add_up() -> None:
    log = InMemoryScoreLog()
    assert log.fold(0, [0.1, 0.2]) and not log.fold(0, [0.1, 0.2])
    assert log.fold(DAY_MS, [0.9])
    assert sum(log.counts(0, 1).values()) == 2 and sum(log.counts(0, 2).values()) == 3


def test_a_first_day_is_held_to_the_budget_once_its_windows_hold_enough_scores() -> None:
    # GIVEN a deployment's first day: no earlier day, two finished five-minute windows
    # of high scores (a model meeting a market it has never seen)
    budget = AlertBudget(review_share=0.005, block_share=0.001)
    log = InMemoryScoreLog()
    noon = 20_000 * DAY_MS + DAY_MS // 2
    high = [0.6 + 0.39 * value for value in scores(1_200, seed=5)]
    log.fold(noon - 600_000, high[:600])
    log.fold(noon - 300_000, high[600:])
    # WHEN detect cuts its thresholds at noon
    cut = budget.thresholds(log.counts(*budget.window(noon)), FLOOR)
    # THEN today's windows count: the cut rises above the rule document's 0.5 and lets
    # through about the budgeted share, not every high score
    assert cut.review > FLOOR.review
    assert share_at_or_above(high, cut.review) <= 0.01
    # and tomorrow's window still holds today's scores, a week later it does not
    tomorrow = budget.window(noon + DAY_MS)
    assert log.counts(*tomorrow) == log.counts(*budget.window(noon))
    assert not log.counts(*budget.window(noon + 8 * DAY_MS))


def test_an_attacks_burst_on_one_day_does_not_starve_the_next_week() -> None:
    """Six ordinary days and one with a burst of 600 near-certain frauds: pooled, the
    burst would fill the week's budget and raise the cut above everything ordinary;
    each day cut on its own, the median day's cut holds."""
    budget = AlertBudget()
    low = Thresholds(0.01, 0.02)  # a floor under the cut: the budget alone decides
    days = {day: count_bins(scores(3_000, seed=day)) for day in range(6)}
    days[6] = count_bins(scores(3_000, seed=6) + [0.999] * 600)
    pooled = budget.thresholds(sum(days.values(), Counter()), low)
    daily = budget.daily_thresholds({day + 1: c for day, c in days.items()}, low, 99)
    assert pooled.review > 0.99  # the burst's scores took the whole week's share
    ordinary = budget.thresholds(days[0], low)
    assert daily.review < 0.99 and daily.review == pytest.approx(ordinary.review, abs=0.05)
    # a new day's scores: the daily cut lets through about the budget's share
    fresh = scores(20_000, seed=99)
    assert share_at_or_above(fresh, daily.review) == pytest.approx(0.005, abs=0.003)
    assert share_at_or_above(fresh, pooled.review) < 0.001


def test_without_a_full_day_the_days_are_pooled() -> None:
    budget = AlertBudget()
    days = {day: count_bins(scores(300, seed=day)) for day in range(5)}  # 1,500 in all
    pooled = budget.thresholds(sum(days.values(), Counter()), FLOOR)
    assert budget.daily_thresholds(days, FLOOR, 9) == pooled
    assert budget.daily_thresholds({0: days[0]}, FLOOR, 9) == FLOOR  # too few scores at all


def test_todays_burst_is_held_to_todays_share() -> None:
    """A burst today raises today's own cut above the typical day's: today's flags stay
    near the budget's share of today."""
    budget = AlertBudget()
    low = Thresholds(0.01, 0.02)
    days = {day: count_bins(scores(3_000, seed=day)) for day in range(6)}
    typical = budget.daily_thresholds(days, low, 6)
    burst = scores(3_000, seed=6) + [0.999] * 600
    today = budget.daily_thresholds({**days, 6: count_bins(burst)}, low, 6)
    assert today.review > typical.review
    assert share_at_or_above(burst, today.review) <= 0.2  # not every one of the 600
