"""The emulator's Lambda Invoke, carried to the local runtime by its invoke bridge: the
emulator in its own process, given the bridge's address and secret at start, and a
runtime of stand-in functions attached to the bridge (the local stack's own functions:
tests/e2e/test_lambda_invoke.py)."""

from __future__ import annotations

import io
import json
import threading
import zipfile
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import httpx
import pytest

from cardwatch.blueprint import Blueprint, blueprint_for
from cardwatch.local.emulator.patches.lambda_invoke import BRIDGE_SECRET, SECRET_HEADER
from cardwatch.local.emulator.server import running_emulator
from cardwatch.local.runtime.event_wiring import wait_until
from cardwatch.local.runtime.invoke_bridge import InvokeBridge


class Functions:
    """Stand-in handlers by key: what each was invoked with, and what it answers."""

    def __init__(self) -> None:
        self.events: list[tuple[str, Any]] = []
        self.running = 0
        self.peak = 0
        self.release = threading.Event()
        self._lock = threading.Lock()

    def invoke(self, key: str, event: Any) -> Any:
        self.events.append((key, event))
        if key == "ingest":
            raise KeyError("body")
        if key == "decide":
            return {"amounts": {1, 2}}  # a set: no JSON for it
        if key == "notify":  # holds until released, counting how many run at once
            with self._lock:
                self.running += 1
                self.peak = max(self.peak, self.running)
            self.release.wait(10)
            with self._lock:
                self.running -= 1
        return {"key": key, "event": event, "score": Decimal("0.25"), "count": Decimal("3")}


@pytest.fixture(scope="module")
def blueprint() -> Blueprint:
    return blueprint_for("local", "bridge")


@pytest.fixture(scope="module")
def bridged(blueprint: Blueprint) -> Iterator[tuple[Any, InvokeBridge, Functions]]:
    """The emulator with every function of the blueprint registered (and one more), and
    the bridge, attached to the stand-ins two invocations of a function at once."""
    bridge, functions = InvokeBridge(blueprint), Functions()
    try:
        with running_emulator("us-east-1", 0, bridge.start()) as emulator:
            session = emulator.session()
            role = session.client("iam").create_role(RoleName="r", AssumeRolePolicyDocument="{}")
            code = io.BytesIO()
            with zipfile.ZipFile(code, "w") as archive:
                archive.writestr("stand_in.py", "")
            lam = session.client("lambda")
            for name in [spec.name for spec in blueprint.functions.values()] + ["not-ours"]:
                lam.create_function(
                    FunctionName=name,
                    Runtime="python3.11",
                    Role=role["Role"]["Arn"],
                    Handler="stand_in.handler",
                    Code={"ZipFile": code.getvalue()},
                )
            bridge.attach(functions.invoke, concurrency=2)
            yield lam, bridge, functions
    finally:
        functions.release.set()
        bridge.stop()


def _invoke(lam: Any, name: str, kind: str = "RequestResponse", payload: bytes = b"{}") -> Any:
    answer = lam.invoke(FunctionName=name, InvocationType=kind, Payload=payload)
    return answer, answer["Payload"].read()


def test_until_the_runtime_attaches_the_bridge_says_it_cannot_run(blueprint: Blueprint) -> None:
    # (the emulator answers that as Unhandled, as for any refusal of the bridge's: below)
    bridge = InvokeBridge(blueprint)
    settings = bridge.start()
    try:
        answer = httpx.post(
            f"{bridge.url}/functions/{blueprint.functions['analyze'].name}/invocations",
            content=b"{}",
            headers={SECRET_HEADER: settings[BRIDGE_SECRET]},
        )
    finally:
        bridge.stop()
    assert answer.status_code == 503
    assert "not attached" in answer.json()["message"]


def test_an_invocation_runs_the_function_and_answers_its_result(
    bridged: tuple[Any, InvokeBridge, Functions], blueprint: Blueprint
) -> None:
    lam, _bridge, functions = bridged
    spec = blueprint.functions["analyze"]
    # by name, and by ARN (as the AWS CLI and the SDKs accept either)
    arn = lam.get_function(FunctionName=spec.name)["Configuration"]["FunctionArn"]
    for called in (spec.name, arn):
        answer, payload = _invoke(lam, called, payload=b'{"window_end_ms": 1000}')
        assert answer["StatusCode"] == 200 and "FunctionError" not in answer
        assert answer["ExecutedVersion"] == "$LATEST"
        # Decimals as numbers, as Lambda's Python runtime writes them
        assert json.loads(payload) == {
            "key": "analyze",
            "event": {"window_end_ms": 1000},
            "score": 0.25,
            "count": 3,
        }
    # no payload: the function is given an empty object, as Lambda gives it
    _invoke(lam, spec.name, payload=b"")
    assert functions.events[-1] == ("analyze", {})


def test_a_raising_handler_or_a_result_with_no_json_is_unhandled(
    bridged: tuple[Any, InvokeBridge, Functions], blueprint: Blueprint
) -> None:
    lam, _bridge, _functions = bridged
    answer, payload = _invoke(lam, blueprint.functions["ingest"].name)
    assert (answer["StatusCode"], answer["FunctionError"]) == (200, "Unhandled")
    document = json.loads(payload)
    assert (document["errorType"], document["errorMessage"]) == ("KeyError", "'body'")
    # the stack from the handler down: none of the runtime's or the bridge's frames
    assert document["stackTrace"] and "in invoke" in document["stackTrace"][0]
    assert not any("cardwatch/local/" in frame for frame in document["stackTrace"])
    answer, payload = _invoke(lam, blueprint.functions["decide"].name)
    assert answer["FunctionError"] == "Unhandled"
    document = json.loads(payload)
    assert document["errorType"] == "Runtime.MarshalError"
    assert "Object of type set is not JSON serializable" in document["errorMessage"]


def test_an_event_is_accepted_at_once_and_run_within_the_functions_concurrency(
    bridged: tuple[Any, InvokeBridge, Functions], blueprint: Blueprint
) -> None:
    lam, _bridge, functions = bridged
    name = blueprint.functions["notify"].name
    # WHEN five events arrive for a function that holds each until released
    for n in range(5):
        answer, payload = _invoke(lam, name, "Event", json.dumps({"n": n}).encode())
        # THEN each is accepted before it runs, with nothing to say
        assert (answer["StatusCode"], payload) == (202, b"")
        assert "FunctionError" not in answer
    # AND they run two at a time (the concurrency attached), the rest queued
    assert wait_until(lambda: functions.running == 2, 10)
    functions.release.set()
    assert wait_until(lambda: sum(k == "notify" for k, _ in functions.events) == 5, 10)
    assert functions.peak == 2
    # a dry run runs nothing
    before = len(functions.events)
    answer, payload = _invoke(lam, name, "DryRun")
    assert (answer["StatusCode"], payload) == (204, b"")
    assert len(functions.events) == before


def test_the_bridge_runs_the_blueprints_functions_for_the_emulator_only(
    bridged: tuple[Any, InvokeBridge, Functions],
) -> None:
    lam, bridge, _functions = bridged
    # a function the emulator holds that is not the blueprint's: it cannot run here
    answer, payload = _invoke(lam, "not-ours")
    assert answer["FunctionError"] == "Unhandled"
    assert "not not-ours" in json.loads(payload)["errorMessage"]
    # a caller without the emulator's secret is refused
    url = f"{bridge.url}/functions/not-ours/invocations"
    assert httpx.post(url, content=b"{}").status_code == 403
    assert httpx.post(url, content=b"{}", headers={SECRET_HEADER: "guess"}).status_code == 403
