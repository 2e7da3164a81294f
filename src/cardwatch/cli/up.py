"""``cardwatch up`` and ``cardwatch replay``: the local stack, and traffic for it."""

from __future__ import annotations

import json
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType

import httpx
from rich.console import Console

from cardwatch.local.emulator.server import EmulatorError
from cardwatch.local.runtime.pipeline import ApiPortError, LocalPipeline, LocalSettings
from cardwatch.local.sender import AlertWatcher, fresh_ids, run_tag, send_all, summary_table
from cardwatch.simulation.traffic import csv_traffic, demo_traffic

__all__ = ["run_replay", "run_up"]


def run_up(
    port: int,
    analyze_every: float,
    api_key: str | None,
    concurrency: int = 8,
    emulator_port: int = 0,
    *,
    console_port: int | None = 8090,
    retrain_every: float = 7 * 86_400.0,
) -> int:
    console = Console()
    stop = threading.Event()

    def interrupted(_signal: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, interrupted)
    signal.signal(signal.SIGTERM, interrupted)
    settings = LocalSettings(
        port=port,
        api_key=api_key,
        analyze_every_seconds=analyze_every,
        retrain_every_seconds=retrain_every,
        concurrency=concurrency,
        emulator_port=emulator_port,
    )
    pipeline = LocalPipeline(settings)
    try:
        pipeline.__enter__()  # closes what it started when it fails
    except (EmulatorError, ApiPortError) as error:
        print(f"cardwatch up: {error}", file=sys.stderr)
        return 2
    try:
        console.print(f"API          {pipeline.api_url}  (POST /transactions, GET /openapi.json)")
        console.print(f"API key      {pipeline.api_key}  (header x-api-key)")
        console.print(
            f"AWS endpoint {pipeline.emulator.endpoint if pipeline.emulator else ''}"
            f"  region {pipeline.blueprint.region}"
        )
        console.print(f"resources    {settings.state_dir / 'local.json'}")
        console.print(f"concurrency  up to {concurrency} invocations of each function at once")
        with _analyst_console(settings.state_dir / "local.json", console_port, console):
            console.print("running; Ctrl-C stops everything")
            stop.wait()
            console.print("stopping")
    finally:
        pipeline.close()
    return 0


@contextmanager
def _analyst_console(state: Path, port: int | None, console: Console) -> Iterator[None]:
    """The analyst console beside the stack (where the alerts' links point), unless
    ``port`` is None; a port in use is a note, not a failure of the stack."""
    if port is None:
        yield
        return
    from cardwatch.cli.console import ConsoleServer, local_source  # noqa: PLC0415
    from cardwatch.cli.target import CommandError  # noqa: PLC0415

    try:
        server = ConsoleServer(local_source(state), port=port).__enter__()
    except CommandError:
        console.print(f"console      port {port} in use: `cardwatch console --port N` starts one")
        yield
        return
    console.print(f"console      {server.url}  (the analyst console; alerts link to it)")
    try:
        yield
    finally:
        server.__exit__(None, None, None)


#: ``cardwatch replay``'s exit codes.
REPLAY_EXIT = {
    0: "every request accepted (201)",
    1: "some requests were refused (4xx) or failed (5xx, no answer)",
    2: "bad arguments or an unreadable data or state file",
    3: "the local stack is not running (no answer from its API)",
}


def run_replay(
    data: Path | None,
    simulate: int | None,
    rate: float,
    limit: int | None,
    state_file: Path,
    *,
    clients: int = 4,
    keep_ids: bool = False,
    as_json: bool = False,
    decisions: bool = False,
) -> int:
    console = Console(stderr=as_json, quiet=as_json)

    def error(text: str) -> None:
        print(f"cardwatch replay: {text}", file=sys.stderr)

    if not state_file.exists():
        error(f"{state_file} not found: start the stack with `cardwatch up`")
        return 2
    try:
        state = json.loads(state_file.read_text())
        api_url, api_key = state["api_url"], state["api_key"]
    except (ValueError, KeyError):
        error(f"{state_file} is not a state file `cardwatch up` wrote")
        return 2
    planned = list(demo_traffic(simulate) if simulate else csv_traffic(data or Path(), limit))
    if not planned:
        error("nothing to send (the data file has no rows)")
        return 2
    tag = "" if keep_ids else run_tag()
    if tag:
        planned = fresh_ids(planned, tag)
    try:
        httpx.get(f"{api_url}/health", timeout=5).raise_for_status()
    except httpx.HTTPError:
        error(f"no answer from {api_url}: is `cardwatch up` running?")
        return 3
    watcher = AlertWatcher(
        state["resources"]["alert_topic"], state["aws_endpoint"], state["region"], console, tag
    ).start()
    summary = send_all(
        planned,
        api_url,
        api_key,
        rate=rate,
        total=len(planned),
        console=console,
        clients=clients,
        decisions=decisions,
    )
    watcher.stop(linger=3.0)
    if as_json:
        report = summary.as_dict(len(watcher.alerts)) | {
            "run_tag": tag or None,
            "watcher_error": watcher.error,
        }
        print(json.dumps(report, indent=2))
    else:
        console.print(summary_table(summary, len(watcher.alerts)))
        for note in (summary.rate_shortfall(), watcher.error):
            if note:
                console.print(f"[yellow]{note}[/]")
    return 1 if summary.refused else 0
