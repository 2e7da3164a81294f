"""``cardwatch demo`` (``make demo``): the pipeline on the embedded emulator, realistic
traffic with fraud in it, and the alerts a security team would receive."""

from __future__ import annotations

import json
import re
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

from rich.console import Console
from rich.table import Table

from cardwatch.cli import output
from cardwatch.cli.up import refuse_a_second
from cardwatch.local.runtime.event_wiring import wait_until
from cardwatch.local.runtime.pipeline import LocalPipeline, LocalSettings
from cardwatch.local.sender import AlertWatcher, send_all, summary_table
from cardwatch.simulation.traffic import demo_traffic

__all__ = ["run_demo"]

_WHY = re.compile(r"^\s+- ([A-Z_]+): (.*)$", re.MULTILINE)


def _alerts_table(alerts: list[dict[str, str]]) -> Table:
    table = Table(
        title="alerts the security team received (e-mail + alert-processing queue)", show_lines=True
    )
    table.add_column("severity")
    table.add_column("alert")
    table.add_column("why", max_width=70)
    for alert in alerts:
        reasons = "\n".join(f"{code}: {detail}" for code, detail in _WHY.findall(alert["message"]))
        table.add_row(alert["severity"], alert["subject"], reasons)
    return table


def run_demo(
    count: int = 600,
    rate: float = 80.0,
    console: Console | None = None,
    state_dir: Path = Path(".cardwatch/demo"),
    *,
    as_json: bool = False,
) -> int:
    console = console or output.console(stderr=as_json)
    refuse_a_second(state_dir / "local.json")  # a running stack's directory is its own
    settings = LocalSettings(port=0, analyze_every_seconds=3600, state_dir=state_dir)
    with LocalPipeline(settings) as pipeline:
        assert pipeline.made is not None and pipeline.wiring is not None
        console.print(
            f"[bold]cardwatch local[/]: API {pipeline.api_url}, "
            f"emulator {pipeline.emulator.endpoint if pipeline.emulator else ''}"
        )
        window = settings.analysis_window_seconds
        window_end = datetime.fromtimestamp(time.time() // window * window, UTC)
        planned = demo_traffic(
            count, start=window_end - timedelta(seconds=10), span=timedelta(minutes=4)
        )
        kinds = Counter(item.kind for item in planned)
        console.print("traffic: " + ", ".join(f"{n} {kind}" for kind, n in kinds.items()))
        watcher = AlertWatcher(
            pipeline.made.topic_arn,
            pipeline.emulator.endpoint if pipeline.emulator else "",
            pipeline.blueprint.region,
            console,
        ).start()
        summary = send_all(
            planned,
            pipeline.api_url,
            pipeline.api_key,
            rate=rate,
            total=len(planned),
            console=console,
        )
        stats = pipeline.wiring.stats
        accepted = summary.statuses.get(201, 0)
        wait_until(lambda: stats.detect_invocations >= accepted, timeout=60)
        console.print("running the five-minute pattern analysis on that window")
        pipeline.wiring.run_analysis(int(window_end.timestamp() * 1000))
        watcher.stop(linger=4.0)
        if as_json:
            alerts = [
                {
                    "severity": alert["severity"],
                    "subject": alert["subject"],
                    "reasons": [
                        {"code": code, "detail": detail}
                        for code, detail in _WHY.findall(alert["message"])
                    ],
                }
                for alert in watcher.alerts
            ]
            report = summary.as_dict(len(watcher.alerts)) | {"traffic": dict(kinds)}
            print(json.dumps(report | {"alert_list": alerts}, indent=2))
        else:
            console.print(_alerts_table(watcher.alerts))
            console.print(summary_table(summary, len(watcher.alerts)))
        console.print(f"function logs (one file per log group): {settings.state_dir / 'logs'}/")
    return 0 if watcher.alerts else 1
