"""Heat at the modelled load: where DynamoDB's units land at 1,000 transactions a second,
sent to ``POST /transactions`` and, in a second pass, every one to ``POST /decisions``.

The real code paths (ingest's write, detect's state read and change, the decision
record) are driven with a reference mix whose event times run at 1,000 a second, on
moto in this process with the emulator's patches, which record the units each
partition key of each table and index consumed
(``cardwatch.local.emulator.patches.dynamodb_limits``). The mix, per 1,000:

- 100 at one terminal (card present, many cards);
- 300 a card-testing burst at one web shop, from one device and one /24, on 120 cards,
  every one of them flagged (it goes to the review queue);
- 600 across 3,000 terminals and 20,000 cards, half online, flagged as the engine
  decides (its alert budget).

Every flagged transaction also opens or grows its card's case, as notify does (the
cases table's keys are in the heat table beside the others).

A key's rate is its units over the span of event time driven
(:mod:`cardwatch.evaluation.heat`), beside DynamoDB's limit per key. The conflict model
turns the busiest item's transactional writes into the share of events whose every
attempt meets another transaction in flight, at 10 to 300 transactions a second on one
terminal, with a 25 ms window and the state store's 6 attempts.
"""

from __future__ import annotations

from dataclasses import asdict, replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from bench.results import PathUnits, Result

RATE = 1_000  # transactions a second, the Pulumi deployment's throttle
TRANSACTIONS = 3_000  # three seconds of it
WINDOW_MS, ATTEMPTS = 25.0, 6
BATCH_SECONDS = 1  # the aggregate mapping's batching window
TERMINAL_RATES = (10, 50, 100, 300)
T0 = 1_795_000_000_000 // 300_000 * 300_000 + 60_000  # a minute into a time bucket


def _transaction(n: int) -> tuple[Any, bool]:
    """The mix's n-th transaction, and whether it is the burst's (always flagged)."""
    from cardwatch.domain.transaction.card import CardReference
    from cardwatch.domain.transaction.record import Transaction

    kind = n % 10
    extras: dict[str, Any] = {"merchant_id": "m-1", "country": "US"}
    if kind == 0:  # the busy terminal
        terminal, card, amount = "busy-terminal", f"c-{n % 5_000}", "42.50"
        extras |= {"channel": "pos", "merchant_category_code": "5411"}
    elif kind <= 3:  # the card-testing burst
        # the burst's own count (3 of every 10), so its 120 cards take turns
        terminal, card, amount = "web-shop", f"test-{(n // 10 * 3 + kind - 1) % 120}", "1.00"
        extras |= {
            "channel": "ecommerce",
            "merchant_category_code": "5732",
            "device_id": "burst-device",
            "ip_address": f"203.0.113.{n % 250}",
        }
    else:
        terminal, card, amount = f"t-{n % 3_000}", f"c-{n % 20_000}", f"{10 + n % 90}.00"
        online = n % 2 == 0
        extras |= {"channel": "ecommerce" if online else "pos", "merchant_category_code": "5999"}
        if online:
            extras |= {"device_id": f"d-{n % 20_000}", "ip_address": f"198.51.{n % 200}.7"}
    at_ms = T0 + n * 1_000 // RATE
    transaction = Transaction(
        transaction_id=f"heat-{n}",
        user_id=f"user-{card}",
        amount=Decimal(amount),
        currency="USD",
        occurred_at=datetime.fromtimestamp(at_ms / 1000, UTC),
        terminal_id=terminal,
        card=CardReference("tok_" + card.encode().hex().ljust(64, "0"), "411111", "1111"),
        extras=extras,
    )
    return transaction, 1 <= kind <= 3


