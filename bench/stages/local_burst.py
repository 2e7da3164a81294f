"""Issue 18's burst: 2,000 requests from 16 clients as fast as the local API answers,
and the CPU per transaction it costs the emulator and the local runtime."""

from __future__ import annotations

import os
import time
from pathlib import Path

from rich.console import Console

from bench.results import Result


def run() -> list[Result]:
    """2,000 requests from 16 clients as fast as the local API answers (issue 18's
    burst), beside a bare emulator's calls a second from 16 threads in the same run."""
    from concurrent.futures import ThreadPoolExecutor

    import boto3

    from cardwatch.local.runtime.event_wiring import wait_until
    from cardwatch.local.runtime.pipeline import LocalPipeline, LocalSettings
    from cardwatch.local.sender import send_all
    from cardwatch.simulation.traffic import demo_traffic

    settings = LocalSettings(
        port=0, analyze_every_seconds=3600, state_dir=Path(".cardwatch/bench-burst")
    )
    with LocalPipeline(settings) as pipeline:
        ddb = boto3.client("dynamodb")
        table = pipeline.blueprint.profile_table_name

        def puts(worker: int) -> None:
            for n in range(50):
                ddb.put_item(
                    TableName=table,
                    Item={"entity": {"S": f"bench#{worker}#{n}"}, "slot": {"S": "-"}},
                )

        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=16) as pool:
            list(pool.map(puts, range(16)))
        bare_rate = 800 / (time.perf_counter() - started)
        planned = demo_traffic(2000, seed=12)[:2000]
        assert pipeline.emulator is not None and pipeline.functions is not None
        emulator_pid, detected = pipeline.emulator.pid, pipeline.functions.durations["detect"]
        before = (_cpu_seconds(emulator_pid), _cpu_seconds(os.getpid()), len(detected))
        summary = send_all(
            planned,
            pipeline.api_url,
            pipeline.api_key,
            rate=0,
            total=len(planned),
            console=Console(quiet=True),
            clients=16,
        )
        accepted = summary.statuses.get(201, 0)
        wait_until(lambda: len(detected) - before[2] >= accepted, timeout=900)
        emulator_ms = (_cpu_seconds(emulator_pid) - before[0]) * 1000 / accepted
        local_ms = (_cpu_seconds(os.getpid()) - before[1]) * 1000 / accepted
    errors = sum(n for status, n in summary.statuses.items() if status >= 500 or status == 0)
    cores = os.cpu_count() or 1
    return [
        Result(
            "local pipeline: CPU per transaction, accepted to assessed (emulator)",
            emulator_ms,
            "ms",
            note="the emulator's process, from the burst's first request until detect "
            "had assessed every accepted transaction",
        ),
        Result(
            "local pipeline: CPU per transaction, accepted to assessed (local runtime)",
            local_ms,
            "ms",
            note="gateway, functions, pollers and event wiring, with the burst's 16 clients "
            "(all in this process)",
        ),
        Result(
            "local pipeline: the most transactions a second this machine can assess",
            cores * 1000 / (emulator_ms + local_ms),
            "tx/s",
            200,
            lower_is_better=False,
            note=f"{cores} cores over the CPU per transaction above: the ceiling on a rate "
            "sustained with every transaction assessed, whatever the processes' layout",
        ),
        Result(
            "local API: burst of 2,000 from 16 clients (requests a second)",
            summary.rate,
            "req/s",
            200,
            bare_rate,
            summary.rate / bare_rate,
            lower_is_better=False,
            note=f"{summary.sent:,} sent, {summary.statuses.get(201, 0):,} accepted; baseline: "
            "bare put_item calls a second to the emulator from 16 threads",
        ),
        Result(
            "local API: burst of 2,000 from 16 clients, 5xx or no answer",
            errors,
            "requests",
            0,
        ),
        Result(
            "local API: burst of 2,000 from 16 clients (p99)",
            summary.percentile(0.99),
            "ms",
            note="detect works off the traffic on the same emulator meanwhile",
        ),
    ]


def _cpu_seconds(pid: int) -> float:
    """User and system CPU a process has used so far (Linux ``/proc``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
