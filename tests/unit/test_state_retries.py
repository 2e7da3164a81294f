"""The state store's retries, on a stub client: which cancellations are retried, with
what backoff, and that nothing is slept after the last attempt."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from cardwatch.adapters.dynamodb_state import ConcurrentStateUpdate, DynamoStateStore
from cardwatch.domain.engine.state import DAY_MS, LabelChange

CHANGE = LabelChange("tx-1", "card-1", "term-1", 20_000 * DAY_MS, True, 20_001 * DAY_MS)


def cancelled(*codes: str) -> ClientError:
    return ClientError(
        {
            "Error": {"Code": "TransactionCanceledException", "Message": "cancelled"},
            "CancellationReasons": [{"Code": code} for code in codes],
        },
        "TransactWriteItems",
    )


class StubClient:
    """Answers each TransactWriteItems with the next of ``answers`` (an error to raise,
    or None for success)."""

    def __init__(self, *answers: ClientError | None) -> None:
        self.answers = list(answers)
        self.calls = 0

    def transact_write_items(self, **_: Any) -> dict[str, Any]:
        self.calls += 1
        answer = self.answers.pop(0)
        if answer is not None:
            raise answer
        return {"ConsumedCapacity": [{"CapacityUnits": 4.0}]}


def store_with(client: StubClient) -> tuple[DynamoStateStore, list[float]]:
    slept: list[float] = []
    return DynamoStateStore("profiles", client, sleep=slept.append), slept


@pytest.mark.parametrize(
    "reason", ["TransactionConflict", "ThrottlingError", "ProvisionedThroughputExceeded"]
)
def test_a_conflict_or_a_throttled_partition_is_retried_until_it_goes_through(
    reason: str,
) -> None:
    # GIVEN a write cancelled twice for a reason that passes (the other write: "None")
    client = StubClient(cancelled("None", reason), cancelled(reason, "None"), None)
    store, slept = store_with(client)
    # WHEN the label is applied THEN the third attempt goes through, after two waits
    assert store.apply_label(CHANGE) is True
    assert client.calls == 3 and len(slept) == 2
    # each wait is drawn from a window that doubles: full jitter
    assert 0 <= slept[0] <= 0.04 and 0 <= slept[1] <= 0.08


def test_a_hopeless_event_fails_after_its_attempts_without_a_last_sleep() -> None:
    client = StubClient(*[cancelled("ThrottlingError")] * 6)
    store, slept = store_with(client)
    with pytest.raises(ConcurrentStateUpdate):
        store.apply_label(CHANGE)
    assert client.calls == 6 and len(slept) == 5


def test_a_change_applied_before_is_not_applied_again() -> None:
    client = StubClient(cancelled("ConditionalCheckFailed", "None"))
    store, slept = store_with(client)
    assert store.apply_label(CHANGE) is False and slept == []


@pytest.mark.parametrize(
    "reasons", [("None", "ValidationError"), ("ValidationError", "TransactionConflict")]
)
def test_a_cancellation_no_retry_can_mend_is_raised_at_once(reasons: tuple[str, str]) -> None:
    # a conflict beside a write that can never pass is not worth a retry
    client = StubClient(cancelled(*reasons))
    store, slept = store_with(client)
    with pytest.raises(ClientError):
        store.apply_label(CHANGE)
    assert client.calls == 1 and slept == []
