"""``cardwatch audit``: the audit trail of the local stack or a deployment, and how the
other commands write to it.

Every privileged command (``rules publish``, ``model publish|promote|rollback``,
``dlq redrive``) appends a record naming the operator: the IAM principal the command
ran as (``sts:GetCallerIdentity``) and the person at the terminal.
"""

from __future__ import annotations

import argparse
import getpass
import json
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from cardwatch.adapters.clients import AWS_ERRORS
from cardwatch.adapters.dynamodb_audit import DynamoAuditTrail
from cardwatch.cli.target import CommandError, CommandTarget, command_target, guarded
from cardwatch.domain.audit.record import ACTIONS, AuditRecord
from cardwatch.domain.errors import StoreBusy
from cardwatch.domain.transaction.card_screen import holds_card_number

__all__ = ["operator", "record", "run_audit", "screened_note"]

#: The longest period ``cardwatch audit`` reads, in days (ten years).
_MAX_DAYS = 3650


def operator(target: CommandTarget) -> str:
    """Who runs the command: the IAM principal's ARN and the person at the terminal."""
    arn = target.client("sts").get_caller_identity()["Arn"]
    return f"{arn} ({getpass.getuser()})"


#: Attempts at a record the table throttles, a second apart at most.
_ATTEMPTS = 5


def record(
    target: CommandTarget,
    action: str,
    acted_on: str,
    *,
    before: str = "",
    after: str = "",
    detail: dict[str, Any] | None = None,
) -> None:
    """Append the record of ``action`` on ``acted_on``, made now by the operator: tried
    again while the table is busy (the same record: a retry finds it written); when it
    cannot be written, a :class:`CommandError` says the act is done and unrecorded."""
    trail = DynamoAuditTrail(target.blueprint.audit_table_name, target.client("dynamodb"))
    entry = AuditRecord(
        operator(target), action, acted_on, AuditRecord.moment(), before, after, detail or {}
    )
    for attempt in range(_ATTEMPTS):
        try:
            trail.record(entry)
            return
        except StoreBusy:
            time.sleep(min(1.0, 0.1 * 2**attempt))
        except AWS_ERRORS as error:
            done = f"{action} is done, but its audit record was not written"
            raise CommandError(f"{done}: {error}") from None
    raise CommandError(f"{action} is done, but the audit table stayed busy: it is not recorded")


def screened_note(note: str | None) -> None:
    """Refuse an operator's note that may hold a card number (a note is kept in the
    audit trail and beside the version)."""
    if note is not None and holds_card_number(note, free_text=True):
        raise CommandError("--note may hold a card number; card numbers are never kept")


def run_audit(args: argparse.Namespace) -> int:
    return guarded("audit", _run, args)


def _run(args: argparse.Namespace) -> int:
    if not 0 < args.days <= _MAX_DAYS:  # NaN compares false: refused too
        raise CommandError(f"--days must be a number of days above 0, at most {_MAX_DAYS}")
    if args.action is not None and args.action not in ACTIONS:
        raise CommandError(f"--action must be one of {', '.join(ACTIONS)}")
    target = command_target(args)
    end = datetime.now(UTC) + timedelta(seconds=1)
    start = end - timedelta(days=args.days)
    trail = DynamoAuditTrail(target.blueprint.audit_table_name, target.client("dynamodb"))
    found = [
        r
        for r in trail.between(start.isoformat(), end.isoformat())
        if args.action is None or r.action == args.action
    ]
    if args.json:
        print(json.dumps([r.to_item() for r in found], indent=2, default=str))
        return 0
    from rich.table import Table  # noqa: PLC0415

    from cardwatch.cli import output  # noqa: PLC0415

    table = Table(title=f"audit trail, last {args.days:g} days", title_justify="left")
    for column in ("at", "who", "what", "on", "before", "after"):
        table.add_column(column, overflow="fold")
    for r in found:
        table.add_row(r.at, r.actor, r.action, r.target, r.before, r.after)
    # piped, a table is read by a program or a pager: wide enough not to fold a column
    console = output.console()
    console.print(table)
    console.print(f"{len(found)} records")
    return 0
