"""The whole pipeline on one machine: emulator, resources, gateway, functions, events."""

from __future__ import annotations

import logging
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

from cardwatch.blueprint import Blueprint, blueprint_for
from cardwatch.handlers import wiring
from cardwatch.handlers.observability import service_name
from cardwatch.local.emulator.server import Emulator, running_emulator
from cardwatch.local.runtime.event_wiring import EventWiring
from cardwatch.local.runtime.function_logs import FunctionLogs
from cardwatch.local.runtime.function_registry import LogShipper, register_functions
from cardwatch.local.runtime.gateway import GatewayStats, build_gateway
from cardwatch.local.runtime.identity import Caller, demo_analysts
from cardwatch.local.runtime.invoke_bridge import InvokeBridge
from cardwatch.local.runtime.lambda_runtime import LocalLambda
from cardwatch.local.runtime.provision import Provisioned, api_keys, provision
from cardwatch.local.runtime.serving import ThreadServer
from cardwatch.local.stack_state import forget_state, new_token, write_state

__all__ = ["ApiPortError", "LocalPipeline", "LocalSettings"]

logger = logging.getLogger(__name__)


class ApiPortError(RuntimeError):
    """The local API could not listen on the port asked for."""


@dataclass(frozen=True, slots=True)
class LocalSettings:
    port: int = 8080  # 0: any free port
    emulator_port: int = 0  # the AWS emulator's; 0: any free port
    environment_suffix: str = "local"
    api_key: str | None = None  # None: a fresh random key
    analyze_every_seconds: float = 300.0
    #: the retraining schedule (the deployment's: weekly)
    retrain_every_seconds: float = 7 * 86_400.0
    analysis_window_seconds: int = 300
    state_dir: Path = field(default_factory=lambda: Path(".cardwatch"))
    #: Invocations of each function that may run at once (Lambda's concurrency).
    concurrency: int = 8
    #: Target settings to override (``api_rate_limit_per_second``, ...).
    overrides: dict[str, Any] = field(default_factory=dict)
    #: The emulator's own settings, as environment variables of its process (DynamoDB's
    #: limits: ``CARDWATCH_DYNAMODB_PARTITION_WCU`` and the others of local mode's docs).
    emulator_settings: dict[str, str] = field(default_factory=dict)
    #: How long a decision waits on the state store per try. The deployment's half
    #: second is a hundred DynamoDB round trips; the emulator, one process in Python on
    #: the same cores as the functions, answers a loaded query in tens to hundreds of
    #: milliseconds, so local mode waits longer before the degraded policy answers.
    decision_state_timeout_seconds: float = 5.0
    #: and the longest it waits for the state, for the same reason
    decision_deadline_seconds: float = 20.0
    store_timeout_seconds: float = 10.0

    def local_environment(self) -> dict[str, str]:
        """What local mode sets beyond the deployment's environment."""
        return {
            "ANALYSIS_WINDOW_SECONDS": str(self.analysis_window_seconds),
            "STATE_TIMEOUT_SECONDS": str(self.decision_state_timeout_seconds),
            "DECISION_DEADLINE_SECONDS": str(self.decision_deadline_seconds),
            "STORE_TIMEOUT_SECONDS": str(self.store_timeout_seconds),
        }


