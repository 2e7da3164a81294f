"""The retrain function's parts: the training set (Athena's), the model registry, the
settings."""

from __future__ import annotations

from dataclasses import fields, replace
from typing import Any

from cardwatch.adapters.athena_training import AthenaTrainingSet
from cardwatch.adapters.clients import client
from cardwatch.adapters.dynamodb_audit import DynamoAuditTrail
from cardwatch.adapters.model_registry import S3ModelRegistry
from cardwatch.handlers.config import RetrainConfig
from cardwatch.training.model_choice import Promotion
from cardwatch.training.retraining import RetrainSettings

__all__ = [
    "OVERRIDABLE",
    "audit_trail",
    "config",
    "registry",
    "settings",
    "training_source",
    "with_overrides",
]

#: What an on-demand invocation may change for one run (``cardwatch model train``).
OVERRIDABLE = frozenset(f.name for f in fields(RetrainConfig)) - {
    "model_bucket",
    "model_parameter",
    "data_key_id",
    "history_bucket",
    "training_prefix",
    "athena_workgroup",
    "history_source",
}


def config(overrides: dict[str, Any] | None = None) -> RetrainConfig:
    """The function's configuration, with a run's overrides."""
    return with_overrides(RetrainConfig.from_env(), overrides or {})


def with_overrides(base: RetrainConfig, overrides: dict[str, Any]) -> RetrainConfig:
    """``base`` with one run's settings changed (unknown names and wrong kinds refused)."""
    unknown = set(overrides) - OVERRIDABLE
    if unknown:
        raise ValueError(f"settings a run cannot change: {', '.join(sorted(unknown))}")
    kinds = {f.name: type(getattr(base, f.name)) for f in fields(RetrainConfig)}
    for name, value in overrides.items():
        if not isinstance(value, kinds[name]) and not (
            kinds[name] is float and isinstance(value, int) and not isinstance(value, bool)
        ):
            raise ValueError(f"{name}: expected a {kinds[name].__name__}")
    return replace(base, **overrides)


def settings(chosen: RetrainConfig) -> RetrainSettings:
    return RetrainSettings(
        history_days=chosen.history_days,
        label_delay_days=chosen.label_delay_days,
        min_frauds_to_train=chosen.min_frauds_to_train,
        promotion=Promotion(
            margin=chosen.promotion_margin,
            evaluation_days=chosen.evaluation_days,
            min_frauds=chosen.min_judged_frauds,
        ),
        auto_promote=chosen.auto_promote,
        genuine_share=chosen.genuine_share,
    )


def training_source(chosen: RetrainConfig, clients: Any = client) -> AthenaTrainingSet:
    """The training set as Athena builds it over the decision log's exports
    (``clients``: a service name -> its client, the function's by default)."""
    return AthenaTrainingSet(
        clients("athena"),
        clients("s3"),
        workgroup=chosen.athena_workgroup,
        source=chosen.history_source,
        bucket=chosen.history_bucket,
        prefix=chosen.training_prefix,
    )


def registry(chosen: RetrainConfig) -> S3ModelRegistry:
    return S3ModelRegistry(
        chosen.model_bucket, chosen.model_parameter, client("s3"), client("ssm"), chosen.data_key_id
    )


def audit_trail(chosen: RetrainConfig, clients: Any = client) -> DynamoAuditTrail | None:
    """Where the function records the pointer moves it makes (None: not configured)."""
    if chosen.audit_table_name is None:
        return None
    return DynamoAuditTrail(chosen.audit_table_name, clients("dynamodb"))
