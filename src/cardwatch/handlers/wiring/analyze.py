"""The analyze function's service: patterns across the last window."""

from __future__ import annotations

from cardwatch.adapters.dynamodb_state import DynamoScoreLog
from cardwatch.adapters.dynamodb_store import DynamoTransactionStore
from cardwatch.handlers.config import AnalyzeConfig
from cardwatch.handlers.wiring import cached, dynamodb, queue
from cardwatch.services.analyze import AnalysisService

__all__ = ["analysis_service"]


@cached
def analysis_service() -> AnalysisService:
    config = AnalyzeConfig.from_env()
    reader = DynamoTransactionStore(config.table_name, dynamodb(), config.time_bucket_index)
    return AnalysisService(
        reader,
        queue(config.suspicious_queue_url),
        config.window_seconds,
        scores=DynamoScoreLog(config.profile_table_name, dynamodb()),
    )
