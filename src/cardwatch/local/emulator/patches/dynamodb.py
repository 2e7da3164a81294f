"""Where moto's DynamoDB differs from DynamoDB in what cardwatch relies on, made faithful.

Local mode and the tests run the production code against moto's server; these three
differences would otherwise hide real behaviour, so they are fixed here, on the local
side, and never worked around in the production design:

1. **Atomic operations under concurrency.** moto's server handles requests on many
   threads, and its item writes are read-modify-write in Python: two concurrent
   ``UpdateItem ADD`` calls on one item can lose one. DynamoDB applies each request to
   an item atomically. Every DynamoDB operation here runs under one lock.
2. **Transactions.** moto applies a ``TransactWriteItems`` write by write and, when
   one fails, restores a deep copy of every table it touched, taken at its start: each
   transaction copies whole tables, and the restore would drop the writes other
   requests made meanwhile. Here every condition is checked first and the writes are
   applied only when all hold (all or nothing, nothing to restore), with the
   cancellation reasons DynamoDB gives.
3. **Consumed capacity.** moto answers ``ReturnConsumedCapacity`` with a constant.
   Here the units follow DynamoDB's documented rules: item size from attribute names
   and values; writes 1 unit per KB of the larger of the old and new item, plus each
   global secondary index the item is in; reads 1 unit per 4 KB (strongly
   consistent) or half (eventually), a query summing what it reads before rounding;
   transactions twice. ``make bench`` measures a transaction's cost with it.

And one of speed: moto answers a query on a table's key by sorting every item of the
table; here it reads the one partition, as DynamoDB does, so a query's time does not
grow with the table.
"""

from __future__ import annotations

import base64
import inspect
import json
import math
import threading
from collections.abc import Callable
from decimal import Decimal
from functools import partial, wraps
from typing import Any

from cardwatch.local.emulator.patches import dynamodb_limits as limits

__all__ = ["TARGETS", "install", "item_size"]
#: What the patch replaces or relies on in moto (checked before it installs).
TARGETS = (
    "moto.dynamodb.models.DynamoDBBackend.put_item(table_name,item_attrs)",
    "moto.dynamodb.models.DynamoDBBackend.update_item(table_name,key,update_expression,expression_attribute_names,expression_attribute_values)",
    "moto.dynamodb.models.DynamoDBBackend.delete_item(table_name,key)",
    "moto.dynamodb.models.DynamoDBBackend.get_item(table_name,keys)",
    "moto.dynamodb.models.DynamoDBBackend.query(table_name,hash_key_dict,index_name,consistent_read)",
    "moto.dynamodb.exceptions.DynamodbException",
    "moto.dynamodb.exceptions.TransactionCanceledException",
    "moto.dynamodb.exceptions.MultipleTransactionsException",
    "moto.dynamodb.exceptions.TooManyTransactionsException",
    "moto.dynamodb.exceptions.ConditionalCheckFailed",
    "moto.dynamodb.exceptions.MockValidationException",
    "moto.dynamodb.comparisons.get_filter_expression(expr,names,values)",
    "moto.dynamodb.models.dynamo_type.Item.to_json",
    "moto.dynamodb.models.table.SecondaryIndex",
    "moto.dynamodb.models.DynamoDBBackend.scan",
    "moto.dynamodb.models.DynamoDBBackend.transact_write_items(transact_items)",
    "moto.dynamodb.models.DynamoDBBackend.get_table(table_name)",
    "moto.dynamodb.models.DynamoDBBackend.get_keys_value(table,keys)",
    "moto.dynamodb.responses.DynamoHandler.put_item",
    "moto.dynamodb.responses.DynamoHandler.update_item",
    "moto.dynamodb.responses.DynamoHandler.delete_item",
    "moto.dynamodb.responses.DynamoHandler.get_item",
    "moto.dynamodb.responses.DynamoHandler.query",
    "moto.dynamodb.responses.DynamoHandler.transact_write_items",
    "moto.dynamodb.models.table.Table.all_items",
    "moto.dynamodb.models.table.Table.query(hash_key,index_name)",
    "moto.dynamodb.models.table.Table.get_item(hash_key,range_key)",
)


