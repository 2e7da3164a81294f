"""The detect function's service: score a stored transaction as it lands."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any, Generic, TypeVar

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

from cardwatch.adapters.clients import client
from cardwatch.adapters.dynamodb_state import DynamoScoreLog, DynamoStateStore
from cardwatch.adapters.dynamodb_store import DynamoTransactionStore
from cardwatch.adapters.model_registry import S3ModelRegistry
from cardwatch.domain.engine.budget import AlertBudget
from cardwatch.domain.engine.detection import Detector
from cardwatch.domain.engine.model import TreeModel
from cardwatch.domain.engine.model_pointer import ModelPointer
from cardwatch.domain.engine.model_store import default_model, model_named
from cardwatch.domain.engine.rules import Policy, Thresholds, default_policy
from cardwatch.domain.engine.state import DAY_MS
from cardwatch.domain.transaction.currency import Rates, default_rates
from cardwatch.handlers.config import DecideConfig, DetectConfig
from cardwatch.handlers.observability import service_name
from cardwatch.handlers.wiring import dynamodb, forgotten_on_reset, parameters, policy, queue
from cardwatch.services.detect import DetectionService

__all__ = [
    "LastGood",
    "detection_service",
    "detector",
    "models_in_force",
    "rates",
    "rules_in_force",
    "unread",
]

logger = Logger(service=service_name("detect"), child=True)
T = TypeVar("T")


_BUDGET_MAX_AGE_SECONDS = 60
_recent: dict[tuple[str, AlertBudget], tuple[float, Mapping[int, Mapping[int, int]]]] = {}


#: when the counts last could not be read, by the client that tried (an answer's)
_unreadable: dict[tuple[str, AlertBudget], float] = {}


def recent_scores(
    table_name: str, budget: AlertBudget, client: Any = None
) -> Mapping[int, Mapping[int, int]]:
    """The alert budget's score counts by day, read at most once a minute per
    environment (``client``: the one to read them with, if not the shared one)."""
    now = time.monotonic()
    cached = _recent.get((table_name, budget))
    if cached is None or now - cached[0] > _BUDGET_MAX_AGE_SECONDS:
        first, last = budget.window(int(time.time() * 1000))
        counts = DynamoScoreLog(table_name, client or dynamodb()).daily_counts(first, last)
        cached = (now, counts)
        _recent[(table_name, budget)] = cached
    return cached[1]


@lru_cache(maxsize=4)
def _rates(document: str) -> Rates:
    try:
        return Rates.from_document(document)
    except ValueError as error:  # keep scoring: the shipped table stands in
        logger.error(
            "currency rates parameter refused; the shipped table is used",
            extra={"problem": str(error)},
        )
        return default_rates()


def rates(config: DetectConfig | DecideConfig) -> Rates:
    """The deployment's rates table (read like the rules), else the shipped one."""
    if config.rates_parameter is None:
        return default_rates()
    return _rates(parameters().text(config.rates_parameter, max_age=config.rules_max_age_seconds))


_cut: dict[
    tuple[str, AlertBudget], tuple[Mapping[int, Mapping[int, int]], Thresholds, Thresholds]
] = {}


