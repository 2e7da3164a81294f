"""``cardwatch dlq list|show|redrive``: every dead-letter queue, on the local stack or a
deployment, for an operator (tables) or a script (``--json``)."""

from __future__ import annotations

import argparse
import contextlib
import json
import time
from datetime import UTC, datetime
from typing import Any

from rich.table import Table

from cardwatch.adapters.dead_letters import (
    DeadLetterQueue,
    DeadLetters,
    lambda_invoker,
    letter_key,
    queue_invoker,
)
from cardwatch.adapters.failure_records import DeadLetter
from cardwatch.blueprint import Blueprint, QueueSpec
from cardwatch.cli import audit
from cardwatch.cli.output import console
from cardwatch.cli.target import CommandError, CommandTarget, command_target
from cardwatch.domain.transaction.card_screen import holds_card_number

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


def _carried_ids(document: Any, found: list[str], depth: int = 0) -> list[str]:
    """The transaction ids a dead letter carries, wherever its JSON holds them."""
    if depth > 8 or len(found) >= 20:
        return found
    if isinstance(document, dict):
        for key, value in document.items():
            if key == "transaction_id" and isinstance(value, str) and value not in found:
                found.append(value)
            else:
                _carried_ids(value, found, depth + 1)
    elif isinstance(document, list):
        for value in document[:100]:
            _carried_ids(value, found, depth + 1)
    elif isinstance(document, str) and document.startswith(("{", "[")):
        # an SNS or EventBridge envelope carries its message as a JSON string
        with contextlib.suppress(ValueError):
            _carried_ids(json.loads(document), found, depth + 1)
    return found


#: How far SQS's clock (SentTimestamp) may lag this machine's.
_CLOCK_SKEW_MS = 1000
_WITHHELD = "(withheld: may hold a card number)"


def _screened(text: str) -> str:
    return _WITHHELD if holds_card_number(text, free_text=True) else text


def _shown(message: dict[str, Any], letter: DeadLetter) -> dict[str, Any]:
    """One dead letter as an operator reads it: when, what, which transactions, how often
    it was received, and its body; each field withheld if it may hold a card number
    (the body read decoded, so that no escaped spelling slips through)."""
    text = message["Body"]
    try:
        body: Any = json.loads(text)
        decoded = json.dumps(body, ensure_ascii=False)
    except ValueError:
        body, decoded = text, text
    attributes = message.get("Attributes", {})
    withheld = holds_card_number(text, free_text=True) or holds_card_number(decoded, free_text=True)
    return {
        "id": message["MessageId"],
        "sent": datetime.fromtimestamp(
            int(attributes.get("SentTimestamp", 0)) / 1000, UTC
        ).isoformat(),
        "received": int(attributes.get("ApproximateReceiveCount", 0)),
        "kind": letter.kind,
        "redrivable": letter.redrivable,
        "summary": _screened(letter.summary),
        "transaction_ids": [_screened(tx) for tx in _carried_ids(body, [])],
        "body": _WITHHELD if withheld else body,
    }


def _show(letters: DeadLetters, queue: DeadLetterQueue, args: argparse.Namespace) -> int:
    shown = [_shown(message, letter) for message, letter in letters.peek(queue, args.limit)]
    if args.json:
        print(json.dumps(shown, indent=2))
        return 0
    table = Table(title=f"{queue.name}: {len(shown)} shown", title_justify="left")
    for column in ("sent", "kind", "redrive", "transactions", "what", "body"):
        table.add_column(column, overflow="fold")
    for row in shown:
        body = row["body"] if isinstance(row["body"], str) else json.dumps(row["body"])
        table.add_row(
            row["sent"],
            row["kind"],
            "yes" if row["redrivable"] else "no",
            "\n".join(row["transaction_ids"]) or "-",
            row["summary"],
            body[:300] + ("…" if len(body) > 300 else ""),
        )
    console().print(table)
    return 0


def _came_back(
    letters: DeadLetters, queue: DeadLetterQueue, resent: list[str], watch: float, since_ms: int
) -> int:
    """How many of the letters just resent are back in ``queue`` within ``watch`` seconds
    (failed again: a poison message, or a fault not yet fixed): new dead letters, sent
    since the redrive began, carrying what one of them carried."""
    wanted, back = set(resent), set[str]()
    deadline = time.monotonic() + watch
    while time.monotonic() < deadline and len(back) < len(wanted):
        time.sleep(min(1.0, max(0.0, deadline - time.monotonic())))
        for message, letter in letters.peek(queue, 100):
            sent = int(message.get("Attributes", {}).get("SentTimestamp", 0))
            key = letter_key(letter, message["Body"])
            if sent >= since_ms and key in wanted:
                back.add(key)
    return len(back)


def _redrive(
    target: CommandTarget, letters: DeadLetters, queue: DeadLetterQueue, args: argparse.Namespace
) -> int:
    """Redrive ``queue``; the audit trail records who moved how many; then watch for the
    ones that fail again."""
    since_ms = int(time.time() * 1000) - _CLOCK_SKEW_MS
    done = letters.redrive(queue, args.limit)
    report = {"queue": queue.name, "redriven": done.moved, "left": done.skipped}
    if done.moved:
        audit.record(
            target, "dlq.redrive", queue.name, after=f"{done.moved} redriven", detail=report
        )
    watched = bool(done.resent) and args.watch > 0
    back = _came_back(letters, queue, done.resent, args.watch, since_ms) if watched else 0
    report |= {"came_back": back, "watched_seconds": args.watch if watched else 0}
    if args.json:
        print(json.dumps(report))
    else:
        print(f"{queue.name}: {done.moved} redriven, {done.skipped} left (not redrivable)")
        if back:
            print(
                f"{back} of them failed again and are back in {queue.name} within "
                f"{args.watch:g} s: `cardwatch dlq show {args.name}` shows why"
            )
    return 1 if back else 0


def run_dlq(args: argparse.Namespace) -> int:
    target = command_target(args)
    queues, letters = connect(target)
    if args.action == "list":
        rows = {
            short: letters.depth(queue) | {"queue": queue.name} for short, queue in queues.items()
        }
        if args.json:
            print(json.dumps(rows, indent=2))
        else:
            table = Table(title="dead-letter queues", title_justify="left")
            for column in ("name", "queue", "waiting", "in flight"):
                table.add_column(column)
            for short, row in rows.items():
                cells = (row["queue"], row["waiting"], row["in_flight"])
                table.add_row(short, *(str(cell) for cell in cells))
            console().print(table)
        return 0
    queue = _pick(queues, args.name)
    if args.action == "show":
        return _show(letters, queue, args)
    return _redrive(target, letters, queue, args)