_LOCK = threading.RLock()
_local = threading.local()
_installed = False


# -- sizes and units ---------------------------------------------------------------
def _number_size(text: str) -> int:
    digits = Decimal(text).normalize().as_tuple().digits
    return math.ceil(len(digits) / 2) + 1


def _binary_size(inner: Any) -> int:
    return len(base64.b64decode(inner)) if isinstance(inner, str) else len(inner)


_SIZES: dict[str, Callable[[Any], int]] = {
    "S": lambda inner: len(inner.encode()),
    "N": _number_size,
    "B": _binary_size,
    "BOOL": lambda _inner: 1,
    "NULL": lambda _inner: 1,
    "SS": lambda inner: sum(len(s.encode()) for s in inner),
    "NS": lambda inner: sum(_number_size(n) for n in inner),
    "BS": lambda inner: sum(_binary_size(b) for b in inner),
    "L": lambda inner: 3 + sum(1 + _value_size(v) for v in inner),
    "M": lambda inner: 3 + sum(1 + len(k.encode()) + _value_size(v) for k, v in inner.items()),
}


def _value_size(value: dict[str, Any]) -> int:
    ((kind, inner),) = value.items()
    return _SIZES[kind](inner)


def item_size(attributes: dict[str, Any] | None) -> int:
    """An item's size as DynamoDB counts it (attribute names plus values), in bytes."""
    if not attributes:
        return 0
    return sum(len(name.encode()) + _value_size(value) for name, value in attributes.items())


def _attributes(item: Any) -> dict[str, Any] | None:
    return None if item is None else item.to_json()["Attributes"]


def _write_units(before: dict[str, Any] | None, after: dict[str, Any] | None) -> float:
    units = float(max(1, math.ceil(max(item_size(before), item_size(after)) / 1024)))
    return units


def _hash_attr(index: Any) -> str:
    return str(next(k["AttributeName"] for k in index.schema if k["KeyType"] == "HASH"))


def _text(value: dict[str, Any]) -> str:
    return json.dumps(value, sort_keys=True)


def projected(table: Any, index: Any, attrs: dict[str, Any] | None) -> dict[str, Any] | None:
    """What of an item an index holds: every attribute (``ALL``), or the table's and the
    index's keys, with the index's ``NonKeyAttributes`` for ``INCLUDE``."""
    if attrs is None:
        return None
    projection = getattr(index, "projection", None) or {}
    kind = projection.get("ProjectionType", "ALL")
    if kind == "ALL":
        return attrs
    names = {table.hash_key_attr, table.range_key_attr, *index.schema_key_attrs}
    if kind == "INCLUDE":
        names |= set(projection.get("NonKeyAttributes", []))
    return {name: value for name, value in attrs.items() if name in names}


def _index_writes(
    table: Any, before: dict[str, Any] | None, after: dict[str, Any] | None
) -> list[tuple[limits.Partition, float]]:
    """Writes to each global secondary index, by the index partition they land on: an
    item entering, leaving or changing in it (moving within an index: two writes), by
    the size of what the index projects; an update that changes no projected attribute
    writes nothing to the index (as DynamoDB documents)."""
    writes: list[tuple[limits.Partition, float]] = []
    for index in getattr(table, "global_indexes", []):
        keys, hash_attr = index.schema_key_attrs, _hash_attr(index)
        was = before is not None and all(k in before for k in keys)
        now = after is not None and all(k in after for k in keys)
        if not (was or now):
            continue
        old, new = projected(table, index, before), projected(table, index, after)
        if was and now and old == new:
            continue  # nothing the index holds changed
        moved = was and now and any(before[k] != after[k] for k in keys)  # type: ignore[index]
        units = _write_units(old if was else None, new if now else None)
        for item in [before] * was + [after] * (now and (moved or not was)):
            writes.append(((table.name, index.name, _text(item[hash_attr])), units))  # type: ignore[index]
    return writes


