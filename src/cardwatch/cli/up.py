"""``cardwatch up`` and ``cardwatch replay``: the local stack, and traffic for it."""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

from cardwatch.adapters.clients import emulator_session
from cardwatch.blueprint import blueprint_for
from cardwatch.cli.exits import CommandError
from cardwatch.cli.output import console
from cardwatch.local.emulator.server import EmulatorError
from cardwatch.local.runtime.pipeline import ApiPortError, LocalPipeline, LocalSettings
from cardwatch.local.sender import AlertWatcher, fresh_ids, run_tag, send_all, summary_table
from cardwatch.local.settlement import Settled, Settlement
from cardwatch.local.stack_state import NoLocalStack, live_state
from cardwatch.simulation.traffic import csv_traffic, demo_traffic

__all__ = ["refuse_a_second", "run_replay", "run_up"]


def run_up(
    port: int,
    analyze_every: float,
    api_key: str | None,
    concurrency: int = 8,
    emulator_port: int = 0,
    *,
    console_port: int | None = 8090,
    retrain_every: float = 7 * 86_400.0,
    state_dir: Path = Path(".cardwatch"),
) -> int:
    out = console()
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
        state_dir=state_dir,
    )
    refuse_a_second(settings.state_dir / "local.json")
    pipeline = LocalPipeline(settings)
    try:
        pipeline.__enter__()  # closes what it started when it fails
    except (EmulatorError, ApiPortError) as error:
        print(f"cardwatch up: {error}", file=sys.stderr)
        return 2
    try:
        out.print(f"API          {pipeline.api_url}  (POST /transactions, GET /openapi.json)")
        out.print(f"API key      {pipeline.api_key}  (header x-api-key)")
        out.print(
            f"AWS endpoint {pipeline.emulator.endpoint if pipeline.emulator else ''}"
            f"  region {pipeline.blueprint.region}"
        )
        out.print(f"resources    {pipeline.state_file}  (removed when the stack stops)")
        out.print(
            f"logs         {settings.state_dir / 'logs'}/  (this run's; the last in previous/)"
        )
        out.print(f"concurrency  up to {concurrency} invocations of each function at once")
        out.print(
            "state        in memory only: tables, queues, parameters and models start empty "
            "and are gone when the stack stops"
        )
        with _analyst_console(pipeline.state_file, console_port, out):
            out.print("running; Ctrl-C stops everything")
            stop.wait()
            out.print("stopping")
    finally:
        pipeline.close()
    return 0


def refuse_a_second(state_file: Path) -> None:
    """One stack per state file: a second ``up`` would overwrite the first's."""
    try:
        state = live_state(state_file)
    except NoLocalStack:
        return
    raise CommandError(
        f"a local stack is already running (process {state.get('pid')}, API "
        f"{state['api_url']}); stop it first, or give this one a --state-dir of its own"
    )


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


def run_replay(args: argparse.Namespace) -> int:
    """Send, wait until the pipeline has assessed what was accepted and notify has
    handled what was suspicious (bounded by ``--wait``), and count the alerts."""
    as_json = args.json
    out = console(stderr=as_json)
    state = live_state(args.state)
    planned = list(
        demo_traffic(args.simulate) if args.simulate else csv_traffic(args.data, args.limit)
    )
    if not planned:
        raise CommandError("nothing to send (the data file has no rows)")
    tag = "" if args.keep_ids else run_tag()
    if tag:
        planned = fresh_ids(planned, tag)
    watcher = AlertWatcher(
        state["resources"]["alert_topic"], state["aws_endpoint"], state["region"], out, tag
    ).start()
    try:
        summary = send_all(
            planned,
            state["api_url"],
            state["api_key"],
            rate=args.rate,
            total=len(planned),
            console=out,
            clients=args.clients,
            decisions=args.decisions,
        )
        settled = _settle(state, summary.accepted, args.wait, out)
        watcher.quiet(_DELIVERY_SECONDS, most=_DELIVERY_SECONDS * 5)
    finally:
        watcher.stop()
    alerts = len(watcher.alerts)
    if as_json:
        report = summary.as_dict(alerts) | {
            "run_tag": tag or None,
            "settled": settled.as_dict(),
            "watcher_error": watcher.error,
        }
        print(json.dumps(report, indent=2))
    else:
        extra = [
            ("assessed", f"{settled.assessed:,} of {settled.accepted:,}"),
            ("suspicious (left notify)", f"{settled.suspicious:,} ({settled.notified:,})"),
            ("still in flight", f"{settled.in_flight:,}"),
        ]
        out.print(summary_table(summary, alerts, extra))
        for note in (summary.rate_shortfall(), watcher.error, _in_flight_note(settled, args)):
            if note:
                out.print(f"[yellow]{note}[/]")
    # with --wait 0 nothing was waited for: what is in flight is no finding
    return 1 if summary.refused or (settled.in_flight and args.wait > 0) else 0


#: Once notify has handled every suspicious transaction, the alerts are counted when
#: none has arrived for this long (notify publishes just after it writes the case).
_DELIVERY_SECONDS = 2.0


def _settle(state: dict[str, Any], accepted: dict[str, int], wait: float, out: Any) -> Settled:
    """Wait, with a progress bar, for what was accepted to be assessed and notified."""
    dynamodb = emulator_session(state["region"]).client(
        "dynamodb", endpoint_url=state["aws_endpoint"]
    )
    blueprint = blueprint_for("local", state.get("environment_suffix", "local"))
    settlement = Settlement(dynamodb, blueprint.table_name, blueprint.case_table_name, accepted)
    if wait <= 0 or not accepted:
        settlement.look()  # where things stand, without waiting
        return settlement.state
    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=out,
    ) as progress:
        assessed = progress.add_task("assessed", total=len(accepted))
        notified = progress.add_task("suspicious, through notify", total=0)

        def shown(now: Settled) -> None:
            progress.update(assessed, completed=now.assessed)
            progress.update(notified, completed=now.notified, total=now.suspicious)

        return settlement.wait(wait, progress=shown)


def _in_flight_note(settled: Settled, args: argparse.Namespace) -> str | None:
    if not settled.in_flight:
        return None
    return (
        f"{settled.in_flight:,} still in flight after {args.wait:g} s: their alerts are not "
        "counted (raise --wait, or see `cardwatch dlq list`)"
    )
