"""Each function's configuration, parsed once from its environment at the edge.

The variable names are the keys of :attr:`cardwatch.blueprint.FunctionSpec.environment`;
the domain receives values, never ``os.environ``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from cardwatch.domain.engine.authorization import Degraded
from cardwatch.domain.engine.budget import AlertBudget

__all__ = [
    "AggregateConfig",
    "AnalyzeConfig",
    "DecideConfig",
    "DetectConfig",
    "ExportConfig",
    "IngestConfig",
    "MissingSetting",
    "NotifyConfig",
    "RetrainConfig",
]


class MissingSetting(RuntimeError):
    """A function was deployed without a variable it needs."""


def _env(env: Mapping[str, str] | None) -> Mapping[str, str]:
    return os.environ if env is None else env


def _required(env: Mapping[str, str], name: str) -> str:
    value = env.get(name, "").strip()
    if not value:
        raise MissingSetting(f"environment variable {name} is not set")
    return value


@dataclass(frozen=True, slots=True)
class IngestConfig:
    table_name: str
    profile_table_name: str
    card_token_key_id: str
    review_index: str
    max_transaction_age: timedelta = timedelta(days=365)
    label_source_ranks: str | None = None
    retention_days: int = 396
    #: the audit trail's table (None: labels are not audited, as in a bare test)
    audit_table_name: str | None = None
    #: the analysts' cases (None: the case routes answer 404)
    cases: CaseTables | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> IngestConfig:
        env = _env(env)
        return cls(
            table_name=_required(env, "TABLE_NAME"),
            profile_table_name=_required(env, "PROFILE_TABLE_NAME"),
            card_token_key_id=_required(env, "CARD_TOKEN_KEY_ID"),
            review_index=_required(env, "REVIEW_INDEX"),
            max_transaction_age=timedelta(days=int(env.get("MAX_TRANSACTION_AGE_DAYS", "365"))),
            label_source_ranks=env.get("LABEL_SOURCE_RANKS"),
            retention_days=int(env.get("TRANSACTION_RETENTION_DAYS", "396")),
            audit_table_name=env.get("AUDIT_TABLE_NAME") or None,
            cases=CaseTables.from_env(env),
        )


@dataclass(frozen=True, slots=True)
class DetectConfig:
    table_name: str
    profile_table_name: str
    suspicious_queue_url: str
    rules_parameter: str
    rates_parameter: str | None = None
    #: the model registry (None: the shipped model only)
    model_bucket: str | None = None
    model_parameter: str | None = None
    spread_by_bin: bool = False
    rules_max_age_seconds: int = 60
    max_lateness_seconds: int = 2 * 86_400
    budget: AlertBudget = field(default_factory=AlertBudget)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> DetectConfig:
        env = _env(env)
        return cls(
            table_name=_required(env, "TABLE_NAME"),
            suspicious_queue_url=_required(env, "SUSPICIOUS_QUEUE_URL"),
            **_scoring(env),
        )


def _scoring(env: Mapping[str, str]) -> dict[str, Any]:
    """What scoring reads, alike in detect and decide: the state, rules, rates, models
    and the alert budget."""
    return {
        "profile_table_name": _required(env, "PROFILE_TABLE_NAME"),
        "rules_parameter": _required(env, "RULES_PARAMETER"),
        "rates_parameter": env.get("RATES_PARAMETER") or None,
        "model_bucket": env.get("MODEL_BUCKET") or None,
        "model_parameter": env.get("MODEL_PARAMETER") or None,
        "spread_by_bin": env.get("SPREAD_BY_BIN", "false").strip().lower() in {"true", "1"},
        "max_lateness_seconds": int(env.get("STATE_MAX_LATENESS_SECONDS", str(2 * 86_400))),
        "budget": AlertBudget(
            review_share=float(env.get("ALERT_REVIEW_SHARE", "0.005")),
            block_share=float(env.get("ALERT_BLOCK_SHARE", "0.001")),
            days=int(env.get("ALERT_BUDGET_DAYS", "7")),
        ),
    }


@dataclass(frozen=True, slots=True)
class DecideConfig:
    """``POST /decisions``: ingest's store and card key, detect's scoring, and what to
    answer when the state cannot be read."""

    table_name: str
    card_token_key_id: str
    profile_table_name: str
    rules_parameter: str
    degraded: Degraded = Degraded.OPEN
    rates_parameter: str | None = None
    model_bucket: str | None = None
    model_parameter: str | None = None
    spread_by_bin: bool = False
    rules_max_age_seconds: int = 60
    max_lateness_seconds: int = 2 * 86_400
    budget: AlertBudget = field(default_factory=AlertBudget)
    max_transaction_age: timedelta = timedelta(days=365)
    retention_days: int = 396
    #: the state's reads and writes: botocore's timeouts (seconds) and attempts, which
    #: bound how long a slow store holds an answer before the policy gives it
    state_timeout_seconds: float = 0.5
    state_attempts: int = 2
    #: the longest an answer waits for the state before the policy answers
    deadline_seconds: float = 0.25
    #: the transaction's own writes: a try's timeout (three tries, then 503: retry)
    store_timeout_seconds: float = 1.0

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> DecideConfig:
        env = _env(env)
        return cls(
            table_name=_required(env, "TABLE_NAME"),
            card_token_key_id=_required(env, "CARD_TOKEN_KEY_ID"),
            degraded=Degraded.parse(env.get("DEGRADED_POLICY", Degraded.OPEN.value)),
            max_transaction_age=timedelta(days=int(env.get("MAX_TRANSACTION_AGE_DAYS", "365"))),
            retention_days=int(env.get("TRANSACTION_RETENTION_DAYS", "396")),
            state_timeout_seconds=float(env.get("STATE_TIMEOUT_SECONDS", "0.5")),
            state_attempts=int(env.get("STATE_ATTEMPTS", "2")),
            deadline_seconds=float(env.get("DECISION_DEADLINE_SECONDS", "0.25")),
            store_timeout_seconds=float(env.get("STORE_TIMEOUT_SECONDS", "1.0")),
            **_scoring(env),
        )


@dataclass(frozen=True, slots=True)
class AggregateConfig:
    profile_table_name: str
    #: chunks of a batch folded side by side (a bounded pool)
    threads: int = 4

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> AggregateConfig:
        env = _env(env)
        return cls(
            profile_table_name=_required(env, "PROFILE_TABLE_NAME"),
            threads=int(env.get("FOLD_THREADS", "4")),
        )


@dataclass(frozen=True, slots=True)
class AnalyzeConfig:
    table_name: str
    time_bucket_index: str
    suspicious_queue_url: str
    window_seconds: int
    profile_table_name: str

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> AnalyzeConfig:
        env = _env(env)
        return cls(
            table_name=_required(env, "TABLE_NAME"),
            time_bucket_index=_required(env, "TIME_BUCKET_INDEX"),
            suspicious_queue_url=_required(env, "SUSPICIOUS_QUEUE_URL"),
            window_seconds=int(env.get("ANALYSIS_WINDOW_SECONDS", "300")),
            profile_table_name=_required(env, "PROFILE_TABLE_NAME"),
        )


@dataclass(frozen=True, slots=True)
class NotifyConfig:
    alert_topic_arn: str
    profile_table_name: str
    cooldown_seconds: int
    console_url: str | None = None
    #: the cases table and its indexes (None: findings open no case)
    cases: CaseTables | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> NotifyConfig:
        env = _env(env)
        return cls(
            alert_topic_arn=_required(env, "ALERT_TOPIC_ARN"),
            profile_table_name=_required(env, "PROFILE_TABLE_NAME"),
            cooldown_seconds=int(env.get("ALERT_COOLDOWN_SECONDS", "3600")),
            console_url=env.get("CONSOLE_URL") or None,
            cases=CaseTables.from_env(env),
        )


@dataclass(frozen=True, slots=True)
class CaseTables:
    """Where the cases are: the table and its search and status indexes."""

    table_name: str
    search_index: str
    queue_index: str

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> CaseTables | None:
        name = env.get("CASE_TABLE_NAME")
        if not name:
            return None
        return cls(name, _required(env, "CASE_SEARCH_INDEX"), _required(env, "CASE_QUEUE_INDEX"))


@dataclass(frozen=True, slots=True)
class RetrainConfig:
    model_bucket: str
    model_parameter: str
    #: the CMK the pointer (a SecureString) is written under
    data_key_id: str
    #: where Athena builds the training set: the bucket and prefix of the sets, the
    #: workgroup, the catalog table of the decision log's exports
    history_bucket: str
    training_prefix: str
    athena_workgroup: str
    history_source: str
    genuine_share: float = 1.0
    history_days: float = 91
    label_delay_days: float = 7
    min_frauds_to_train: int = 30
    promotion_margin: float = 0.01
    evaluation_days: float = 14
    min_judged_frauds: int = 10
    auto_promote: bool = True
    #: the audit trail's table (None: pointer moves are not audited, as in a bare test)
    audit_table_name: str | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> RetrainConfig:
        env = _env(env)
        return cls(
            model_bucket=_required(env, "MODEL_BUCKET"),
            model_parameter=_required(env, "MODEL_PARAMETER"),
            data_key_id=_required(env, "DATA_KEY_ID"),
            history_bucket=_required(env, "HISTORY_BUCKET"),
            training_prefix=_required(env, "TRAINING_PREFIX"),
            athena_workgroup=_required(env, "ATHENA_WORKGROUP"),
            history_source=_required(env, "HISTORY_SOURCE"),
            genuine_share=float(env.get("GENUINE_SHARE", "1.0")),
            history_days=float(env.get("RETRAIN_HISTORY_DAYS", "91")),
            label_delay_days=float(env.get("LABEL_DELAY_DAYS", "7")),
            min_frauds_to_train=int(env.get("MIN_FRAUDS_TO_TRAIN", "30")),
            promotion_margin=float(env.get("PROMOTION_MARGIN", "0.01")),
            evaluation_days=float(env.get("EVALUATION_DAYS", "14")),
            min_judged_frauds=int(env.get("MIN_JUDGED_FRAUDS", "10")),
            auto_promote=env.get("AUTO_PROMOTE", "true").strip().lower() in {"true", "1"},
            audit_table_name=env.get("AUDIT_TABLE_NAME") or None,
        )


@dataclass(frozen=True, slots=True)
class ExportConfig:
    table_arn: str
    history_bucket: str
    export_prefix: str
    #: the key the exports are encrypted with
    export_key_arn: str
    history_database: str
    history_table: str
    export_interval_hours: float = 24.0

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> ExportConfig:
        env = _env(env)
        return cls(
            table_arn=_required(env, "TABLE_ARN"),
            history_bucket=_required(env, "HISTORY_BUCKET"),
            export_prefix=_required(env, "EXPORT_PREFIX"),
            export_key_arn=_required(env, "EXPORT_KEY_ARN"),
            history_database=_required(env, "HISTORY_DATABASE"),
            history_table=_required(env, "HISTORY_TABLE"),
            export_interval_hours=float(env.get("EXPORT_INTERVAL_HOURS", "24")),
        )
