"""Daily buckets: the kept running totals give the windows a plain sum over the days gives."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cardwatch.domain.profiles import HISTORY_DAYS, DailyBuckets

amounts = st.floats(0, 10_000, allow_nan=False)
events = st.lists(st.tuples(st.integers(0, 3), amounts), max_size=120)


def plain_windows(history: list[tuple[int, float]], today: int) -> list[float]:
    """Every event kept (the last add decides what aged out), summed per window."""
    last = history[-1][0] if history else today
    kept = [(day, amount) for day, amount in history if day > last - HISTORY_DAYS]
    out: list[float] = []
    for width in (1, 7, HISTORY_DAYS):
        inside = [amount for day, amount in kept if today - day < width]
        out += [float(len(inside)), sum(inside)]
    return out


@settings(max_examples=300, deadline=None)
@given(steps=events, later=st.integers(0, 40), start=st.integers(0, 10))
def test_windows_equal_a_plain_sum_over_the_kept_days(
    steps: list[tuple[int, float]], later: int, start: int
) -> None:
    # GIVEN events on non-decreasing days (gaps of 0 to 3 days), then a query some days on
    buckets, history, day = DailyBuckets(), [], start
    for gap, amount in steps:
        day += gap
        buckets.add(day, amount)
        history.append((day, amount))
    today = day + later
    # WHEN the windows are read from the running totals
    n1, s1, n7, s7, n30, s30 = buckets.windows(today)
    # THEN they are what summing the kept events gives
    expected = plain_windows(history, today)
    assert [n1, n7, n30] == expected[0::2]
    assert [s1, s7, s30] == pytest.approx(expected[1::2], rel=1e-9, abs=1e-6)


@given(steps=events)
def test_a_round_trip_restores_the_totals(steps: list[tuple[int, float]]) -> None:
    buckets, day = DailyBuckets(), 0
    for gap, amount in steps:
        day += gap
        buckets.add(day, amount)
    again = DailyBuckets(buckets.days.copy())
    assert again.windows(day + 2) == pytest.approx(buckets.windows(day + 2))