def _partitions(table: Any, attrs: dict[str, Any] | None) -> list[limits.Partition]:
    """The table's partition of an item, and the partition of each index it is in."""
    if not attrs or table.hash_key_attr not in attrs:
        return []
    found = [(table.name, "", _text(attrs[table.hash_key_attr]))]
    for index in getattr(table, "global_indexes", []):
        if all(k in attrs for k in index.schema_key_attrs):
            found.append((table.name, index.name, _text(attrs[_hash_attr(index)])))
    return found


def _throughput_exceeded(partition: limits.Partition) -> Exception:
    from moto.dynamodb.exceptions import DynamodbException  # noqa: PLC0415

    table, index, _ = partition
    where = f"index {index} of table {table}" if index else f"table {table}"
    return DynamodbException(
        "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException",
        f"Throughput exceeds the current capacity of a partition of {where}.",
    )


def _conflict() -> Exception:
    from moto.dynamodb.exceptions import DynamodbException  # noqa: PLC0415

    return DynamodbException(
        "com.amazonaws.dynamodb.v20120810#TransactionConflictException",
        "Transaction is ongoing for the item",
    )


def _admit_write(backend: Any, table_name: str, items: list[dict[str, Any] | None]) -> None:
    """Refuse a single-item write to an item a transaction holds, or to a partition (of
    the table or an index the item is in) that has used its second's units."""
    table = backend.get_table(table_name)
    first = next((item for item in items if item), None)
    if first is not None and limits.held(table_name, _text(_key_of(backend, table_name, first))):
        raise _conflict()
    over = limits.admit("write", [p for item in items for p in _partitions(table, item)])
    if over is not None:
        raise _throughput_exceeded(over)


def _charge(kind: str, units: float) -> None:
    charges = getattr(_local, "charges", None)
    if charges is not None:
        factor = 2.0 if getattr(_local, "in_transaction", False) else 1.0
        charges[kind] += units * factor


# -- the backend -------------------------------------------------------------------
def _locked(method: Callable[..., Any]) -> Callable[..., Any]:
    @wraps(method)
    def run(*args: Any, **kwargs: Any) -> Any:
        with _LOCK:
            return method(*args, **kwargs)

    return run


def _current(backend: Any, table_name: str, key: dict[str, Any]) -> dict[str, Any] | None:
    table = backend.get_table(table_name)
    hash_key, range_key = backend.get_keys_value(table, key)
    return _attributes(table.get_item(hash_key, range_key))


def _key_of(backend: Any, table_name: str, attrs: dict[str, Any]) -> dict[str, Any]:
    table = backend.get_table(table_name)
    names = [table.hash_key_attr] + ([table.range_key_attr] if table.range_key_attr else [])
    return {name: attrs[name] for name in names}


def _charge_write(backend: Any, table_name: str, before: Any, after: Any) -> None:
    table = backend.get_table(table_name)
    base = _write_units(before, after)
    indexes = _index_writes(table, before, after)
    _charge("write", base + sum(units for _, units in indexes))
    factor = 2.0 if getattr(_local, "in_transaction", False) else 1.0
    for partition in _partitions(table, after or before)[:1]:
        limits.record("write", partition, base * factor)
    for partition, units in indexes:  # a transaction does not double an index's writes
        limits.record("write", partition, units)


def _entered_over(
    backend: Any, table_name: str, before: Any, after: Any
) -> limits.Partition | None:
    """An index partition the written item entered that has used its second's units."""
    table = backend.get_table(table_name)
    entered = [p for p in _partitions(table, after) if p not in _partitions(table, before)]
    return limits.admit("write", entered)


