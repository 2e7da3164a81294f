"""The workloads several stages share: the engine's input stream (scoring, and the detect
handler's memory probe), the analysis window (analysis, and the analyze handler's memory
probe), and the handlers measured (cold start, memory)."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from cardwatch.domain.engine.features import Observation
from cardwatch.domain.transaction.card import CardReference
from cardwatch.domain.transaction.record import Transaction

HANDLERS = ("ingest", "detect", "analyze", "notify")


def observations(count: int, seed: int = 3) -> list[Observation]:
    rng = random.Random(seed)
    start = 1_700_000_000_000
    cards = [f"card-{i}" for i in range(max(50, count // 40))]
    terminals = [f"term-{i}" for i in range(max(100, count // 20))]
    stamps = sorted(start + rng.randrange(0, 30 * 86_400_000) for _ in range(count))
    return [
        Observation(
            f"tx-{n}",
            ts,
            rng.choice(cards),
            rng.choice(terminals),
            round(rng.lognormvariate(3.5, 0.8), 2),
        )
        for n, ts in enumerate(stamps)
    ]


def window(count: int) -> list[Transaction]:
    rng = random.Random(4)
    start = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
    cards = [
        CardReference(f"tok_{i:064x}", f"4{i % 90_000:05d}", f"{i % 10_000:04d}")
        for i in range(count // 3)
    ]
    return [
        Transaction(
            f"tx-{n}",
            f"user-{n % 50_000}",
            Decimal(rng.randint(100, 20_000)) / 100,
            "USD",
            start + timedelta(milliseconds=n),
            f"term-{rng.randrange(20_000)}",
            rng.choice(cards),
        )
        for n in range(count)
    ]
