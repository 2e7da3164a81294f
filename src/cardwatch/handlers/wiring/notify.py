"""The notify function's service: alerts to people, once per cooldown."""

from __future__ import annotations

from cardwatch.adapters.dynamodb_cases import DynamoCaseStore
from cardwatch.adapters.dynamodb_state import DynamoCooldown
from cardwatch.adapters.messaging import SnsAlertPublisher
from cardwatch.handlers.config import CaseTables, NotifyConfig
from cardwatch.handlers.wiring import cached, dynamodb
from cardwatch.services.case_work import CaseWork
from cardwatch.services.notify import NotificationService

__all__ = ["case_store", "notification_service"]


def case_store(tables: CaseTables) -> DynamoCaseStore:
    return DynamoCaseStore(tables.table_name, dynamodb(), tables.search_index, tables.queue_index)


@cached
def notification_service() -> NotificationService:
    config = NotifyConfig.from_env()
    return NotificationService(
        SnsAlertPublisher(config.alert_topic_arn),
        DynamoCooldown(config.profile_table_name, dynamodb()),
        config.cooldown_seconds,
        config.console_url,
        None if config.cases is None else CaseWork(case_store(config.cases)),
    )