def _measured_writes(backend_class: Any) -> None:
    put_item, update_item = backend_class.put_item, backend_class.update_item
    delete_item = backend_class.delete_item

    def put(self: Any, table_name: str, item_attrs: dict[str, Any], *a: Any, **k: Any) -> Any:
        before = _current(self, table_name, _key_of(self, table_name, item_attrs))
        if not getattr(_local, "in_transaction", False):
            _admit_write(self, table_name, [item_attrs, before])
        result = put_item(self, table_name, item_attrs, *a, **k)
        _charge_write(self, table_name, before, _attributes(result))
        return result

    def update(self: Any, table_name: str, key: dict[str, Any], *a: Any, **k: Any) -> Any:
        before = _current(self, table_name, key)
        checked = not getattr(_local, "in_transaction", False)
        if checked:
            _admit_write(self, table_name, [before or key])
        result = update_item(self, table_name, key, *a, **k)
        if checked:  # an update may put the item into an index partition over its units
            over = _entered_over(self, table_name, before, _attributes(result))
            if over is not None:  # undone, under the lock: no one saw it
                undo = (
                    partial(delete_item, self, table_name, key)
                    if before is None
                    else (partial(put_item, self, table_name, before))
                )
                undo()
                raise _throughput_exceeded(over)
        _charge_write(self, table_name, before, _attributes(result))
        return result

    def delete(self: Any, table_name: str, key: dict[str, Any], *a: Any, **k: Any) -> Any:
        before = _current(self, table_name, key)
        if not getattr(_local, "in_transaction", False):
            _admit_write(self, table_name, [before or key])
        result = delete_item(self, table_name, key, *a, **k)
        if before is not None:
            _charge_write(self, table_name, before, None)
        return result

    # wraps(): the replacement answers to the member's signature (the fence checks it)
    backend_class.put_item = _locked(wraps(put_item)(put))
    backend_class.update_item = _locked(wraps(update_item)(update))
    backend_class.delete_item = _locked(wraps(delete_item)(delete))


def _read(partition: limits.Partition, size: float, consistent: bool) -> None:
    _charge("read_bytes", size)
    limits.record("read", partition, math.ceil(size / 4096) * (1.0 if consistent else 0.5))


def _admit_read(partition: limits.Partition) -> None:
    over = limits.admit("read", [partition])
    if over is not None:
        raise _throughput_exceeded(over)


def _measured_reads(backend_class: Any) -> None:
    get_item, query = backend_class.get_item, backend_class.query
    # the arguments the query's partition is read from, by their place after table_name
    names = list(inspect.signature(query).parameters)[2:]
    at = {name: names.index(name) for name in ("hash_key_dict", "index_name", "consistent_read")}

    def argument(name: str, a: tuple[Any, ...], k: dict[str, Any]) -> Any:
        return k[name] if name in k else a[at[name]] if len(a) > at[name] else None

    def get(self: Any, table_name: str, keys: dict[str, Any], *a: Any, **k: Any) -> Any:
        table = self.get_table(table_name)
        partition = (table_name, "", _text(keys[table.hash_key_attr]))
        _admit_read(partition)
        size = float(max(item_size(_current(self, table_name, keys)), 1))
        _read(partition, size, bool(getattr(_local, "consistent", False)))
        return get_item(self, table_name, keys, *a, **k)

    def run_query(self: Any, table_name: str, *a: Any, **k: Any) -> Any:
        index = argument("index_name", a, k) or ""
        partition = (table_name, index, _text(argument("hash_key_dict", a, k) or {}))
        _admit_read(partition)
        answer = query(self, table_name, *a, **k)
        table = self.get_table(table_name)
        read_from = next((i for i in table.global_indexes if i.name == index), None)
        total = 0
        for r in answer[0]:
            item = _current(self, table_name, _key_of(self, table_name, _attributes(r) or {}))
            # an index's item is what it projects
            total += item_size(item if read_from is None else projected(table, read_from, item))
        _read(partition, float(max(total, 1)), bool(argument("consistent_read", a, k)))
        return answer

    backend_class.get_item = _locked(wraps(get_item)(get))
    backend_class.query = _locked(wraps(query)(run_query))
    backend_class.scan = _locked(backend_class.scan)


