"""The Pulumi program: configuration -> blueprint -> components.

Configuration (``pulumi config set``; every key optional, the blueprint has defaults):
``environment_suffix``, ``alert_email``, ``log_retention_days``,
``reserved_concurrency`` (one number for every function), ``api_rate_limit_per_second``,
``api_burst_limit``, ``api_quota_per_day`` (0: none), ``vpc_functions`` (comma list),
``email_subscription`` (true/false), ``api_logging`` (own, account or off: who
provides API Gateway's CloudWatch role, one per account and region), and the rest of
:data:`cardwatch.infra.common.settings.SETTINGS`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pulumi
import pulumi_aws as aws

from cardwatch.blueprint import Blueprint, blueprint_for
from cardwatch.infra.common.outputs import outputs
from cardwatch.infra.common.packaging import build_lambda_package, build_training_package
from cardwatch.infra.common.settings import SETTINGS, overrides
from cardwatch.infra.pulumi.api import TransactionApi
from cardwatch.infra.pulumi.archive import LogArchive
from cardwatch.infra.pulumi.base import Context
from cardwatch.infra.pulumi.events import EventRouting
from cardwatch.infra.pulumi.functions import DetectionFunctions
from cardwatch.infra.pulumi.history import HistoryStore
from cardwatch.infra.pulumi.messaging import AlertChannel
from cardwatch.infra.pulumi.models import ModelStore
from cardwatch.infra.pulumi.monitoring import Monitoring
from cardwatch.infra.pulumi.network import PrivateNetwork
from cardwatch.infra.pulumi.security import Security
from cardwatch.infra.pulumi.storage import TransactionStore

__all__ = ["blueprint_from_config", "build"]


def blueprint_from_config(config: pulumi.Config | None = None) -> Blueprint:
    """The blueprint with the stack's settings (:data:`~cardwatch.infra.common.settings.
    SETTINGS`, the same the CDKTF synth takes)."""
    config = config or pulumi.Config()
    found = overrides({name: config.get(name) for name in SETTINGS})
    return blueprint_for("pulumi", config.get("environment_suffix") or "dev", **found)


def build(blueprint: Blueprint, build_dir: Path = Path("build/lambda")) -> dict[str, Any]:
    """Declare every resource of ``blueprint``; return the components by part name."""
    provider = aws.Provider("aws", region=blueprint.region, default_tags={"tags": blueprint.tags})
    opts = pulumi.ResourceOptions(providers={"aws": provider})
    identity = aws.get_caller_identity_output(opts=pulumi.InvokeOptions(provider=provider))
    # the buckets' names are global: the account's id makes them unique (read now: a
    # name is a plain string)
    account = aws.get_caller_identity(opts=pulumi.InvokeOptions(provider=provider)).account_id
    blueprint = blueprint.with_account(account)
    ctx = Context(blueprint, identity.account_id)
    parts: dict[str, Any] = {"Security": Security("security", ctx, opts)}
    parts["TransactionStore"] = TransactionStore("transaction-store", ctx, opts)
    parts["LogArchive"] = LogArchive("log-archive", ctx, opts)
    models = ModelStore(
        "model-store", ctx, build_training_package(build_dir, blueprint.python), opts
    )
    parts["ModelStore"] = models
    parts["HistoryStore"] = HistoryStore("history-store", ctx, opts)
    parts["AlertChannel"] = AlertChannel("alert-channel", ctx, opts)
    vpc = None
    if blueprint.settings.vpc_functions:
        network = PrivateNetwork("private-network", ctx, opts)
        parts["PrivateNetwork"] = network
        vpc = ([s.id for s in network.subnets], [network.security_group.id])
    functions = DetectionFunctions(
        "detection-functions",
        ctx,
        build_lambda_package(build_dir, blueprint.python),
        training=models,
        vpc=vpc,
        opts=opts,
    )
    parts["DetectionFunctions"] = functions
    parts["TransactionApi"] = TransactionApi("transaction-api", ctx, functions.functions, opts)
    parts["EventRouting"] = EventRouting(
        "event-routing",
        ctx,
        functions.functions,
        parts["AlertChannel"].queues["failures_dlq"],
        opts,
    )
    parts["Monitoring"] = Monitoring("monitoring", ctx, opts)
    for name, value in outputs(parts, pulumi.Output.concat).items():
        pulumi.export(name, value)
    return parts
