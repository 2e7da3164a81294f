"""``cardwatch dlq list|show|redrive``: every dead-letter queue, on the local stack or a
deployment, for an operator (tables) or a script (``--json``)."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from typing import Any

from rich.console import Console
from rich.table import Table

from cardwatch.adapters.dead_letters import (
    DeadLetterQueue,
    DeadLetters,
    lambda_invoker,
    queue_invoker,
)
from cardwatch.blueprint import Blueprint, QueueSpec
from cardwatch.cli import audit
from cardwatch.cli.target import CommandError, CommandTarget, command_target

__all__ = ["CommandError", "connect", "run_dlq"]

#: Short names an operator types -> the blueprint's queue attribute.
SHORT = {"suspicious": "suspicious_dlq", "alerts": "alerts_dlq", "failures": "failures_dlq"}
#: Where each queue DLQ's messages came from (the failures DLQ holds records instead).
SOURCES = {"suspicious_dlq": "suspicious_queue", "alerts_dlq": "alerts_queue"}


def _queues(blueprint: Blueprint, url_of: Any) -> dict[str, DeadLetterQueue]:
    found = {}
    for short, attribute in SHORT.items():
        spec: QueueSpec = getattr(blueprint, attribute)
        source = SOURCES.get(attribute)
        source_url = url_of(getattr(blueprint, source).name) if source else None
        found[short] = DeadLetterQueue(spec.name, url_of(spec.name), source_url)
    return found


def connect(target: CommandTarget) -> tuple[dict[str, DeadLetterQueue], DeadLetters]:
    """Every DLQ of ``target`` by short name, and what reads and redrives them."""
    blueprint, sqs = target.blueprint, target.client("sqs")
    if target.endpoint is not None:  # the local stack: its queue URLs and detect's queue
        urls = target.state["resources"]["queues"]
        resources = target.state["resources"]
        invocation_queues = {
            blueprint.functions[key].name: resources[f"{key}_invocation_queue"]
            for key in ("detect", "aggregate")
            if f"{key}_invocation_queue" in resources
        }
        return _queues(blueprint, urls.__getitem__), DeadLetters(
            sqs, queue_invoker(sqs, invocation_queues), target.client("dynamodbstreams")
        )

    def url_of(name: str) -> str:
        url: str = sqs.get_queue_url(QueueName=name)["QueueUrl"]
        return url

    return _queues(blueprint, url_of), DeadLetters(
        sqs, lambda_invoker(target.client("lambda")), target.client("dynamodbstreams")
    )


def _pick(queues: dict[str, DeadLetterQueue], name: str) -> DeadLetterQueue:
    for short, queue in queues.items():
        if name in (short, queue.name):
            return queue
    raise CommandError(f"no dead-letter queue {name!r}: one of {', '.join(queues)}")


def _redrive(
    target: CommandTarget, letters: DeadLetters, queue: DeadLetterQueue, args: argparse.Namespace
) -> int:
    """Redrive ``queue``; the audit trail records who moved how many."""
    done = letters.redrive(queue, args.limit)
    report = {"queue": queue.name, "redriven": done.moved, "left": done.skipped}
    if done.moved:
        audit.record(
            target, "dlq.redrive", queue.name, after=f"{done.moved} redriven", detail=report
        )
    print(
        json.dumps(report)
        if args.json
        else f"{queue.name}: {done.moved} redriven, {done.skipped} left (not redrivable)"
    )
    return 0


def run_dlq(args: argparse.Namespace) -> int:
    console = Console()
    try:
        target = command_target(args)
        queues, letters = connect(target)
        if args.action == "list":
            rows = {
                short: letters.depth(queue) | {"queue": queue.name}
                for short, queue in queues.items()
            }
            if args.json:
                print(json.dumps(rows, indent=2))
            else:
                table = Table(title="dead-letter queues")
                for column in ("name", "queue", "waiting", "in flight"):
                    table.add_column(column)
                for short, row in rows.items():
                    cells = (row["queue"], row["waiting"], row["in_flight"])
                    table.add_row(short, *(str(cell) for cell in cells))
                console.print(table)
            return 0
        queue = _pick(queues, args.name)
        if args.action == "show":
            shown = [
                {
                    "id": message["MessageId"],
                    "sent": datetime.fromtimestamp(
                        int(message.get("Attributes", {}).get("SentTimestamp", 0)) / 1000, UTC
                    ).isoformat(),
                    "kind": letter.kind,
                    "redrivable": letter.redrivable,
                    "summary": letter.summary,
                }
                for message, letter in letters.peek(queue, args.limit)
            ]
            if args.json:
                print(json.dumps(shown, indent=2))
            else:
                table = Table(title=f"{queue.name}: {len(shown)} shown")
                for column in ("sent", "kind", "redrive", "what"):
                    table.add_column(column)
                for row in shown:
                    table.add_row(
                        str(row["sent"]),
                        str(row["kind"]),
                        "yes" if row["redrivable"] else "no",
                        str(row["summary"]),
                    )
                console.print(table)
            return 0
        return _redrive(target, letters, queue, args)
    except CommandError as error:
        print(f"cardwatch dlq: {error}", file=sys.stderr)
        return 2
