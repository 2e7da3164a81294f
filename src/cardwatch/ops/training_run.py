"""``cardwatch train``: features as the engine computes them online, then one fit."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from cardwatch.ops.replay import ReplaySettings, load_history, replay
from cardwatch.ops.train import fit_artifact

__all__ = ["train_from_history"]


def train_from_history(data: Path, settings: ReplaySettings) -> dict[str, Any]:
    """Replay ``data`` (features need the history in order), then fit on every row.

    The features do not depend on the model, so the replay skips retraining.
    """
    history = load_history(data)
    result = replay(history, replace(settings, retrain_every_days=float("inf")))
    return fit_artifact(
        result.features,
        history.labels,
        seed=settings.seed,
        note={"source": data.name, "label_delay_days": settings.label_delay_days},
    )