def _patch_backend(backend_class: Any) -> None:
    _measured_writes(backend_class)
    _measured_reads(backend_class)

    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        _transact(self, transact_items)

    original = backend_class.transact_write_items
    backend_class.transact_write_items = _locked(wraps(original)(transact_write_items))


def _transact(backend: Any, transact_items: list[dict[str, Any]]) -> None:
    """Check every condition first; apply the writes only if all hold."""
    from moto.dynamodb.exceptions import (  # noqa: PLC0415 (moto only in local mode)
        TooManyTransactionsException,
        TransactionCanceledException,
    )

    if len(transact_items) > 100:
        raise TooManyTransactionsException()
    errors = _check(backend, transact_items)
    if any(code is not None for code, _, _ in errors):
        raise TransactionCanceledException(errors)
    _local.in_transaction = True
    try:
        for entry in transact_items:
            _apply(backend, *next(iter(entry.items())))
    finally:
        _local.in_transaction = False
    limits.hold(
        (op["TableName"], _text(_written_key(backend, op_type, op)))
        for op_type, op in (next(iter(entry.items())) for entry in transact_items)
    )


def _written_key(backend: Any, op_type: str, op: dict[str, Any]) -> dict[str, Any]:
    return _key_of(backend, op["TableName"], op["Item"]) if op_type == "Put" else dict(op["Key"])


def _check(backend: Any, transact_items: list[dict[str, Any]]) -> list[tuple[Any, Any, Any]]:
    """Each write's cancellation reason (``(None, None, None)``: its condition holds)."""
    from moto.dynamodb.comparisons import get_filter_expression  # noqa: PLC0415
    from moto.dynamodb.exceptions import (  # noqa: PLC0415
        ConditionalCheckFailed,
        MultipleTransactionsException,
    )

    seen: set[tuple[str, str]] = set()
    errors: list[tuple[Any, Any, Any]] = []
    for entry in transact_items:
        op_type, op = next(iter(entry.items()))
        key = _written_key(backend, op_type, op)
        _check_key_types(backend.get_table(op["TableName"]), key)
        identity = (op["TableName"], str(sorted(key.items())))
        if identity in seen:
            raise MultipleTransactionsException()
        seen.add(identity)
        table = backend.get_table(op["TableName"])
        existing = table.get_item(*backend.get_keys_value(table, key))
        limited = _limited(table, key, [_attributes(existing) or key, op.get("Item")])
        if limited is not None:
            errors.append(limited)
            continue
        condition = op.get("ConditionExpression")
        holds = condition is None or get_filter_expression(
            condition, op.get("ExpressionAttributeNames"), op.get("ExpressionAttributeValues")
        ).expr(existing)
        failed = None if holds else ConditionalCheckFailed()
        errors.append(
            (None, None, None)
            if failed is None
            else ("ConditionalCheckFailed", str(failed.message), None)
        )
    return errors


def _limited(
    table: Any, key: dict[str, Any], items: list[dict[str, Any] | None]
) -> tuple[str, str, None] | None:
    """A write's cancellation by DynamoDB's physics: another transaction in flight holds
    its item, or a partition it writes (the table's, an index's) used its units."""
    if limits.held(table.name, _text(key)):
        return ("TransactionConflict", "Transaction is ongoing for the item", None)
    over = limits.admit("write", [p for item in items for p in _partitions(table, item)])
    if over is not None:
        index = f" of index {over[1]}" if over[1] else ""
        return ("ThrottlingError", f"Throughput exceeds the capacity of a partition{index}", None)
    return None


def _check_key_types(table: Any, key: dict[str, Any]) -> None:
    """DynamoDB refuses the whole request when a key has the wrong type; moto would only
    fail that one write, after the ones before it were applied."""
    from moto.dynamodb.exceptions import MockValidationException  # noqa: PLC0415

    types = {a["AttributeName"]: a["AttributeType"] for a in table.attr}
    for name, value in key.items():
        if name in types and next(iter(value)) != types[name]:
            raise MockValidationException(
                "One or more parameter values were invalid: Type mismatch for key "
                f"{name} expected: {types[name]} actual: {next(iter(value))}"
            )


