"""Errors the domain raises; the edges turn them into HTTP answers.

Messages name the field and the rule that failed, never the value: a rejected value
may be a card number.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class FieldProblem:
    """One thing wrong with the input: which field, and what is wrong with it."""

    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


#: An answer lists at most this many problems, then how many more there were: a
#: 10,000-field object gets a short answer, not one line per field.
MAX_PROBLEMS = 10


class InvalidTransaction(ValueError):
    """The input is not a valid transaction. Carries every problem found."""

    def __init__(self, problems: list[FieldProblem] | tuple[FieldProblem, ...]) -> None:
        self.problems = tuple(problems)
        more = len(self.problems) - MAX_PROBLEMS
        text = "; ".join(str(problem) for problem in self.shown)
        super().__init__(text + (f"; and {more} more" if more > 0 else ""))

    @property
    def shown(self) -> tuple[FieldProblem, ...]:
        """The problems an answer lists (the first :data:`MAX_PROBLEMS`)."""
        return self.problems[:MAX_PROBLEMS]

    @classmethod
    def single(cls, field: str, message: str) -> InvalidTransaction:
        return cls([FieldProblem(field, message)])

    @property
    def fields(self) -> tuple[str, ...]:
        return tuple(problem.field for problem in self.problems)


def problem_body(error: InvalidTransaction, message: str | None = None) -> dict[str, object]:
    """The JSON body of a 400: the message, the first problems, how many there were."""
    return {
        "message": message or str(error),
        "errors": [{"field": p.field, "message": p.message} for p in error.shown],
        "error_count": len(error.problems),
    }


class TransactionConflict(Exception):
    """A transaction_id that was stored before with other content."""

    def __init__(self, transaction_id: str) -> None:
        self.transaction_id = transaction_id  # for logs; answers never echo it
        super().__init__("transaction_id: was already accepted with different content")


class TransactionNotFound(LookupError):
    def __init__(self, transaction_id: str) -> None:
        self.transaction_id = transaction_id  # for logs; answers never echo it
        super().__init__("transaction_id: no stored transaction has this id")


class LabelConflict(Exception):
    """A label for a transaction that holds as many labels as it may."""

    def __init__(self, transaction_id: str, limit: int) -> None:
        self.transaction_id = transaction_id
        super().__init__(f"transaction_id: the transaction already holds {limit} labels")


class SourceNotAllowed(Exception):
    """A label claims a source its channel (the key that sent it) cannot speak for."""

    def __init__(self, source: str, channel: str) -> None:
        self.source, self.channel = source, channel
        super().__init__(
            f"source: {source!r} labels are taken only from the channel that proves it; "
            f"this key's channel ({channel}) speaks for {', '.join(CHANNEL_SOURCES[channel])}"
        )


#: What each label channel may speak for, its default first: the analysts' key for the
#: analysts (and the customers' reports they take down), the disputes feed's key for the
#: chargebacks and the issuers' verdicts.
CHANNEL_SOURCES: dict[str, tuple[str, ...]] = {
    "analyst": ("analyst", "customer"),
    "feed": ("chargeback", "issuer"),
}


class StoreBusy(Exception):
    """The store is throttling or briefly unavailable: the same request may be retried."""

    @property
    def hot(self) -> bool:
        """Throttled: a key (a partition) took more than its share, which is what a
        burst on one card, terminal or device does, not an outage."""
        return str(self) in HOT_KEY_CODES


#: The codes DynamoDB throttles a hot key (or a table over its throughput) with.
HOT_KEY_CODES = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "ProvisionedThroughputExceeded",
        "ThrottlingError",
    }
)


class DecidedAfterwards(Exception):
    """``POST /decisions`` for an id that ``POST /transactions`` accepted: that one is
    scored after the fact, and its decision is on its case, not in an answer."""

    def __init__(self, transaction_id: str) -> None:
        self.transaction_id = transaction_id  # for logs; answers never echo it
        super().__init__(
            "transaction_id: was accepted by POST /transactions and is scored after the "
            "fact; its decision is on its case (GET /transactions/{transaction_id})"
        )
