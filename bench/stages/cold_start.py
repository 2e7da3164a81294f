"""Each handler's cold start (its import, as Lambda's init phase sees it) on the
deployment package as built, beside a floor of boto3 and Powertools alone."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from bench.results import Result
from bench.workloads import HANDLERS

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


def run() -> list[Result]:
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
