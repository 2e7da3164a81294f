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


class InvalidTransaction(ValueError):
    """The input is not a valid transaction. Carries every problem found."""

    def __init__(self, problems: list[FieldProblem] | tuple[FieldProblem, ...]) -> None:
        self.problems = tuple(problems)
        super().__init__("; ".join(str(problem) for problem in self.problems))

    @classmethod
    def single(cls, field: str, message: str) -> InvalidTransaction:
        return cls([FieldProblem(field, message)])

    @property
    def fields(self) -> tuple[str, ...]:
        return tuple(problem.field for problem in self.problems)


class TransactionConflict(Exception):
    """A transaction_id that was stored before with other content."""

    def __init__(self, transaction_id: str) -> None:
        self.transaction_id = transaction_id
        super().__init__(
            f"transaction_id: {transaction_id} was already accepted with different content"
        )


class StoreBusy(Exception):
    """The store is throttling or briefly unavailable: the same request may be retried."""
