"""The retrain function's package, and one retraining run as the function runs it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from bench.results import Result
from cardwatch.blueprint import blueprint_for

#: decisions one benchmarked retraining reads (about 90 days at 5,500 a day)
RETRAIN_ROWS = 500_000


def run() -> list[Result]:
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
            "(the training set's build and read come on top: the training_set stage)",
        ),
        Result(
            f"retraining: peak RSS, {rows}",
            measured["peak_mb"],
            "MB",
            spec.memory_mb,
            note="target: the function's memory",
        ),
    ]
