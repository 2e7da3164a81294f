"""The detect function's service: score a stored transaction as it lands."""

from __future__ import annotations

from cardwatch.adapters.dynamodb_state import DynamoStateStore
from cardwatch.adapters.dynamodb_store import DynamoTransactionStore
from cardwatch.domain.detect_service import DetectionService
from cardwatch.domain.detection import Detector
from cardwatch.domain.model_store import default_model
from cardwatch.handlers.config import DetectConfig
from cardwatch.handlers.wiring import dynamodb, parameters, policy, queue

__all__ = ["detection_service"]


def detection_service() -> DetectionService:
    config = DetectConfig.from_env()
    rules = parameters().text(config.rules_parameter, max_age=config.rules_max_age_seconds)
    detector = Detector(
        DynamoStateStore(config.profile_table_name, dynamodb()),
        policy(rules),
        default_model(),
        max_lateness_ms=config.max_lateness_seconds * 1000,
    )
    store = DynamoTransactionStore(config.table_name, dynamodb())
    return DetectionService(detector, store, queue(config.suspicious_queue_url))
