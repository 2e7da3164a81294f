"""The detection state in the profile table: same features as in memory, no lost update
under concurrency, redelivery or failures between writes, and bounded cost."""

from __future__ import annotations

import math
import random
import threading
from bisect import insort
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Any, NamedTuple

import boto3
import pytest

from cardwatch.adapters.dynamodb_state import (
    DynamoScoreLog,
    DynamoStateStore,
    card_entity,
    terminal_entity,
)
from cardwatch.adapters.memory import InMemoryState
from cardwatch.blueprint import Blueprint
from cardwatch.domain.engine.budget import count_bins
from cardwatch.domain.engine.detection import Detector, Label
from cardwatch.domain.engine.features import FEATURES, Observation
from cardwatch.domain.engine.rules import default_policy
from cardwatch.domain.engine.state import DAY_MS, HOUR_MS, CardEvent, StateChange, Verdict
from cardwatch.evaluation.replay import load_history
from cardwatch.local.runtime.provision import Provisioned
from cardwatch.simulation.handbook import SimulationSettings, simulate, write_csv
from tests.support.aws import SettledState, profile_folding

T0 = 1_763_000_000_000  # 2025-11-13


class Row(NamedTuple):
    transaction_id: str
    timestamp_ms: int
    card: str
    terminal_id: str
    amount: float
    is_fraud: int


def store(blueprint: Blueprint, client: Any | None = None) -> DynamoStateStore:
    return DynamoStateStore(
        blueprint.profile_table_name, client or boto3.client("dynamodb"), sleep=lambda _s: None
    )


def settled(blueprint: Blueprint) -> Any:
    """The store with the shared entities' counters folded after each change, as a
    sequential replay sees them."""
    return SettledState(store(blueprint), profile_folding(blueprint))


def item(blueprint: Blueprint, entity: str, slot: str) -> dict[str, Any]:
    answer = boto3.client("dynamodb").get_item(
        TableName=blueprint.profile_table_name,
        Key={"entity": {"S": entity}, "slot": {"S": slot}},
        ConsistentRead=True,
    )
    return answer.get("Item", {})


def number(found: dict[str, Any], name: str) -> int:
    return int(found[name]["N"]) if name in found else 0


def same(a: list[float], b: list[float]) -> bool:
    return all((math.isnan(x) and math.isnan(y)) or x == y for x, y in zip(a, b, strict=True))


@pytest.mark.requirement("R003-11")
def test_one_history_gives_identical_features_in_memory_and_in_the_table(
    provisioned: Provisioned, blueprint: Blueprint, tmp_path: Path
) -> None:
    # GIVEN a labelled simulated history, replayed in time order with labels a day late
    write_csv(
        simulate(SimulationSettings(customers=120, terminals=40, days=10, seed=3)),
        tmp_path / "h.csv",
    )
    history = load_history(tmp_path / "h.csv")
    rows = [
        Row(*fields)
        for fields in zip(
            history.transaction_ids,
            history.timestamp_ms.tolist(),
            history.users,
            history.terminals,
            history.amounts,
            history.labels.tolist(),
            strict=True,
        )
    ]
    rows = sorted(rows, key=lambda r: r.timestamp_ms)[:600]
    memory = Detector(InMemoryState(), default_policy())
    table = Detector(settled(blueprint), default_policy())
    pending_labels: list[Label] = []
    # WHEN each transaction is scored by both, and each label learnt by both when known
    for row in rows:
        while pending_labels and pending_labels[0].known_ms <= row.timestamp_ms:
            label = pending_labels.pop(0)
            assert memory.learn(label) and table.learn(label)
            if label.version == 1 and label.transaction_id.endswith("7"):
                # an analyst corrects it half a day later: the old verdict is unlearnt
                correction = replace(
                    label,
                    is_fraud=not label.is_fraud,
                    known_ms=label.known_ms + DAY_MS // 2,
                    previous=Verdict(label.is_fraud, label.known_ms),
                    version=2,
                )
                insort(pending_labels, correction, key=lambda lb: lb.known_ms)
        k = int(row.transaction_id[3:])
        located = row.transaction_id.endswith(("1", "5"))
        obs = Observation(
            row.transaction_id,
            row.timestamp_ms,
            row.card,
            row.terminal_id,
            row.amount,
            48.1 + row.amount % 7 if located else None,
            11.5 if located else None,
            0,
            # processor fields, shared across cards so devices, ranges and BINs spread
            None if k % 3 == 0 else f"dev-{k % 17}",
            f"10.0.{k % 5}.{k % 250}",
            ("US", "GB", "JP")[k % 3],
            ("pos", "ecommerce", "contactless")[k % 3],
            ("5411", "5732")[k % 2],
            ("411111", "550000")[k % 2],
        )
        in_memory, in_table = memory.assess(obs), table.assess(obs)
        # THEN every feature vector is the same, NaN for NaN
        assert in_memory is not None and in_table is not None
        assert same(list(in_memory.features), list(in_table.features)), row.transaction_id
        pending_labels.append(
            Label(
                row.transaction_id,
                row.timestamp_ms,
                row.card,
                row.terminal_id,
                bool(row.is_fraud),
                row.timestamp_ms + DAY_MS,
                obs.merchant_category_code,
            )
        )
    assert len(rows) == 600 and any(row.is_fraud for row in rows[:-200])