def _apply(backend: Any, op_type: str, op: dict[str, Any]) -> None:
    if op_type == "Put":
        backend.put_item(op["TableName"], op["Item"])
    elif op_type == "Update":
        backend.update_item(
            op["TableName"],
            op["Key"],
            update_expression=op["UpdateExpression"],
            expression_attribute_names=op.get("ExpressionAttributeNames"),
            expression_attribute_values=op.get("ExpressionAttributeValues"),
        )
    elif op_type == "Delete":
        backend.delete_item(op["TableName"], op["Key"])
    else:  # ConditionCheck: a read, charged as DynamoDB does, as a write of the item
        _charge("write", 1.0)


# -- the handler: answer with the units ------------------------------------------------
def _patch_handler(handler_class: Any) -> None:
    def measured(name: str) -> None:
        method = getattr(handler_class, name)

        @wraps(method)
        def run(self: Any, *args: Any, **kwargs: Any) -> Any:
            _local.charges = {"write": 0.0, "read_bytes": 0.0}
            _local.consistent = bool(self.body.get("ConsistentRead"))
            try:
                result = method(self, *args, **kwargs)
            finally:
                charges, _local.charges = _local.charges, None
            wanted = self.body.get("ReturnConsumedCapacity", "NONE")
            if wanted == "NONE":
                return result
            units = charges["write"]
            if name in {"get_item", "query"} and charges["read_bytes"]:
                factor = 1.0 if self.body.get("ConsistentRead") else 0.5
                units += math.ceil(charges["read_bytes"] / 4096) * factor
            table = self.body.get("TableName", "")
            body = result.result
            if name == "transact_write_items":
                tables = {next(iter(e.values()))["TableName"] for e in self.body["TransactItems"]}
                table = ",".join(sorted(tables))
                body["ConsumedCapacity"] = [{"TableName": table, "CapacityUnits": units}]
            else:
                body["ConsumedCapacity"] = {"TableName": table, "CapacityUnits": units}
            return result

        setattr(handler_class, name, run)

    for name in ("put_item", "update_item", "delete_item", "get_item", "query"):
        measured(name)
    measured("transact_write_items")


def _patch_table(table_class: Any) -> None:
    all_items, query = table_class.all_items, table_class.query
    # where index_name sits among the positional arguments after self and hash_key
    index_at = list(inspect.signature(query).parameters).index("index_name") - 2

    def partition_items(self: Any) -> list[Any]:
        only = getattr(self, "_cardwatch_partition", None)
        if only is None:
            return list(all_items(self))
        partition = self.items.get(only)
        return sorted(partition.values(), key=lambda item: item.range_key) if partition else []

    def partition_query(self: Any, hash_key: Any, *args: Any, **kwargs: Any) -> Any:
        index_name = kwargs.get("index_name", args[index_at] if len(args) > index_at else None)
        if index_name is not None or not self.range_key_attr or hash_key is None:
            return query(self, hash_key, *args, **kwargs)
        self._cardwatch_partition = hash_key
        try:
            return query(self, hash_key, *args, **kwargs)
        finally:
            self._cardwatch_partition = None

    table_class.all_items = wraps(all_items)(partition_items)
    table_class.query = wraps(query)(partition_query)


def install() -> None:
    """Make moto's DynamoDB (in this process) behave as described above. Idempotent."""
    global _installed  # noqa: PLW0603 (one patch per process)
    with _LOCK:
        if _installed:
            return
        from moto.dynamodb.models import DynamoDBBackend  # noqa: PLC0415
        from moto.dynamodb.models.table import Table  # noqa: PLC0415
        from moto.dynamodb.responses import DynamoHandler  # noqa: PLC0415

        _patch_backend(DynamoDBBackend)
        _patch_handler(DynamoHandler)
        _patch_table(Table)
        _installed = True
