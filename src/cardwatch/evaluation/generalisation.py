"""How detection carries to worlds it was not tuned on: ``cardwatch worlds``.

Each held-out world of the family (:mod:`cardwatch.simulation.worlds`) is simulated and
replayed twice, as a deployment would meet it, with the world's own label delay:

- **day one**: the shipped model in force throughout, never retrained (what the team
  has before a label of its own), under the alert budget;
- **retrained**: the shipped model first, then a model retrained every week on the
  labels visible by then, each replacing the last.

Both are measured on the world's last 7 days, beside a **reference** fitted on that
world alone at the start of those days on every label visible then, with the engine's
features *and* the raw fields as categories and no limit on size (see
:mod:`.reference`). Per scenario, the share of its frauds flagged at the alert budget.
"""

from __future__ import annotations

import math
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from rich.console import Console
from rich.table import Table

from cardwatch.domain.engine.model import TreeModel
from cardwatch.evaluation.metrics import detection_metrics
from cardwatch.evaluation.reference import reference_average_precision
from cardwatch.evaluation.replay import ReplayResult, ReplaySettings, load_history, replay
from cardwatch.evaluation.report_format import cell, json_number
from cardwatch.simulation.handbook import write_csv
from cardwatch.simulation.worlds import SCENARIOS, World

__all__ = [
    "TEST_DAYS",
    "Generalisation",
    "WorldMeasure",
    "generalisation_report",
    "measure_family",
    "measure_world",
    "print_generalisation",
]

#: the days each world is measured on (its last)
TEST_DAYS = 7


@dataclass(frozen=True, slots=True)
class WorldMeasure:
    """One world's figures on its last :data:`TEST_DAYS` days."""

    world: str
    generator: str
    label_delay_days: float
    rows: int
    test_rows: int
    test_frauds: int
    average_precision: float
    reference: float
    day_one_average_precision: float
    day_one_auc: float
    day_one_flagged_share: float
    flagged_share: float
    #: scenario code -> (frauds on the test days, of them flagged: retrained, day one)
    scenarios: dict[int, tuple[int, int, int]] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def ratio(self) -> float:
        """The retrained engine's average precision over the reference's."""
        if not self.reference or math.isnan(self.reference):
            return math.nan
        return self.average_precision / self.reference


@dataclass(frozen=True, slots=True)
class Generalisation:
    worlds: tuple[WorldMeasure, ...]
    model: str

    def _finite(self, values: Sequence[float]) -> list[float]:
        return [value for value in values if not math.isnan(value)]

    @property
    def worst(self) -> WorldMeasure | None:
        ranked = [world for world in self.worlds if not math.isnan(world.ratio)]
        return min(ranked, key=lambda world: world.ratio) if ranked else None

    @property
    def spread(self) -> float:
        """The best ratio minus the worst."""
        ratios = self._finite([world.ratio for world in self.worlds])
        return max(ratios) - min(ratios) if ratios else math.nan

    @property
    def worst_day_one(self) -> WorldMeasure | None:
        ranked = [w for w in self.worlds if not math.isnan(w.day_one_average_precision)]
        return min(ranked, key=lambda w: w.day_one_average_precision) if ranked else None

    def scenarios(self) -> dict[int, tuple[int, int, int]]:
        """Each scenario's frauds and flagged (retrained, day one), summed over worlds."""
        total: dict[int, tuple[int, int, int]] = {}
        for world in self.worlds:
            for code, (frauds, flagged, day_one) in world.scenarios.items():
                before = total.get(code, (0, 0, 0))
                total[code] = (before[0] + frauds, before[1] + flagged, before[2] + day_one)
        return dict(sorted(total.items()))


def _flagged(result: ReplayResult, rows: NDArray[np.bool_]) -> int:
    return int((result.decisions[rows] > 0).sum())


def measure_world(
    world: World, folder: Path, model: TreeModel, *, reference: bool = True
) -> WorldMeasure:
    """Simulate ``world`` into ``folder``, replay it day-one and retrained, measure."""
    started = time.perf_counter()
    data = world.simulate()
    path = folder / f"{world.name}.csv"
    write_csv(data, path)
    history = load_history(path)
    scenario = np.asarray(data.scenario)
    base = ReplaySettings(label_delay_days=world.label_delay_days, start_model=model)
    retrained = replay(history, base)
    day_one = replay(history, replace(base, retrain_every_days=math.inf))
    days = history.days
    test = days > days.max() - TEST_DAYS
    labels = history.labels[test]
    cards = [user for user, keep in zip(history.users, test.tolist(), strict=True) if keep]
    metrics = detection_metrics(days[test], cards, retrained.scores[test], labels)
    first = detection_metrics(days[test], cards, day_one.scores[test], labels)
    reference_ap = (
        reference_average_precision(history, retrained.features, test, world.label_delay_days)
        if reference
        else math.nan
    )
    scenarios = {}
    for code in sorted(set(scenario[test].tolist()) - {0}):
        rows = test & (scenario == code)
        scenarios[int(code)] = (
            int(rows.sum()),
            _flagged(retrained, rows),
            _flagged(day_one, rows),
        )
    return WorldMeasure(
        world=world.name,
        generator=world.generator,
        label_delay_days=world.label_delay_days,
        rows=len(history),
        test_rows=int(test.sum()),
        test_frauds=int(labels.sum()),
        average_precision=metrics["average_precision"],
        reference=reference_ap,
        day_one_average_precision=first["average_precision"],
        day_one_auc=first["auc_roc"],
        day_one_flagged_share=float((day_one.decisions[test] > 0).mean()),
        flagged_share=float((retrained.decisions[test] > 0).mean()),
        scenarios=scenarios,
        seconds=time.perf_counter() - started,
    )