class FlakyClient:
    """A DynamoDB client whose transactions fail before they are sent, or after they are
    applied (the answer lost), at the given rates: the failures between writes that a
    Lambda retry meets."""

    def __init__(self, before: float, after: float, seed: int) -> None:
        self._client = boto3.client("dynamodb")
        self._random = random.Random(seed)
        self._lock = threading.Lock()
        self._before, self._after = before, after
        self.injected = 0

    def _roll(self, rate: float) -> bool:
        with self._lock:
            hit = self._random.random() < rate
            self.injected += hit
            return hit

    def transact_write_items(self, **kwargs: Any) -> Any:
        if self._roll(self._before):
            raise ConnectionError("injected: the request never reached DynamoDB")
        answer = self._client.transact_write_items(**kwargs)
        if self._roll(self._after):
            raise ConnectionError("injected: the answer was lost after the write")
        return answer

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)


def until_done(step: Callable[[], object], attempts: int = 50) -> None:
    """Retry as Lambda retries a failed event, until it succeeds."""
    for _ in range(attempts):
        try:
            step()
            return
        except ConnectionError:
            continue
    raise AssertionError("never succeeded")


@pytest.mark.requirement("R003-08")
def test_a_hot_terminal_and_a_hot_card_lose_nothing_under_16_concurrent_invocations(
    provisioned: Provisioned, blueprint: Blueprint
) -> None:
    # GIVEN 400 transactions from 400 cards at one terminal, and 200 from one card at
    # 200 terminals, 150 of them delivered twice (the Pipe's and Lambda's redelivery)
    flaky = FlakyClient(before=0.1, after=0.15, seed=7)
    detector = Detector(store(blueprint, flaky), default_policy())
    hot_terminal = [
        Observation(f"t-{n}", T0 + n * 5_000, f"card-{n}", "hot-terminal", 10.0 + n % 7)
        for n in range(400)
    ]
    hot_card = [
        Observation(f"c-{n}", T0 + n * 9_000, "hot-card", f"shop-{n}", 1.0 + n % 3)
        for n in range(200)
    ]
    deliveries = hot_terminal + hot_card
    deliveries += random.Random(2).sample(deliveries, 150)  # redelivered
    random.Random(1).shuffle(deliveries)

    # WHEN 16 invocations at a time score them, failing before and after writes
    with ThreadPoolExecutor(max_workers=16) as pool:
        list(pool.map(lambda obs: until_done(lambda: detector.assess(obs, T0)), deliveries))
    # AND the profile stream is folded into the shared counters by a fold whose calls
    # fail too, before and after they reach DynamoDB (the mapping retries its batches)
    fold_flaky = FlakyClient(before=0.1, after=0.1, seed=11)
    folding = profile_folding(blueprint, fold_flaky)
    folding.drain()

    # THEN every transaction counts exactly once, everywhere it should
    assert flaky.injected > 20 and fold_flaky.injected > 0
    assert folding.stats.failed_invocations > 0 and folding.stats.sent_to_destination == 0
    terminal = terminal_entity("hot-terminal")
    hour_counts = sum(
        number(item(blueprint, terminal, f"h#{(T0 + n * HOUR_MS) // HOUR_MS:08d}"), "n")
        for n in range(2)
    )
    days = {(T0 + n * 5_000) // DAY_MS for n in range(400)}
    day_counts = sum(number(item(blueprint, terminal, f"d#{d:06d}"), "n") for d in days)
    assert hour_counts == day_counts == 400
    total = item(blueprint, card_entity("hot-card"), "d#total")
    assert number(total, "n") == 200
    assert number(total, "s") == sum(round((1.0 + n % 3) * 1000) for n in range(200))
    # AND each of the 400 cards counts once among the terminal's distinct cards
    new_cards = 0
    for hour in {(T0 + n * 5_000) // HOUR_MS for n in range(400)}:
        found = item(blueprint, terminal, f"h#{hour:08d}")
        new_cards += sum(int(v["N"]) for k, v in found.items() if k.startswith("c"))
    assert new_cards == 400


@pytest.mark.requirement("R003-08")
def test_labels_learnt_while_detect_is_busy_are_all_kept(
    provisioned: Provisioned, blueprint: Blueprint
) -> None:
    # GIVEN 40 chargebacks at a terminal that 16 invocations are scoring traffic for
    state = store(blueprint, FlakyClient(before=0.05, after=0.1, seed=3))
    detector = Detector(state, default_policy())
    traffic = [Observation(f"x-{n}", T0 + n * 1_000, f"card-{n}", "busy", 25.0) for n in range(200)]
    labels = [Label(f"x-{n}", T0 + n * 1_000, f"card-{n}", "busy", True, T0) for n in range(40)]
    work: list[Callable[[], object]] = [
        (lambda o=obs: detector.assess(o, T0)) for obs in traffic
    ] + [(lambda lb=label: detector.learn(lb)) for label in labels] * 2

    # WHEN they run all at once, each label delivered twice
    with ThreadPoolExecutor(max_workers=16) as pool:
        list(pool.map(until_done, work))
    profile_folding(blueprint).drain()

    # THEN the terminal learnt every one, once
    day = item(blueprint, terminal_entity("busy"), f"d#{T0 // DAY_MS:06d}")
    assert (number(day, "l"), number(day, "f"), number(day, "k")) == (40, 40, 40)
    assert number(day, "n") == 200


@pytest.mark.requirement("R003-11")
def test_a_back_dated_event_cannot_expire_or_rewrite_history(
    provisioned: Provisioned, blueprint: Blueprint
) -> None:
    # GIVEN a card and terminal with history today
    detector = Detector(store(blueprint), default_policy())
    for n in range(5):
        detector.assess(Observation(f"now-{n}", T0 + n * 60_000, "card", "term", 30.0), T0)
    before = item(blueprint, card_entity("card"), "d#total")
    # WHEN a transaction 200 days old arrives (the contract allows 365)
    old = Observation("old", T0 - 200 * DAY_MS, "card", "term", 999.0)
    pending = detector.prepare(old, T0 + 300_000)
    assert pending is not None and pending.late
    detector.commit(pending)
    # THEN it was scored against today's state, and changed nothing, expiry included
    assert pending.assessment.features[FEATURES.index("c_history_count")] == 5
    assert item(blueprint, card_entity("card"), "d#total") == before
    ttl = int(before["expires_at"]["N"])
    assert ttl * 1000 > T0


@pytest.mark.requirement("R003-21")
def test_a_transactions_state_change_costs_the_same_at_any_terminal_volume(
    provisioned: Provisioned, blueprint: Blueprint
) -> None:
    # GIVEN a terminal with 1,500 transactions in eight hours (every minute bucket
    # filled), and a quiet one
    state = store(blueprint)
    detector = Detector(state, default_policy())
    for n in range(1_500):
        change = StateChange(
            f"k-{n % 900}", "busy", CardEvent(f"b-{n}", T0 + n * 19_000, 12_000, "busy")
        )
        assert state.apply(change._replace(claimed=state.register(change)))
    profile_folding(blueprint).drain()
    # WHEN one more transaction is scored and applied at each
    costs = {}
    for terminal in ("busy", "quiet"):
        state.consumed = {"read": 0.0, "write": 0.0}
        detector.assess(Observation(f"last-{terminal}", T0 + DAY_MS // 2, "new", terminal, 5.0))
        costs[terminal] = dict(state.consumed)
    # THEN each costs at most 12 write and 12 read units, the busy one no more than that
    for cost in costs.values():
        assert 0 < cost["write"] <= 12 and 0 < cost["read"] <= 12
    assert costs["busy"]["write"] == costs["quiet"]["write"]


def test_the_alert_budgets_counts_take_each_window_once_under_concurrent_folds(
    provisioned: Provisioned, blueprint: Blueprint
) -> None:
    # GIVEN 24 five-minute windows of scores, each folded by 4 invocations at once
    log = DynamoScoreLog(blueprint.profile_table_name, boto3.client("dynamodb"))
    start = (T0 // DAY_MS + 3) * DAY_MS
    windows = [(start + n * 300_000, [0.001 * n, 0.5, 0.999]) for n in range(24)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        folded = list(pool.map(lambda w: log.fold(*w), windows * 4))
    # THEN each window counted once: 72 scores on that day, in the bins they belong to
    assert sum(folded) == 24
    day = start // DAY_MS
    counts = log.counts(day, day + 1)
    assert sum(counts.values()) == 72
    assert counts == count_bins(score for _w, scores in windows for score in scores)
    assert log.counts(day + 1, day + 2) == {} and not log.fold(*windows[0])


@pytest.mark.requirement("R003-08")
def test_served_windows_never_contradict_each_other_under_concurrency(
    provisioned: Provisioned, blueprint: Blueprint
) -> None:
    # GIVEN a card with yesterday's history, and 120 of its purchases today in two
    # minutes, scored 16 at a time (each reads while others are in flight)
    detector = Detector(store(blueprint), default_policy())
    today = (T0 // DAY_MS + 1) * DAY_MS + 9 * HOUR_MS
    for n in range(10):
        detector.assess(Observation(f"y-{n}", today - DAY_MS + n * 60_000, "busy", "s", 20.0))
    burst = [
        Observation(f"b-{n}", today + n * 1_000, "busy", f"shop-{n % 9}", 1.0 + n % 5)
        for n in range(120)
    ]
    with ThreadPoolExecutor(max_workers=16) as pool:
        served = [a for a in pool.map(lambda o: detector.assess(o, today), burst) if a]

    # THEN every served vector's windows nest: 10 min <= 1 h <= 1 d <= 7 d <= 30 d, for
    # counts and for the sums the means stand for
    at = {name: FEATURES.index(name) for name in FEATURES}
    assert len(served) == 120
    for assessment in served:
        x = assessment.features
        counts = [x[at[f"c_count_{w}"]] for w in ("10m", "1h", "1d", "7d", "30d")]
        assert counts == sorted(counts), (assessment.transaction_id, counts)
        sums = [x[at[f"c_mean_{w}"]] * x[at[f"c_count_{w}"]] for w in ("7d", "30d")]
        assert sums[0] <= sums[1] + 1e-6, (assessment.transaction_id, sums)
