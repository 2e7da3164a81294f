"""The export function's use case on fakes: a full export first, then incremental ones
of at most a day, each once, in order, retried when they fail."""

from __future__ import annotations

import pytest

from cardwatch.services.history_export import (
    FULL,
    INCREMENTAL,
    MAX_PERIOD_MICROS,
    MIN_PERIOD_MICROS,
    keep_exporting,
)
from tests.fakes import DictExportCatalog, FakeTableExports

HOUR = 3_600_000_000
DAY = 24 * HOUR
T0 = 1_790_000_000_000_000  # epoch microseconds


def _run(exports: FakeTableExports, catalog: DictExportCatalog, now: int, every: int = DAY):
    return keep_exporting(exports, catalog, now, every)


def test_the_first_run_starts_a_full_export_and_the_next_registers_it() -> None:
    exports, catalog = FakeTableExports(), DictExportCatalog()
    first = _run(exports, catalog, T0)
    assert first.started is not None and first.started.kind == FULL
    assert first.exported_to_micros is None
    # while it runs, nothing else starts
    waiting = _run(exports, catalog, T0 + HOUR)
    assert waiting.started is None and waiting.waiting.endswith("in progress")
    exports.finish(first.started.export_id)
    done = _run(exports, catalog, T0 + 2 * HOUR)
    assert done.registered == (first.started.export_id,)
    assert catalog.partitions == {first.started.export_id: T0}
    assert done.started is None and done.waiting == "the next export is not due yet"


def test_an_incremental_export_follows_once_due_from_where_the_last_ends() -> None:
    exports, catalog = FakeTableExports(), DictExportCatalog()
    full = _run(exports, catalog, T0).started
    assert full is not None
    exports.finish(full.export_id)
    assert _run(exports, catalog, T0 + 5 * HOUR, every=6 * HOUR).started is None
    run = _run(exports, catalog, T0 + 7 * HOUR, every=6 * HOUR)
    assert run.started is not None and run.started.kind == INCREMENTAL
    assert (run.started.from_micros, run.started.to_micros) == (T0, T0 + 7 * HOUR)


def test_a_run_behind_catches_up_a_day_at_a_time() -> None:
    exports, catalog = FakeTableExports(), DictExportCatalog()
    full = _run(exports, catalog, T0).started
    assert full is not None
    exports.finish(full.export_id)
    periods = []
    for _ in range(3):
        started = _run(exports, catalog, T0 + 3 * DAY).started
        assert started is not None
        periods.append((started.from_micros, started.to_micros))
        exports.finish(started.export_id)
    assert periods == [(T0 + n * DAY, T0 + (n + 1) * DAY) for n in range(3)]
    assert _run(exports, catalog, T0 + 3 * DAY).waiting == "the next export is not due yet"
    assert all(to - since <= MAX_PERIOD_MICROS for since, to in periods)


def test_a_retried_run_starts_the_same_export_and_a_failed_one_is_retried() -> None:
    exports, catalog = FakeTableExports(), DictExportCatalog()
    full = _run(exports, catalog, T0).started
    assert full is not None
    exports.finish(full.export_id)
    one = _run(exports, catalog, T0 + DAY).started
    assert one is not None
    # a retried invocation that does not see the first's export yet asks for the same
    # period under the same token: the same export
    exports.unlisted.add(one.export_id)
    again = _run(exports, catalog, T0 + DAY).started
    assert again is not None and again.export_id == one.export_id
    # it fails: the next run reports it and starts the period again, under a new token
    exports.finish(one.export_id, "FAILED")
    retried = _run(exports, catalog, T0 + DAY + HOUR)
    assert retried.failed == (one.export_id,)
    assert retried.started is not None and retried.started.export_id != one.export_id
    assert (retried.started.from_micros, retried.started.to_micros) == (T0, T0 + DAY)


def test_asked_for_the_log_as_of_now_a_full_export_is_taken_when_none_may_be_yet() -> None:
    exports, catalog = FakeTableExports(), DictExportCatalog()
    full = _run(exports, catalog, T0).started
    assert full is not None
    exports.finish(full.export_id)
    # on the schedule, nothing is due for a day; an operator's training asks for now
    assert _run(exports, catalog, T0 + HOUR).waiting == "the next export is not due yet"
    asked = T0 + HOUR
    fresh = keep_exporting(exports, catalog, asked, DAY, as_of=asked).started
    assert fresh is not None and fresh.kind == FULL and fresh.export_id != full.export_id
    # asked again (a retry) while it runs: the same export
    exports.unlisted.add(fresh.export_id)
    again = keep_exporting(exports, catalog, asked + 5, DAY, as_of=asked).started
    assert again is not None and again.export_id == fresh.export_id
    exports.finish(fresh.export_id)
    done = keep_exporting(exports, catalog, asked + 10, DAY, as_of=asked)
    assert done.started is None and done.exported_to_micros == asked


@pytest.mark.parametrize("every", [MIN_PERIOD_MICROS - 1, MAX_PERIOD_MICROS + 1])
def test_the_interval_is_one_dynamodb_allows(every: int) -> None:
    with pytest.raises(ValueError, match="15 minutes and a day"):
        keep_exporting(FakeTableExports(), DictExportCatalog(), T0, every)
