"""The open review queue's terms: what a page asks for and where it stopped (light: the
store imports them, and detect imports the store)."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "DEFAULT_LOOKBACK_DAYS",
    "DEFAULT_PAGE",
    "MAX_PAGE",
    "QUEUED_DECISIONS",
    "ReviewPosition",
    "ReviewQuery",
]

#: cases on a page of the review queue: unless asked, and at most
DEFAULT_PAGE = 25
MAX_PAGE = 100
#: how far back the queue looks unless ``since`` says otherwise
DEFAULT_LOOKBACK_DAYS = 30
#: the decisions that put a transaction in the queue
QUEUED_DECISIONS = ("review", "block")


@dataclass(frozen=True, slots=True)
class ReviewPosition:
    """Where a page of the queue stopped: the last case it looked at."""

    transaction_id: str
    timestamp_ms: int


@dataclass(frozen=True, slots=True)
class ReviewQuery:
    """A page of the open review queue: cases with ``since_ms <= timestamp <= until_ms``,
    of one decision or both, newest first, after ``after``."""

    since_ms: int
    until_ms: int
    decision: str | None = None
    limit: int = DEFAULT_PAGE
    after: ReviewPosition | None = None
