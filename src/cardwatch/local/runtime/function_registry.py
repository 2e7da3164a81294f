"""The functions as the emulator's Lambda, IAM and CloudWatch Logs hold them.

Local mode runs the handlers in its own process (as many invocations at once as the
function's concurrency); the emulator's Lambda cannot run them. So that the AWS tools
see what a deployment has, each function is also *registered* there: its role, its log
group with the blueprint's retention, and the function itself with its handler, runtime,
architecture, memory, timeout, tracing and environment as both deployments render
them, its code the cardwatch sources the Lambda package carries (the run-time libraries
are not bundled: the functions never run from this copy). ``aws lambda list-functions``
and ``aws lambda get-function-configuration`` then answer as they would for a
deployment, ``aws lambda invoke`` runs the function in the local runtime
(:mod:`.invoke_bridge`), and the functions' log lines reach their log groups
(:class:`LogShipper`), where ``aws logs filter-log-events`` (or ``aws logs tail``)
reads them.
"""

from __future__ import annotations

import io
import json
import logging
import queue
import threading
import time
import uuid
import zipfile
from collections.abc import Callable
from typing import Any

from cardwatch.blueprint import Blueprint
from cardwatch.infra.common.packaging import package_sources

__all__ = ["LogShipper", "register_functions"]

_LAMBDA_TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "lambda.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ],
}
_log = logging.getLogger("cardwatch.local")
#: CloudWatch Logs takes at most 10,000 events a call
_EVENTS_PER_CALL = 10_000


def _code() -> bytes:
    """The cardwatch sources of the Lambda package, zipped (no wheels: nothing runs it)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path, name in package_sources():
            archive.write(path, name)
    return buffer.getvalue()


def register_functions(
    blueprint: Blueprint,
    session: Any,
    environment: Callable[[str], dict[str, str]],
    archive: tuple[str, str] | None = None,
) -> dict[str, str]:
    """Register every function of ``blueprint`` with the emulator; function key -> ARN.

    ``environment(key)`` gives a function's environment variables as deployed;
    ``archive``: the log archive's (delivery stream, role) each log group is subscribed
    to, as both deployments subscribe them."""
    iam, functions, logs = session.client("iam"), session.client("lambda"), session.client("logs")
    code = _code()
    arns = {}
    for key, spec in blueprint.functions.items():
        role = iam.create_role(
            RoleName=spec.role_name or f"{spec.name}-role",
            AssumeRolePolicyDocument=json.dumps(_LAMBDA_TRUST),
            Description=f"cardwatch {key} (local mode: the emulator does not enforce it)",
        )["Role"]["Arn"]
        logs.create_log_group(logGroupName=spec.log_group)
        logs.put_retention_policy(
            logGroupName=spec.log_group, retentionInDays=blueprint.settings.log_retention_days
        )
        if archive is not None:
            logs.put_subscription_filter(
                logGroupName=spec.log_group,
                filterName=f"{spec.name}-archive",
                filterPattern="",
                destinationArn=archive[0],
                roleArn=archive[1],
            )
        arns[key] = functions.create_function(
            FunctionName=spec.name,
            Runtime=blueprint.settings.runtime,
            Role=role,
            Handler=spec.handler,
            Description=spec.description,
            Code={"ZipFile": code},
            Timeout=spec.timeout_seconds,
            MemorySize=spec.memory_mb,
            Architectures=["arm64"],
            TracingConfig={"Mode": "Active"},
            Environment={"Variables": environment(key)},
        )["FunctionArn"]
    return arns


class LogShipper:
    """Sends each invocation's log lines to its function's log group, from a thread of
    its own (an invocation never waits on CloudWatch Logs, as in Lambda). Lines wait in a
    bounded queue; if the emulator stops answering, the excess is dropped and counted."""

    def __init__(self, session: Any, log_groups: dict[str, str], capacity: int = 10_000) -> None:
        self._client = session.client("logs")
        self._groups = log_groups  # function name -> log group
        self._streams: dict[str, str] = {}
        self._queue: queue.Queue[tuple[str, list[tuple[int, str]]] | None] = queue.Queue(capacity)
        self.dropped = 0
        self._thread = threading.Thread(target=self._run, daemon=True, name="cardwatch-logs")
        self._thread.start()

    def ship(self, function_name: str, lines: list[tuple[int, str]]) -> None:
        """Queue an invocation's ``(epoch ms, line)`` pairs for its function's log group."""
        if function_name not in self._groups or not lines:
            return
        try:
            self._queue.put_nowait((function_name, lines))
        except queue.Full:
            self.dropped += len(lines)

    def close(self, timeout: float = 10.0) -> None:
        """Send what is queued (for at most ``timeout`` seconds), then stop."""
        self._queue.put(None)
        self._thread.join(timeout)

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            batch: dict[str, list[tuple[int, str]]] = {}
            stopping = item is None
            # whatever else is queued goes in the same calls: one a function, not one an
            # invocation (as Lambda's log agent batches), so a burst adds few calls
            while item is not None:
                batch.setdefault(item[0], []).extend(item[1])
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                stopping = stopping or item is None
            for function_name, lines in batch.items():
                try:
                    self._send(function_name, lines)
                except Exception:  # a log line is never worth stopping a function for
                    self.dropped += len(lines)
                    _log.debug("log lines of %s not shipped", function_name, exc_info=True)
            if stopping:
                return

    def _send(self, function_name: str, lines: list[tuple[int, str]]) -> None:
        group = self._groups[function_name]
        stream = self._streams.get(function_name)
        if stream is None:
            day = time.strftime("%Y/%m/%d", time.gmtime())
            stream = f"{day}/[$LATEST]{uuid.uuid4().hex}"
            self._client.create_log_stream(logGroupName=group, logStreamName=stream)
            self._streams[function_name] = stream
        lines.sort(key=lambda pair: pair[0])  # a call's events must be in time order
        for start in range(0, len(lines), _EVENTS_PER_CALL):
            self._client.put_log_events(
                logGroupName=group,
                logStreamName=stream,
                logEvents=[
                    {"timestamp": ms, "message": line}
                    for ms, line in lines[start : start + _EVENTS_PER_CALL]
                ],
            )
