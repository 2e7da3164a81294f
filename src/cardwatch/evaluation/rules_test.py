"""``cardwatch rules test FILE DATA.csv``: a candidate rules document against the rules
in force, on labelled data, before anyone publishes it.

The data is replayed once as the backtest does (the engine's features and the retrained
model's scores do not depend on the rules); each document's rules are then applied to
the same feature vectors of the test days, and its scores cut at its own thresholds."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn
from rich.table import Table
from sklearn.metrics import average_precision_score

from cardwatch.domain.engine.rules import Policy
from cardwatch.evaluation.replay import ReplaySettings, replay
from cardwatch.evaluation.rule_report import combined_scores
from cardwatch.simulation.labelled_file import LabelledHistory

__all__ = ["RulesOutcome", "compare_rules", "outcome_table"]


@dataclass(frozen=True, slots=True)
class RulesOutcome:
    average_precision: float
    review_share: float  # scores at or above the document's review threshold
    block_share: float
    flagged_precision: float  # fraud among those reviewed or blocked
    #: rule id -> (hits, frauds among them), on the test days
    rules: dict[str, tuple[int, int]]


def _outcome(
    policy: Policy,
    features: NDArray[np.float32],
    model_scores: NDArray[np.float64],
    labels: NDArray[np.int8],
) -> RulesOutcome:
    hits = np.zeros(len(features), dtype=np.int64)
    for row, vector in enumerate(features.tolist()):
        for rule in policy.fired(vector):
            hits[row] |= 1 << policy.rules.index(rule)
    scores = combined_scores(model_scores, hits, [rule.weight for rule in policy.rules])
    flagged = scores >= policy.thresholds.review
    per_rule = {}
    for bit, rule in enumerate(policy.rules):
        fired = (hits >> bit) & 1 == 1
        per_rule[rule.id] = (int(fired.sum()), int(labels[fired].sum()))
    return RulesOutcome(
        float(average_precision_score(labels, scores)) if labels.any() else float("nan"),
        float(flagged.mean()),
        float((scores >= policy.thresholds.block).mean()),
        float(labels[flagged].mean()) if flagged.any() else float("nan"),
        per_rule,
    )


def compare_rules(
    history: LabelledHistory,
    current: Policy,
    candidate: Policy,
    settings: ReplaySettings,
    *,
    test_days: int = 7,
    console: Console | None = None,
) -> tuple[RulesOutcome, RulesOutcome, int]:
    """Each document's outcome on the last ``test_days`` days, and how many rows."""
    columns = (
        *Progress.get_default_columns()[:1],
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console or Console(stderr=True)) as progress:
        task = progress.add_task("replaying", total=len(history))
        result = replay(
            history, settings, current, progress=lambda done: progress.update(task, completed=done)
        )
    days = history.days
    test = days > days.max() - test_days
    features, model_scores = result.features[test], result.model_scores[test]
    labels = history.labels[test]
    return (
        _outcome(current, features, model_scores, labels),
        _outcome(candidate, features, model_scores, labels),
        int(test.sum()),
    )


def outcome_table(current: RulesOutcome, candidate: RulesOutcome, rows: int) -> Table:
    table = Table(title=f"rules in force vs candidate, on the last days ({rows:,} transactions)")
    table.add_column("measure")
    table.add_column("in force", justify="right")
    table.add_column("candidate", justify="right")
    for name, attribute, form in (
        ("average precision", "average_precision", "{:.3f}"),
        ("reviewed or blocked", "review_share", "{:.2%}"),
        ("blocked", "block_share", "{:.2%}"),
        ("fraud among flagged", "flagged_precision", "{:.1%}"),
    ):
        table.add_row(
            name,
            form.format(getattr(current, attribute)),
            form.format(getattr(candidate, attribute)),
        )
    for rule_id in sorted(current.rules.keys() | candidate.rules.keys()):
        cells = []
        for outcome in (current, candidate):
            hits, frauds = outcome.rules.get(rule_id, (0, 0))
            cells.append(f"{hits:,} hits, {frauds / hits:.0%} fraud" if hits else "-")
        table.add_row(f"rule {rule_id}", *cells)
    return table