def _drive(progress: Any, *, decisions: bool = False) -> int:
    """Drive the mix through the paths; how many went to the busy terminal. With
    ``decisions``, every transaction is asked ``POST /decisions``'s path (registered,
    read and scored before it is stored with its decision, then taken by detect as it
    is: registered again, applied once)."""
    import boto3
    from moto import mock_aws

    from cardwatch.adapters.dynamodb_counters import DynamoEntityCounters
    from cardwatch.adapters.dynamodb_state import DynamoStateStore
    from cardwatch.adapters.dynamodb_store import DynamoTransactionStore
    from cardwatch.blueprint import blueprint_for
    from cardwatch.domain.engine.counters import AppliedEvent
    from cardwatch.domain.engine.detection import Detector
    from cardwatch.domain.engine.features import observe
    from cardwatch.domain.engine.model_store import default_model
    from cardwatch.domain.engine.rules import default_policy
    from cardwatch.local.emulator import patches
    from cardwatch.local.emulator.patches import dynamodb_limits
    from cardwatch.local.runtime.provision import provision

    patches.install()
    blueprint = blueprint_for("local", "heat")
    busy = 0
    with mock_aws():
        session = boto3.session.Session(region_name=blueprint.region)  # moto's credentials
        provision(blueprint, session)
        client = session.client("dynamodb")
        store = DynamoTransactionStore(blueprint.table_name, client)
        detector = Detector(
            DynamoStateStore(blueprint.profile_table_name, client),
            default_policy(),
            default_model(),
        )
        # AWS's limits and no hold (none is reached: event time runs at 1,000 a second,
        # the wall clock far slower), whatever the environment says; keys tracked
        dynamodb_limits.configure(**asdict(dynamodb_limits.Limits()))
        dynamodb_limits.reset()
        dynamodb_limits.track_heat()
        # the profile stream's batches: a second of event time each, as the mapping
        # gathers them (its batching window), folded by aggregate's adapter
        counters, applied = DynamoEntityCounters(blueprint.profile_table_name, client), []
        cases = _case_work(blueprint, client)
        task = progress.add_task("heat: the mix at 1,000 a second", total=TRANSACTIONS)
        for n in range(TRANSACTIONS):
            transaction, burst = _transaction(n)
            if decisions:
                pending = _decided(store, detector, transaction, burst)
            else:
                store.add(transaction, transaction.fingerprint())
                pending = detector.prepare(observe(transaction), transaction.timestamp_ms)
            if pending is None:
                continue
            busy += transaction.terminal_id == "busy-terminal"
            if detector.commit(pending) and pending.change is not None:
                applied.append(AppliedEvent.of(pending.change))
            if len(applied) >= RATE * BATCH_SECONDS:
                counters.fold(applied)
                applied = []
            if decisions:  # recorded at authorization: notify's case only
                _opened(cases, transaction, pending.assessment, burst)
            else:
                _recorded(store, detector, cases, (transaction, pending.assessment), burst)
            progress.advance(task)
        counters.fold(applied)
    return busy


def _case_work(blueprint: Any, client: Any) -> Any:
    """What notify opens cases with, on the heat's tables."""
    from cardwatch.adapters.dynamodb_cases import DynamoCaseStore
    from cardwatch.services.case_work import CaseWork

    return CaseWork(DynamoCaseStore.of(blueprint, client))


def _recorded(store: Any, detector: Any, cases: Any, scored: tuple[Any, Any], burst: bool) -> None:
    """detect's decision record (the burst's always review), and, for a flagged one,
    notify's case: opened or grown (the burst's 120 cards a case each)."""
    transaction, assessment = scored
    record = detector.record(assessment)
    record = replace(record, decision="review") if burst else record
    store.record_decision(transaction, record)
    _opened(cases, transaction, assessment, burst, record.decision)


def _opened(
    cases: Any, transaction: Any, assessment: Any, burst: bool, decision: str | None = None
) -> None:
    """notify's part for a flagged transaction: its card's case opened or grown."""
    from cardwatch.domain.engine.alerts import finding_from_assessment

    decision = decision or ("review" if burst else assessment.decision.value)
    if decision in ("review", "block"):
        finding = finding_from_assessment(transaction, assessment, "2026-12-06T00:00:00+00:00")
        cases.open(replace(finding, decision=decision), transaction.timestamp_ms)


