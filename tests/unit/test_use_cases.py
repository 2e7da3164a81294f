"""Every use case on in-memory fakes of its ports: detect, notify, analyze, label (ingest
has its own module). The handlers are driven through their ``service=`` seam."""

from __future__ import annotations

import json
import math
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest
from aws_lambda_powertools.utilities.typing import LambdaContext

from cardwatch.adapters.dynamodb_store import to_attributes
from cardwatch.adapters.memory import InMemoryScoreLog, InMemoryState
from cardwatch.domain.engine.budget import AlertBudget, count_bins
from cardwatch.domain.engine.detection import Detector
from cardwatch.domain.engine.features import FEATURES
from cardwatch.domain.engine.model import TreeModel
from cardwatch.domain.engine.model_store import default_model
from cardwatch.domain.engine.rules import default_policy
from cardwatch.domain.engine.state import DAY_MS
from cardwatch.domain.labels.history import MAX_LABELS
from cardwatch.domain.ports import DecisionRecord
from cardwatch.domain.transaction.record import Transaction
from cardwatch.domain.transaction.validation import TransactionParser
from cardwatch.handlers import detect, notify
from cardwatch.services.analyze import AnalysisService
from cardwatch.services.detect import DetectionService, DetectOutcome
from cardwatch.services.label import LabelConflict, LabelService, TransactionNotFound
from cardwatch.services.notify import NotificationService, NotifyOutcome
from tests.fakes import (
    DictCooldown,
    FailingState,
    Injected,
    InMemoryTransactionStore,
    ListPublisher,
    ListQueue,
)
from tests.support.documents import NOW, TEST_PANS, body, load_fixture

NOW_MS = int(NOW.timestamp() * 1000)


class Context(LambdaContext):
    _function_name = "fraud-detect-test"
    _memory_limit_in_mb = 512
    _invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:detect"
    _aws_request_id = "req-1"


def probes(parser: TransactionParser, count: int) -> list[Transaction]:
    """A card-testing run: one purchase, then tiny amounts seconds apart."""
    amounts = [180.0] + [0.5] * (count - 1)
    return [
        parser.parse(
            body(
                transaction_id=f"p-{n}",
                amount=amount,
                timestamp=f"2026-11-20T11:5{n // 6}:{n % 6 * 9:02d}Z",
            )
        )
        for n, amount in enumerate(amounts)
    ]


def luhn(stem: str) -> str:
    """``stem`` with its Luhn check digit."""
    digits = [int(d) for d in stem][::-1]
    total = sum(sum(divmod(d * 2, 10)) if i % 2 == 0 else d for i, d in enumerate(digits))
    return stem + str((10 - total % 10) % 10)


class Detect:
    def __init__(self) -> None:
        self.store = InMemoryTransactionStore()
        self.queue = ListQueue()
        self.state = FailingState()
        detector = Detector(self.state, default_policy(), default_model())
        self.service = DetectionService(
            detector, self.store, self.queue, now=lambda: datetime(2026, 11, 20, 12, tzinfo=UTC)
        )


def test_detect_records_what_it_scored_queues_the_suspicious_and_learns_once(
    parser: TransactionParser,
) -> None:
    # GIVEN a card-testing run
    detect_ = Detect()
    # WHEN each probe is detected, and each delivered twice
    outcomes = [detect_.service.handle(t).outcome for t in probes(parser, 9) for _ in range(2)]
    # THEN each is decided once, with its features and the model's version
    assert outcomes[1::2] == [DetectOutcome.ALREADY_SEEN] * 9
    record = detect_.store.decisions["p-8"]
    assert set(record.features) <= set(FEATURES) and record.features["c_count_1h"] == 8
    assert record.model_version == default_model().version
    # AND the suspicious ones are queued once each, the card's state counts nine
    queued = [f.finding_id for f in detect_.queue.sent]
    assert queued and len(queued) == len(set(queued))
    assert detect_.state.state.cards[probes(parser, 1)[0].card.token].count == 9


def test_detect_completes_after_a_failure_at_any_step_and_counts_once(
    parser: TransactionParser,
) -> None:
    detect_ = Detect()
    transactions = probes(parser, 9)
    for transaction in transactions[:8]:
        detect_.service.handle(transaction)
    last = transactions[8]
    # GIVEN the queue fails once, then the state write fails before, then after it
    detect_.queue.fail_next = 1
    detect_.state.fail_before, detect_.state.fail_after = 1, 1
    # WHEN Lambda retries the event until it succeeds
    failures = 0
    while True:
        try:
            result = detect_.service.handle(last)
            break
        except Injected:
            failures += 1
    # THEN three attempts failed; the change was made once; the decision is the first one
    assert failures == 3 and result.outcome is DetectOutcome.ALREADY_SEEN
    card = detect_.state.state.cards[last.card.token]
    assert card.count == 9
    assert sum(1 for f in detect_.queue.sent if f.finding_id.endswith("p-8")) >= 1


