"""The shared entities' counters: what an applied transaction adds, how a batch is
packed into DynamoDB transactions, and the aggregate use case on a fake."""

from __future__ import annotations

from aws_lambda_powertools.utilities.data_classes import DynamoDBStreamEvent
from hypothesis import given
from hypothesis import strategies as st

from cardwatch.adapters.dynamodb_counters import TRANSACTION_ITEMS, applied_event, chunks, waves
from cardwatch.domain.engine.counters import AppliedEvent, Bucket, bucket_counts, buckets_of
from cardwatch.domain.engine.state import DAY_MS, HOUR_MS, MINUTE_MS
from cardwatch.handlers.aggregate import applied_events
from cardwatch.services.aggregate import AggregationService
from tests.fakes import DictEntityCounters
from tests.support.documents import load_fixture

T0 = 1_763_000_000_000 // HOUR_MS * HOUR_MS + 13 * MINUTE_MS  # minute 13 of an hour


def event(n: int, terminal: str = "t", **kwargs: object) -> AppliedEvent:
    return AppliedEvent(f"tx-{n}", f"card-{n}", T0 + n, 1_000 * n, terminal, **kwargs)  # type: ignore[arg-type]


def test_a_transaction_moves_its_terminals_hour_and_day_and_each_spread_entitys_hour() -> None:
    moves = buckets_of(
        event(1, claimed=frozenset({"terminal#t"}), spread=("device#d", "ip#10.0.0.0/24"))
    )
    hour, day = T0 // HOUR_MS, T0 // DAY_MS
    assert moves == {
        Bucket("terminal#t", "h", hour): {"n": 1, "m13": 1, "c13": 1},
        Bucket("device#d", "h", hour): {"n": 1, "m13": 1},
        Bucket("ip#10.0.0.0/24", "h", hour): {"n": 1, "m13": 1},
        Bucket("terminal#t", "d", day): {"n": 1, "s": 1_000},
    }


def test_a_batch_sums_each_bucket_once() -> None:
    counts = bucket_counts([event(n, claimed=frozenset({"terminal#t"})) for n in range(1, 5)])
    assert counts[Bucket("terminal#t", "d", T0 // DAY_MS)] == {"n": 4, "s": 10_000}
    assert counts[Bucket("terminal#t", "h", T0 // HOUR_MS)] == {"n": 4, "m13": 4, "c13": 4}


@given(
    st.lists(
        st.tuples(st.integers(0, 40), st.integers(0, 3), st.booleans()), min_size=1, max_size=400
    )
)
def test_chunks_fit_a_transaction_and_waves_never_share_a_bucket(
    draws: list[tuple[int, int, bool]],
) -> None:
    events = [
        AppliedEvent(
            f"tx-{i}",
            f"card-{i}",
            T0 + hour * HOUR_MS,
            100,
            f"t-{terminal}",
            spread=("device#busy",) if device else (),
        )
        for i, (terminal, hour, device) in enumerate(draws)
    ]
    packed = chunks(events)
    assert sorted(e.transaction_id for c in packed for e in c) == sorted(
        e.transaction_id for e in events
    )
    for chunk in packed:
        assert len(bucket_counts(chunk)) + len(chunk) <= TRANSACTION_ITEMS
    for wave in waves(packed):
        seen: set[Bucket] = set()
        for chunk in wave:
            mine = set(bucket_counts(chunk))
            assert not seen & mine
            seen |= mine


def test_a_busy_terminals_batch_is_a_few_transactions_not_one_per_transaction() -> None:
    busy = [event(n, terminal="busy") for n in range(1_000)]
    # each transaction of 100 items carries 98 events and their 2 buckets
    assert len(chunks(busy)) == 11


def test_the_stream_record_of_an_applied_event_is_read_and_every_other_record_skipped() -> None:
    found = applied_events(DynamoDBStreamEvent(load_fixture("dynamodb_stream_applied.json")))
    assert found == [
        AppliedEvent(
            "tx-1",
            "tok_4a1f",
            1_763_000_000_000,
            42_500,
            "term-9",
            frozenset({"device#dev-1", "terminal#term-9"}),
            ("device#dev-1",),
        )
    ]


def test_an_event_folded_before_or_applied_before_events_named_their_entities_is_skipped() -> None:
    image = load_fixture("dynamodb_stream_applied.json")["Records"][0]["dynamodb"]["NewImage"]
    assert applied_event(image) is not None
    assert applied_event(image | {"folded": {"N": "1"}}) is None
    assert applied_event({k: v for k, v in image.items() if k != "sp"}) is None
    assert applied_event({k: v for k, v in image.items() if k != "applied"}) is None


def test_aggregation_folds_each_transaction_once_however_often_it_comes() -> None:
    counters = DictEntityCounters()
    service = AggregationService(counters)
    batch = [event(n, terminal="busy", claimed=frozenset({"terminal#busy"})) for n in range(10)]
    assert service.handle(batch) == (10, 0)
    assert service.handle(batch[:4] + batch[:4]) == (0, 8)  # a retried half, twice
    assert service.handle([]) == (0, 0)
    day = counters.buckets[Bucket("terminal#busy", "d", T0 // DAY_MS)]
    assert day == {"n": 10, "s": sum(1_000 * n for n in range(10))}
