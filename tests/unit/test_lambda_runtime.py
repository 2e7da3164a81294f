"""Local mode's Lambda runtime: invocations running at once never share module state."""

import json
from pathlib import Path

import pytest

from cardwatch.blueprint import blueprint_for
from cardwatch.local.function_logs import FunctionLogs
from cardwatch.local.lambda_runtime import LocalLambda


def test_invocations_at_once_run_in_environments_of_their_own() -> None:
    # GIVEN a runtime that may run two invocations of ingest at once
    functions = LocalLambda(blueprint_for("local", "runtime"), concurrency=2)
    # WHEN two environments are in use together (neither is free for the other)
    first, second = functions._environment("ingest"), functions._environment("ingest")
    # THEN each has its own resolver (which holds the event and context it is resolving)
    assert first.module is not second.module
    assert first.module.app is not second.module.app
    assert first.handler is not second.handler


def test_an_unhandled_error_is_written_to_the_functions_own_log(tmp_path: Path) -> None:
    logs = FunctionLogs(tmp_path)
    with pytest.raises(ValueError, match="boom"), logs.running("fraud-detect-test"):
        raise ValueError("boom")
    logs.close()
    lines = logs.path("fraud-detect-test").read_text().splitlines()
    assert lines[0] == "[ERROR] ValueError: boom"
    record = json.loads(lines[1])
    assert (record["errorType"], record["errorMessage"]) == ("ValueError", "boom")
    assert record["stackTrace"]
