"""DynamoDB's export to S3 as AWS writes it: the files, the names, the incremental kind.

moto 5.2.5 exports a table as one gzipped file of ``{"Item": ...}`` lines under a
random key, with no manifest, an ARN that names an import, and every export full:
``IncrementalExportSpecification`` is read by nobody. What reads an export (a Glue
crawler, Athena, the training set's query) finds nothing where AWS puts it. This patch
writes what AWS writes (the DynamoDB developer guide, "DynamoDB table export output
format"), DynamoDB JSON only:

- ``{prefix}/AWSDynamoDB/{ExportId}/`` with ``_started``, ``manifest-summary.json``,
  ``manifest-files.json`` (one JSON line per data file: its item count, MD5 and key)
  and their ``.checksum`` files, and the data under ``data/`` as ``*.json.gz``;
- the export ARN ``arn:aws:dynamodb:{region}:{account}:table/{name}/export/{ExportId}``,
  the ExportId ``{epoch ms, 14 digits}-{8 hex}``;
- a full export: a line ``{"Item": {...}}`` per item, as of the export time;
- a ``ClientToken`` makes a request idempotent, as on AWS;
- an incremental export of ``[ExportFromTime, ExportToTime)``: compacted, one line per
  item changed in the period, ``{"Metadata": {"WriteTimestampMicros": {"N": ...}},
  "Keys": {...}, "NewImage": {...}, "OldImage": {...}}``: the item as the period left
  it (no ``NewImage``: deleted), and with ``NEW_AND_OLD_IMAGES`` (the default) as it
  was before the period (no ``OldImage``: inserted).

An incremental export needs the table's history, which moto does not keep: the patch
records each write of a table from its first export on (a full one comes first, as on
AWS), for a table with a stream (every write passes through the stream's shard), its
last :data:`HISTORY_WRITES` as compact JSON; it refuses an incremental export of a
table without a stream, or of a period older than what it kept, where AWS would read
its recovery log (35 days). The items and the history are copied under the emulator's
DynamoDB lock (writes run under it), then written out.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import threading
import time
import uuid
from collections import deque
from datetime import UTC, datetime
from typing import Any

__all__ = ["TARGETS", "install"]

#: What the patch replaces or relies on in moto (checked before it installs).
TARGETS = (
    "moto.dynamodb.models.table_export.TableExport.__init__(s3_bucket,s3_prefix,region_name,account_id,table,export_format,export_type)",
    "moto.dynamodb.models.table_export.TableExport._backup_to_s3_file(s3_backend)",
    "moto.dynamodb.models.table_export.TableExport.response",
    "moto.dynamodb.models.table.StreamShard.add(old,new)",
    "moto.dynamodb.responses.DynamoHandler.export_table_to_point_in_time",
    "moto.dynamodb.models.dynamo_type.Item.to_json(root_attr_name)",
    "moto.dynamodb.models.DynamoDBBackend.describe_export(export_arn)",
    "moto.dynamodb.exceptions.DynamodbException",
    "moto.core.responses.ActionResult",
)

_installed = False
#: the incremental specification of the export being requested on this thread
_request = threading.local()
#: each backend's client tokens: token -> (the request it came with, the export it started)
_token_lock = threading.Lock()


def _seconds(value: Any, default: float) -> float:
    """A request's timestamp in epoch seconds (moto parses it to a datetime)."""
    if value is None:
        return default
    return value.timestamp() if isinstance(value, datetime) else float(value)


def _iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat(timespec="milliseconds")[:-6] + "Z"


def _dumped(item: Any) -> str:
    """The item's attributes as compact DynamoDB JSON (moto's encoder)."""
    from moto.dynamodb.models.utilities import dynamo_json_dump  # noqa: PLC0415

    return str(dynamo_json_dump(item.to_json()["Attributes"]))


def _keys(table: Any, attributes: dict[str, Any]) -> dict[str, Any]:
    names = [table.hash_key_attr] + ([table.range_key_attr] if table.range_key_attr else [])
    return {name: attributes[name] for name in names if name in attributes}


#: writes kept per exported table (a local stack's hours; AWS keeps 35 days of log)
HISTORY_WRITES = 50_000


def _history(table: Any) -> deque[tuple[int, str | None, str | None]]:
    """(write time in µs, old item, new item as DynamoDB JSON) of each write, in order."""
    found: deque[Any] = table.__dict__.setdefault("_cardwatch_writes", deque(maxlen=HISTORY_WRITES))
    return found


def _lock() -> Any:
    """The emulator's DynamoDB lock (every write runs under it)."""
    from cardwatch.local.emulator.patches import dynamodb  # noqa: PLC0415

    return dynamodb._LOCK