def test_the_detect_handler_runs_the_service_it_is_given(parser: TransactionParser) -> None:
    detect_ = Detect()
    event = load_fixture("eventbridge_stream_insert.json")
    stored = parser.parse(body()).to_record(300) | {"record_type": "transaction"}
    event["detail"]["dynamodb"]["NewImage"] = to_attributes(stored)
    summary = detect.handler(event, Context(), service=detect_.service)
    again = detect.handler(event, Context(), service=detect_.service)
    assert summary["outcome"] in {"approved", "queued"} and again["outcome"] == "already_seen"
    assert list(detect_.store.decisions) == [summary["transaction_id"]]


def test_notify_sends_an_alert_once_per_cooldown_and_the_handler_reports_each_record(
    parser: TransactionParser,
) -> None:
    # GIVEN findings from a card-testing run
    detect_ = Detect()
    for transaction in probes(parser, 9):
        detect_.service.handle(transaction)
    publisher, cooldown = ListPublisher(), DictCooldown()
    service = NotificationService(publisher, cooldown, cooldown_seconds=3600)
    findings = detect_.queue.sent
    # WHEN they are notified, and the first one again (a redelivery)
    outcomes = [service.notify(f, NOW_MS) for f in [*findings, findings[0]]]
    # THEN the repeat is suppressed, and at most one alert per card and reason goes out
    assert outcomes[0] is NotifyOutcome.SENT and outcomes[-1] is NotifyOutcome.SUPPRESSED
    assert len(publisher.published) <= len(findings)
    # AND the handler, given the service, answers a batch with no failures
    records: dict[str, Any] = {
        "Records": [
            {
                "messageId": str(n),
                "receiptHandle": "r",
                "body": finding.to_json(),
                "attributes": {},
                "messageAttributes": {},
                "md5OfBody": "",
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:suspicious",
                "awsRegion": "us-east-1",
            }
            for n, finding in enumerate(findings)
        ]
    }
    assert notify.handler(records, Context(), service=service) == {"batchItemFailures": []}


def test_a_higher_severity_finding_is_never_held_back_by_a_lower_ones_cooldown(
    parser: TransactionParser,
) -> None:
    # GIVEN a review (medium) alert on a card for a reason, just sent
    detect_ = Detect()
    for transaction in probes(parser, 9):
        detect_.service.handle(transaction)
    # (whatever the shipped model made of the probes, the finding is taken as a review)
    medium = replace(detect_.queue.sent[-1], decision="review")
    assert medium.severity == "medium"
    high = replace(medium, finding_id="later-high", decision="block")
    low_again = replace(medium, finding_id="later-medium")
    publisher = ListPublisher()
    service = NotificationService(publisher, DictCooldown(), cooldown_seconds=3600)
    assert service.notify(medium, NOW_MS) is NotifyOutcome.SENT
    # WHEN a block (high) finding on the same card for the same reason follows
    # THEN it is sent; and after it, another medium one is quiet
    assert service.notify(high, NOW_MS + 1000) is NotifyOutcome.SENT
    assert service.notify(low_again, NOW_MS + 2000) is NotifyOutcome.SUPPRESSED
    # AND a high one first silences a medium one that follows (and not the reverse)
    publisher_2 = ListPublisher()
    service_2 = NotificationService(publisher_2, DictCooldown(), cooldown_seconds=3600)
    assert service_2.notify(high, NOW_MS) is NotifyOutcome.SENT
    assert service_2.notify(medium, NOW_MS + 1000) is NotifyOutcome.SUPPRESSED
    assert [a.severity for a in publisher.published] == ["medium", "high"]
    # AND an alert links its case in the analyst console (pattern alerts have no case)
    linked = ListPublisher()
    NotificationService(linked, DictCooldown(), 3600, "http://localhost:8090/").notify(
        replace(high, finding_id="tx/1 2"), NOW_MS
    )
    assert "open the case: http://localhost:8090/#case=tx%2F1%202" in linked.published[0].body
    assert "open the case" not in publisher.published[0].body  # no console: no line


def test_analyze_finds_a_terminal_hit_by_many_cards_in_the_last_window(
    parser: TransactionParser,
) -> None:
    # GIVEN 30 cards at one terminal within five minutes, and quiet traffic elsewhere
    store = InMemoryTransactionStore()
    for n in range(30):
        t = parser.parse(
            body(
                transaction_id=f"s-{n}",
                user_id=f"u-{n}",
                card_number=luhn(f"4000{n:011d}"),
                terminal_id="fuel-13",
                timestamp=f"2026-11-20T11:56:{n:02d}Z",
            )
        )
        store.add(t, t.fingerprint())
    for n in range(20):
        t = parser.parse(
            body(transaction_id=f"q-{n}", terminal_id=f"shop-{n}", timestamp="2026-11-20T11:57:00Z")
        )
        store.add(t, t.fingerprint())
    queue = ListQueue()
    # WHEN the five-minute analysis runs
    report = AnalysisService(store, queue).run(NOW_MS, NOW.isoformat())
    # THEN it names that terminal
    assert report.transactions == 50
    assert any(f.terminal_id == "fuel-13" for f in queue.sent)


