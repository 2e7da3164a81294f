"""The ingest function's services: transactions in, and labels on them.

Only what POST /transactions needs is imported with the function: labels and the
analysts' reads (the engine, its state store, the case views) are imported by the
first request that needs them, so no transaction's cold start waits for them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cardwatch.adapters.clients import client
from cardwatch.adapters.dynamodb_store import DynamoTransactionStore
from cardwatch.adapters.kms_token_key import derive_card_token_key
from cardwatch.domain.transaction.card import CardTokenizer
from cardwatch.domain.transaction.validation import TimeWindow, TransactionParser
from cardwatch.handlers.config import IngestConfig
from cardwatch.handlers.wiring import cached, dynamodb
from cardwatch.services.ingest import IngestService

if TYPE_CHECKING:
    from cardwatch.adapters.dynamodb_audit import DynamoAuditTrail
    from cardwatch.services.case_work import CaseWork
    from cardwatch.services.cases import CaseService
    from cardwatch.services.label import LabelService

__all__ = ["case_service", "case_work", "ingest_service", "label_service"]


@cached
def ingest_service() -> IngestService:
    config = IngestConfig.from_env()
    key = derive_card_token_key(client("kms"), config.card_token_key_id)
    parser = TransactionParser(CardTokenizer(key), TimeWindow(max_age=config.max_transaction_age))
    store = DynamoTransactionStore(
        config.table_name, dynamodb(), retention_days=config.retention_days
    )
    return IngestService(parser, store)


def label_service() -> LabelService:
    # imported here: an analyst's request only, never a transaction's cold start
    from cardwatch.adapters.dynamodb_state import DynamoStateStore  # noqa: PLC0415
    from cardwatch.domain.engine.detection import Detector  # noqa: PLC0415
    from cardwatch.domain.engine.rules import Policy, Thresholds  # noqa: PLC0415
    from cardwatch.domain.labels.history import parse_ranks  # noqa: PLC0415
    from cardwatch.services.label import LabelService  # noqa: PLC0415

    config = IngestConfig.from_env()
    store = DynamoTransactionStore(config.table_name, dynamodb())
    detector = Detector(
        DynamoStateStore(config.profile_table_name, dynamodb()), Policy((), Thresholds())
    )
    return LabelService(
        store, store, detector, parse_ranks(config.label_source_ranks), _audit(config)
    )


def _audit(config: IngestConfig) -> DynamoAuditTrail | None:
    from cardwatch.adapters.dynamodb_audit import DynamoAuditTrail  # noqa: PLC0415

    if config.audit_table_name is None:
        return None
    return DynamoAuditTrail(config.audit_table_name, dynamodb())


def case_work() -> CaseWork | None:
    """The analysts' cases (None: this deployment keeps none)."""
    import time  # noqa: PLC0415

    from cardwatch.handlers.wiring.notify import case_store  # noqa: PLC0415
    from cardwatch.services.case_work import CaseWork  # noqa: PLC0415

    config = IngestConfig.from_env()
    if config.cases is None:
        return None
    labels = label_service()

    def label(transaction_id: str, body: str, by: str) -> object:
        return labels.label(transaction_id, body, int(time.time() * 1000), by=by, channel="analyst")

    return CaseWork(
        case_store(config.cases),
        transaction_case=case_service().case,
        label=label,
        audit=_audit(config),
    )


def case_service() -> CaseService:
    from cardwatch.services.cases import CaseService  # noqa: PLC0415 - analysts' reads only

    config = IngestConfig.from_env()
    store = DynamoTransactionStore(config.table_name, dynamodb(), review_index=config.review_index)
    return CaseService(store, store)