def _incremental_lines(table: Any, spec: dict[str, Any]) -> list[dict[str, Any]]:
    """The compacted changes of ``[from, to)``: per item, its state before and after."""
    start = int(_seconds(spec.get("ExportFromTime"), 0) * 1_000_000)
    end = int(_seconds(spec.get("ExportToTime"), time.time()) * 1_000_000)
    both = spec.get("ExportViewType", "NEW_AND_OLD_IMAGES") == "NEW_AND_OLD_IMAGES"
    with _lock():
        history = list(_history(table))
    if len(history) == HISTORY_WRITES and history[0][0] > start:
        raise ValueError("the period starts before the oldest write the emulator kept")
    changed: dict[str, dict[str, Any]] = {}
    for micros, old_text, new_text in history:
        if not start <= micros < end:
            continue
        old = None if old_text is None else json.loads(old_text)
        new = None if new_text is None else json.loads(new_text)
        keys = _keys(table, new or old or {})
        name = json.dumps(keys, sort_keys=True)
        line = changed.get(name)
        if line is None:  # the first change in the period: the state before it
            line = changed[name] = {"Keys": keys, "_before": old}
        line["Metadata"] = {"WriteTimestampMicros": {"N": str(micros)}}
        line["_after"] = new
    lines = []
    for line in changed.values():
        before, after = line.pop("_before"), line.pop("_after")
        out = {"Metadata": line["Metadata"], "Keys": line["Keys"]}
        if after is not None:
            out["NewImage"] = after
        if both and before is not None:
            out["OldImage"] = before
        lines.append(out)
    return lines


_originals: dict[str, Any] = {}


def _add(self: Any, old: Any, new: Any) -> None:
    """StreamShard.add: the write recorded in the table's history, then moto's."""
    if getattr(self.table, "_cardwatch_exported", False):
        _history(self.table).append(
            (
                time.time_ns() // 1000,
                None if old is None else _dumped(old),
                None if new is None else _dumped(new),
            )
        )
    _originals["add"](self, old, new)


def _export_request(self: Any) -> Any:
    """DynamoHandler.export_table_to_point_in_time: the incremental specification kept
    for the export this request makes; a ``ClientToken`` asked again with the same
    request answers the export it started, with another request ExportConflictException
    (AWS keeps a token eight hours; the emulator, for the backend's life)."""
    from moto.core.responses import ActionResult  # noqa: PLC0415 - local mode only
    from moto.dynamodb.exceptions import DynamodbException  # noqa: PLC0415

    token = self.body.get("ClientToken")
    asked = json.dumps(
        {k: v for k, v in self.body.items() if k != "ClientToken"}, sort_keys=True, default=str
    )
    with _token_lock:
        tokens = self.dynamodb_backend.__dict__.setdefault("_cardwatch_tokens", {})
        seen = tokens.get(token) if token else None
        if seen is not None:
            if seen[0] != asked:
                raise DynamodbException(
                    "ExportConflictException",
                    "There was a conflict when writing to the specified S3 bucket: the "
                    "client token was used with another request",
                )
            described = self.dynamodb_backend.describe_export(seen[1]).response()
            return ActionResult({"ExportDescription": described})
        _request.spec = self.body.get("IncrementalExportSpecification") or {}
        _request.created = None
        try:
            answer = _originals["request"](self)
        finally:
            _request.spec = None
        if token and _request.created is not None:
            tokens[token] = (asked, _request.created.arn)
        return answer


def _init(self: Any, *args: Any, **kwargs: Any) -> None:
    """TableExport.__init__: AWS's export id and ARN, and the incremental period."""
    _originals["init"](self, *args, **kwargs)
    self.export_id = f"{int(time.time() * 1000):014d}-{uuid.uuid4().hex[:8]}"
    self.arn = (
        f"arn:{self.partition}:dynamodb:{self.region_name}:{self.account_id}:"
        f"table/{self.table.name}/export/{self.export_id}"
    )
    self.incremental = dict(getattr(_request, "spec", None) or {})
    _request.created = self
    self.started = time.time()
    self.table._cardwatch_exported = True  # its writes are kept from now on
    if self.export_type == "INCREMENTAL_EXPORT" and self.table.stream_shard is None:
        raise NotImplementedError(
            "the emulator exports a table incrementally only if it has a stream "
            "(it keeps no point-in-time log otherwise)"
        )


def _base(self: Any) -> str:
    return f"{self.s3_prefix.rstrip('/')}/AWSDynamoDB/{self.export_id}"


