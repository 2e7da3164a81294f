"""The features the engine serves online are the ones the engine's SQL recomputes from
the exported history, on a sample: so a rule or a model can be judged on a year of
history by the same engine that builds the training set, without replaying it through
one machine."""

from __future__ import annotations

import random
from datetime import timedelta

import boto3

from cardwatch.adapters.decision_export import CARD_WINDOW_FEATURES
from cardwatch.adapters.dynamodb_store import DynamoTransactionStore
from cardwatch.adapters.memory import InMemoryState
from cardwatch.blueprint import Blueprint
from cardwatch.domain.engine.detection import Detector
from cardwatch.domain.engine.model_store import default_model
from cardwatch.domain.engine.rules import default_policy
from cardwatch.domain.transaction.validation import TransactionParser
from cardwatch.handlers.config import RetrainConfig
from cardwatch.handlers.wiring import retrain as retrain_wiring
from cardwatch.local.runtime.exports import export_until_current
from cardwatch.local.runtime.provision import Provisioned
from cardwatch.services.detect import DetectionService
from cardwatch.simulation.traffic import demo_pan
from tests.fakes import ListQueue
from tests.support.aws import scan_all
from tests.support.documents import NOW, body

CARDS, TERMINALS, TRANSACTIONS = 4, 6, 240
#: seconds between a card's uses: bursts (card testing), the same hour, the same day, days
GAPS = (7, 40, 240, 900, 2_700, 14_000, 40_000)


def test_the_card_windows_served_online_are_the_ones_sql_recomputes_from_history(
    provisioned: Provisioned, blueprint: Blueprint, parser: TransactionParser
) -> None:
    # GIVEN a month of traffic on a few cards and terminals, bursts included, assessed
    # by the engine as detect assesses it, its decisions (with the features it served)
    # written to the table as detect writes them
    store = DynamoTransactionStore(blueprint.table_name, boto3.client("dynamodb"))
    detector = Detector(
        InMemoryState(), default_policy(), default_model(), max_lateness_ms=100 * 86_400_000
    )
    service = DetectionService(detector, store, ListQueue(), now=lambda: NOW)
    draw = random.Random(29)
    start = NOW - timedelta(days=40)  # the gaps add up to about a month
    moment = start
    for n in range(TRANSACTIONS):
        moment += timedelta(seconds=draw.choice(GAPS) + draw.random())
        card = draw.randrange(CARDS)
        transaction = parser.parse(
            body(
                transaction_id=f"fp-{n:04d}",
                user_id=f"parity-{card}",
                card_number=demo_pan(f"parity-{card}"),
                terminal_id=f"term-{draw.randrange(TERMINALS)}",
                timestamp=moment.isoformat(timespec="milliseconds"),
                amount=round(5 + draw.random() * 200, 2),
            )
        )
        store.add(transaction, transaction.fingerprint())
        service.handle(transaction)
    served = {
        item["transaction_id"]: {k: float(v) for k, v in item["features"].items()}
        for item in scan_all(blueprint.table_name)
        if item.get("record_type") == "transaction" and "features" in item
    }
    assert len(served) == TRANSACTIONS
    # WHEN the history is exported and the engine's SQL recomputes the card windows
    export_until_current(blueprint, boto3.client)
    source = retrain_wiring.training_source(RetrainConfig.from_env(), boto3.client)
    window = (int(start.timestamp() * 1000), int(NOW.timestamp() * 1000))
    recomputed = source.card_windows(*window)
    # THEN every transaction's served windows are the recomputed ones
    assert set(recomputed) == set(served)
    mismatched = {
        tid: (name, served[tid][name], recomputed[tid][name])
        for tid in served
        for name in CARD_WINDOW_FEATURES
        if served[tid][name] != recomputed[tid][name]
    }
    assert mismatched == {}
    # AND the sample exercises every window: bursts, hours, days, several terminals
    assert max(f["c_count_10m"] for f in served.values()) >= 3
    assert max(f["c_count_1h"] for f in served.values()) >= 4
    assert max(f["c_distinct_terminals_1d"] for f in served.values()) >= 4
    assert min(f["c_count_1d"] for f in served.values()) == 0
