"""A family of simulated worlds, each drawn with its own parameters from one of three
generators: the handbook's, the handbook's with processor fields (:mod:`.rich`), and
the issuer's portfolio (:mod:`.issuer`), built apart from the other two.

A world is named by the family's seed and its number, so ``world_family(seed, n)`` is
the same worlds on every machine. Two seeds split the family: the **tuning** worlds
(:data:`TUNING_SEED`) are the only ones the shipped model is fitted on and its features
and settings chosen on; the **held-out** worlds (:data:`HELD_OUT_SEED`) are only ever
measured. A label delay is part of a world: chargebacks arrive sooner in some markets.

Every scenario any generator makes has its name in :data:`SCENARIOS`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from cardwatch.simulation.handbook import SimulatedData, SimulationSettings, simulate, write_csv
from cardwatch.simulation.issuer import ISSUER_SCENARIOS, IssuerSettings, simulate_issuer
from cardwatch.simulation.rich import RichSettings

__all__ = [
    "GENERATORS",
    "HELD_OUT_SEED",
    "SCENARIOS",
    "TUNING_SEED",
    "World",
    "random_handbook",
    "world_family",
]

#: the worlds the shipped model is fitted on, and its features and settings chosen on
TUNING_SEED = 42
#: the worlds only ever measured (2026's were looked at while the issuer's generator and
#: the rules were changed: a fresh seed keeps the figures honest)
HELD_OUT_SEED = 2027
GENERATORS = ("handbook", "rich", "issuer")

#: every fraud scenario of every generator, by code
SCENARIOS = {
    1: "amount over the world's cutoff (handbook)",
    2: "compromised terminal (handbook)",
    3: "compromised card (handbook)",
    4: "card testing then cash-out",
    5: "account takeover",
    6: "spread card testing",
    7: "skimming, clone used later",
    8: "lost or stolen contactless",
    9: "friendly fraud",
    **ISSUER_SCENARIOS,
}


@dataclass(frozen=True, slots=True)
class World:
    """One simulated world: its generator, its parameters, its label delay."""

    name: str
    generator: str
    settings: SimulationSettings | IssuerSettings
    label_delay_days: float

    def simulate(self) -> SimulatedData:
        if isinstance(self.settings, IssuerSettings):
            return simulate_issuer(self.settings)
        return simulate(self.settings)

    def write(self, path: Path) -> int:
        """Write the world's labelled file (the contract's columns); its row count."""
        return write_csv(self.simulate(), path)


def random_handbook(
    rng: np.random.Generator, customers: int, days: int, *, rich: bool | None = None
) -> SimulationSettings:
    """A handbook world's parameters, drawn wide around the generator's defaults (with
    the processor fields when ``rich``; None: one world in two)."""
    extras = None
    if rich if rich is not None else rng.random() < 0.5:
        extras = RichSettings(
            online_share=(float(rng.uniform(0.0, 0.3)), float(rng.uniform(0.3, 0.8))),
            contactless_share=float(rng.uniform(0.2, 0.8)),
            new_device_rate=float(rng.uniform(0.002, 0.03)),
            other_ip_rate=float(rng.uniform(0.01, 0.1)),
            trips_per_day=int(rng.integers(0, 5)),
            takeovers_per_day=int(rng.integers(0, 4)),
            spread_testing_per_week=int(rng.integers(0, 4)),
            skimmers_per_week=int(rng.integers(0, 5)),
            stolen_taps_per_day=int(rng.integers(0, 3)),
            friendly_fraud_per_day=int(rng.integers(0, 3)),
        )
    scale = float(np.exp(rng.uniform(np.log(0.2), np.log(5.0))))
    # the handbook's "every amount above a cutoff is fraud", at a cutoff of this world's
    # own, or (one world in three) not at all
    cutoff = float(rng.uniform(2.0, 10.0)) * 50 * scale if rng.random() < 2 / 3 else 1e12
    return SimulationSettings(
        customers=customers,
        terminals=customers * 2,
        days=days,
        radius=float(rng.uniform(3.0, 10.0)),
        seed=int(rng.integers(0, 2**31)),
        fraud_amount=cutoff,
        compromised_terminals_per_day=int(rng.integers(0, 5)),
        terminal_compromise_days=int(rng.integers(5, 35)),
        compromised_customers_per_day=int(rng.integers(0, 6)),
        customer_compromise_days=int(rng.integers(5, 21)),
        compromised_amount_factor=float(rng.uniform(1.5, 8.0)),
        card_testing_per_day=int(rng.integers(0, 4)),
        amount_scale=scale,
        rich=extras,
    )


def _random_issuer(rng: np.random.Generator, customers: int, days: int) -> IssuerSettings:
    mix = rng.dirichlet(np.ones(5) * 1.5)
    return IssuerSettings(
        cardholders=customers,
        days=days,
        seed=int(rng.integers(0, 2**31)),
        activity=float(rng.uniform(0.6, 2.5)),
        trips_per_day=float(rng.uniform(0.0, 3.0)) * customers / 1500,
        new_device_rate=float(rng.uniform(0.001, 0.02)),
        breaches_per_week=float(rng.uniform(0.1, 1.5)),
        breach_leak_share=float(rng.uniform(0.1, 0.8)),
        resale_delay_days=(int(rng.integers(2, 10)), int(rng.integers(12, 45))),
        enumerations_per_week=float(rng.uniform(0.0, 1.5)),
        synthetic_share=float(rng.uniform(0.0, 0.03)),
        takeovers_per_day=float(rng.uniform(0.0, 2.0)) * customers / 1500,
        first_party_share=float(rng.uniform(0.0, 0.03)),
        first_party_dispute_rate=float(rng.uniform(0.2, 0.7)),
        market_mix=tuple(float(share) for share in mix),
    )


def world_family(seed: int, count: int, *, customers: int = 1200, days: int = 70) -> list[World]:
    """``count`` worlds drawn from ``seed``: the generators in turn (handbook, rich,
    issuer, ...), every parameter and the label delay (3 to 14 days) drawn."""
    rng = np.random.default_rng([seed, 36])
    worlds = []
    for number in range(count):
        generator = GENERATORS[number % len(GENERATORS)]
        settings: SimulationSettings | IssuerSettings
        if generator == "issuer":
            settings = _random_issuer(rng, customers, days)
        else:
            settings = random_handbook(rng, customers, days, rich=generator == "rich")
        delay = float(rng.integers(3, 15))
        worlds.append(World(f"{generator}-{seed}-{number}", generator, settings, delay))
    return worlds
