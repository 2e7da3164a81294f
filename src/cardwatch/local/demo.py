"""``cardwatch demo``: the pipeline on the embedded emulator, with traffic a person can read."""

from __future__ import annotations

import json
import logging
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from cardwatch.blueprint import Blueprint, blueprint_for
from cardwatch.handlers import wiring
from cardwatch.local.emulator import running_emulator
from cardwatch.local.function_logs import FunctionLogs
from cardwatch.local.lambda_runtime import LocalLambda
from cardwatch.local.provision import provision

__all__ = ["run_demo"]

_SAMPLES: list[tuple[str, dict[str, Any]]] = [
    ("valid card payment", {}),
    ("the same payment again", {}),
    ("same id, other amount", {"amount": 999}),
    ("missing amount", {"amount": None}),
    ("card number fails Luhn", {"transaction_id": "demo-2", "card_number": "4111111111111112"}),
    ("a CVV is sent", {"transaction_id": "demo-3", "cvv": "123"}),
    ("too many decimals", {"transaction_id": "demo-4", "amount": 10.005}),
    ("yen, no minor units", {"transaction_id": "demo-5", "amount": 5400, "currency": "JPY"}),
]


def _document(now: str, **changes: Any) -> dict[str, Any]:
    document = {
        "transaction_id": "demo-1",
        "user_id": "cardholder-1",
        "amount": 42.5,
        "currency": "USD",
        "timestamp": now,
        "terminal_id": "term-1",
        "card_number": "4111111111111111",
        "channel": "pos",
    } | changes
    return {key: value for key, value in document.items() if value is not None}


def _proxy_event(body: str) -> dict[str, Any]:
    return {
        "resource": "/transactions",
        "path": "/transactions",
        "httpMethod": "POST",
        "headers": {"content-type": "application/json"},
        "body": body,
        "isBase64Encoded": False,
        "requestContext": {"requestId": "demo", "stage": Blueprint.api_stage},
    }


def run_demo(console: Console | None = None) -> int:
    console = console or Console()
    blueprint = blueprint_for("local", "local")
    with running_emulator(blueprint.region) as emulator:
        console.print(f"[bold]emulator[/] moto server at {emulator.endpoint}")
        made = provision(blueprint, emulator.session())
        for key in blueprint.functions:
            os.environ.update(made.environment(blueprint, key))
        wiring.reset()
        logs = FunctionLogs(Path(".cardwatch/logs"))
        functions = LocalLambda(blueprint, logs)
        logs.install(logging.getLogger(Blueprint.service_name))
        now = datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
        table = Table(title="POST /transactions through the ingest function")
        for column in ("case", "status", "answer"):
            table.add_column(column)
        for label, changes in _SAMPLES:
            event = _proxy_event(json.dumps(_document(now, **changes)))
            response = functions.invoke("ingest", event)
            answer = json.loads(response["body"])
            stored = answer.get("transaction", {})
            summary = answer.get("message") or (
                f"stored {stored['amount']} {stored['currency']}"
                f" card {stored['card']['bin']}…{stored['card']['last4']}"
            )
            table.add_row(label, str(response["statusCode"]), summary)
        console.print(table)
        items = emulator.session().client("dynamodb").scan(TableName=blueprint.table_name)
        logs.close()
        console.print(f"function logs: {logs.directory}/")
        console.print(
            f"items in {blueprint.table_name}: {items['Count']} "
            "(each transaction and its uniqueness guard)"
        )
    return 0
