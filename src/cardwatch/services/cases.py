"""The case an analyst opens: one transaction with what the engine decided and why, the
features it scored, the model's version and every label, never card data; and the open
review queue: the flagged transactions no label has settled yet, newest first."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, Protocol

from cardwatch.domain.errors import FieldProblem, InvalidTransaction
from cardwatch.domain.labels.history import LabelEntry, effective
from cardwatch.domain.labels.review_queue import (
    QUEUED_DECISIONS,
    ReviewPosition,
    ReviewQuery,
)
from cardwatch.domain.ports import ReviewReader
from cardwatch.domain.transaction.record import Transaction
from cardwatch.domain.transaction.validation import check_path_id
from cardwatch.services.label import TransactionNotFound
from cardwatch.services.query_terms import page_limit, time_range

__all__ = ["CaseReader", "CaseService", "encode_position", "review_query"]


def encode_position(position: ReviewPosition) -> str:
    """The opaque ``cursor`` of the next page."""
    text = json.dumps([position.transaction_id, position.timestamp_ms], separators=(",", ":"))
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def _decode_position(cursor: str, problems: list[FieldProblem]) -> ReviewPosition | None:
    refused = FieldProblem("cursor", "must be a next_cursor this API returned")
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        transaction_id, timestamp_ms = json.loads(text)
        if not isinstance(transaction_id, str) or type(timestamp_ms) is not int:
            raise TypeError
        check_path_id(transaction_id)
    except (binascii.Error, ValueError, TypeError, InvalidTransaction):
        problems.append(refused)
        return None
    return ReviewPosition(transaction_id, timestamp_ms)


def review_query(parameters: Mapping[str, str], now_ms: int) -> ReviewQuery:
    """A page of the queue from a request's query string: ``decision`` (review or
    block), ``since`` and ``until`` (ISO 8601; the last 30 days unless said), ``limit``
    (1 to 100) and ``cursor`` (a page's ``next_cursor``). Other parameters are ignored.
    Every problem names its parameter, never the value sent."""
    problems: list[FieldProblem] = []
    decision = parameters.get("decision")
    if decision is not None and decision not in QUEUED_DECISIONS:
        problems.append(FieldProblem("decision", "must be one of: review, block"))
    since, until = time_range(parameters, now_ms, problems)
    limit = page_limit(parameters, problems)
    after = _decode_position(parameters["cursor"], problems) if "cursor" in parameters else None
    if problems or since is None or until is None:
        raise InvalidTransaction(problems)
    return ReviewQuery(since, until, decision, limit, after)


class CaseReader(Protocol):
    def case_item(self, transaction_id: str) -> Mapping[str, Any] | None:
        """The stored item (transaction, decision, labels), or None."""
        ...


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float | Decimal) else None


class CaseService:
    def __init__(self, reader: CaseReader, queue: ReviewReader | None = None) -> None:
        self._reader = reader
        self._queue = queue

    def reviews(self, parameters: Mapping[str, str], now_ms: int) -> dict[str, Any]:
        """A page of the open review queue, each case in brief; ``next_cursor`` asks for
        the next page (null on the last)."""
        if self._queue is None:
            raise RuntimeError("this case service reads no review queue")
        query = review_query(parameters, now_ms)
        items, position = self._queue.open_reviews(query)
        return {
            "reviews": [_in_brief(item) for item in items],
            "next_cursor": None if position is None else encode_position(position),
        }

    def case(self, transaction_id: str) -> dict[str, Any]:
        check_path_id(transaction_id)
        item = self._reader.case_item(transaction_id)
        if item is None:
            raise TransactionNotFound(transaction_id)
        transaction = Transaction.from_record(dict(item))
        labels = [LabelEntry.from_record(entry) for entry in item.get("labels", [])]
        current = effective(labels)
        decision = item.get("decision")
        return {
            "transaction_id": transaction.transaction_id,
            "transaction": transaction.public_view(),
            "decision": decision,
            "assessed": decision is not None,
            "score": _number(item.get("score")),
            "reasons": list(item.get("reasons", [])),
            "features": {
                name: _number(value) for name, value in dict(item.get("features", {})).items()
            },
            "model_version": item.get("model_version"),
            "assessed_at": item.get("assessed_at"),
            # what POST /decisions answered (None: it came by POST /transactions); a
            # degraded answer's policy is there beside the decision made after the fact
            "authorization": _answered(item.get("authorization")),
            "label": None
            if current is None
            else {"label": current[0].label, "source": current[0].source},
            "labels": [entry.to_record() for entry in labels],
        }


def _answered(kept: Any) -> dict[str, Any] | None:
    """What the processor was told, as the case shows it."""
    if not kept:
        return None
    return {
        "decision": kept.get("decision"),
        "score": _number(kept.get("score")),
        "degraded": "policy" in kept,
        "policy": kept.get("policy"),
        "rules_version": kept.get("rules_version"),
        "decided_at": kept.get("decided_at"),
    }


def _in_brief(item: Mapping[str, Any]) -> dict[str, Any]:
    """A queued case as the queue lists it (the whole case is GET /transactions/{id})."""
    transaction = Transaction.from_record(dict(item))
    return {
        "transaction_id": transaction.transaction_id,
        "transaction": transaction.public_view(),
        "decision": item.get("decision"),
        "score": _number(item.get("score")),
        "reasons": list(item.get("reasons", [])),
        "model_version": item.get("model_version"),
        "assessed_at": item.get("assessed_at"),
        "authorization": _answered(item.get("authorization")),
    }
