"""`make bench`: speed, scale, memory and cost, each against a baseline measured in the
same run where one exists. Writes bench/results.json and prints a table."""

from __future__ import annotations

import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from rich.console import Console
from rich.table import Table

from bench import prices
from bench.report import code_digest
from cardwatch.adapters.memory import InMemoryState
from cardwatch.blueprint import blueprint_for
from cardwatch.domain.engine.detection import Detector
from cardwatch.domain.engine.features import Observation
from cardwatch.domain.engine.model_store import default_model
from cardwatch.domain.engine.patterns import find_patterns
from cardwatch.domain.engine.rules import default_policy
from cardwatch.domain.transaction.card import CardReference
from cardwatch.domain.transaction.record import Transaction

RESULTS = Path(__file__).resolve().parent / "results.json"
#: Which code the results were measured on (bench/report.py's digest).
RUN = Path(__file__).resolve().parent / "run.json"
HANDLERS = ("ingest", "detect", "analyze", "notify")


@dataclass
class Result:
    name: str
    value: float
    unit: str
    target: float | None = None
    baseline: float | None = None
    ratio: float | None = None
    lower_is_better: bool = True
    note: str = ""

    @property
    def met(self) -> str:
        if self.target is None:
            return ""
        ok = self.value <= self.target if self.lower_is_better else self.value >= self.target
        return "yes" if ok else "NO"


