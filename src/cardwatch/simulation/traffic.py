"""Traffic for local mode: realistic card activity with fraud mixed in, as API bodies.

``demo_traffic`` makes cardholders with their own spending habits and nearby terminals,
then weaves in what fraud looks like in practice: a card-testing run of tiny amounts,
a skimmed terminal that many cards pass through in minutes, and a stolen card spending
far from home. ``csv_traffic`` turns a labelled CSV (``cardwatch simulate``) into
bodies, shifting its timestamps so that the last one is now.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

from cardwatch.domain.transaction.card import luhn_valid
from cardwatch.simulation.labelled_file import load_history

__all__ = ["Planned", "csv_traffic", "demo_pan", "demo_traffic"]

_TEST_BINS = ("400000", "411111", "510000", "555555", "601100")


def demo_pan(seed: str) -> str:
    """A Luhn-valid 16-digit test card number derived from ``seed`` (a user id)."""
    digest = hashlib.sha256(seed.encode()).hexdigest()
    body = _TEST_BINS[int(digest[:2], 16) % len(_TEST_BINS)] + str(int(digest[2:14], 16))[:9]
    return next(body + d for d in "0123456789" if luhn_valid(body + d))


@dataclass(frozen=True, slots=True)
class Planned:
    """One request to send, and what it is (for the summary): genuine or a fraud kind."""

    body: dict[str, Any]
    kind: str  # "genuine", "card-testing", "skimmed-terminal", "stolen-card", "csv"
    is_fraud: bool


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _body(n: int, moment: datetime, spec: dict[str, Any]) -> dict[str, Any]:
    return {
        "transaction_id": f"demo-{n:06d}",
        "user_id": spec["user"],
        "card_number": spec["pan"],
        "terminal_id": spec["terminal"],
        "amount": spec["amount"],
        "currency": "USD",
        "timestamp": _stamp(moment),
        "channel": spec.get("channel", "pos"),
        "country": "US",
        "merchant_category_code": "5411",
        "latitude": round(spec["lat"], 4),
        "longitude": round(spec["lon"], 4),
    }


def demo_traffic(
    count: int = 600,
    seed: int = 7,
    start: datetime | None = None,
    span: timedelta = timedelta(minutes=3),
) -> list[Planned]:
    """``count`` transactions over ``span`` ending at ``start`` (default now)."""
    rng = random.Random(seed)
    end = start or datetime.now(UTC)
    begin = end - span
    users = [
        (
            f"cardholder-{i:04d}",
            demo_pan(f"cardholder-{i:04d}"),
            Decimal(rng.randint(800, 9000)) / 100,
        )
        for i in range(max(40, count))
    ]
    home = {
        user: (40.7 + rng.uniform(-0.2, 0.2), -74.0 + rng.uniform(-0.2, 0.2))
        for user, _pan, _mean in users
    }
    terminals = [f"store-{i:03d}" for i in range(max(30, count // 2))]
    plan: list[tuple[datetime, dict[str, Any], str]] = []
    for _ in range(count):
        user, pan, mean = rng.choice(users)
        amount = max(
            Decimal("0.50"),
            (mean * Decimal(str(rng.lognormvariate(0, 0.4)))).quantize(Decimal("0.01")),
        )
        lat, lon = home[user]
        plan.append(
            (
                begin + (end - begin) * rng.random(),
                {
                    "user": user,
                    "pan": pan,
                    "terminal": rng.choice(terminals),
                    "amount": amount,
                    "lat": lat,
                    "lon": lon,
                },
                "genuine",
            )
        )
    _inject_fraud(plan, users, home, rng, begin=begin, end=end)
    # exactly ``count``: the fraud scenarios replace genuine payments (all of them kept
    # while they fit; a count smaller than the scenarios keeps the earliest)
    fraud = len(plan) - count
    del plan[: min(fraud, count)]  # genuine payments, as random as the rest
    plan.sort(key=lambda item: item[0])
    del plan[count:]
    return [
        Planned(_body(n, moment, spec), kind, kind != "genuine")
        for n, (moment, spec, kind) in enumerate(plan)
    ]


def _inject_fraud(
    plan: list[tuple[datetime, dict[str, Any], str]],
    users: list[tuple[str, str, Decimal]],
    home: dict[str, tuple[float, float]],
    rng: random.Random,
    *,
    begin: datetime,
    end: datetime,
) -> None:
    middle = begin + (end - begin) / 2
    # A card-testing run: a real purchase, then tiny amounts at an online merchant.
    tester, tester_pan, tester_mean = users[0]
    lat, lon = home[tester]
    plan.append(
        (
            middle - timedelta(seconds=50),
            {
                "user": tester,
                "pan": tester_pan,
                "terminal": "store-000",
                "amount": tester_mean,
                "lat": lat,
                "lon": lon,
            },
            "genuine",
        )
    )
    for k in range(7):
        plan.append(
            (
                middle + timedelta(seconds=5 * k),
                {
                    "user": tester,
                    "pan": tester_pan,
                    "terminal": "webshop-77",
                    "amount": Decimal(rng.randint(50, 150)) / 100,
                    "lat": lat,
                    "lon": lon,
                    "channel": "ecommerce",
                },
                "card-testing",
            )
        )
    # A skimmed terminal: many different cards in two minutes.
    for user, pan, mean in users[1:26]:
        lat, lon = home[user]
        plan.append(
            (
                middle - timedelta(seconds=rng.uniform(0, 110)),
                {
                    "user": user,
                    "pan": pan,
                    "terminal": "fuel-pump-13",
                    "amount": mean,
                    "lat": lat,
                    "lon": lon,
                },
                "skimmed-terminal",
            )
        )
    # A stolen card: large amounts, far from home, minutes after a purchase at home.
    thief, thief_pan, thief_mean = users[-1]
    lat, lon = home[thief]
    plan.append(
        (
            end - timedelta(seconds=90),
            {
                "user": thief,
                "pan": thief_pan,
                "terminal": "store-001",
                "amount": thief_mean,
                "lat": lat,
                "lon": lon,
            },
            "genuine",
        )
    )
    for k in range(3):
        plan.append(
            (
                end - timedelta(seconds=40 - 10 * k),
                {
                    "user": thief,
                    "pan": thief_pan,
                    "terminal": f"luxury-{k}",
                    "amount": (thief_mean * 12).quantize(Decimal("0.01")),
                    "lat": 51.5074,
                    "lon": -0.1278,
                },
                "stolen-card",
            )
        )


def csv_traffic(path: Path, limit: int | None = None) -> Iterator[Planned]:
    """Bodies from a labelled file (read by the backtest's loader, so every spelling it
    takes and every contract column it keeps arrive here too), time-shifted so that its
    last transaction is now; each timestamp keeps the offset it was written in."""
    history = load_history(path)
    count = len(history) if limit is None else min(limit, len(history))
    if count == 0:
        return
    stamps = history.timestamp_ms[:count].tolist()
    shift_ms = int(datetime.now(UTC).timestamp() * 1000) - max(stamps)
    offsets = history.utc_offsets or [0] * count
    for row in range(count):
        zone = timezone(timedelta(minutes=offsets[row]))
        moment = datetime.fromtimestamp((stamps[row] + shift_ms) / 1000, UTC).astimezone(zone)
        body: dict[str, Any] = {
            "transaction_id": history.transaction_ids[row],
            "user_id": history.users[row],
            "card_number": demo_pan(history.users[row]),
            "terminal_id": history.terminals[row],
            "amount": Decimal(repr(history.amounts[row])),
            "currency": "USD",
            "timestamp": moment.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        }
        body.update({name: values[row] for name, values in history.extras.items() if values[row]})
        if history.latitudes is not None and history.longitudes is not None:
            latitude, longitude = history.latitudes[row], history.longitudes[row]
            if latitude is not None and longitude is not None:
                # kept to seven decimals, as ingest keeps them (a float's noise digits
                # would be refused: at most 12 decimal places)
                body["latitude"] = round(Decimal(repr(latitude)), 7)
                body["longitude"] = round(Decimal(repr(longitude)), 7)
        yield Planned(body, "csv", bool(history.labels[row]))