def test_analyze_folds_the_window_befores_scores_once_into_the_alert_budget(
    parser: TransactionParser,
) -> None:
    # GIVEN 12 transactions scored in the window before last (11:50-11:55), one unscored
    store = InMemoryTransactionStore()
    for n in range(13):
        t = parser.parse(body(transaction_id=f"w-{n}", timestamp=f"2026-11-20T11:52:{n:02d}Z"))
        store.add(t, t.fingerprint())
        if n < 12:
            store.record_decision(t, DecisionRecord(0.01 * n, "approve", (), {}, None))
    log = InMemoryScoreLog()
    service = AnalysisService(store, ListQueue(), scores=log)
    # WHEN analyze runs at 12:00, then again (a retry of the same schedule)
    first, again = service.run(NOW_MS, NOW.isoformat()), service.run(NOW_MS, NOW.isoformat())
    # THEN the 12 recorded scores are counted once, on their day
    assert (first.scores_folded, again.scores_folded) == (12, 0)
    day = NOW_MS // DAY_MS
    assert sum(log.counts(day, day + 1).values()) == 12


def test_detect_decides_with_the_budgets_thresholds() -> None:
    # GIVEN a model that scores everything 0.7 (over the rules' 0.5 review threshold)
    constant = TreeModel.from_artifact(
        {
            "format": "cardwatch-gbt/1",
            "features": list(FEATURES),
            "baseline": math.log(0.7 / 0.3),
            "trees": [],
        }
    )
    detector = Detector(FailingState(), default_policy(), constant)
    x = [float("nan")] * len(FEATURES)
    assert detector.judge("before", x).decision.value == "review"
    # WHEN the thresholds are cut from a week in which it scored 99.5 % of traffic so
    detector.thresholds = AlertBudget().thresholds(
        count_bins([0.7] * 9_950 + [0.99] * 50), detector.policy.thresholds
    )
    # THEN the bulk is approved; the team's review queue holds what scored above it
    assert detector.judge("after", x).decision.value == "approve"
    assert 0.7 < detector.thresholds.review <= 0.99


def _labelled(parser: TransactionParser) -> tuple[LabelService, FailingState, Transaction]:
    store, state = InMemoryTransactionStore(), FailingState()
    transaction = parser.parse(body(card_number=TEST_PANS[1]))
    store.add(transaction, transaction.fingerprint())
    return LabelService(store, store, Detector(state, default_policy())), state, transaction


