"""The analysts' cases in DynamoDB: one partition key per case, every write conditional.

Under a case's key (``case_id``), by ``item``:

- ``case``: the case (status, assignee, outcome, notes, history, version), and its
  ``queue`` (its status) and ``opened_at`` for the status index;
- ``member#<transaction id>``: one per transaction in it, written once;
- ``key#<search key>``: one per search key (card token, BIN and last four, BIN, user,
  terminal), with ``search_key`` and ``opened_at`` for the search index.

An episode's pointer is an item of its own (``episode#<entity>``): which case a card's
next flagged transaction joins; so is a finding's marker (``finding#<transaction id>``):
which case it joined, so a finding delivered again joins nothing new. A member joins in
one transaction with its marker and the case's count, on the condition that the case is
still open and under its size: a transaction cannot land in a case an analyst closed,
and the count is exact. A card-testing run's transactions contend for their case's item
(at a flagged rate, far below a terminal's), and a cancelled join is retried.
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import Any

from botocore.exceptions import ClientError

from cardwatch.adapters.dynamodb_errors import (
    BUSY_CODES,
    RETRYABLE_CANCELLATIONS,
    cancellation_codes,
)
from cardwatch.adapters.dynamodb_store import from_attributes, to_attributes
from cardwatch.blueprint import Blueprint
from cardwatch.domain.cases.case import MAX_MEMBERS, Case, CaseQuery, Joined, Member
from cardwatch.domain.errors import StoreBusy

__all__ = ["DynamoCaseStore", "finding_marker"]

_CASE = "case"
_MEMBER = "member#"
_KEY = "key#"
_EPISODE = "episode#"
_FINDING = "finding#"


def _stored(value: Any) -> Any:
    """A record as DynamoDB takes it: floats as decimals, no nulls, no empty maps."""
    if isinstance(value, float):
        return Decimal(f"{value:.9g}")
    if isinstance(value, dict):
        return {k: _stored(v) for k, v in value.items() if v is not None}
    if isinstance(value, list | tuple):
        return [_stored(v) for v in value]
    return value


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _failed(error: ClientError) -> bool:
    """True for a failed condition; :class:`StoreBusy` for throttling; else raised."""
    code = error.response["Error"]["Code"]
    if code == "ConditionalCheckFailedException":
        return True
    if code in BUSY_CODES:
        raise StoreBusy(code) from error
    raise error


def finding_marker(transaction_id: str) -> dict[str, Any]:
    """The key of the item that marks a transaction's finding as joined to its case
    (written by notify whether or not the cooldown keeps the alert quiet)."""
    return {"case_id": {"S": _FINDING + transaction_id}, "item": {"S": "finding"}}


class DynamoCaseStore:
    """:class:`~cardwatch.domain.ports.CaseStore` on the cases table."""

    def __init__(self, table_name: str, client: Any, search_index: str, queue_index: str) -> None:
        self._table, self._client = table_name, client
        self._search_index, self._queue_index = search_index, queue_index

    @classmethod
    def of(cls, blueprint: Blueprint, client: Any) -> DynamoCaseStore:
        """The cases table a deployment's blueprint names."""
        return cls(
            blueprint.case_table_name,
            client,
            blueprint.case_search_index_name,
            blueprint.case_queue_index_name,
        )

    def _key(self, case_id: str, item: str) -> dict[str, Any]:
        return {"case_id": {"S": case_id}, "item": {"S": item}}

    def _conditional(self, call: str, **kwargs: Any) -> bool:
        try:
            getattr(self._client, call)(TableName=self._table, **kwargs)
        except ClientError as error:
            return not _failed(error)
        return True

    # -- episodes -----------------------------------------------------------------
    def pointer(self, entity: str) -> tuple[str, int] | None:
        found = self._client.get_item(
            TableName=self._table, Key=self._key(_EPISODE + entity, "episode"), ConsistentRead=True
        ).get("Item")
        if found is None:
            return None
        return found["case_of"]["S"], int(found["last_ms"]["N"])

    def claim(self, entity: str, case_id: str, at_ms: int, replacing: str | None) -> bool:
        condition = "attribute_not_exists(case_of)" if replacing is None else "case_of = :replacing"
        values = {} if replacing is None else {":replacing": {"S": replacing}}
        return self._conditional(
            "put_item",
            Item={
                **self._key(_EPISODE + entity, "episode"),
                "case_of": {"S": case_id},
                "last_ms": {"N": str(at_ms)},
            },
            ConditionExpression=condition,
            **({"ExpressionAttributeValues": values} if values else {}),
        )

    def extend(self, entity: str, case_id: str, at_ms: int) -> None:
        self._conditional(
            "update_item",
            Key=self._key(_EPISODE + entity, "episode"),
            UpdateExpression="SET last_ms = :at",
            ConditionExpression="case_of = :case AND last_ms < :at",
            ExpressionAttributeValues={":case": {"S": case_id}, ":at": {"N": str(at_ms)}},
        )

    # -- cases and members ----------------------------------------------------------
    def _key_items(self, case_id: str, opened_ms: int, keys: Iterable[str]) -> None:
        for key in sorted(set(keys)):  # the same item each time: a rewrite changes nothing
            try:
                self._client.put_item(
                    TableName=self._table,
                    Item={
                        **self._key(case_id, _KEY + key),
                        "search_key": {"S": key},
                        "opened_at": {"N": str(opened_ms)},
                    },
                )
            except ClientError as error:
                _failed(error)
                raise

    def create(self, case: Case, keys: Iterable[str]) -> bool:
        record = _stored(case.to_record())
        record |= {"item": _CASE, "queue": case.queue, "opened_at": case.opened_ms}
        made = self._conditional(
            "put_item",
            Item=to_attributes(record),
            ConditionExpression="attribute_not_exists(case_id)",
        )
        # the keys each time (a create that failed after its put is finished by the next)
        self._key_items(case.case_id, case.opened_ms, keys)
        return made

    def join(self, case_id: str, opened_ms: int, member: Member, keys: Iterable[str]) -> Joined:
        """One transaction: the case is still open and under its size, the member and
        the finding's marker are new, and the case's count (and decision) follow; the
        search keys after it (idempotent puts)."""
        record = _stored(member.to_record()) | {
            "case_id": case_id,
            "item": _MEMBER + member.transaction_id,
        }
        update = "ADD members :one"
        values: dict[str, Any] = {
            ":one": {"N": "1"},
            ":closed": {"S": "closed"},
            ":most": {"N": str(MAX_MEMBERS)},
        }
        if member.decision == "block":  # a case's decision only ever rises to block
            update += " SET decision = :block"
            values[":block"] = {"S": "block"}
        marker = finding_marker(member.transaction_id)
        try:
            self._client.transact_write_items(
                TransactItems=[
                    {
                        "Update": {
                            "TableName": self._table,
                            "Key": self._key(case_id, _CASE),
                            "UpdateExpression": update,
                            "ConditionExpression": (
                                "attribute_exists(case_id) AND #status <> :closed "
                                "AND members < :most"
                            ),
                            "ExpressionAttributeNames": {"#status": "status"},
                            "ExpressionAttributeValues": values,
                        }
                    },
                    {
                        "Put": {
                            "TableName": self._table,
                            "Item": to_attributes(record),
                            "ConditionExpression": "attribute_not_exists(case_id)",
                        }
                    },
                    {
                        "Put": {
                            "TableName": self._table,
                            "Item": {**marker, "case_of": {"S": case_id}},
                            "ConditionExpression": "attribute_not_exists(case_id)",
                        }
                    },
                ]
            )
        except ClientError as error:
            reasons = cancellation_codes(error)
            if not reasons:
                _failed(error)
                raise
            if any(reason in RETRYABLE_CANCELLATIONS for reason in reasons):
                raise StoreBusy(reasons[0]) from error
            if reasons[2] == "ConditionalCheckFailed":  # this finding joined a case before
                return Joined(self._marked(marker), joined=False)
            return Joined(None, joined=False)  # the case closed or filled meanwhile
        self._key_items(case_id, opened_ms, keys)
        # its last time only ever moves on (members come in any order)
        self._conditional(
            "update_item",
            Key=self._key(case_id, _CASE),
            UpdateExpression="SET last_ms = :at",
            ConditionExpression="last_ms < :at",
            ExpressionAttributeValues={":at": {"N": str(member.timestamp_ms or opened_ms)}},
        )
        return Joined(case_id, joined=True)

    def _marked(self, marker: dict[str, Any]) -> str | None:
        found = self._client.get_item(TableName=self._table, Key=marker, ConsistentRead=True)
        item = found.get("Item")
        return None if item is None else str(item["case_of"]["S"])

    def joined(self, transaction_id: str) -> str | None:
        return self._marked(finding_marker(transaction_id))

    def case(self, case_id: str) -> Case | None:
        found = self._client.get_item(
            TableName=self._table, Key=self._key(case_id, _CASE), ConsistentRead=True
        ).get("Item")
        return None if found is None else Case.from_record(_plain(from_attributes(found)))

    def members(self, case_id: str) -> list[Member]:
        found = [
            Member.from_record(_plain(from_attributes(item)))
            for item in self._pages(
                KeyConditionExpression="case_id = :case AND begins_with(#item, :member)",
                ExpressionAttributeNames={"#item": "item"},
                ExpressionAttributeValues={":case": {"S": case_id}, ":member": {"S": _MEMBER}},
            )
        ]
        return sorted(found, key=lambda m: (m.timestamp_ms or 0, m.transaction_id))

    def _pages(self, **kwargs: Any) -> Iterator[dict[str, Any]]:
        pages = self._client.get_paginator("query").paginate(TableName=self._table, **kwargs)
        for page in pages:
            yield from page.get("Items", [])

    def change(self, case: Case) -> bool:
        record = _stored(case.to_record())
        return self._conditional(
            "update_item",
            Key=self._key(case.case_id, _CASE),
            UpdateExpression=(
                "SET #status = :status, #queue = :status, assignee = :assignee, "
                "outcome = :outcome, notes = :notes, #history = :history, version = :version"
            ),
            ConditionExpression="version = :before",
            ExpressionAttributeNames={
                "#status": "status",
                "#queue": "queue",
                "#history": "history",
            },
            ExpressionAttributeValues={
                ":status": {"S": case.status},
                ":assignee": to_attributes({"v": case.assignee})["v"],
                ":outcome": to_attributes({"v": case.outcome})["v"],
                ":notes": to_attributes({"v": record.get("notes", [])})["v"],
                ":history": to_attributes({"v": record.get("history", [])})["v"],
                ":version": {"N": str(case.version)},
                ":before": {"N": str(case.version - 1)},
            },
        )

    # -- search -------------------------------------------------------------------------
    def search(self, query: CaseQuery) -> tuple[list[Case], tuple[int, str] | None]:
        if query.key is not None:
            index, name, value = self._search_index, "search_key", query.key
        else:
            index, name, value = self._queue_index, "queue", query.status or "open"
        kwargs: dict[str, Any] = {
            "IndexName": index,
            "KeyConditionExpression": "#k = :k AND opened_at BETWEEN :since AND :until",
            "ExpressionAttributeNames": {"#k": name},
            "ExpressionAttributeValues": {
                ":k": {"S": value},
                ":since": {"N": str(query.since_ms)},
                ":until": {"N": str(query.until_ms)},
            },
            "ScanIndexForward": query.oldest_first,
            "Limit": query.limit + 1,  # one more: whether there is a next page
        }
        if query.after is not None:
            opened, case_id = query.after
            item = _KEY + query.key if query.key is not None else _CASE
            kwargs["ExclusiveStartKey"] = {
                **self._key(case_id, item),
                name: {"S": value},
                "opened_at": {"N": str(opened)},
            }
        ids: list[tuple[int, str]] = []
        for found in self._pages(**kwargs):
            ids.append((int(found["opened_at"]["N"]), found["case_id"]["S"]))
            if len(ids) > query.limit:
                break
        chosen = ids[: query.limit]
        cases = self._cases([case_id for _, case_id in chosen])
        page = [cases[case_id] for _, case_id in chosen if case_id in cases]
        if query.key is not None and query.status is not None:
            page = [case for case in page if case.status == query.status]
        more = len(ids) > query.limit
        return page, chosen[-1] if more and chosen else None

    def _cases(self, case_ids: list[str]) -> dict[str, Case]:
        found: dict[str, Case] = {}
        wanted = [self._key(case_id, _CASE) for case_id in dict.fromkeys(case_ids)]
        while wanted:
            batch, wanted = wanted[:100], wanted[100:]
            request: dict[str, Any] = {self._table: {"Keys": batch}}
            for attempt in range(8):
                answer = self._client.batch_get_item(RequestItems=request)
                for item in answer.get("Responses", {}).get(self._table, []):
                    case = Case.from_record(_plain(from_attributes(item)))
                    found[case.case_id] = case
                request = answer.get("UnprocessedKeys") or {}
                if not request:
                    break
                time.sleep(min(0.05 * 2**attempt, 1.0) * random.random())  # noqa: S311
            if request:  # a page short of cases would skip them: the caller retries
                raise StoreBusy("UnprocessedKeys")
        return found

    def count(self, status: str) -> int:
        pages = self._client.get_paginator("query").paginate(
            TableName=self._table,
            IndexName=self._queue_index,
            KeyConditionExpression="#k = :k",
            ExpressionAttributeNames={"#k": "queue"},
            ExpressionAttributeValues={":k": {"S": status}},
            Select="COUNT",
        )
        return sum(int(page["Count"]) for page in pages)
