"""Local mode's Pipe: PutEvents in the deployed batches, and the entries a PutEvents
failed sent again, as the Pipe retries them."""

from __future__ import annotations

import threading
from typing import Any

from cardwatch.blueprint import blueprint_for
from cardwatch.local.runtime.event_wiring import EventWiring, WiringStats


class Bus:
    """Fails the entries named in ``failing`` the first time each is put."""

    def __init__(self, failing: set[str]) -> None:
        self.failing, self.calls = set(failing), []

    def put_events(self, Entries: list[dict[str, Any]]) -> dict[str, Any]:  # noqa: N803 (boto3)
        self.calls.append([e["Detail"] for e in Entries])
        results = []
        for entry in Entries:
            if entry["Detail"] in self.failing:
                self.failing.discard(entry["Detail"])
                results.append({"ErrorCode": "InternalFailure"})
            else:
                results.append({"EventId": "e"})
        failed = sum(1 for r in results if "ErrorCode" in r)
        return {"FailedEntryCount": failed, "Entries": results}


def wiring(bus: Bus) -> EventWiring:
    made = EventWiring.__new__(EventWiring)
    made._blueprint = blueprint_for("local", "pipe")
    made._events = bus
    made._stop = threading.Event()
    made._stats_lock = threading.Lock()
    made.stats = WiringStats()
    return made


def entries(n: int) -> list[dict[str, Any]]:
    return [{"Detail": f"r{i}"} for i in range(n)]


def test_the_entries_a_put_failed_are_put_again_and_only_they() -> None:
    bus = Bus({"r3", "r7"})
    wiring(bus)._put_events(entries(10))
    assert bus.calls == [[f"r{i}" for i in range(10)], ["r3", "r7"]]


def test_what_still_fails_after_the_retries_is_counted_and_named() -> None:
    class Broken(Bus):
        def put_events(self, Entries: list[dict[str, Any]]) -> dict[str, Any]:  # noqa: N803 (boto3)
            self.calls.append([e["Detail"] for e in Entries])
            return {"FailedEntryCount": 1, "Entries": [{"ErrorCode": "X"} for _ in Entries]}

    bus = Broken(set())
    pipe = wiring(bus)
    pipe._stop.set()  # no waiting between the retries in a unit test
    pipe._put_events(entries(1))
    assert len(bus.calls) == pipe._blueprint.pipe_retry_attempts + 1
    assert pipe.stats.pipe_records_failed == 1 and "could not put 1" in pipe.stats.errors[0]
