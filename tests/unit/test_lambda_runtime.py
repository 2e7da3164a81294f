"""Local mode's Lambda runtime: invocations running at once never share module state."""

import json
import threading
import time
from pathlib import Path

import pytest

from cardwatch.blueprint import blueprint_for
from cardwatch.local.runtime.function_logs import FunctionLogs
from cardwatch.local.runtime.lambda_runtime import LocalLambda, running_function


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


def test_environments_at_once_never_flush_each_others_metrics(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # GIVEN two ingest environments in use at once, and detect's beside them (Lambda runs
    # each in a process of its own; local mode runs them all in this one)
    functions = LocalLambda(blueprint_for("local", "runtime"), concurrency=2)
    first, second = functions._environment("ingest"), functions._environment("ingest")
    detect = functions._environment("detect")
    # WHEN the first invocation counts a transaction while the second counts nothing yet
    first.module.metrics.add_metric(name="TransactionsCreated", unit="Count", value=1)
    # THEN neither the other ingest nor detect holds it
    assert second.module.metrics.provider.metric_set == {}
    assert detect.module.metrics.provider.metric_set == {}
    # AND when the second flushes its own, it publishes only its own under its service
    second.module.metrics.add_metric(name="TransactionsRepeated", unit="Count", value=1)
    second.module.metrics.flush_metrics()
    published = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert published["TransactionsRepeated"] == [1.0]
    assert "TransactionsCreated" not in published
    assert published["service"] == "cardwatch-ingest"
    # AND the first still flushes its own count (a shared set would have lost it and raised)
    first.module.metrics.flush_metrics(raise_on_empty_metrics=True)
    published = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert published["TransactionsCreated"] == [1.0]


def test_an_invocation_records_its_own_cpu_its_records_and_its_function() -> None:
    """The cost model reads each invocation's own CPU: the thread's, not the process's
    (another thread burning CPU meanwhile is not counted), and its batch's records."""
    functions = LocalLambda(blueprint_for("local", "runtime"), concurrency=1)
    seen: list[str | None] = []

    def busy(event: dict[str, object], context: object) -> None:
        seen.append(running_function())
        deadline = time.thread_time() + 0.05
        while time.thread_time() < deadline:
            pass
        time.sleep(0.2)  # waiting is not CPU

    environment = functions._environment("aggregate")
    environment.handler = busy
    functions._idle["aggregate"].append(environment)
    stop = threading.Event()
    noise = threading.Thread(target=lambda: [None for _ in iter(stop.is_set, True)])
    noise.start()
    try:
        functions.invoke("aggregate", {"Records": [{}, {}, {}]})
    finally:
        stop.set()
        noise.join()
    (invocation,) = functions.invocations["aggregate"]
    assert seen == ["aggregate"] and running_function() is None
    assert invocation.records == 3
    assert 50 <= invocation.cpu_ms < 150
    assert invocation.duration_ms >= 250
