"""The window sums a state keeps between reads are the sums read afresh, whatever the
order of reads, late changes and labels."""

from hypothesis import given, settings
from hypothesis import strategies as st

from cardwatch.domain.engine.state import (
    ADVANCE_DAYS,
    BUCKET_GRACE_DAYS,
    CARD_SUMS,
    HISTORY_DAYS,
    TERMINAL_SUMS,
    TerminalDay,
    fold_past,
    past_sums,
)

COUNTERS = sorted({counter for counter, _days in CARD_SUMS + TERMINAL_SUMS})
#: a read on a day, or a change of a counter on a day (up to two days late)
STEP = st.one_of(
    st.tuples(st.just("read"), st.integers(0, ADVANCE_DAYS + 1)),
    st.tuples(
        st.just("change"), st.integers(-2, 0), st.sampled_from(COUNTERS), st.integers(1, 10**9)
    ),
)


@settings(max_examples=300)
@given(st.lists(STEP, max_size=80), st.sampled_from([CARD_SUMS, TERMINAL_SUMS]))
def test_kept_sums_moved_forward_and_folded_equal_a_fresh_sum(steps, sums) -> None:  # type: ignore[no-untyped-def]
    days: dict[int, TerminalDay] = {}
    today, kept = 40, None
    for step in steps:
        if step[0] == "read":
            today += step[1]
            # the store forgets the buckets past the grace days, as both stores do
            for old in [day for day in days if day < today - HISTORY_DAYS - BUCKET_GRACE_DAYS]:
                del days[old]
            kept = past_sums(days, today, sums, kept)
            assert kept == past_sums(days, today, sums)
        else:
            _kind, back, counter, amount = step
            day = today + back
            if day < today - HISTORY_DAYS - BUCKET_GRACE_DAYS:
                continue
            bucket = days.setdefault(day, TerminalDay())
            if hasattr(bucket, counter):
                setattr(bucket, counter, getattr(bucket, counter) + amount)
                kept = fold_past(kept, sums, day, counter, amount)


def test_a_kept_sum_moves_fewer_days_than_any_window_is_long() -> None:
    assert min(days for _counter, days in CARD_SUMS + TERMINAL_SUMS) > ADVANCE_DAYS


def test_a_kept_sum_moved_by_the_most_days_still_takes_out_the_days_that_left() -> None:
    # a day's counts, then reads every few days while the store forgets past its grace
    for sums in (CARD_SUMS, TERMINAL_SUMS):
        for stride in range(1, ADVANCE_DAYS + 1):
            for start in range(stride):
                days = {0: TerminalDay(5, 7, 11, 13, 17)}
                kept = None
                for today in range(1 + start, 3 * HISTORY_DAYS, stride):
                    for old in [d for d in days if d < today - HISTORY_DAYS - BUCKET_GRACE_DAYS]:
                        del days[old]
                    kept = past_sums(days, today, sums, kept)
                    assert kept == past_sums(days, today, sums), (stride, start, today)
