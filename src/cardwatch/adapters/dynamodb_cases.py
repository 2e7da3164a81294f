"""The analysts' cases in DynamoDB: one partition key per case, every write conditional.

Under a case's key (``case_id``), by ``item``:

- ``case``: the case (status, assignee, outcome, notes, history, version), and its
  ``queue`` (its status) and ``opened_at`` for the status index;
- ``member#<transaction id>``: one per transaction in it, written once;
- ``key#<search key>``: one per search key (card token, BIN and last four, BIN, user,
  terminal), with ``search_key`` and ``opened_at`` for the search index.

An episode's pointer is an item of its own (``episode#<entity>``): which case a card's
next flagged transaction joins. Every write is a single-item conditional write, never a
transaction: a card-testing run puts one member item, a count update, a last-time update and
a pointer update per transaction (about 1 WCU each), and none of them conflicts with another.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import Any

from botocore.exceptions import ClientError

from cardwatch.adapters.dynamodb_errors import BUSY_CODES
from cardwatch.adapters.dynamodb_store import from_attributes, to_attributes
from cardwatch.domain.cases.case import Case, CaseQuery, Member
from cardwatch.domain.errors import StoreBusy

__all__ = ["DynamoCaseStore"]

_CASE = "case"
_MEMBER = "member#"
_KEY = "key#"
_EPISODE = "episode#"


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


class DynamoCaseStore:
    """:class:`~cardwatch.domain.ports.CaseStore` on the cases table."""

    def __init__(self, table_name: str, client: Any, search_index: str, queue_index: str) -> None:
        self._table, self._client = table_name, client
        self._search_index, self._queue_index = search_index, queue_index

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
            self._client.put_item(
                TableName=self._table,
                Item={
                    **self._key(case_id, _KEY + key),
                    "search_key": {"S": key},
                    "opened_at": {"N": str(opened_ms)},
                },
            )

    def create(self, case: Case, keys: Iterable[str]) -> bool:
        record = _stored(case.to_record())
        record |= {"item": _CASE, "queue": case.queue, "opened_at": case.opened_ms}
        made = self._conditional(
            "put_item",
            Item=to_attributes(record),
            ConditionExpression="attribute_not_exists(case_id)",
        )
        if made:
            try:
                self._key_items(case.case_id, case.opened_ms, keys)
            except ClientError as error:
                _failed(error)
                raise
        return made

    def join(self, case_id: str, opened_ms: int, member: Member, keys: Iterable[str]) -> bool:
        try:
            self._key_items(case_id, opened_ms, keys)
        except ClientError as error:
            _failed(error)
            raise
        record = _stored(member.to_record()) | {
            "case_id": case_id,
            "item": _MEMBER + member.transaction_id,
        }
        if not self._conditional(
            "put_item",
            Item=to_attributes(record),
            ConditionExpression="attribute_not_exists(case_id)",
        ):
            return False
        # the count once per member; the case's decision only ever rises to block
        expression = "ADD members :one"
        values: dict[str, Any] = {":one": {"N": "1"}}
        if member.decision == "block":
            expression += " SET decision = :block"
            values[":block"] = {"S": "block"}
        self._conditional(
            "update_item",
            Key=self._key(case_id, _CASE),
            UpdateExpression=expression,
            ExpressionAttributeValues=values,
            ConditionExpression="attribute_exists(case_id)",
        )
        # its last time only ever moves on (members come in any order)
        self._conditional(
            "update_item",
            Key=self._key(case_id, _CASE),
            UpdateExpression="SET last_ms = :at",
            ConditionExpression="last_ms < :at",
            ExpressionAttributeValues={":at": {"N": str(member.timestamp_ms or opened_ms)}},
        )
        return True

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
            for _ in range(8):
                answer = self._client.batch_get_item(RequestItems=request)
                for item in answer.get("Responses", {}).get(self._table, []):
                    case = Case.from_record(_plain(from_attributes(item)))
                    found[case.case_id] = case
                request = answer.get("UnprocessedKeys") or {}
                if not request:
                    break
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