def _counts(state: FailingState, transaction: Transaction) -> tuple[int, int, int, int]:
    """The terminal's (labelled, frauds) on the transaction's day, and the frauds known
    at the terminal and on the card over every day."""
    terminal = state.state.terminals["term-7"].state
    day = terminal.days[transaction.timestamp_ms // DAY_MS]
    card = state.state.cards.get(transaction.card.token)
    return (
        day.labelled,
        day.frauds,
        sum(d.frauds_known for d in terminal.days.values()),
        sum(d.frauds_known for d in card.days.values()) if card else 0,
    )


def _verdict(label: str, source: str, note: str = "") -> str:
    return json.dumps({"label": label, "source": source} | ({"note": note} if note else {}))


def test_a_label_is_learnt_once_and_a_resend_answered_as_the_first(
    parser: TransactionParser,
) -> None:
    service, state, transaction = _labelled(parser)
    first = service.label(
        "tx-0001", _verdict("fraud", "chargeback"), NOW_MS, by="key-a", channel="feed"
    )
    again = service.label(
        "tx-0001", _verdict("fraud", "chargeback"), NOW_MS + 5, by="key-b", channel="feed"
    )
    assert (first.effective_label, first.labels, first.repeated) == ("fraud", 1, False)
    assert (again.effective_label, again.labels, again.repeated) == ("fraud", 1, True)
    assert _counts(state, transaction) == (1, 1, 1, 1)
    with pytest.raises(TransactionNotFound):
        service.label("unknown", _verdict("fraud", "chargeback"), NOW_MS, channel="feed")


def test_a_correction_unlearns_the_old_verdict_and_learns_the_new(
    parser: TransactionParser,
) -> None:
    service, state, transaction = _labelled(parser)
    service.label("tx-0001", _verdict("genuine", "analyst"), NOW_MS)
    assert _counts(state, transaction) == (1, 0, 0, 0)
    corrected = service.label("tx-0001", _verdict("fraud", "analyst", "customer called"), NOW_MS)
    assert (corrected.effective_label, corrected.labels) == ("fraud", 2)
    assert _counts(state, transaction) == (1, 1, 1, 1)
    service.label("tx-0001", _verdict("genuine", "analyst", "card was lent"), NOW_MS + DAY_MS)
    assert _counts(state, transaction) == (1, 0, 0, 0)


def test_a_chargeback_outranks_an_analyst_who_outranks_a_customer(
    parser: TransactionParser,
) -> None:
    service, state, transaction = _labelled(parser)
    # a "genuine" from the customer first, then the chargeback: the chargeback wins
    service.label("tx-0001", _verdict("genuine", "customer"), NOW_MS)
    chargeback = service.label("tx-0001", _verdict("fraud", "chargeback"), NOW_MS, channel="feed")
    assert (chargeback.effective_label, chargeback.effective_source) == ("fraud", "chargeback")
    # an analyst's later "genuine" is kept in the history and changes nothing
    kept = service.label("tx-0001", _verdict("genuine", "analyst"), NOW_MS)
    assert (kept.effective_label, kept.labels) == ("fraud", 3)
    assert _counts(state, transaction) == (1, 1, 1, 1)
    # a setting can rank them otherwise
    store = InMemoryTransactionStore()
    store.add(transaction, transaction.fingerprint())
    analysts_first = LabelService(
        store, store, Detector(InMemoryState(), default_policy()), {"analyst": 2, "chargeback": 1}
    )
    analysts_first.label("tx-0001", _verdict("genuine", "analyst"), NOW_MS)
    assert (
        analysts_first.label(
            "tx-0001", _verdict("fraud", "chargeback"), NOW_MS, channel="feed"
        ).effective_label
        == "genuine"
    )


def test_an_interrupted_label_is_finished_by_its_resend(parser: TransactionParser) -> None:
    service, state, transaction = _labelled(parser)
    state.fail_before = 1  # recorded on the transaction, then the state write fails
    with pytest.raises(Injected):
        service.label("tx-0001", _verdict("fraud", "chargeback"), NOW_MS, channel="feed")
    assert "term-7" not in state.state.terminals  # nothing learnt yet
    again = service.label("tx-0001", _verdict("fraud", "chargeback"), NOW_MS, channel="feed")
    assert again.repeated
    assert _counts(state, transaction) == (1, 1, 1, 1)
    service.label("tx-0001", _verdict("fraud", "chargeback"), NOW_MS, channel="feed")
    assert _counts(state, transaction) == (1, 1, 1, 1)  # once, however many resends


def test_labels_landing_at_once_are_all_kept_and_learnt_once(parser: TransactionParser) -> None:
    service, state, transaction = _labelled(parser)
    verdicts = [("fraud", "analyst", f"note {n}") for n in range(8)] + [
        ("genuine", "analyst", "last")
    ]
    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(lambda v: service.label("tx-0001", _verdict(*v), NOW_MS), verdicts))
    # whatever order they landed in, all nine are kept and the state holds one verdict
    stored = service._store.get("tx-0001")
    assert stored is not None and len(stored.labels) == 9
    expected = (1, int(stored.labels[-1].is_fraud))
    assert _counts(state, transaction)[:2] == expected


def test_too_many_labels_are_refused(parser: TransactionParser) -> None:
    service, _state, _transaction = _labelled(parser)
    for n in range(MAX_LABELS):
        service.label("tx-0001", _verdict("fraud" if n % 2 else "genuine", "analyst"), NOW_MS)
    with pytest.raises(LabelConflict):
        service.label("tx-0001", _verdict("fraud", "chargeback"), NOW_MS, channel="feed")


def test_a_labels_source_is_its_channels_never_the_bodys_claim(
    parser: TransactionParser,
) -> None:
    from cardwatch.domain.errors import SourceNotAllowed  # noqa: PLC0415

    service, _state, transaction = _labelled(parser)
    tid = transaction.transaction_id
    with pytest.raises(SourceNotAllowed):
        service.label(tid, '{"label": "genuine", "source": "chargeback"}', 1, "analyst-key")
    analyst = service.label(tid, '{"label": "fraud"}', 2, "analyst-key")
    assert (analyst.source, analyst.effective_source) == ("analyst", "analyst")
    with pytest.raises(SourceNotAllowed):
        service.label(tid, '{"label": "fraud", "source": "analyst"}', 3, "feed-key", "feed")
    chargeback = service.label(tid, '{"label": "genuine"}', 4, "feed-key", "feed")
    assert (chargeback.effective_label, chargeback.effective_source) == ("genuine", "chargeback")
    issuer = service.label(tid, '{"label": "genuine", "source": "issuer"}', 5, "feed-key", "feed")
    assert issuer.source == "issuer"
