"""The ingest function's services: transactions in, and labels on them."""

from __future__ import annotations

from cardwatch.adapters.clients import client
from cardwatch.adapters.dynamodb_state import DynamoStateStore
from cardwatch.adapters.dynamodb_store import DynamoTransactionStore
from cardwatch.adapters.kms_token_key import derive_card_token_key
from cardwatch.domain.card import CardTokenizer
from cardwatch.domain.cases import CaseService
from cardwatch.domain.detection import Detector
from cardwatch.domain.ingest import IngestService
from cardwatch.domain.label_history import parse_ranks
from cardwatch.domain.labels import LabelService
from cardwatch.domain.rules import Policy, Thresholds
from cardwatch.domain.validation import TimeWindow, TransactionParser
from cardwatch.handlers.config import IngestConfig
from cardwatch.handlers.wiring import cached, dynamodb

__all__ = ["case_service", "ingest_service", "label_service"]


@cached
def ingest_service() -> IngestService:
    config = IngestConfig.from_env()
    key = derive_card_token_key(client("kms"), config.card_token_key_id)
    parser = TransactionParser(CardTokenizer(key), TimeWindow(max_age=config.max_transaction_age))
    return IngestService(parser, DynamoTransactionStore(config.table_name, dynamodb()))


def label_service() -> LabelService:
    config = IngestConfig.from_env()
    store = DynamoTransactionStore(config.table_name, dynamodb())
    detector = Detector(
        DynamoStateStore(config.profile_table_name, dynamodb()), Policy((), Thresholds())
    )
    return LabelService(store, store, detector, parse_ranks(config.label_source_ranks))


def case_service() -> CaseService:
    config = IngestConfig.from_env()
    store = DynamoTransactionStore(config.table_name, dynamodb(), review_index=config.review_index)
    return CaseService(store, store)
