"""The day-one model: what the deployment scores with before it has a label of its own.

Fitted on one simulator, a model learns that simulator's constants (its amount cutoff,
its compromise rates) and carries them into traffic where they do not hold. So the
shipped model is fitted on many simulated worlds at once, the family's tuning worlds
(:mod:`cardwatch.simulation.worlds`), each drawn with its own parameters and label
delay from three generators: the handbook's, the handbook's with processor fields, and
an issuer's portfolio built apart from both. What holds in all of them is behaviour:
velocity, novelty, a card's deviation from its own history, a terminal's recent frauds.
The features that read an amount's absolute size (or a mean of them) are left out of
the fit: a size means something else in every market, and a retrained model learns the
deployment's own.
"""

from __future__ import annotations

import math
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from cardwatch.evaluation.replay import ReplaySettings, load_history, replay
from cardwatch.simulation.worlds import TUNING_SEED, world_family
from cardwatch.training.fit import fit_artifact

__all__ = ["ABSOLUTE_AMOUNT_FEATURES", "DayOneSettings", "day_one_artifact"]

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
    worlds: int = 9
    customers: int = 1200
    days: int = 70
    seed: int = TUNING_SEED


def day_one_artifact(
    settings: DayOneSettings, progress: Callable[[str], None] | None = None
) -> dict[str, Any]:
    """Simulate ``settings.worlds`` worlds of the family, replay each (with its own
    label delay) for its features, fit once on all of them."""
    features, labels = [], []
    with tempfile.TemporaryDirectory(prefix="cardwatch-worlds-") as folder:
        worlds = world_family(
            settings.seed, settings.worlds, customers=settings.customers, days=settings.days
        )
        for number, world in enumerate(worlds):
            path = Path(folder) / f"{world.name}.csv"
            rows = world.write(path)
            history = load_history(path)
            replayed = replay(
                history,
                ReplaySettings(
                    label_delay_days=world.label_delay_days,
                    retrain_every_days=math.inf,
                    seed=settings.seed,
                ),
            )
            features.append(replayed.features)
            labels.append(history.labels)
            if progress is not None:
                done = f"world {number + 1}/{settings.worlds}"
                progress(f"{done} ({world.generator}): {rows:,} transactions")
    artifact = fit_artifact(
        np.concatenate(features),
        np.concatenate(labels),
        seed=settings.seed,
        note={"source": ", ".join(world.name for world in worlds)},
        ignored=ABSOLUTE_AMOUNT_FEATURES,
    )
    artifact["metadata"].update(
        source=f"{settings.worlds} simulated worlds (seed {settings.seed}): "
        + ", ".join(f"{world.name} (label delay {world.label_delay_days:g} d)" for world in worlds),
        ignored_features=list(ABSOLUTE_AMOUNT_FEATURES),
    )
    return artifact
