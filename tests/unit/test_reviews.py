"""The open review queue: its query string, and its pages on the in-memory store."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cardwatch.domain.errors import InvalidTransaction
from cardwatch.domain.labels.history import LabelEntry
from cardwatch.domain.labels.review_queue import DEFAULT_PAGE, ReviewPosition
from cardwatch.domain.transaction.validation import TransactionParser
from cardwatch.services.cases import CaseService, encode_position, review_query
from tests.fakes import InMemoryTransactionStore
from tests.support.documents import NOW, TEST_PANS, all_pages, decided_history

NOW_MS = int(NOW.timestamp() * 1000)


def _refused(parameters: dict[str, str]) -> InvalidTransaction:
    with pytest.raises(InvalidTransaction) as refused:
        review_query(parameters, NOW_MS)
    return refused.value


def test_the_query_defaults_to_the_last_thirty_days_both_decisions_a_page_of_25() -> None:
    query = review_query({}, NOW_MS)
    assert (query.until_ms, query.since_ms) == (NOW_MS, NOW_MS - 30 * 86_400_000)
    assert (query.decision, query.limit, query.after) == (None, DEFAULT_PAGE, None)
    named = review_query(
        {"decision": "block", "since": "2026-11-01T00:00:00Z", "until": "2026-11-02", "limit": "7"},
        NOW_MS,
    )
    assert (named.decision, named.limit) == ("block", 7)
    assert named.until_ms - named.since_ms == 86_400_000  # a date without a zone is UTC


@pytest.mark.parametrize(
    ("parameters", "field"),
    [
        ({"decision": "approve"}, "decision"),
        ({"since": "yesterday"}, "since"),
        ({"until": "2026-13-01T00:00:00Z"}, "until"),
        ({"since": "2026-11-02T00:00:00Z", "until": "2026-11-01T00:00:00Z"}, "since"),
        ({"limit": "0"}, "limit"),
        ({"limit": "101"}, "limit"),
        ({"limit": "٣"}, "limit"),  # a digit, but not an ASCII one
        ({"cursor": "not-a-cursor"}, "cursor"),
        ({"cursor": encode_position(ReviewPosition("tx 1", 5))}, "cursor"),
    ],
)
def test_each_bad_parameter_is_named(parameters: dict[str, str], field: str) -> None:
    assert _refused(parameters).fields == (field,)


@given(st.sampled_from(["decision", "since", "until", "limit", "cursor"]))
def test_a_refusal_never_echoes_what_was_sent(name: str) -> None:
    problem = _refused({name: TEST_PANS[0]})
    assert problem.fields == (name,) and TEST_PANS[0] not in str(problem)


def test_a_cursor_reads_back_as_the_position_it_encodes() -> None:
    position = ReviewPosition("tx-0042", 1_700_000_000_123)
    assert review_query({"cursor": encode_position(position)}, NOW_MS).after == position


@pytest.fixture
def store(parser: TransactionParser) -> InMemoryTransactionStore:
    store = InMemoryTransactionStore()
    decided_history(parser, store)
    return store


def _all_pages(service: CaseService, **parameters: str) -> list[list[str]]:
    return all_pages(service, NOW_MS, **parameters)


def test_the_queue_pages_newest_first_through_every_open_case(
    store: InMemoryTransactionStore,
) -> None:
    service = CaseService(store, store)
    assert _all_pages(service, limit="2") == [
        ["tx-0006", "tx-0004"],
        ["tx-0003", "tx-0002"],
        ["tx-0000"],
    ]
    assert _all_pages(service, decision="block") == [["tx-0004", "tx-0002"]]
    first = service.reviews({"limit": "1"}, NOW_MS)["reviews"][0]
    assert (first["decision"], first["reasons"], first["model_version"]) == ("review", ["R"], "m-1")
    assert TEST_PANS[0] not in str(first)


def test_a_labelled_case_leaves_the_queue(store: InMemoryTransactionStore) -> None:
    stored = store.get("tx-0004")
    assert stored is not None
    entry = LabelEntry("fraud", "analyst", "", "k", NOW_MS)
    assert store.append_label(stored.transaction, entry, 1, entry)
    assert _all_pages(CaseService(store, store), decision="block") == [["tx-0002"]]