def _decided(store: Any, detector: Any, transaction: Any, burst: bool) -> Any:
    """``POST /decisions``'s path for one transaction, then detect's: the pending change
    detect applies (the decision stored with the item, never recorded again)."""
    from cardwatch.domain.engine.authorization import Authorization
    from cardwatch.domain.engine.features import observe

    made: list[Any] = []

    def decide() -> Authorization:
        seen = observe(transaction)
        pending = detector.prepare(seen, transaction.timestamp_ms, at_authorization=True)
        record = detector.record(pending.assessment)
        made.append(pending.assessment)
        record = replace(record, decision="review") if burst else record
        return Authorization.scored(record, pending.assessment.reasons, None, "")

    store.add(transaction, transaction.fingerprint(), decide)
    return detector.settle(observe(transaction), made[0], transaction.timestamp_ms)


def _hottest(label: str) -> list[Result]:
    from cardwatch.evaluation.heat import hottest_keys
    from cardwatch.local.emulator.patches import dynamodb_limits

    results = []
    for hot in hottest_keys(dynamodb_limits.totals(), TRANSACTIONS / RATE):
        unit, target = ("WCU/s", 500.0) if hot.kind == "write" else ("RCU/s", 1_500.0)
        where = f"index {hot.index}" if hot.index else f"table {hot.table}"
        results.append(
            Result(
                f"heat at 1,000 {label}/s: {where}, busiest key ({hot.kind}s)",
                round(hot.per_second, 1),
                unit,
                target,
                hot.limit,
                round(hot.share_of_limit, 3),
                note=f"key {hot.key[:60]}; baseline: DynamoDB's limit per key",
            )
        )
    return results


def run() -> tuple[list[Result], PathUnits]:
    """The heat results, and the units a transaction of the mix took on its whole path
    (every table's and index's, over the mix's transactions), which the cost stage
    prices."""
    from rich.progress import Progress

    from cardwatch.evaluation.heat import all_attempts_fail
    from cardwatch.local.emulator.patches import dynamodb_limits

    with Progress(transient=True) as progress:
        decided_busy = _drive(progress, decisions=True)
        decided = _hottest("decisions")
        decided_units = sum(row["units"] for row in dynamodb_limits.totals())
        busy = _drive(progress)
    assert decided_busy == busy
    seconds = TRANSACTIONS / RATE
    results = _hottest("tx") + decided
    used = {"write": 0.0, "read": 0.0}
    for row in dynamodb_limits.totals():
        used[row["kind"]] += row["units"]
    units = PathUnits(used["write"] / TRANSACTIONS, used["read"] / TRANSACTIONS)
    results.append(
        Result(
            "heat at 1,000 decisions/s: units per transaction, the whole path",
            round(decided_units / TRANSACTIONS, 2),
            "units",
            baseline=round(units.write + units.read, 2),
            ratio=round(decided_units / TRANSACTIONS / (units.write + units.read), 3),
            note="reads and writes, every table and index; baseline: the same mix by POST "
            "/transactions",
        )
    )
    results += [
        Result(
            f"heat at 1,000 tx/s: {kind} units per transaction, the mix's whole path",
            round(value, 2),
            "units",
            note="every table's and index's units over the mix's transactions (the "
            "cost model's DynamoDB figure)",
        )
        for kind, value in (("write", units.write), ("read", units.read))
    ]
    table, key, writes = dynamodb_limits.transacted()[0]
    results.append(
        Result(
            "heat at 1,000 tx/s: busiest item, transactional writes a second",
            round(writes / seconds, 1),
            "/s",
            5,
            note=f"{table} {key[:60]}",
        )
    )
    # the busy terminal's own item: its writes per transaction there, at each rate
    terminal_items = [n for _, k, n in dynamodb_limits.transacted() if "busy-terminal" in k]
    per_transaction = max(terminal_items) / busy if terminal_items and busy else 0.0
    for rate in TERMINAL_RATES:
        share = all_attempts_fail(rate * per_transaction, WINDOW_MS, ATTEMPTS)
        results.append(
            Result(
                f"conflicts: events failing all {ATTEMPTS} attempts, {rate} tx/s on one terminal",
                round(100 * share, 4),
                "%",
                0.01 if rate == 100 else None,
                note=f"model: Poisson arrivals, {WINDOW_MS:.0f} ms in flight, independent "
                f"attempts; {per_transaction:.2f} transactional writes of the terminal's "
                "busiest item per transaction there",
            )
        )
    return results, units
