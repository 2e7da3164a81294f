from collections.abc import Callable

import pytest

from cardwatch.domain.errors import InvalidTransaction, TransactionConflict
from cardwatch.domain.transaction.validation import TransactionParser
from cardwatch.services.ingest import IngestService, Outcome
from tests.fakes import InMemoryTransactionStore


@pytest.fixture
def store() -> InMemoryTransactionStore:
    return InMemoryTransactionStore()


@pytest.fixture
def service(parser: TransactionParser, store: InMemoryTransactionStore) -> IngestService:
    return IngestService(parser, store)


@pytest.mark.requirement("R003-06")
def test_a_valid_transaction_is_stored_once(
    service: IngestService, store: InMemoryTransactionStore, make_body: Callable[..., str]
) -> None:
    first = service.ingest(make_body())
    again = service.ingest(make_body())
    assert first.outcome is Outcome.CREATED
    assert again.outcome is Outcome.REPEATED
    assert again.transaction == first.transaction
    assert list(store.items) == ["tx-0001"]


def test_reusing_an_id_with_other_content_is_a_conflict(
    service: IngestService, make_body: Callable[..., str]
) -> None:
    service.ingest(make_body())
    with pytest.raises(TransactionConflict, match="already accepted") as raised:
        service.ingest(make_body(amount=999))
    assert raised.value.transaction_id == "tx-0001"
    assert "tx-0001" not in str(raised.value)  # an answer never echoes input


def test_invalid_input_stores_nothing(
    service: IngestService, store: InMemoryTransactionStore, make_body: Callable[..., str]
) -> None:
    with pytest.raises(InvalidTransaction):
        service.ingest(make_body(amount=-1))
    assert store.items == {}
