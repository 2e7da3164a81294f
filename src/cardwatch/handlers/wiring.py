"""The one place where adapters are built and handed to the domain."""

from __future__ import annotations

from functools import cache

from cardwatch.adapters.dynamodb_store import DynamoTransactionStore
from cardwatch.adapters.ssm_parameters import ParameterReader
from cardwatch.domain import CardTokenizer, IngestService, TimeWindow, TransactionParser
from cardwatch.handlers.config import IngestConfig

__all__ = ["ingest_service"]


@cache
def ingest_service() -> IngestService:
    """Built on the first request of a Lambda environment, then reused while it lives."""
    config = IngestConfig.from_env()
    key = ParameterReader().card_token_key(config.card_token_key_parameter)
    parser = TransactionParser(CardTokenizer(key), TimeWindow(max_age=config.max_transaction_age))
    return IngestService(parser, DynamoTransactionStore(config.table_name))
