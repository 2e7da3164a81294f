"""What Lambda hands a function, made locally: a context object and an invoker."""

from __future__ import annotations

import importlib
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

from cardwatch.blueprint import Blueprint, FunctionSpec
from cardwatch.local.function_logs import FunctionLogs

__all__ = ["LocalContext", "LocalLambda"]

Handler = Callable[[dict[str, Any], Any], Any]


class LocalContext:
    """The attributes of Lambda's context object that Powertools reads."""

    def __init__(self, spec: FunctionSpec, region: str = "us-east-1") -> None:
        self.function_name = spec.name
        self.function_version = "$LATEST"
        self.memory_limit_in_mb = spec.memory_mb
        self.invoked_function_arn = f"arn:aws:lambda:{region}:000000000000:function:{spec.name}"
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = spec.log_group
        self.log_stream_name = "local"
        self._deadline = time.monotonic() + spec.timeout_seconds

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


class LocalLambda:
    """Runs the blueprint's functions in process, by their handler path, as Lambda would:
    one event at a time, a fresh context each, output into the function's log file."""

    def __init__(self, blueprint: Blueprint, logs: FunctionLogs | None = None) -> None:
        self._blueprint = blueprint
        self._logs = logs
        self._handlers: dict[str, Handler] = {}
        # One execution environment per function: Powertools' resolver and metrics are
        # module state, so a function runs one event at a time, as in Lambda.
        self._locks = {key: threading.Lock() for key in blueprint.functions}
        #: Each invocation's duration in milliseconds, per function (what Lambda bills).
        self.durations: dict[str, list[float]] = {key: [] for key in blueprint.functions}

    def handler(self, key: str) -> Handler:
        if key not in self._handlers:
            module_name, _, attribute = self._blueprint.functions[key].handler.rpartition(".")
            self._handlers[key] = getattr(importlib.import_module(module_name), attribute)
        return self._handlers[key]

    def invoke(self, key: str, event: dict[str, Any]) -> Any:
        spec = self._blueprint.functions[key]
        handler = self.handler(key)
        context = LocalContext(spec, self._blueprint.region)
        with self._locks[key]:
            started = time.perf_counter()
            try:
                if self._logs is None:
                    return handler(event, context)
                with self._logs.running(spec.name):
                    return handler(event, context)
            finally:
                self.durations[key].append((time.perf_counter() - started) * 1000)