def budget_thresholds(
    config: DetectConfig | DecideConfig, floor: Thresholds, client: Any = None
) -> Thresholds:
    """The alert budget's thresholds, cut again only when the counts (re-read at most
    once a minute) or the rule document's floor changed."""
    key = (config.profile_table_name, config.budget)
    counts = recent_scores(*key, client)
    cached = _cut.get(key)
    if cached is not None and cached[0] is counts and cached[1] == floor:
        return cached[2]
    cut = config.budget.daily_thresholds(counts, floor, int(time.time() * 1000) // DAY_MS)
    _cut[key] = (counts, floor, cut)
    return cut


class LastGood(Generic[T]):
    """What was read last without a problem, per process; before anything was, what
    ships in the package."""

    def __init__(self, shipped: Callable[[], T]) -> None:
        self._shipped = shipped
        self._kept: T | None = None
        forgotten_on_reset(self)

    def forget(self) -> None:
        self._kept = None

    def keep(self, value: T) -> T:
        self._kept = value
        return value

    def value(self) -> T:
        return self._shipped() if self._kept is None else self._kept


_rules = LastGood(default_policy)


def rules_in_force(text: str, metrics: Metrics) -> Policy:
    """The published rules, or, when the document is refused, the last good rules (the
    shipped ones at a cold start): scoring never stops for a bad push. A refusal is
    logged with the problem and counted in the invocation's ``metrics``
    (``RulesDocumentRefused``: an alarm)."""
    try:
        current = policy(text)
    except Exception as error:
        fallback = _rules.value()
        logger.error(
            "rules document refused; the last good rules stay in force",
            extra={
                "problem": f"{type(error).__name__}: {error}"[:300],
                "rules_in_force": len(fallback.rules),
            },
        )
        metrics.add_metric(name="RulesDocumentRefused", unit=MetricUnit.Count, value=1)
        return fallback
    return _rules.keep(current)


_models: LastGood[tuple[TreeModel, TreeModel | None]] = LastGood(lambda: (default_model(), None))


def models_in_force(
    config: DetectConfig | DecideConfig, metrics: Metrics
) -> tuple[TreeModel, TreeModel | None]:
    """The champion and the challenger the registry's pointer names (read like the
    rules, with the same short cache; each version's artifact read once, and trusted only
    with the pointer's digest, a sound structure and a scored probe set: see
    :mod:`~cardwatch.domain.engine.model_store`). Any failure to read, verify, load or
    probe the pointer or the champion keeps the last good models (the shipped one at a
    cold start); a challenger's leaves the champion scoring alone. Each is logged and
    counted in ``metrics`` (``ModelLoadFailed``: an alarm); scoring goes on."""
    if config.model_bucket is None or config.model_parameter is None:
        return default_model(), None
    registry = S3ModelRegistry(config.model_bucket, config.model_parameter, client("s3"), None)
    try:
        text = parameters().text(config.model_parameter, max_age=config.rules_max_age_seconds)
        pointer = ModelPointer.from_json(text)
        champion = model_named(
            pointer.champion, registry.artifact, pointer.digest(pointer.champion)
        )
    except Exception as error:
        fallback = _models.value()
        logger.error(
            "model pointer or artifact unreadable; the last good models stay in force",
            extra={
                "problem": f"{type(error).__name__}: {error}"[:300],
                "model": fallback[0].version,
            },
        )
        metrics.add_metric(name="ModelLoadFailed", unit=MetricUnit.Count, value=1)
        return fallback
    return _models.keep((champion, _challenger(pointer, registry, metrics)))


def _challenger(
    pointer: ModelPointer, registry: S3ModelRegistry, metrics: Metrics
) -> TreeModel | None:
    """The challenger in shadow; one that cannot be read or trusted is left out (logged
    and counted), never the champion with it."""
    if pointer.challenger is None:
        return None
    try:
        return model_named(
            pointer.challenger, registry.artifact, pointer.digest(pointer.challenger)
        )
    except Exception as error:
        logger.error(
            "challenger unreadable; scored without a challenger",
            extra={"problem": f"{type(error).__name__}: {error}"[:300]},
        )
        metrics.add_metric(name="ModelLoadFailed", unit=MetricUnit.Count, value=1)
        return None


def detector(
    config: DetectConfig | DecideConfig,
    metrics: Metrics,
    state: DynamoStateStore,
    *,
    answering: bool = False,
    client: Any = None,
) -> Detector:
    """The engine as it stands: the rules, models and thresholds in force, on
    ``state``; what goes wrong reading them is counted in the invocation's ``metrics``.

    ``answering`` (a decision waits on it): when the rules parameter cannot be read,
    the last good rules stand in, and when the alert budget's counts cannot be (read
    with ``client``; not tried again for a minute), the rule document's thresholds
    (each logged and counted), where detect fails and its event is retried."""
    try:
        rules = parameters().text(config.rules_parameter, max_age=config.rules_max_age_seconds)
    except Exception as error:
        if not answering:
            raise
        rules = None
        unread("rules parameter unread; the last good rules stay in force", error, metrics)
    rule_set = _rules.value() if rules is None else rules_in_force(rules, metrics)
    champion, challenger = models_in_force(config, metrics)
    engine = Detector(
        state,
        rule_set,
        champion,
        max_lateness_ms=config.max_lateness_seconds * 1000,
        challenger=challenger,
    )
    key = (config.profile_table_name, config.budget)
    if answering and time.monotonic() - _unreadable.get(key, -1e9) < _BUDGET_MAX_AGE_SECONDS:
        return engine  # unread a moment ago: the rule document's thresholds
    try:
        engine.thresholds = budget_thresholds(config, rule_set.thresholds, client)
    except Exception as error:
        if not answering:
            raise
        _unreadable[key] = time.monotonic()
        unread("alert budget unread; the rule document's thresholds stand in", error, metrics)
    return engine


def unread(message: str, error: Exception, metrics: Metrics) -> None:
    """A setting an answer could not wait for: logged, and counted (``SettingUnread``)."""
    logger.error(message, extra={"problem": f"{type(error).__name__}: {error}"[:300]})
    metrics.add_metric(name="SettingUnread", unit=MetricUnit.Count, value=1)


def detection_service(metrics: Metrics) -> DetectionService:
    """The service for one event; what goes wrong reading its rules and models is
    counted in the invocation's ``metrics``."""
    config = DetectConfig.from_env()
    engine = detector(config, metrics, DynamoStateStore(config.profile_table_name, dynamodb()))
    store = DynamoTransactionStore(config.table_name, dynamodb())
    return DetectionService(
        engine,
        store,
        queue(config.suspicious_queue_url),
        rates=rates(config),
        spread_by_bin=config.spread_by_bin,
    )
