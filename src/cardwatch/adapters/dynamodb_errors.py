"""What DynamoDB's errors mean to the adapters: retry later, or a transaction cancelled."""

from __future__ import annotations

from botocore.exceptions import ClientError

__all__ = ["BUSY_CODES", "RETRYABLE_CANCELLATIONS", "cancellation_codes"]

#: Error codes that mean "try again later", not "this request is wrong".
BUSY_CODES = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
        "InternalServerError",
        "ServiceUnavailable",
    }
)

#: Reasons a cancelled ``TransactWriteItems`` gives for a write that may succeed when
#: tried again: another transaction held the item, or its partition (or an index's) was
#: over its throughput (DynamoDB's own names for them in ``CancellationReasons``).
RETRYABLE_CANCELLATIONS = frozenset(
    {"TransactionConflict", "ThrottlingError", "ProvisionedThroughputExceeded"}
)


def cancellation_codes(error: ClientError) -> list[str]:
    """The reason for each write of a cancelled ``TransactWriteItems``, in order
    (``"None"`` for a write that was not the cause); empty for any other error."""
    if error.response["Error"]["Code"] != "TransactionCanceledException":
        return []
    reasons = error.response.get("CancellationReasons") or []
    return [reason.get("Code", "None") for reason in reasons]
