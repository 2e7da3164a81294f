"""What Lambda hands a function, made locally: a context object and an invoker."""

from __future__ import annotations

import importlib
import importlib.util
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cardwatch.blueprint import Blueprint, FunctionSpec
from cardwatch.local.runtime.function_logs import FunctionLogs

__all__ = ["Invocation", "LocalContext", "LocalLambda", "running_function"]

Handler = Callable[[dict[str, Any], Any], Any]

_running = threading.local()


def running_function() -> str | None:
    """The key of the function this thread is running an invocation of (None: none), so
    that what the invocation does, its AWS calls say, can be counted as its own."""
    return getattr(_running, "key", None)


@dataclass(frozen=True, slots=True)
class Invocation:
    """One invocation as Lambda would bill and a cost model would read it."""

    #: wall time, what Lambda bills (on the emulator: an upper bound)
    duration_ms: float
    #: CPU time of the invocation's own thread: the function's own work, without the
    #: emulator's (another process) or the other invocations'
    cpu_ms: float
    #: the records of a batch event (stream, queue), 1 for any other event
    records: int


class LocalContext:
    """The attributes of Lambda's context object that Powertools reads."""

    def __init__(
        self, spec: FunctionSpec, region: str = "us-east-1", account: str = "123456789012"
    ) -> None:
        self.function_name = spec.name
        self.function_version = "$LATEST"
        self.memory_limit_in_mb = spec.memory_mb
        self.invoked_function_arn = f"arn:aws:lambda:{region}:{account}:function:{spec.name}"
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = spec.log_group
        self.log_stream_name = "local"
        self._deadline = time.monotonic() + spec.timeout_seconds

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


class _Environment:
    """One execution environment: its own instance of the handler's module (module
    state such as Powertools' resolver, with the event it is resolving, is never shared
    with another invocation running at the same time), used by one invocation at a
    time."""

    def __init__(self, handler_path: str, number: int) -> None:
        module_name, _, attribute = handler_path.rpartition(".")
        if number == 0:  # the first is the module itself (a test may look into it)
            module = importlib.import_module(module_name)
        else:
            found = importlib.util.find_spec(module_name)
            assert found is not None and found.origin is not None
            spec = importlib.util.spec_from_file_location(
                f"{module_name}.__environment_{number}", found.origin
            )
            assert spec is not None and spec.loader is not None
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
        self.module = module
        self.handler: Handler = getattr(module, attribute)


class LocalLambda:
    """Runs the blueprint's functions in process, by their handler path, as Lambda would:
    up to ``concurrency`` invocations of each function at once (Lambda runs as many as
    its reserved concurrency allows, so every race it can cause can happen here), each
    in an execution environment of its own, made when none is free (a cold start) and
    kept for the next, a fresh context each, output into the function's log file. A
    caller past the limit waits, as a throttled asynchronous event or poller batch
    would."""

    def __init__(
        self,
        blueprint: Blueprint,
        logs: FunctionLogs | None = None,
        concurrency: int = 8,
        account: str = "123456789012",
    ) -> None:
        """``account``: the emulator's (its STS says which), for the ARNs it writes."""
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        self._account = account
        self._blueprint = blueprint
        self._logs = logs
        self.concurrency = concurrency
        self._idle: dict[str, list[_Environment]] = {key: [] for key in blueprint.functions}
        self._made = dict.fromkeys(blueprint.functions, 0)
        self._environments = threading.Lock()
        self._slots = {key: threading.BoundedSemaphore(concurrency) for key in blueprint.functions}
        self._running = dict.fromkeys(blueprint.functions, 0)
        self._count = threading.Lock()
        #: The most invocations of each function seen running at once.
        self.peak = dict.fromkeys(blueprint.functions, 0)
        #: Each invocation's duration in milliseconds, per function (what Lambda bills).
        self.durations: dict[str, list[float]] = {key: [] for key in blueprint.functions}
        #: Each invocation's duration, own CPU and records, per function.
        self.invocations: dict[str, list[Invocation]] = {key: [] for key in blueprint.functions}

    def _environment(self, key: str) -> _Environment:
        """A free environment of the function, or a new one (under the caller's slot)."""
        with self._environments:
            if self._idle[key]:
                return self._idle[key].pop()
            number = self._made[key]
            self._made[key] += 1
            # Made under the lock: two cold starts of one module must not interleave.
            return _Environment(self._blueprint.functions[key].handler, number)

    def invoke(self, key: str, event: dict[str, Any]) -> Any:
        spec = self._blueprint.functions[key]
        context = LocalContext(spec, self._blueprint.region, self._account)
        with self._slots[key]:
            environment = self._environment(key)
            with self._count:
                self._running[key] += 1
                self.peak[key] = max(self.peak[key], self._running[key])
            started, cpu = time.perf_counter(), time.thread_time()
            _running.key = key
            try:
                if self._logs is None:
                    return environment.handler(event, context)
                with self._logs.running(spec.name):
                    return environment.handler(event, context)
            finally:
                _running.key = None
                took = (time.perf_counter() - started) * 1000
                self.durations[key].append(took)
                records = event.get("Records") if isinstance(event, dict) else None
                self.invocations[key].append(
                    Invocation(
                        took,
                        (time.thread_time() - cpu) * 1000,
                        len(records) if isinstance(records, list) else 1,
                    )
                )
                with self._count:
                    self._running[key] -= 1
                with self._environments:
                    self._idle[key].append(environment)
