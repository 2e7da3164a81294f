"""DynamoDB capacity units one transaction consumes, measured, at quiet and busy terminals.

Every call the production adapters make is sent with ``ReturnConsumedCapacity=TOTAL``
(added by a client hook, so the adapters run unchanged) to the local emulator, whose
DynamoDB answers with units by DynamoDB's published rules (item sizes, indexes,
transactions twice: ``cardwatch.local.emulator.patches.dynamodb``). The terminal is first given
a day's traffic at the named volume; then one transaction goes the whole path: the
ingest write (the guard, then the item), the state read and the state change
(detect), the decision record, and the fold of its shared entities' counters
(aggregate), taken as a batch of its own: what it costs at a terminal too quiet to
share a batch with another transaction (at a busy one the buckets' writes are shared
by the batch, and only the event's marker is its own).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from rich.progress import Progress

from cardwatch.domain.engine.features import observe
from cardwatch.domain.engine.state import DAY_MS, CardEvent, StateChange

__all__ = ["measure_units"]

VOLUMES = (100, 2_000, 10_000)
T0 = 1_795_000_000_000 // DAY_MS * DAY_MS + 6 * 3_600_000  # a morning, UTC


class _Meter:
    def __init__(self) -> None:
        self.read = self.write = 0.0

    def reset(self) -> None:
        self.read = self.write = 0.0

    def add_capacity(self, params: dict[str, Any], **_: Any) -> None:
        params.setdefault("ReturnConsumedCapacity", "TOTAL")

    def count(self, http_response: Any, parsed: dict[str, Any], model: Any, **_: Any) -> None:
        used = parsed.get("ConsumedCapacity") or []
        for entry in used if isinstance(used, list) else [used]:
            units = float(entry.get("CapacityUnits", 0))
            if model.name in {"GetItem", "Query", "BatchGetItem", "TransactGetItems"}:
                self.read += units
            else:
                self.write += units


@contextmanager
def _stack() -> Iterator[tuple[Any, Any, _Meter]]:
    import boto3

    from cardwatch.blueprint import blueprint_for
    from cardwatch.local.emulator.server import running_emulator
    from cardwatch.local.runtime.provision import provision

    blueprint = blueprint_for("local", "units")
    with running_emulator(blueprint.region) as emulator:
        provision(blueprint, emulator.session())
        client = boto3.client("dynamodb", region_name=blueprint.region)
        meter = _Meter()
        client.meta.events.register("provide-client-params.dynamodb.*", meter.add_capacity)
        client.meta.events.register("after-call.dynamodb.*", meter.count)
        yield blueprint, client, meter


def _transaction(n: int, terminal: str, at_ms: int, *, online: bool = False) -> Any:
    """A card-present purchase; ``online``: an e-commerce one from a device and an IP
    address (each a spread entity the state counts cards for)."""
    from datetime import UTC, datetime
    from decimal import Decimal

    from cardwatch.domain.transaction.card import CardReference
    from cardwatch.domain.transaction.record import Transaction

    return Transaction(
        transaction_id=f"units-{terminal}-{n}",
        user_id=f"user-{n % 5000}",
        amount=Decimal("42.50"),
        currency="USD",
        occurred_at=datetime.fromtimestamp(at_ms / 1000, UTC),
        terminal_id=terminal,
        card=CardReference("tok_" + f"{n % 5000:064x}", "411111", "1111"),
        # a device, an address range and (with spread_by_bin) the BIN each add a
        # first-visit claim and an hour bucket; the category a read
        extras={
            "merchant_id": "m-1",
            "channel": "ecommerce" if online else "pos",
            "country": "US",
            "merchant_category_code": "5732",
            **({"device_id": f"device-{n % 5000}", "ip_address": "198.51.100.7"} if online else {}),
        },
    )


#: the key of the online measurement: every spread entity, the BIN counted too
ONLINE = -1


def measure_units() -> dict[int, dict[str, float]]:
    """Per terminal volume (transactions a day): units of the state alone and of the
    whole path, read and write, for a card-present purchase; and under :data:`ONLINE`,
    an e-commerce one with a device, an IP address and the BIN counted, at the busiest
    terminal."""
    from cardwatch.adapters.dynamodb_counters import DynamoEntityCounters
    from cardwatch.adapters.dynamodb_state import DynamoStateStore
    from cardwatch.adapters.dynamodb_store import DynamoTransactionStore
    from cardwatch.domain.engine.counters import AppliedEvent
    from cardwatch.domain.engine.detection import Detector
    from cardwatch.domain.engine.model_store import default_model
    from cardwatch.domain.engine.rules import default_policy

    measured: dict[int, dict[str, float]] = {}
    with _stack() as (blueprint, client, meter), Progress(transient=True) as progress:
        state = DynamoStateStore(blueprint.profile_table_name, client)
        store = DynamoTransactionStore(blueprint.table_name, client)
        detector = Detector(state, default_policy(), default_model())
        counters = DynamoEntityCounters(blueprint.profile_table_name, client)
        for volume in (*VOLUMES, ONLINE):
            terminal = f"terminal-{volume if volume != ONLINE else VOLUMES[-1]}"
            # the day so far: 18 hours of traffic at this volume (every minute filled)
            earlier = volume * 3 // 4 if volume != ONLINE else 0
            task = progress.add_task(f"terminal at {volume:,} a day", total=earlier)
            applied = []
            for n in range(earlier):
                at = T0 - 18 * 3_600_000 + n * (18 * 3_600_000 // earlier)
                event = CardEvent(f"pre-{terminal}-{n}", at, 12_000, terminal)
                change = StateChange(f"card-{n % 5000}", terminal, event)
                change = change._replace(claimed=state.register(change))
                state.apply(change)
                applied.append(AppliedEvent.of(change))
                progress.advance(task)
            counters.fold(applied)
            transaction = _transaction(volume, terminal, T0, online=volume == ONLINE)
            meter.reset()
            store.add(transaction, transaction.fingerprint())
            ingest = (meter.read, meter.write)
            meter.reset()
            seen = observe(transaction, with_bin=volume == ONLINE)
            pending = detector.prepare(seen, T0)
            assert pending is not None
            state_read, registered = meter.read, meter.write
            meter.reset()
            detector.commit(pending)
            state_write = registered + meter.write
            meter.reset()
            store.record_decision(transaction, detector.record(pending.assessment))
            decision = meter.write
            meter.reset()
            assert pending.change is not None
            counters.fold([AppliedEvent.of(pending.change)])
            state_write += meter.write  # the fold: the event's marker and its buckets
            measured[volume] = {
                "state_read": state_read,
                "state_write": state_write,
                "path_read": ingest[0] + state_read,
                "path_write": ingest[1] + state_write + decision,
                "ingest_write": ingest[1],
                "decision_write": decision,
            }
    return measured