def _summary(self: Any, items: int, size: int) -> dict[str, Any]:
    summary = {
        "version": "2023-08-01" if self.export_type == "INCREMENTAL_EXPORT" else "2020-06-30",
        "exportArn": self.arn,
        "startTime": _iso(self.started),
        "endTime": _iso(time.time()),
        "tableArn": self.table.table_arn,
        "tableId": self.table.table_arn.rsplit("/", 1)[-1],
        "exportTime": _iso(self.started),
        "s3Bucket": self.s3_bucket,
        "s3Prefix": self.s3_prefix,
        "s3SseAlgorithm": "AES256",
        "s3SseKmsKeyId": None,
        "manifestFilesS3Key": f"{_base(self)}/manifest-files.json",
        "billedSizeBytes": size,
        "itemCount": items,
        "outputFormat": "DYNAMODB_JSON",
        "exportType": self.export_type,
    }
    if self.export_type == "INCREMENTAL_EXPORT":
        spec = self.incremental
        summary["outputView"] = spec.get("ExportViewType", "NEW_AND_OLD_IMAGES")
        summary["exportFromTime"] = _iso(_seconds(spec.get("ExportFromTime"), 0))
        summary["exportToTime"] = _iso(_seconds(spec.get("ExportToTime"), self.started))
    return summary


def _backup(self: Any, s3_backend: Any) -> None:
    """TableExport._backup_to_s3_file: the data and the manifests where AWS puts them."""
    base, put = _base(self), s3_backend.put_object
    put(bucket_name=self.s3_bucket, key_name=f"{base}/_started", value=b"")
    if self.export_type == "INCREMENTAL_EXPORT":
        lines = _incremental_lines(self.table, self.incremental)
    else:
        with _lock():  # a snapshot: no write between the items read
            items = [_dumped(item) for item in self.table.all_items()]
        lines = [{"Item": json.loads(item)} for item in items]
    body = "".join(json.dumps(line, separators=(",", ":")) + "\n" for line in lines)
    data_key = f"{base}/data/{uuid.uuid4().hex[:26]}.json.gz"
    content = gzip.compress(body.encode())
    put(bucket_name=self.s3_bucket, key_name=data_key, value=content)
    self.item_count, self.processed_bytes = len(lines), len(body)
    digest = hashlib.md5(content).hexdigest()  # noqa: S324 - AWS's field
    files = {"itemCount": len(lines), "md5Checksum": digest, "etag": digest}
    manifests = {
        "manifest-files": json.dumps({**files, "dataFileS3Key": data_key}) + "\n",
        "manifest-summary": json.dumps(_summary(self, len(lines), len(body))),
    }
    for name, text in manifests.items():
        checksum = hashlib.md5(text.encode()).hexdigest()  # noqa: S324
        put(bucket_name=self.s3_bucket, key_name=f"{base}/{name}.json", value=text.encode())
        put(bucket_name=self.s3_bucket, key_name=f"{base}/{name}.checksum", value=checksum.encode())
    self.ended = time.time()
    self.status = "COMPLETED"


def _response(self: Any) -> dict[str, Any]:
    """TableExport.response: with the manifest's key, the export's times (a full export
    holds the table as of its start) and the incremental period."""
    described: dict[str, Any] = _originals["response"](self)
    described["ExportManifest"] = f"{_base(self)}/manifest-summary.json"
    described["StartTime"] = described["ExportTime"] = self.started
    if self.status != "IN_PROGRESS":
        described["EndTime"] = getattr(self, "ended", self.started)
    if self.incremental:
        spec = dict(self.incremental)
        for name in ("ExportFromTime", "ExportToTime"):
            if name in spec:
                spec[name] = _seconds(spec[name], 0)
        described["IncrementalExportSpecification"] = spec
    return described


def install() -> None:
    global _installed  # noqa: PLW0603 (one patch per process)
    if _installed:
        return
    from moto.dynamodb.models.table import StreamShard  # noqa: PLC0415 - local mode only
    from moto.dynamodb.models.table_export import TableExport  # noqa: PLC0415
    from moto.dynamodb.responses import DynamoHandler  # noqa: PLC0415

    _originals.update(
        add=StreamShard.add,
        request=DynamoHandler.export_table_to_point_in_time,
        init=TableExport.__init__,
        response=TableExport.response,
    )
    # the patched members keep moto's signatures (a later check reads them)
    _init.__wrapped__ = TableExport.__init__  # type: ignore[attr-defined]
    StreamShard.add = _add  # type: ignore[method-assign]
    DynamoHandler.export_table_to_point_in_time = _export_request  # type: ignore[method-assign]
    TableExport.__init__ = _init  # type: ignore[method-assign]
    TableExport._backup_to_s3_file = _backup  # type: ignore[method-assign]
    TableExport.response = _response  # type: ignore[method-assign]
    _installed = True
