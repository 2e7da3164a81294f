"""One local stack for the reliability tier, with a low throttle so 429s are reachable."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from cardwatch.local.runtime.pipeline import LocalPipeline, LocalSettings


@pytest.fixture(scope="package")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalPipeline]:
    state = tmp_path_factory.mktemp("cardwatch-reliability")
    settings = LocalSettings(
        port=0, analyze_every_seconds=3600, state_dir=Path(state), environment_suffix="reliability"
    )
    with LocalPipeline(settings) as pipeline:
        yield pipeline


@pytest.fixture(scope="package")
def api(stack: LocalPipeline) -> Iterator[httpx.Client]:
    headers = {"x-api-key": stack.api_key, "content-type": "application/json"}
    with httpx.Client(base_url=stack.api_url, headers=headers, timeout=30) as client:
        yield client
