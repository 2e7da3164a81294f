"""The aggregate function's service: the shared entities' counters, folded in batches."""

from __future__ import annotations

from cardwatch.adapters.dynamodb_counters import DynamoEntityCounters
from cardwatch.handlers.config import AggregateConfig
from cardwatch.handlers.wiring import cached, dynamodb
from cardwatch.services.aggregate import AggregationService

__all__ = ["aggregation_service"]


@cached
def aggregation_service() -> AggregationService:
    config = AggregateConfig.from_env()
    return AggregationService(
        DynamoEntityCounters(config.profile_table_name, dynamodb(), threads=config.threads)
    )
