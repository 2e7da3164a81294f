"""The heat and conflict models of make bench's heat report."""

from __future__ import annotations

import math

import pytest

from cardwatch.evaluation.heat import all_attempts_fail, hottest_keys


def test_a_keys_rate_is_its_units_over_the_span_of_event_time() -> None:
    totals = [
        {"kind": "write", "table": "tx", "index": "by-bucket", "key": "b1", "units": 7_700.0},
        {"kind": "write", "table": "tx", "index": "by-bucket", "key": "b0", "units": 10.0},
        {"kind": "write", "table": "tx", "index": "", "key": "t-1", "units": 2.0},
        {"kind": "read", "table": "tx", "index": "", "key": "t-1", "units": 1.0},
    ]
    hottest = hottest_keys(totals, seconds=2.0)
    assert [(h.kind, h.index, h.key, h.per_second) for h in hottest] == [
        ("write", "by-bucket", "b1", 3_850.0),
        ("write", "", "t-1", 1.0),
        ("read", "", "t-1", 0.5),
    ]
    assert hottest[0].share_of_limit == pytest.approx(3.85)
    with pytest.raises(ValueError):
        hottest_keys(totals, seconds=0)


def test_every_attempt_fails_more_often_as_the_item_gets_busier() -> None:
    # one attempt at 100 a second in a 25 ms window meets another with 1 - e^-2.5
    assert all_attempts_fail(100, 25, 1) == pytest.approx(1 - math.exp(-2.5))
    shares = [all_attempts_fail(rate, 25, 6) for rate in (10, 50, 100, 300)]
    assert shares == sorted(shares) and shares[0] < 1e-3 < 0.99 < shares[-1] <= 1
    assert all_attempts_fail(0, 25, 6) == 0.0
    with pytest.raises(ValueError):
        all_attempts_fail(100, 25, 0)