def measure_family(
    worlds: Sequence[World],
    model: TreeModel,
    *,
    reference: bool = True,
    progress: Callable[[WorldMeasure], None] | None = None,
) -> Generalisation:
    """Every world of ``worlds`` measured in turn (one at a time: a replay uses both
    cores already)."""
    measured = []
    with tempfile.TemporaryDirectory(prefix="cardwatch-worlds-") as folder:
        for world in worlds:
            measure = measure_world(world, Path(folder), model, reference=reference)
            measured.append(measure)
            if progress is not None:
                progress(measure)
    return Generalisation(tuple(measured), model.version)


def _world_entry(world: WorldMeasure) -> dict[str, Any]:
    return {
        "world": world.world,
        "generator": world.generator,
        "label_delay_days": world.label_delay_days,
        "rows": world.rows,
        "test_rows": world.test_rows,
        "test_frauds": world.test_frauds,
        "average_precision": json_number(world.average_precision),
        "reference_average_precision": json_number(world.reference),
        "ratio": json_number(world.ratio),
        "flagged_share": json_number(world.flagged_share),
        "day_one": {
            "average_precision": json_number(world.day_one_average_precision),
            "auc_roc": json_number(world.day_one_auc),
            "flagged_share": json_number(world.day_one_flagged_share),
        },
        "scenarios": [
            {"code": code, "frauds": frauds, "flagged": flagged, "day_one_flagged": day_one}
            for code, (frauds, flagged, day_one) in world.scenarios.items()
        ],
        "seconds": round(world.seconds, 1),
    }


def generalisation_report(found: Generalisation) -> dict[str, Any]:
    """What ``cardwatch worlds --json`` prints."""
    worst, worst_day_one = found.worst, found.worst_day_one
    return {
        "model": found.model,
        "test_days": TEST_DAYS,
        "worlds": [_world_entry(world) for world in found.worlds],
        "worst": None
        if worst is None
        else {"world": worst.world, "ratio": json_number(worst.ratio)},
        "spread": json_number(found.spread),
        "worst_day_one": None
        if worst_day_one is None
        else {
            "world": worst_day_one.world,
            "average_precision": json_number(worst_day_one.day_one_average_precision),
        },
        "scenarios": [
            {
                "code": code,
                "name": SCENARIOS.get(code, f"scenario {code}"),
                "frauds": frauds,
                "flagged_share": json_number(flagged / frauds if frauds else math.nan),
                "day_one_flagged_share": json_number(day_one / frauds if frauds else math.nan),
            }
            for code, (frauds, flagged, day_one) in found.scenarios().items()
        ],
    }


def print_generalisation(found: Generalisation, console: Console) -> None:
    table = Table(title=f"each world's last {TEST_DAYS} days (model {found.model})")
    for name in (
        "world",
        "delay d",
        "frauds",
        "AP",
        "reference",
        "ratio",
        "flagged",
        "day-one AP",
        "day-one flagged",
    ):
        table.add_column(name, justify="left" if name == "world" else "right")
    for world in found.worlds:
        table.add_row(
            world.world,
            f"{world.label_delay_days:g}",
            f"{world.test_frauds:,}",
            cell(world.average_precision, ".3f"),
            cell(world.reference, ".3f"),
            cell(world.ratio, ".3f"),
            cell(world.flagged_share, ".2%"),
            cell(world.day_one_average_precision, ".3f"),
            cell(world.day_one_flagged_share, ".2%"),
        )
    console.print(table)
    worst = found.worst
    if worst is not None:
        console.print(
            f"worst world: {worst.world}, {worst.ratio:.3f} of its reference; "
            f"spread of the ratios {found.spread:.3f}"
        )
    scenarios = Table(title="per scenario, at the alert budget (all worlds' test days)")
    for name in ("scenario", "frauds", "flagged (retrained)", "flagged (day one)"):
        scenarios.add_column(name, justify="left" if name == "scenario" else "right")
    for code, (frauds, flagged, day_one) in found.scenarios().items():
        scenarios.add_row(
            f"{code} {SCENARIOS.get(code, '')}",
            f"{frauds:,}",
            cell(flagged / frauds if frauds else math.nan, ".1%"),
            cell(day_one / frauds if frauds else math.nan, ".1%"),
        )
    console.print(scenarios)