def _observations(count: int, seed: int = 3) -> list[Observation]:
    rng = random.Random(seed)
    start = 1_700_000_000_000
    cards = [f"card-{i}" for i in range(max(50, count // 40))]
    terminals = [f"term-{i}" for i in range(max(100, count // 20))]
    stamps = sorted(start + rng.randrange(0, 30 * 86_400_000) for _ in range(count))
    return [
        Observation(
            f"tx-{n}",
            ts,
            rng.choice(cards),
            rng.choice(terminals),
            round(rng.lognormvariate(3.5, 0.8), 2),
        )
        for n, ts in enumerate(stamps)
    ]


def _time_each(detector: Detector, observations: list[Observation]) -> list[float]:
    timings = []
    for obs in observations:
        started = time.perf_counter_ns()
        detector.assess(obs)
        timings.append((time.perf_counter_ns() - started) / 1000)
    return timings


def bench_scoring() -> list[Result]:
    observations = _observations(60_000)
    with_model = _time_each(
        Detector(InMemoryState(), default_policy(), default_model()), observations
    )
    rules_only = _time_each(Detector(InMemoryState(), default_policy()), observations)
    median, base = statistics.median(with_model), statistics.median(rules_only)
    return [
        Result(
            "scoring: engine per transaction (median)",
            median,
            "us",
            200,
            base,
            median / base,
            note="features + rules + 60-tree model; baseline: no model",
        ),
        Result(
            "scoring: engine per transaction (p99)",
            statistics.quantiles(with_model, n=100)[98],
            "us",
        ),
    ]


def bench_backtest() -> list[Result]:
    """The backtest command, whole (CSV in, scores out), on the handbook-default dataset."""
    import io

    from cardwatch.evaluation.backtest import run_backtest
    from cardwatch.evaluation.metrics import HANDBOOK_BASELINES
    from cardwatch.evaluation.replay import ReplaySettings
    from cardwatch.simulation.handbook import SimulationSettings, simulate, write_csv

    data = Path(".cardwatch/bench-handbook-default.csv")
    if not data.exists():  # about 25 s; kept for the next run
        data.parent.mkdir(exist_ok=True)
        write_csv(simulate(SimulationSettings()), data)
    # best of two runs: the machine's noise only ever slows a run (171 to 183 s were
    # recorded for the same code, one run each); both are noted
    runs = []
    for _ in range(2):
        started = time.perf_counter()
        report = run_backtest(
            data,
            Path(".cardwatch/bench-handbook-scores.csv"),
            ReplaySettings(label_delay_days=7),
            console=Console(file=io.StringIO()),
        )
        runs.append(time.perf_counter() - started)
    seconds = min(runs)
    published = next(iter(HANDBOOK_BASELINES.values()))
    quality = [
        Result(
            f"backtest: {metric} (last 7 days)",
            report.metrics[metric],
            "",
            published[metric],
            published[metric],
            report.metrics[metric] / published[metric],
            lower_is_better=False,
            note="baseline and target: the handbook's best published (XGBoost)",
        )
        for metric in ("auc_roc", "average_precision", "card_precision@100")
    ]
    return [
        Result(
            "backtest: handbook-default dataset, whole command",
            seconds,
            "s",
            300,
            note=f"{report.rows:,} transactions, {report.retrains} retrainings, "
            f"CSV read and scores written; best of 2 runs ({runs[0]:.0f} s, {runs[1]:.0f} s)",
        ),
        Result(
            "backtest throughput (with weekly retraining)",
            report.transactions_per_second,
            "tx/s",
            round(report.rows / 300),
            lower_is_better=False,
            note="replay only; target = the dataset in 5 minutes",
        ),
        *quality,
    ]


#: the rich world's fraud scenarios (ops/simulate_rich.py), for the per-scenario table
RICH_SCENARIOS = {
    5: "account takeover",
    6: "spread card testing",
    7: "skimming, clone used later",
    8: "lost or stolen contactless",
    9: "friendly fraud",
    2: "compromised terminal (handbook)",
    3: "compromised card (handbook)",
}


def bench_rich_world() -> list[Result]:
    """The rich world (processor fields, five more kinds of fraud), on a seed no shipped
    model was fitted on: the engine against a larger gradient-boosted reference, the
    engine without the processor fields, and per scenario the share flagged."""
    import csv

    import numpy as np

    from cardwatch.evaluation.backtest import backtest
    from cardwatch.evaluation.replay import ReplaySettings
    from cardwatch.simulation.handbook import SimulationSettings, simulate, write_csv
    from cardwatch.simulation.labelled_file import load_history
    from cardwatch.simulation.rich import RICH_COLUMNS, RichSettings

    data = Path(".cardwatch/bench-rich.csv")
    plain = Path(".cardwatch/bench-rich-handbook-columns.csv")
    if not data.exists():
        data.parent.mkdir(exist_ok=True)
        settings = SimulationSettings(
            customers=1500, terminals=3000, days=70, seed=77, rich=RichSettings()
        )
        write_csv(simulate(settings), data)
        with data.open() as source, plain.open("w", newline="") as target:
            reader = csv.DictReader(source)
            kept = [name for name in reader.fieldnames or () if name not in RICH_COLUMNS]
            writer = csv.DictWriter(target, kept, extrasaction="ignore")
            writer.writeheader()
            writer.writerows(reader)
    history = load_history(data)
    result, report = backtest(history, ReplaySettings(), reference=True)
    _plain_result, plain_report = backtest(load_history(plain), ReplaySettings())
    with data.open() as file:
        scenario = np.asarray([int(row["fraud_scenario"]) for row in csv.DictReader(file)])
    test = history.days > history.days.max() - 7
    ap = report.metrics["average_precision"]
    reference = report.reference_average_precision
    results = [
        Result(
            "rich world: AP against a larger gradient-boosted reference",
            ap / reference,
            "x",
            0.9,
            reference,
            lower_is_better=False,
            note=f"cardwatch AP {ap:.3f}, reference {reference:.3f} (same features plus "
            "the raw fields as categories, 300 trees, 3 seeds); last 7 days, "
            f"{report.test_rows:,} transactions",
        ),
        Result(
            "rich world: AP without the processor fields",
            plain_report.metrics["average_precision"],
            "",
            None,
            ap,
            plain_report.metrics["average_precision"] / ap,
            lower_is_better=False,
            note="the same file with only the handbook's columns; baseline: with them",
        ),
        Result(
            "rich world: share of traffic flagged (alert budget)",
            report.flagged_share * 100,
            "%",
            1.0,
            note=f"{report.flagged_precision:.1%} of the flagged are fraud; "
            f"AUC {report.metrics['auc_roc']:.3f}",
        ),
    ]
    for code, name in RICH_SCENARIOS.items():
        rows = test & (scenario == code)
        if rows.any():
            flagged = float((result.decisions[rows] > 0).mean())
            results.append(
                Result(
                    f"rich world: {name} flagged",
                    flagged * 100,
                    "%",
                    None,
                    lower_is_better=False,
                    note=f"{int(rows.sum())} fraudulent transactions on the test days",
                )
            )
    return results


def bench_busy_core() -> list[Result]:
    """A backtest while another process keeps one core busy, against the same backtest
    on the idle machine (OpenMP threads that spin on a taken core stall a fit).

    The backtest keeps its state and fits its models in worker processes on the second
    core when it is free (``state_worker``, ``fit_ahead``), so on the idle machine it runs
    faster than serially; with that core taken it can lose up to that gain. The
    pathology this guards against is a job many times slower than it would be serially:
    the target holds the busy run against the same backtest run serially (one process)
    on the idle machine."""
    import io
    from dataclasses import replace

    from cardwatch.evaluation.backtest import run_backtest
    from cardwatch.evaluation.replay import ReplaySettings
    from cardwatch.simulation.handbook import SimulationSettings, simulate, write_csv

    data = Path(".cardwatch/bench-busy-core.csv")
    if not data.exists():
        data.parent.mkdir(exist_ok=True)
        write_csv(simulate(SimulationSettings(customers=1000, terminals=2000, days=70)), data)

    def seconds(settings: ReplaySettings) -> float:
        started = time.perf_counter()
        run_backtest(data, None, settings, console=Console(file=io.StringIO()))
        return time.perf_counter() - started

    idle = seconds(ReplaySettings())
    serial = seconds(replace(ReplaySettings(), fit_ahead=False, state_worker=False))
    spinner = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        busy = seconds(ReplaySettings())
    finally:
        spinner.kill()
        spinner.wait()
    return [
        Result(
            "backtest with one core busy, against idle",
            busy / idle,
            "x",
            2.0,
            note=f"{busy:.1f} s busy, {idle:.1f} s idle (state and fits on the second core); "
            "1,000 cards, 70 days; losing one of two cores costs at most its share",
        ),
        Result(
            "backtest with one core busy, against a serial run on the idle machine",
            busy / serial,
            "x",
            1.5,
            note=f"{busy:.1f} s busy, {serial:.1f} s serial (one process) idle; "
            "fits bounded to half the cores",
        ),
    ]


def _window(count: int) -> list[Transaction]:
    rng = random.Random(4)
    start = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
    cards = [
        CardReference(f"tok_{i:064x}", f"4{i % 90_000:05d}", f"{i % 10_000:04d}")
        for i in range(count // 3)
    ]
    return [
        Transaction(
            f"tx-{n}",
            f"user-{n % 50_000}",
            Decimal(rng.randint(100, 20_000)) / 100,
            "USD",
            start + timedelta(milliseconds=n),
            f"term-{rng.randrange(20_000)}",
            rng.choice(cards),
        )
        for n in range(count)
    ]


def bench_analysis() -> list[Result]:
    window = _window(300_000)
    started = time.perf_counter()
    find_patterns(window)
    seconds = time.perf_counter() - started
    started = time.perf_counter()
    total = sum(t.amount for t in window)  # the least any analysis must do: read each one
    baseline = time.perf_counter() - started
    assert total > 0
    return [
        Result(
            "analysis: 300,000-transaction window",
            seconds,
            "s",
            5,
            baseline,
            seconds / baseline,
            note="baseline: one pass summing amounts",
        )
    ]


MEASURED: dict[str, float] = {}


def bench_local_pipeline() -> list[Result]:
    import boto3
    import httpx

    from cardwatch.local.runtime.event_wiring import wait_until
    from cardwatch.local.runtime.pipeline import LocalPipeline, LocalSettings
    from cardwatch.local.sender import encode_body, send_all
    from cardwatch.simulation.traffic import demo_pan, demo_traffic

    results: list[Result] = []
    settings = LocalSettings(port=0, analyze_every_seconds=3600, state_dir=Path(".cardwatch/bench"))
    with LocalPipeline(settings) as pipeline:
        assert pipeline.made is not None
        table = pipeline.blueprint.profile_table_name
        idle = _bare_put_ms(table, "idle", 300)
        # R000-30's figure at a rate the local stack sustains with detect working beside
        # it, then issue 18's at 100 requests a second, which it does not
        steady = send_all(
            demo_traffic(300, seed=10),
            pipeline.api_url,
            pipeline.api_key,
            rate=20,
            console=Console(quiet=True),
            clients=4,
        )
        results += [
            Result(
                f"ingest: POST /transactions at 20 req/s ({name})",
                steady.percentile(share),
                "ms",
                200 if name == "p50" else None,
                idle,
                steady.percentile(share) / idle,
                note=f"{steady.rate:.0f} req/s reached from 4 clients; baseline: bare "
                "put_item to the same emulator, idle",
            )
            for name, share in (("p50", 0.5), ("p99", 0.99))
        ]
        planned = demo_traffic(500, seed=11)
        summary = send_all(
            planned,
            pipeline.api_url,
            pipeline.api_key,
            rate=100,
            total=len(planned),
            console=Console(quiet=True),
            clients=16,
        )
        busy = _bare_put_ms(table, "busy", 300)  # while detect works off the traffic
        p50, p99 = summary.percentile(0.5), summary.percentile(0.99)
        reached = f"{summary.rate:.0f} req/s reached from 16 clients"
        results += [
            Result(
                "ingest: POST /transactions at 100 req/s (p50)",
                p50,
                "ms",
                None,
                idle,
                p50 / idle,
                note=f"{reached}; local gateway + handler + emulator; baseline: bare "
                "put_item to the same emulator, idle",
            ),
            Result(
                "ingest: POST /transactions at 100 req/s (p99)",
                p99,
                "ms",
                150,
                busy,
                p99 / busy,
                note=f"{reached}; baseline: bare put_item while detect works off the traffic",
            ),
        ]
        sqs = boto3.client("sqs")
        alerts_url = pipeline.made.queue_urls[pipeline.blueprint.alerts_queue.name]
        # Let detect finish the traffic above, so each burst is timed on its own.
        functions = pipeline.functions
        assert functions is not None
        accepted = summary.statuses[201] + steady.statuses[201]
        wait_until(lambda: len(functions.durations["detect"]) >= accepted, timeout=600)
        headers = {"x-api-key": pipeline.api_key, "content-type": "application/json"}
        latencies = []
        with httpx.Client(base_url=pipeline.api_url, headers=headers) as client:
            for burst in range(5):
                while drained := sqs.receive_message(
                    QueueUrl=alerts_url, MaxNumberOfMessages=10
                ).get("Messages"):
                    for message in drained:
                        sqs.delete_message(
                            QueueUrl=alerts_url, ReceiptHandle=message["ReceiptHandle"]
                        )
                pan = demo_pan(f"bench-burst-{burst}")
                now = datetime.now(UTC)
                for k in range(7):
                    moment = (
                        (now - timedelta(seconds=30 - 4 * k)).isoformat().replace("+00:00", "Z")
                    )
                    client.post(
                        "/transactions",
                        content=encode_body(
                            {
                                "transaction_id": f"bench-{burst}-{k}",
                                "user_id": f"b{burst}",
                                "card_number": pan,
                                "terminal_id": "web-9",
                                "currency": "USD",
                                "amount": Decimal("150.00") if k == 0 else Decimal("1.00"),
                                "timestamp": moment,
                            }
                        ),
                    )
                sent = time.perf_counter()
                got: list[dict[str, object]] = []

                def arrived(store: list[dict[str, object]] = got) -> bool:
                    store.extend(
                        sqs.receive_message(
                            QueueUrl=alerts_url, WaitTimeSeconds=0, MaxNumberOfMessages=10
                        ).get("Messages", [])
                    )
                    return bool(store)

                if wait_until(arrived, timeout=30, step=0.02):
                    latencies.append((time.perf_counter() - sent) * 1000)
        assert pipeline.functions is not None
        for key, durations in pipeline.functions.durations.items():
            if durations:
                MEASURED[f"{key}_ms"] = statistics.median(durations)
                results.append(
                    Result(
                        f"handler duration: {key} (median, on the emulator)",
                        MEASURED[f"{key}_ms"],
                        "ms",
                        note=f"{len(durations)} invocations",
                    )
                )
        results.append(
            Result(
                "alert latency: last POST to alert queue (max of 5 bursts)",
                max(latencies) if latencies else float("nan"),
                "ms",
                1000,
                note=f"{len(latencies)} of 5 bursts alerted",
            )
        )
    return results


def _bare_put_ms(table: str, tag: str, count: int) -> float:
    """Median milliseconds of a bare ``put_item`` to the emulator (the baseline)."""
    import boto3

    ddb = boto3.client("dynamodb")
    taken = []
    for n in range(count):
        started = time.perf_counter()
        ddb.put_item(
            TableName=table,
            Item={"entity": {"S": f"bench#{tag}#{n}"}, "slot": {"S": "-"}, "v": {"N": "1"}},
        )
        taken.append((time.perf_counter() - started) * 1000)
    return statistics.median(taken)


def bench_local_burst() -> list[Result]:
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


#: What the Lambda Python runtime brings itself (the package leaves them out).
_RUNTIME_PROVIDED = (
    "boto3",
    "botocore",
    "s3transfer",
    "jmespath",
    "python-dateutil",
    "urllib3",
    "six",
)


def _lambda_like_path(root: Path) -> Path:
    """A folder holding what a function's ``/var/task`` holds: the deployment package
    as built (cardwatch and its libraries, with the bytecode it ships), plus the
    runtime's boto3 linked from this environment. The package's compiled extensions are
    arm64, so those distributions (and only those) are linked from here too. Anything
    else installed here for development (httpx, rich, ...) is out of reach, as it is in
    Lambda, so nothing patches it."""
    import zipfile
    from importlib import metadata

    from cardwatch.infra.common.packaging import RUNTIME_DISTRIBUTIONS, build_lambda_package

    root.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(build_lambda_package(Path("build/lambda")).path) as package:
        package.extractall(root)
    for name in (*RUNTIME_DISTRIBUTIONS, *_RUNTIME_PROVIDED):
        dist = metadata.distribution(name)
        files = dist.files or ()
        if name in RUNTIME_DISTRIBUTIONS and not any(f.suffix == ".so" for f in files):
            continue  # pure Python: the package's own copy, bytecode and all
        tops = {f.parts[0] for f in files if not f.parts[0].endswith(".dist-info")}
        # a single-module distribution's bytecode (six's) shares the top __pycache__
        tops = {top for top in tops if top not in {"..", "bin", "__pycache__"}} | {
            f.as_posix() for f in files if f.parts[0] == "__pycache__"
        }
        for top in tops:
            link = root / top
            if link.is_dir() and not link.is_symlink():
                shutil.rmtree(link)
            elif link.exists() or link.is_symlink():
                link.unlink()
            link.parent.mkdir(exist_ok=True)
            link.symlink_to(Path(str(dist.locate_file(top))))
    return root


#: What every function here pays before any of cardwatch's code: the runtime's boto3 and
#: Powertools' three utilities made (the Tracer patches the SDK, as the handlers' does).
_COLD_FLOOR = """
import boto3
from aws_lambda_powertools import Logger, Metrics, Tracer
Logger(service="floor")
Metrics(namespace="floor", service="floor")
Tracer(service="floor")
"""
_COLD_RUNS = 7


def _import_ms(module: str, path: Path, env: dict[str, str]) -> float:
    """The best of a few imports of ``module`` in fresh interpreters, in ms."""
    code = f"import sys; sys.path[:0] = [{str(path)!r}]; import {module}"
    best = float("inf")
    for _ in range(_COLD_RUNS):
        run = subprocess.run(
            [sys.executable, "-S", "-X", "importtime", "-c", code],
            capture_output=True,
            text=True,
            check=True,
            env=env,
            cwd=path.parent,
        )
        line = next(
            line
            for line in reversed(run.stderr.splitlines())
            if line.rstrip().endswith(f"| {module}")
        )
        best = min(best, int(line.split("|")[1]) / 1000)
    return best


def bench_cold_start() -> list[Result]:
    """Import time of each handler, as Lambda's init phase would see it: only the
    function's own package on the path, LAMBDA_TASK_ROOT set (the X-Ray SDK then samples
    locally instead of building an X-Ray client), and no bytecode written (Lambda's
    task root is read-only: what the package does not ship is compiled at every cold
    start). Beside it, the same measure of the floor: boto3 and Powertools alone."""
    import tempfile

    results = []
    with tempfile.TemporaryDirectory() as folder:
        path = _lambda_like_path(Path(folder) / "task")
        (path / "cold_floor.py").write_text(_COLD_FLOOR)
        env = {**os.environ, "LAMBDA_TASK_ROOT": str(path), "PYTHONDONTWRITEBYTECODE": "1"}
        floor = _import_ms("cold_floor", path, env)
        for key in HANDLERS:
            module = f"cardwatch.handlers.{key}"
            took = _import_ms(module, path, env)
            results.append(
                Result(
                    f"cold start: import {module}",
                    took,
                    "ms",
                    250,
                    baseline=floor,
                    ratio=took / floor,
                    note=f"best of {_COLD_RUNS}; the deployment package as built, "
                    "LAMBDA_TASK_ROOT set; baseline: boto3 and Powertools' Logger, Metrics "
                    "and Tracer alone, what any function pays",
                )
            )
    return results


#: decisions one benchmarked retraining reads (about 90 days at 5,500 a day)
RETRAIN_ROWS = 500_000


def bench_retraining() -> list[Result]:
    """The retrain function's package and one run of it (bench/retraining_probe.py)."""
    import zipfile

    from cardwatch.infra.common.packaging import build_training_package

    package = build_training_package(Path("build/lambda"))
    with zipfile.ZipFile(package.path) as archive:
        unpacked = sum(entry.file_size for entry in archive.infolist())
    spec = blueprint_for("cdktf").functions["retrain"]
    run = subprocess.run(
        [sys.executable, "-m", "bench.retraining_probe", str(RETRAIN_ROWS)],
        capture_output=True,
        text=True,
        check=True,
    )
    measured = json.loads(run.stdout.strip().splitlines()[-1])
    rows = f"{RETRAIN_ROWS:,} decisions"
    return [
        Result("retrain package, unpacked", unpacked / 1_000_000, "MB", 250, note="Lambda's limit"),
        Result("retrain package, zipped (uploaded to S3)", package.size / 1_000_000, "MB"),
        Result(
            f"retraining: {rows}, read, fitted, judged, published (one core)",
            measured["seconds"],
            "s",
            spec.timeout_seconds,
            measured["fit_seconds"],
            measured["seconds"] / measured["fit_seconds"],
            note="baseline: the bare fit of the same rows; target: the function's timeout "
            "(the Scan's reads come on top)",
        ),
        Result(
            f"retraining: peak RSS, {rows}",
            measured["peak_mb"],
            "MB",
            spec.memory_mb,
            note="target: the function's memory",
        ),
    ]


def bench_package() -> list[Result]:
    from cardwatch.infra.common.packaging import build_lambda_package

    package = build_lambda_package(Path("build/lambda"))
    return [Result("deployment package (zip)", package.size / 1_000_000, "MB", 5)]


_MEMORY_PROBE = """
import sys
key = sys.argv[1]
import importlib; importlib.import_module(f"cardwatch.handlers.{key}")
if key in ("detect", "analyze"):
    from bench.run import _observations, _window
if key == "detect":
    from cardwatch.domain.engine.detection import Detector
    from cardwatch.adapters.memory import InMemoryState
    from cardwatch.domain.engine.model_store import default_model
    from cardwatch.domain.engine.rules import default_policy
    d = Detector(InMemoryState(), default_policy(), default_model())
    for o in _observations(20000): d.assess(o)
elif key == "analyze":
    from cardwatch.domain.engine.patterns import find_patterns
    find_patterns(_window(300000))
# VmHWM, not ru_maxrss: Linux carries ru_maxrss over from the forked parent.
hwm = next(line for line in open("/proc/self/status") if line.startswith("VmHWM"))
print(int(hwm.split()[1]) / 1024)
"""


def bench_memory() -> list[Result]:
    blueprint = blueprint_for("cdktf")
    results = []
    for key in HANDLERS:
        run = subprocess.run(
            [sys.executable, "-c", _MEMORY_PROBE, key], capture_output=True, text=True, check=True
        )
        peak = float(run.stdout.strip().splitlines()[-1])
        results.append(
            Result(
                f"memory: peak RSS, {key} under its workload",
                peak,
                "MB",
                blueprint.functions[key].memory_mb,
                note={"detect": "20k assessments", "analyze": "300k window"}.get(key, "import"),
            )
        )
    return results


def bench_dynamodb_units() -> list[Result]:
    """DynamoDB units of one transaction, measured at terminals of three volumes, and of
    an online one with every spread entity."""
    from bench.dynamodb_units import ONLINE, VOLUMES, measure_units

    measured = measure_units()
    quiet = measured[VOLUMES[0]]
    results: list[Result] = []
    for volume, units in measured.items():
        where = (
            f"terminal at {volume:,}/day"
            if volume != ONLINE
            else "online, device + IP + BIN counted"
        )
        for key, what, target in (
            ("state_write", "detection state, write units", 12.0),
            ("state_read", "detection state, read units", 12.0),
            ("path_write", "whole path, write units", None),
            ("path_read", "whole path, read units", None),
        ):
            results.append(
                Result(
                    f"dynamodb: {what} per transaction, {where}",
                    units[key],
                    "units",
                    target if volume != ONLINE else None,
                    quiet[key],
                    units[key] / quiet[key] if quiet[key] else None,
                    note="ReturnConsumedCapacity on the emulator's DynamoDB, item sizes and "
                    "indexes by DynamoDB's rules; baseline: a card-present purchase at a "
                    "terminal of 100/day"
                    + (
                        "; each spread entity adds a first-visit claim (1) and an hour "
                        "bucket in the transaction (2)"
                        if volume == ONLINE
                        else ""
                    ),
                )
            )
    # the cost model: the busier terminal's card-present purchase and the online one,
    # half and half (the rich world's mix is about 40 % online)
    busy, online = measured[2_000], measured[ONLINE]
    MEASURED["write_units"] = (busy["path_write"] + online["path_write"]) / 2
    MEASURED["read_units"] = (busy["path_read"] + online["path_read"]) / 2
    return results


def cost_per_million(measured: dict[str, float]) -> list[Result]:
    """AWS cost of a million transactions through the deployed pipeline, from the
    handler durations measured on the emulator (an upper bound: the emulator is slower
    than DynamoDB) and the functions' memory sizes (bench/prices.py)."""
    bp = blueprint_for("cdktf")
    million = 1_000_000
    suspicious_share = 0.02
    ingest_s = measured["ingest_ms"] / 1000
    detect_s = measured["detect_ms"] / 1000
    lambda_cost = (
        million
        * (
            ingest_s * bp.functions["ingest"].memory_mb / 1024
            + detect_s * bp.functions["detect"].memory_mb / 1024
            + suspicious_share
            * measured.get("notify_ms", 0)
            / 1000
            * bp.functions["notify"].memory_mb
            / 1024
        )
        * prices.LAMBDA_GB_SECOND_ARM
        + million * (2 + suspicious_share) * prices.LAMBDA_REQUEST
    )
    dynamodb = (  # the units one transaction consumed on its whole path (measured)
        million * measured["write_units"] * prices.DYNAMODB_WRITE_UNIT
        + million * measured["read_units"] * prices.DYNAMODB_READ_UNIT
    )
    messaging = million * (
        prices.PIPES_REQUEST
        + prices.EVENTBRIDGE_EVENT
        + suspicious_share * (3 * prices.SQS_REQUEST + prices.SNS_PUBLISH)
    )
    total = (
        lambda_cost
        + dynamodb
        + messaging
        + million * prices.API_GATEWAY_REST_REQUEST
        + million * 2 * prices.XRAY_TRACE * 0.05
    )  # X-Ray sampling: 5 %
    managed = million * prices.MANAGED_FRAUD_PREDICTION
    return [
        Result(
            "cost per million transactions (AWS, us-east-1, arm64)",
            total,
            "USD",
            None,
            managed,
            total / managed,
            note=f"prices of {prices.PRICES_RECORDED_ON}; baseline: a million "
            "predictions on a managed fraud-scoring service",
        )
    ]


def main() -> None:
    console = Console()
    stages: list[tuple[str, Callable[[], list[Result]]]] = [
        ("scoring", bench_scoring),
        ("analysis", bench_analysis),
        ("cold start", bench_cold_start),
        ("package", bench_package),
        ("retraining", bench_retraining),
        ("memory", bench_memory),
        ("backtest", bench_backtest),
        ("busy core", bench_busy_core),
        ("rich world", bench_rich_world),
        ("dynamodb units", bench_dynamodb_units),
        ("local pipeline", bench_local_pipeline),
        ("local burst", bench_local_burst),
    ]
    only = set(sys.argv[sys.argv.index("--only") + 1].split(",")) if "--only" in sys.argv else None
    results: list[Result] = []
    for label, stage in stages:
        if only is None or label in only:
            with console.status(f"benchmark: {label}"):
                results += stage()
    if only is None:
        results += cost_per_million(MEASURED)
    else:  # the recorded results of the stages not run stay, in their place
        fresh = {r.name: r for r in results}
        recorded = [Result(**r) for r in json.loads(RESULTS.read_text())]
        names = {r.name for r in recorded}
        results = [fresh.get(r.name, r) for r in recorded]
        results += [r for r in fresh.values() if r.name not in names]
    RESULTS.write_text(json.dumps([asdict(r) for r in results], indent=2) + "\n")
    RUN.write_text(json.dumps({"code_digest": code_digest(), "stages": sorted(only or [])}) + "\n")
    table = Table(title="cardwatch benchmarks")
    for column in ("benchmark", "value", "unit", "target", "met", "baseline", "ratio"):
        table.add_column(column, justify="left" if column == "benchmark" else "right")
    for r in results:
        table.add_row(
            r.name,
            f"{r.value:,.3g}",
            r.unit,
            "" if r.target is None else f"{r.target:,}",
            r.met,
            "" if r.baseline is None else f"{r.baseline:,.3g}",
            "" if r.ratio is None else f"{r.ratio:.2f}",
        )
    console.print(table)
    console.print(f"written to {RESULTS}")


if __name__ == "__main__":
    main()
