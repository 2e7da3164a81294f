"""The notify function's service: alerts to people, once per cooldown."""

from __future__ import annotations

from cardwatch.adapters.dynamodb_state import DynamoCooldown
from cardwatch.adapters.messaging import SnsAlertPublisher
from cardwatch.handlers.config import NotifyConfig
from cardwatch.handlers.wiring import cached, dynamodb
from cardwatch.services.notify import NotificationService

__all__ = ["notification_service"]


@cached
def notification_service() -> NotificationService:
    config = NotifyConfig.from_env()
    return NotificationService(
        SnsAlertPublisher(config.alert_topic_arn),
        DynamoCooldown(config.profile_table_name, dynamodb()),
        config.cooldown_seconds,
        config.console_url,
    )
