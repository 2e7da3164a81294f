"""The one place where adapters are built and handed to the domain.

Clients and parsed configuration live as long as the Lambda environment; anything that
holds per-invocation state (the profile store's loaded versions) is built per event.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from cardwatch.adapters.clients import client, forget_clients
from cardwatch.adapters.dynamodb_profiles import DynamoCooldown, DynamoProfileStore
from cardwatch.adapters.dynamodb_store import DynamoTransactionStore
from cardwatch.adapters.messaging import SnsAlertPublisher, SqsFindingQueue
from cardwatch.adapters.ssm_parameters import ParameterReader
from cardwatch.domain import CardTokenizer, IngestService, TimeWindow, TransactionParser
from cardwatch.domain.analysis import AnalysisService
from cardwatch.domain.detect_service import DetectionService
from cardwatch.domain.detection import Detector
from cardwatch.domain.labels import LabelService
from cardwatch.domain.model_store import default_model
from cardwatch.domain.notification import NotificationService
from cardwatch.domain.rules import Policy, Thresholds
from cardwatch.handlers.config import AnalyzeConfig, DetectConfig, IngestConfig, NotifyConfig

__all__ = [
    "analysis_service",
    "detection_service",
    "ingest_service",
    "label_service",
    "notification_service",
    "reset",
]


def _dynamodb() -> Any:
    return client("dynamodb")


@cache
def _parameters() -> ParameterReader:
    return ParameterReader()


@cache
def _policy(text: str) -> Policy:
    return Policy.from_json(text)


@cache
def ingest_service() -> IngestService:
    config = IngestConfig.from_env()
    key = _parameters().card_token_key(config.card_token_key_parameter)
    parser = TransactionParser(CardTokenizer(key), TimeWindow(max_age=config.max_transaction_age))
    return IngestService(parser, DynamoTransactionStore(config.table_name, _dynamodb()))


def label_service() -> LabelService:
    config = IngestConfig.from_env()
    store = DynamoTransactionStore(config.table_name, _dynamodb())
    detector = Detector(
        DynamoProfileStore(config.profile_table_name, _dynamodb()), Policy((), Thresholds())
    )
    return LabelService(store, store, detector)


def detection_service() -> DetectionService:
    config = DetectConfig.from_env()
    rules = _parameters().text(config.rules_parameter, max_age=config.rules_max_age_seconds)
    detector = Detector(
        DynamoProfileStore(config.profile_table_name, _dynamodb()), _policy(rules), default_model()
    )
    store = DynamoTransactionStore(config.table_name, _dynamodb())
    return DetectionService(detector, store, _queue(config.suspicious_queue_url))


@cache
def _queue(url: str) -> SqsFindingQueue:
    return SqsFindingQueue(url)


@cache
def analysis_service() -> AnalysisService:
    config = AnalyzeConfig.from_env()
    reader = DynamoTransactionStore(config.table_name, _dynamodb(), config.time_bucket_index)
    return AnalysisService(reader, _queue(config.suspicious_queue_url), config.window_seconds)


@cache
def notification_service() -> NotificationService:
    config = NotifyConfig.from_env()
    return NotificationService(
        SnsAlertPublisher(config.alert_topic_arn),
        DynamoCooldown(config.profile_table_name, _dynamodb()),
        config.cooldown_seconds,
    )


def reset() -> None:
    """Forget every cached client and service (tests, and local mode between stacks)."""
    forget_clients()
    for cached in (
        _parameters,
        _policy,
        ingest_service,
        _queue,
        analysis_service,
        notification_service,
    ):
        cached.cache_clear()
