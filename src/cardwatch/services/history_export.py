"""Keep the decision log's exports current: the export function's use case.

The decision log leaves DynamoDB by the table's export to S3, never by a Scan: one full
export, then incremental ones, each of at most a day (AWS's limit) and at least the
deployment's interval (never under AWS's 15 minutes). Each run, on a schedule:

1. registers every completed export in the catalog table the SQL engine reads (an
   export registered twice is one partition);
2. if an export is still running, waits for it (exports of one table follow each other,
   so every period is covered once and in order);
3. else starts the next one: the full export if none completed, else the incremental
   one from where the last completed export ends, once its interval has passed. A run
   that falls behind (a failed export, a paused schedule) catches up a day per run.

Starting is idempotent: the same period, asked again (a retried invocation, two runs
at once), is the same export, by its client token. A failed export is retried under a
new token, and reported.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from cardwatch.domain.ports import ExportCatalog, TableExport, TableExports

__all__ = [
    "FULL",
    "INCREMENTAL",
    "MAX_PERIOD_MICROS",
    "MIN_PERIOD_MICROS",
    "ExportRun",
    "keep_exporting",
]

FULL, INCREMENTAL = "FULL_EXPORT", "INCREMENTAL_EXPORT"
COMPLETED, FAILED, IN_PROGRESS = "COMPLETED", "FAILED", "IN_PROGRESS"
#: An incremental export covers at least 15 minutes and at most 24 hours (DynamoDB).
MIN_PERIOD_MICROS = 15 * 60 * 1_000_000
MAX_PERIOD_MICROS = 24 * 3600 * 1_000_000


@dataclass(frozen=True, slots=True)
class ExportRun:
    """What one run did: exports registered, the one started, why none, those failed."""

    registered: tuple[str, ...] = ()
    started: TableExport | None = None
    waiting: str = ""
    failed: tuple[str, ...] = field(default_factory=tuple)
    #: the newest point in time the catalog holds the table as of (None: nothing yet)
    exported_to_micros: int | None = None

    def to_record(self) -> dict[str, Any]:
        return {
            "registered": list(self.registered),
            "started": self.started.export_id if self.started else None,
            "started_kind": self.started.kind if self.started else None,
            "waiting": self.waiting,
            "failed": list(self.failed),
            "exported_to_micros": self.exported_to_micros,
        }


def _token(*parts: object) -> str:
    return hashlib.sha256("/".join(map(str, parts)).encode()).hexdigest()[:32]


def keep_exporting(
    exports: TableExports,
    catalog: ExportCatalog,
    now_micros: int,
    every_micros: int,
    *,
    as_of: int | None = None,
) -> ExportRun:
    """One run (see the module); ``every_micros``: the interval between exports.
    ``as_of``: the catalog must hold the table as of then; when no incremental export
    may be taken yet, a full one is (an operator's on-demand training wants the log as it
    is; a full export has no shortest period, and costs the table's size: never on the
    schedule)."""
    if not MIN_PERIOD_MICROS <= every_micros <= MAX_PERIOD_MICROS:
        raise ValueError("the export interval is between 15 minutes and a day")
    known = catalog.registered()
    found = exports.exports(known)
    newly = [e for e in found if e.status == COMPLETED and e.export_id not in known]
    for export in newly:
        catalog.register(export)
        known[export.export_id] = export.to_micros
    failed = tuple(e.export_id for e in found if e.status == FAILED)
    edge = max(known.values(), default=None)

    def run(started: TableExport | None = None, waiting: str = "") -> ExportRun:
        ids = tuple(e.export_id for e in newly)
        return ExportRun(ids, started, waiting, failed, edge)

    running = [e for e in found if e.status == IN_PROGRESS]
    if running:
        return run(waiting=f"export {running[0].export_id} is in progress")
    if edge is None:  # the same hour's runs ask for one full export
        attempt = sum(1 for e in found if e.status == FAILED and e.kind == FULL)
        hour = now_micros // 3_600_000_000
        return run(exports.start(FULL, now_micros, None, _token(FULL, hour, attempt)))
    if now_micros - edge < every_micros:
        if as_of is not None and edge < as_of:  # one full export for each moment asked
            return run(exports.start(FULL, now_micros, None, _token(FULL, "as-of", as_of)))
        return run(waiting="the next export is not due yet")
    end = min(now_micros, edge + MAX_PERIOD_MICROS)
    attempt = sum(1 for e in found if e.status == FAILED and e.from_micros == edge)
    return run(exports.start(INCREMENTAL, end, edge, _token(INCREMENTAL, edge, end, attempt)))
