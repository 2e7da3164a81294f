"""``cardwatch up`` and ``cardwatch replay``: the local stack, and traffic for it."""

from __future__ import annotations

import json
import signal
import threading
from pathlib import Path
from types import FrameType

from rich.console import Console

from cardwatch.local.pipeline import LocalPipeline, LocalSettings
from cardwatch.local.replay import AlertWatcher, send_all, summary_table
from cardwatch.local.traffic import csv_traffic, demo_traffic

__all__ = ["run_replay", "run_up"]


def run_up(port: int, analyze_every: float, api_key: str | None, concurrency: int = 8) -> int:
    console = Console()
    stop = threading.Event()

    def interrupted(_signal: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, interrupted)
    signal.signal(signal.SIGTERM, interrupted)
    settings = LocalSettings(
        port=port, api_key=api_key, analyze_every_seconds=analyze_every, concurrency=concurrency
    )
    with LocalPipeline(settings) as pipeline:
        console.print(f"API          {pipeline.api_url}  (POST /transactions, GET /openapi.json)")
        console.print(f"API key      {pipeline.api_key}  (header x-api-key)")
        console.print(
            f"AWS endpoint {pipeline.emulator.endpoint if pipeline.emulator else ''}"
            f"  region {pipeline.blueprint.region}"
        )
        console.print(f"resources    {settings.state_dir / 'local.json'}")
        console.print(f"concurrency  up to {concurrency} invocations of each function at once")
        console.print("running; Ctrl-C stops everything")
        stop.wait()
        console.print("stopping")
    return 0


def run_replay(
    data: Path | None, simulate: int | None, rate: float, limit: int | None, state_file: Path
) -> int:
    console = Console()
    if not state_file.exists():
        console.print(f"[red]{state_file} not found: start the stack with `cardwatch up`[/]")
        return 2
    state = json.loads(state_file.read_text())
    planned = list(demo_traffic(simulate) if simulate else csv_traffic(data or Path(), limit))
    alerts_url = state["resources"]["queues"][
        next(
            name
            for name in state["resources"]["queues"]
            if name.startswith("alert-processing-") and "-dlq-" not in name
        )
    ]
    watcher = AlertWatcher(alerts_url, state["aws_endpoint"], state["region"], console).start()
    summary = send_all(
        planned, state["api_url"], state["api_key"], rate=rate, total=len(planned), console=console
    )
    watcher.stop(linger=3.0)
    console.print(summary_table(summary, len(watcher.alerts)))
    return 0
