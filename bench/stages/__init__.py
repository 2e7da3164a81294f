"""The benchmark stages, one module each, in the order a full run takes them.

Every module has a ``run`` function that takes what the stage needs and returns its
results; importing one is cheap (heavy libraries are imported when it runs). Three
stages return, beside their results, facts the cost stage reads: ``local_pipeline``
what each handler did per record (:class:`bench.results.HandlerDurations`), ``heat``
the units a transaction takes at the reference mix (:class:`bench.results.PathUnits`)
and ``analyze_window`` analyze's modelled run (:class:`bench.results.WindowCost`); the
runner (``python -m bench``) passes them on, in the order ``needs`` names them.
Nothing else is shared between stages.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from types import ModuleType


@dataclass(frozen=True)
class Stage:
    #: ``--only``'s name for it, and its module under bench/stages/
    name: str
    #: what the console shows while it runs (``--only`` accepts it too)
    label: str
    #: the stages whose facts it reads: run in the same invocation, before it
    needs: tuple[str, ...] = ()

    def module(self) -> ModuleType:
        return importlib.import_module(f"{__name__}.{self.name}")


STAGES: tuple[Stage, ...] = (
    Stage("scoring", "scoring"),
    Stage("analysis", "analysis"),
    Stage("analyze_window", "analyze window"),
    Stage("cold_start", "cold start"),
    Stage("package", "package"),
    Stage("retraining", "retraining"),
    Stage("training_set", "training set"),
    Stage("memory", "memory"),
    Stage("backtest", "backtest"),
    Stage("busy_core", "busy core"),
    Stage("rich_world", "rich world"),
    Stage("worlds", "held-out worlds"),
    Stage("dynamodb_units", "dynamodb units"),
    Stage("heat", "heat"),
    Stage("local_pipeline", "local pipeline"),
    Stage("local_burst", "local burst"),
    Stage("decision", "decision"),
    Stage("cost", "cost", needs=("local_pipeline", "heat", "analyze_window")),
)
NAMES = tuple(stage.name for stage in STAGES)


class UnknownStage(ValueError):
    pass


def canonical(name: str) -> str:
    """A stage's name as ``--only`` may spell it (``cold start``, ``cold-start``,
    ``cold_start``) in its canonical form; :class:`UnknownStage` if there is none."""
    key = "_".join(name.strip().lower().replace("-", " ").replace("_", " ").split())
    if key not in NAMES:
        raise UnknownStage(name.strip())
    return key
