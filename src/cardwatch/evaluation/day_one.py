"""The day-one model: what the deployment scores with before it has a label of its own.

Fitted on one simulator, a model learns that simulator's constants (its amount cutoff,
its compromise rates) and carries them into traffic where they do not hold. So the
shipped model is fitted on many simulated worlds at once, each drawn with its own
parameters: the handbook generator and the processor-field generator, with or without
card testing, amounts in another currency's scale, compromises more or less frequent and
longer or shorter. What holds in all of them is behaviour: velocity, novelty, a card's
deviation from its own history, a terminal's recent frauds. The features that read an
amount's absolute size (or a mean of them) are left out of the fit: a size means
something else in every market, and a retrained model learns the deployment's own.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from cardwatch.evaluation.replay import ReplaySettings
from cardwatch.evaluation.training_run import train_from_history
from cardwatch.simulation.handbook import SimulationSettings, simulate, write_csv
from cardwatch.simulation.rich import RichSettings

__all__ = ["ABSOLUTE_AMOUNT_FEATURES", "DayOneSettings", "day_one_artifact", "random_world"]

#: features that read an amount's size in the file's currency rather than a card's or a
#: terminal's own scale
ABSOLUTE_AMOUNT_FEATURES = (
    "amount",
    "log_amount",
    "c_mean_1d",
    "c_mean_7d",
    "c_mean_30d",
    "t_mean_30d",
)


@dataclass(frozen=True, slots=True)
class DayOneSettings:
    worlds: int = 8
    customers: int = 1200
    days: int = 70
    seed: int = 42


def random_world(rng: np.random.Generator, customers: int, days: int) -> SimulationSettings:
    """One world's parameters, drawn wide around the generators' defaults."""
    rich = None
    if rng.random() < 0.5:
        rich = RichSettings(
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
        rich=rich,
    )


def day_one_artifact(
    settings: DayOneSettings, progress: Callable[[str], None] | None = None
) -> dict[str, Any]:
    """Simulate ``settings.worlds`` worlds, replay each for its features, fit once."""
    rng = np.random.default_rng(settings.seed)
    with tempfile.TemporaryDirectory(prefix="cardwatch-worlds-") as folder:
        files = []
        for number in range(settings.worlds):
            world = random_world(rng, settings.customers, settings.days)
            path = Path(folder) / f"world-{number}.csv"
            rows = write_csv(simulate(world), path)
            files.append(path)
            if progress is not None:
                progress(f"world {number + 1}/{settings.worlds}: {rows:,} transactions")
        artifact = train_from_history(
            files, ReplaySettings(seed=settings.seed), ignored=ABSOLUTE_AMOUNT_FEATURES
        )
    artifact["metadata"].update(
        source=f"{settings.worlds} simulated worlds (seed {settings.seed})",
        ignored_features=list(ABSOLUTE_AMOUNT_FEATURES),
    )
    return artifact
