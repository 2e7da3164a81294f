"""``aws lambda invoke`` against the local stack runs the function as Lambda would: the
emulator's Lambda hands the invocation to the local runtime, which runs the function's
handler (in an execution environment of its own, its lines in its log) and answers with
its result, or Lambda's error document when it raises; with the SDK and the AWS CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from cardwatch.local.runtime.event_wiring import wait_until
from cardwatch.local.runtime.pipeline import LocalPipeline

AWS = Path(sys.executable).parent / "aws"


def _lambda(stack: LocalPipeline) -> Any:
    assert stack.emulator is not None
    return stack.emulator.session().client("lambda")


def _runs(stack: LocalPipeline, key: str) -> int:
    assert stack.functions is not None
    return len(stack.functions.invocations[key])


def test_an_invocation_runs_the_function_in_the_local_runtime(stack: LocalPipeline) -> None:
    # GIVEN analyze, asked for a window long before any transaction
    spec, before = stack.blueprint.functions["analyze"], _runs(stack, "analyze")
    # WHEN the SDK invokes it through the emulator's Lambda
    answer = _lambda(stack).invoke(FunctionName=spec.name, Payload=b'{"window_end_ms": 1000}')
    # THEN the handler ran here, and its result is the answer
    assert (answer["StatusCode"], answer["ExecutedVersion"]) == (200, "$LATEST")
    assert "FunctionError" not in answer
    summary = json.loads(answer["Payload"].read())
    assert (summary["transactions"], summary["findings"]) == (0, [])
    assert summary["window_end_ms"] <= 1000
    assert _runs(stack, "analyze") == before + 1


def test_a_handler_that_raises_answers_unhandled_with_lambdas_error(stack: LocalPipeline) -> None:
    name = stack.blueprint.functions["analyze"].name
    answer = _lambda(stack).invoke(FunctionName=name, Payload=b'{"window_end_ms": "soon"}')
    assert (answer["StatusCode"], answer["FunctionError"]) == (200, "Unhandled")
    error = json.loads(answer["Payload"].read())
    assert set(error) == {"errorMessage", "errorType", "stackTrace"}
    assert error["errorType"] == "ValueError" and "'soon'" in error["errorMessage"]
    # from the handler down, as Lambda's runtime reports it: the handler's own line last
    assert "cardwatch/handlers/analyze.py" in error["stackTrace"][-1]
    assert not any("cardwatch/local/" in frame for frame in error["stackTrace"])


def test_an_event_is_accepted_at_once_and_run_later_a_dry_run_never(
    stack: LocalPipeline,
) -> None:
    lam, name = _lambda(stack), stack.blueprint.functions["analyze"].name
    before = _runs(stack, "analyze")
    event = lam.invoke(FunctionName=name, InvocationType="Event", Payload=b"{}")
    assert (event["StatusCode"], event["Payload"].read()) == (202, b"")
    assert wait_until(lambda: _runs(stack, "analyze") == before + 1, 30)
    dry = lam.invoke(FunctionName=name, InvocationType="DryRun", Payload=b"{}")
    assert (dry["StatusCode"], dry["Payload"].read()) == (204, b"")
    assert _runs(stack, "analyze") == before + 1


def _aws_cli_invoke(stack: LocalPipeline, out: Path, *args: str) -> dict[str, Any]:
    """``aws lambda invoke`` of analyze, its payload into ``out``: what the CLI prints."""
    assert stack.emulator is not None
    name = stack.blueprint.functions["analyze"].name
    command = [str(AWS), "--endpoint-url", stack.emulator.endpoint, "lambda", "invoke"]
    done = subprocess.run(
        [*command, "--function-name", name, *args, str(out)],
        env=os.environ,  # the stack's: the emulator's region and stand-in credentials
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    printed: dict[str, Any] = json.loads(done.stdout)
    return printed


def test_the_aws_cli_invokes_a_function(stack: LocalPipeline, tmp_path: Path) -> None:
    out = tmp_path / "answer.json"
    called = _aws_cli_invoke(stack, out, "--payload", '{"window_end_ms": 1000}')
    assert called == {"StatusCode": 200, "ExecutedVersion": "$LATEST"}
    assert json.loads(out.read_text())["transactions"] == 0
    failed = _aws_cli_invoke(stack, out, "--payload", '{"window_end_ms": "soon"}')
    assert failed == {"StatusCode": 200, "FunctionError": "Unhandled", "ExecutedVersion": "$LATEST"}
    assert json.loads(out.read_text())["errorType"] == "ValueError"
    assert _aws_cli_invoke(stack, out, "--invocation-type", "Event") == {"StatusCode": 202}
