"""``cardwatch train``: features as the engine computes them online, then one fit."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from cardwatch.evaluation.replay import ReplaySettings, load_history, replay
from cardwatch.training.fit import fit_artifact

__all__ = ["train_from_history"]


def train_from_history(
    data: Path | list[Path], settings: ReplaySettings, *, ignored: Sequence[str] = ()
) -> dict[str, Any]:
    """Replay each file of ``data`` (features need the history in order; each file is
    a world of its own, with its own state), then fit on every row of all of them.

    The features do not depend on the model, so the replay skips retraining.
    """
    files = [data] if isinstance(data, Path) else data
    features, labels = [], []
    for path in files:
        history = load_history(path)
        result = replay(history, replace(settings, retrain_every_days=float("inf")))
        features.append(result.features)
        labels.append(history.labels)
    return fit_artifact(
        np.concatenate(features),
        np.concatenate(labels),
        seed=settings.seed,
        note={
            "source": ", ".join(path.name for path in files),
            "label_delay_days": settings.label_delay_days,
        },
        ignored=ignored,
    )