class LocalPipeline:
    """Start with ``with LocalPipeline(settings) as pipeline:``; all stops on exit."""

    def __init__(self, settings: LocalSettings | None = None) -> None:
        self.settings = settings or LocalSettings()
        self.blueprint: Blueprint = blueprint_for(
            "local", self.settings.environment_suffix, **self.settings.overrides
        )
        self.api_key = self.settings.api_key or secrets.token_urlsafe(24)
        self.analyst_api_key = secrets.token_urlsafe(24)
        #: this start's token: in the state file, and what the API's /health answers
        self.stack_token = new_token()
        self.feed_api_key = secrets.token_urlsafe(24)
        self.gateway_stats = GatewayStats()
        self.emulator: Emulator | None = None
        self.made: Provisioned | None = None
        self.functions: LocalLambda | None = None
        self.wiring: EventWiring | None = None
        self.api_url = ""
        self._emulator_context: Any = None
        self._bridge: InvokeBridge | None = None
        self._server: ThreadServer | None = None
        self._logs: FunctionLogs | None = None
        self._shipper: LogShipper | None = None
        self.function_arns: dict[str, str] = {}
        #: the demo analysts, who sign their requests to the analysts' routes
        self.analysts: dict[str, Caller] = {}
        self._saved_env: dict[str, str | None] = {}

    # -- start ----------------------------------------------------------------------
    def __enter__(self) -> LocalPipeline:
        try:
            self._start()
        except BaseException:
            self.close()
            raise
        return self

    def _start(self) -> None:
        settings, blueprint = self.settings, self.blueprint
        # the emulator's Lambda runs an invocation here: the bridge listens first, so
        # that the emulator is given its address when it starts
        self._bridge = InvokeBridge(blueprint)
        bridge = self._bridge.start()
        self._emulator_context = running_emulator(
            blueprint.region, settings.emulator_port, {**settings.emulator_settings, **bridge}
        )
        self.emulator = self._emulator_context.__enter__()
        session = self.emulator.session()
        self.made = provision(blueprint, session)
        api_keys(
            blueprint, session, self.made, self.api_key, self.analyst_api_key, self.feed_api_key
        )
        self._set_environment(self.made)
        self.function_arns = register_functions(
            blueprint,
            session,
            self._environment_of,
            (self.made.log_archive_stream_arn, self.made.log_archive_role_arn),
        )
        self._shipper = LogShipper(
            session, {spec.name: spec.log_group for spec in blueprint.functions.values()}
        )
        self._logs = FunctionLogs(_fresh_logs(settings.state_dir / "logs"), self._shipper.ship)
        self._logs.install(*(logging.getLogger(service_name(key)) for key in blueprint.functions))
        account = session.client("sts").get_caller_identity()["Account"]
        self.functions = LocalLambda(blueprint, self._logs, settings.concurrency, account)
        self.analysts = demo_analysts(blueprint, session, account)
        app = build_gateway(
            blueprint,
            self.made.api_keys,
            self.functions.invoke,
            self.gateway_stats,
            {"analyst": self.made.analyst_api_key_id, "feed": self.made.feed_api_key_id},
            callers=self.analysts,
            account=account,
            stack=self.stack_token,
        )
        self._server = ThreadServer(app, "127.0.0.1", settings.port, "cardwatch-gateway")
        url = self._server.start()
        if url is None:
            raise ApiPortError(f"the local API could not listen on port {settings.port}")
        self.api_url = url
        self.wiring = EventWiring(
            blueprint,
            self.made,
            session,
            self.functions.invoke,
            analyze_every=settings.analyze_every_seconds,
            retrain_every=settings.retrain_every_seconds,
            concurrency=settings.concurrency,
        )
        self.wiring.start()
        self._bridge.attach(self.functions.invoke, self.wiring.invoke_async, settings.concurrency)
        self._write_state()

    def _environment_of(self, key: str) -> dict[str, str]:
        """A function's environment as the emulator's Lambda registers it (as deployed)."""
        assert self.made is not None
        environment = self.made.environment(self.blueprint, key)
        ours = self.settings.local_environment()
        return environment | {name: ours[name] for name in environment.keys() & ours.keys()}

    def _set_environment(self, made: Provisioned) -> None:
        environment: dict[str, str] = {}
        for key in self.blueprint.functions:
            environment.update(made.environment(self.blueprint, key))
        environment.update(self.settings.local_environment())
        self._saved_env = {name: os.environ.get(name) for name in environment}
        os.environ.update(environment)
        wiring.reset()

    def _write_state(self) -> None:
        assert self.made is not None and self.emulator is not None
        blueprint = self.blueprint
        state = {
            "api_url": self.api_url,
            "api_key": self.api_key,
            "analyst_api_key": self.analyst_api_key,
            "feed_api_key": self.feed_api_key,
            # the demo analysts' emulator sessions (local only): the console signs as one
            "analysts": {name: caller.credentials() for name, caller in self.analysts.items()},
            "aws_endpoint": self.emulator.endpoint,
            "region": blueprint.region,
            "environment_suffix": blueprint.environment_suffix,
            "functions": {
                key: {"arn": arn, "log_group": blueprint.functions[key].log_group}
                for key, arn in self.function_arns.items()
            },
            "resources": {
                # local mode's stand-in for Lambda's queue of asynchronous invocations
                "detect_invocation_queue": self.made.detect_invocation_queue_url,
                "aggregate_invocation_queue": self.made.aggregate_invocation_queue_url,
                "table": blueprint.table_name,
                "profile_table": blueprint.profile_table_name,
                "queues": self.made.queue_urls,
                "alert_topic": self.made.topic_arn,
                "event_bus": blueprint.event_bus_name,
                "rule": blueprint.rule_name,
                "kms_key_id": self.made.key_id,
                "card_token_key": blueprint.card_token_key_alias,
                "parameters": [
                    blueprint.rules_parameter,
                    blueprint.rates_parameter,
                    blueprint.model_parameter,
                ],
                "model_bucket": blueprint.model_bucket_name,
                "functions": {key: spec.name for key, spec in blueprint.functions.items()},
                "function_logs": str(self.settings.state_dir / "logs"),
            },
        }
        write_state(self.state_file, state, self.stack_token)

    @property
    def state_file(self) -> Path:
        """Where this stack's state is written while it runs (removed when it stops)."""
        return self.settings.state_dir / "local.json"

    # -- stop -----------------------------------------------------------------------
    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        if self._bridge is not None:
            self._bridge.stop()
        forget_state(self.state_file, self.stack_token)
        if self.wiring is not None:
            self.wiring.stop()
        if self._server is not None:
            self._server.stop()
        if self._logs is not None:
            self._logs.close()
        if self._shipper is not None:
            self._shipper.close()
        if self._emulator_context is not None:
            self._emulator_context.__exit__(None, None, None)
            self._emulator_context = None
        for name, value in self._saved_env.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        wiring.reset()


def _fresh_logs(directory: Path) -> Path:
    """``directory``, emptied of the last run's log files (kept in ``previous/``): each
    run's function logs are its own."""
    earlier = sorted(directory.glob("*.log"))
    if earlier:
        kept = directory / "previous"
        kept.mkdir(parents=True, exist_ok=True)
        for stale in kept.glob("*.log"):
            stale.unlink()
        for log in earlier:
            log.replace(kept / log.name)
    return directory
