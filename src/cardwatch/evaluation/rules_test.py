"""``cardwatch rules test FILE DATA.csv``: a candidate rules document against the rules
in force, on labelled data, before anyone publishes it.

The data is replayed once as the backtest does (the engine's features and the retrained
model's scores do not depend on the rules); each document's rules are then applied to
the same feature vectors of the test days, and its scores cut at its own thresholds,
on every test day: the alert budget, which raises the thresholds a backtest and the
deployment apply, is not, so a document's flagged share here is what its thresholds
alone would flag (a backtest's is the budget's, a far smaller share)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn
from rich.table import Table
from sklearn.metrics import average_precision_score

from cardwatch.domain.engine.budget import AlertBudget
from cardwatch.domain.engine.rules import Policy, Thresholds
from cardwatch.evaluation.replay import ReplaySettings, replay
from cardwatch.evaluation.report_format import cell, json_number, report_console
from cardwatch.evaluation.rule_report import combined_scores
from cardwatch.simulation.labelled_file import LabelledHistory

__all__ = [
    "RulesComparison",
    "RulesOutcome",
    "compare_rules",
    "measure_rules",
    "print_rules_test",
    "report_table",
    "rules_test_report",
]


@dataclass(frozen=True, slots=True)
class RulesOutcome:
    average_precision: float
    review_share: float  # scores at or above the document's review threshold
    block_share: float
    flagged_precision: float  # fraud among those reviewed or blocked
    #: rule id -> (hits, frauds among them), on the test days
    rules: dict[str, tuple[int, int]]
    #: the thresholds the shares were cut at: the document's own, on every test day
    thresholds: Thresholds = field(default_factory=Thresholds)


@dataclass(frozen=True, slots=True)
class RulesComparison:
    """Both documents' outcomes on the test days, and what a backtest of the same file
    flags: the replay's own decisions (the shipped rules) under its alert budget."""

    in_force: RulesOutcome
    candidate: RulesOutcome
    rows: int
    test_days: int
    #: the replay's alert budget, which the outcomes' shares are cut without (None: none)
    budget: AlertBudget | None
    #: the shipped rules under that budget: (reviewed or blocked, blocked) shares
    in_force_under_budget: tuple[float, float] | None = None


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
        policy.thresholds,
    )


