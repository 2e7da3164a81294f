"""The deployment package's zipped size."""

from __future__ import annotations

from pathlib import Path

from bench.results import Result


def run() -> list[Result]:
    from cardwatch.infra.common.packaging import build_lambda_package

    package = build_lambda_package(Path("build/lambda"))
    return [Result("deployment package (zip)", package.size / 1_000_000, "MB", 5)]
