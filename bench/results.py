"""What a stage returns: its measurements (:class:`Result`), and the facts a later stage
reads (:class:`HandlerDurations`, :class:`PathUnits`), plus reading and writing a run's
results.json and run.json."""

from __future__ import annotations

import json
import subprocess
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.report import ROOT, code_digest

#: where results.json and run.json are written unless ``--out`` says otherwise
DEFAULT_OUT = ROOT / "bench"
RESULTS_FILE, RUN_FILE = "results.json", "run.json"


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


@dataclass(frozen=True)
class FunctionUse:
    """What one function's invocations in the local pipeline did, per record (a batch
    function's records: stream events, queue messages; any other invocation is one)."""

    invocations: int
    records: int
    #: median of the invocations' own CPU (their thread's) per record, in ms
    cpu_ms: float
    #: AWS calls per record, by ``service.Operation``
    calls: dict[str, float] = field(default_factory=dict)
    #: bytes the function logged per record
    log_bytes: float = 0.0


@dataclass(frozen=True)
class HandlerDurations:
    """Each handler's median duration on the emulator in ms, by handler key (``ingest``,
    ``detect``, ...; a handler that never ran is absent), and what each did per record:
    the local pipeline stage measures them, the cost stage reads them."""

    median_ms: dict[str, float] = field(default_factory=dict)
    uses: dict[str, FunctionUse] = field(default_factory=dict)


@dataclass(frozen=True)
class PathUnits:
    """DynamoDB units one transaction consumes on its whole path: the heat stage's, over
    its reference mix at 1,000 a second; the cost stage reads them."""

    write: float
    read: float


@dataclass(frozen=True)
class WindowCost:
    """analyze's modelled run over a five-minute window at 1,000 a second (the
    analyze_window stage's), which the cost stage prices."""

    seconds: float
    memory_mb: int
    #: the read units a run takes (two windows)
    read_units: float = 0.0


def load_results(path: Path) -> list[Result]:
    return [Result(**r) for r in json.loads(path.read_text())]


def dump_results(results: list[Result]) -> list[dict[str, Any]]:
    return [asdict(r) for r in results]


def write_results(path: Path, results: list[Result]) -> None:
    path.write_text(json.dumps(dump_results(results), indent=2) + "\n")


def merge(fresh: list[Result], recorded: list[Result]) -> list[Result]:
    """The recorded results with those measured again replaced in their place; new names
    go at the end."""
    by_name = {r.name: r for r in fresh}
    names = {r.name for r in recorded}
    return [by_name.get(r.name, r) for r in recorded] + [
        r for r in by_name.values() if r.name not in names
    ]


def _git(*args: str) -> str | None:
    try:
        run = subprocess.run(
            ["git", "--no-optional-locks", *args],  # noqa: S607 (git from PATH)
            capture_output=True,
            text=True,
            check=True,
            cwd=ROOT,
        )
    except (OSError, subprocess.CalledProcessError):
        return None
    return run.stdout


def run_record(stages: list[str]) -> dict[str, Any]:
    """What run.json holds: the stages run (empty: all of them), the digest of the code
    measured (bench/report.py), the commit checked out (``dirty``: ``src/`` differs from
    it) and when the run finished (UTC). Outside a git checkout commit and dirty are
    null."""
    commit = _git("rev-parse", "HEAD")
    status = _git("status", "--porcelain", "--", "src")
    return {
        "code_digest": code_digest(),
        "stages": stages,
        "commit": commit.strip() if commit is not None else None,
        "dirty": bool(status.strip()) if status is not None else None,
        "measured_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


def write_run(path: Path, record: dict[str, Any]) -> None:
    path.write_text(json.dumps(record) + "\n")
