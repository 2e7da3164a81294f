"""The decide function's service: ingest's parser and store, detect's engine.

The engine is detect's own (:func:`cardwatch.handlers.wiring.detect.detector`): the same
rules, models, alert budget and rates, read the same way, so an answer and an
after-the-fact score of the same state are the same score. Its state is read through a
client with short timeouts and few attempts, and in parallel: a slow state store costs
an answer its policy's fallback, not seconds.
"""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

from cardwatch.adapters.clients import AWS_ERRORS, bounded_client, client
from cardwatch.adapters.dynamodb_state import DynamoStateStore
from cardwatch.adapters.dynamodb_store import DynamoTransactionStore
from cardwatch.adapters.kms_token_key import derive_card_token_key
from cardwatch.domain.transaction.card import CardTokenizer
from cardwatch.domain.transaction.currency import Rates, default_rates
from cardwatch.domain.transaction.validation import TimeWindow, TransactionParser
from cardwatch.handlers.config import DecideConfig
from cardwatch.handlers.observability import service_name
from cardwatch.handlers.wiring import cached
from cardwatch.handlers.wiring.detect import LastGood, detector, rates, unread
from cardwatch.services.decide import DecisionService

__all__ = ["decision_service"]

logger = Logger(service=service_name("decide"), child=True)
#: the transaction's own writes: three tries (then 503: retry)
_STORE_ATTEMPTS = 3


@cached
def _config() -> DecideConfig:
    return DecideConfig.from_env()


@cached
def _parser() -> TransactionParser:
    config = _config()
    key = derive_card_token_key(client("kms"), config.card_token_key_id)
    return TransactionParser(CardTokenizer(key), TimeWindow(max_age=config.max_transaction_age))


_last_rates: LastGood[Rates] = LastGood(default_rates)


def _rates(config: DecideConfig, metrics: Metrics) -> Rates:
    """The rates in force; when the parameter cannot be read, the last read (the
    shipped table before any was)."""
    try:
        return _last_rates.keep(rates(config))
    except Exception as error:
        unread("rates parameter unread; the last rates read stand in", error, metrics)
        return _last_rates.value()


def decision_service(metrics: Metrics) -> DecisionService:
    """The service for one request; what goes wrong reading the rules and models, or
    the state (a degraded answer), is logged and counted in the invocation's
    ``metrics``."""
    config = _config()
    state_client = bounded_client("dynamodb", config.state_timeout_seconds, config.state_attempts)
    state = DynamoStateStore(config.profile_table_name, state_client, parallel=True)
    engine = detector(config, metrics, state, answering=True, client=state_client)

    def degraded(error: BaseException) -> None:
        logger.error(
            "the detection state could not be read; the degraded policy answered",
            extra={"problem": f"{type(error).__name__}: {error}"[:300], "policy": config.degraded},
        )
        metrics.add_metric(name="DecisionsDegraded", unit=MetricUnit.Count, value=1)

    return DecisionService(
        _parser(),
        # bounded too: a busy table answers 503 within the function's time, not a 502
        DynamoTransactionStore(
            config.table_name,
            bounded_client("dynamodb", config.store_timeout_seconds, _STORE_ATTEMPTS),
            retention_days=config.retention_days,
        ),
        engine,
        policy=config.degraded,
        rules_version=engine.policy.version or None,
        rates=_rates(config, metrics),
        spread_by_bin=config.spread_by_bin,
        on_degraded=degraded,
        unavailable=AWS_ERRORS,
        deadline_seconds=config.deadline_seconds,
    )