def measure_rules(
    history: LabelledHistory,
    current: Policy,
    candidate: Policy,
    settings: ReplaySettings,
    *,
    test_days: int = 7,
    console: Console | None = None,
) -> RulesComparison:
    """Each document's outcome on the last ``test_days`` days, beside what the replay
    (the shipped rules, under ``settings``' alert budget) flagged."""
    columns = (
        *Progress.get_default_columns()[:1],
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console or report_console(stderr=True)) as progress:
        task = progress.add_task("replaying", total=len(history))
        result = replay(
            history, settings, current, progress=lambda done: progress.update(task, completed=done)
        )
    days = history.days
    test = days > days.max() - test_days
    features, model_scores = result.features[test], result.model_scores[test]
    labels = history.labels[test]
    decisions = result.decisions[test]
    under_budget = None
    if settings.budget is not None and len(decisions):
        under_budget = (float((decisions > 0).mean()), float((decisions == 2).mean()))
    return RulesComparison(
        _outcome(current, features, model_scores, labels),
        _outcome(candidate, features, model_scores, labels),
        int(test.sum()),
        test_days,
        settings.budget,
        under_budget,
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
    """Each document's outcome on the last ``test_days`` days, and how many rows
    (:func:`measure_rules`, less what the replay flagged)."""
    measured = measure_rules(
        history, current, candidate, settings, test_days=test_days, console=console
    )
    return measured.in_force, measured.candidate, measured.rows


def _applied(budget: AlertBudget | None) -> str:
    """Which thresholds the rules test applied, and why a backtest flags another share."""
    text = (
        "each document's own review and block thresholds, on every test day; the alert "
        "budget is not applied"
    )
    if budget is None:
        return text
    return text + (
        f" (a backtest applies it: thresholds cut each day so that at most "
        f"{budget.review_share:.2%} of the last {budget.days} days' scores are reviewed or "
        f"blocked and {budget.block_share:.2%} blocked, never below the document's, once it "
        f"has {budget.min_scores:,} scores in {budget.days} days; so it flags no larger a "
        "share of the same file, and a smaller one once it cuts)"
    )


def _outcome_entry(outcome: RulesOutcome) -> dict[str, Any]:
    return {
        "thresholds": {"review": outcome.thresholds.review, "block": outcome.thresholds.block},
        "average_precision": json_number(outcome.average_precision),
        "flagged_share": json_number(outcome.review_share),
        "blocked_share": json_number(outcome.block_share),
        "flagged_precision": json_number(outcome.flagged_precision),
        "rules": {
            rule_id: {
                "hits": hits,
                "frauds": frauds,
                "precision": json_number(frauds / hits) if hits else None,
            }
            for rule_id, (hits, frauds) in sorted(outcome.rules.items())
        },
    }


def rules_test_report(comparison: RulesComparison) -> dict[str, Any]:
    """The rules test as plain JSON values under stable keys (numbers as numbers, None
    where a measure is not defined): what ``--json`` prints, and what the table prints."""
    under = comparison.in_force_under_budget
    return {
        "rows": comparison.rows,
        "test_days": comparison.test_days,
        "alert_budget_applied": False,
        "thresholds_applied": _applied(comparison.budget),
        "shipped": _outcome_entry(comparison.in_force),
        "candidate": _outcome_entry(comparison.candidate),
        "shipped_under_alert_budget": None
        if under is None
        else {"flagged_share": json_number(under[0]), "blocked_share": json_number(under[1])},
    }


#: The measures of the table: heading, the outcome entry's key, its format.
_MEASURES = (
    ("average precision", "average_precision", ".3f"),
    ("reviewed or blocked", "flagged_share", ".2%"),
    ("blocked", "blocked_share", ".2%"),
    ("fraud among flagged", "flagged_precision", ".1%"),
)


def _rule_cell(outcome: dict[str, Any], rule_id: str) -> str:
    rule = outcome["rules"].get(rule_id)
    if not rule or not rule["hits"]:
        return "no hits"
    return f"{rule['hits']:,} hits, {cell(rule['precision'], '.0%')} fraud"


def report_table(entry: dict[str, Any]) -> Table:
    """The rules test's table, from its report (:func:`rules_test_report`)."""
    current, candidate = entry["shipped"], entry["candidate"]
    table = Table(
        title=f"shipped rules vs candidate, on the last {entry['test_days']} days "
        f"({entry['rows']:,} transactions)"
    )
    table.add_column("measure")
    table.add_column("shipped", justify="right")
    table.add_column("candidate", justify="right")
    for name, key in (("review threshold applied", "review"), ("block threshold applied", "block")):
        table.add_row(name, *(f"{o['thresholds'][key]:g}" for o in (current, candidate)))
    table.add_row("alert budget applied", "no", "no")
    for name, key, form in _MEASURES:
        table.add_row(name, *(cell(o[key], form) for o in (current, candidate)))
    for rule_id in sorted(current["rules"].keys() | candidate["rules"].keys()):
        table.add_row(f"rule {rule_id}", *(_rule_cell(o, rule_id) for o in (current, candidate)))
    return table


def print_rules_test(entry: dict[str, Any], console: Console) -> None:
    """The rules test's table, and which thresholds it applied."""
    console.print(report_table(entry))
    console.print(f"thresholds applied: {entry['thresholds_applied']}")
    under = entry["shipped_under_alert_budget"]
    if under is not None:
        console.print(
            "the shipped rules under the alert budget, as `cardwatch backtest` measures "
            f"this file: {cell(under['flagged_share'], '.2%')} reviewed or blocked, "
            f"{cell(under['blocked_share'], '.2%')} blocked"
        )
