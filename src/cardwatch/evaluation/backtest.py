"""``cardwatch backtest``: replay, score every row, and measure the last days."""

from __future__ import annotations

import csv
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn
from rich.table import Table

from cardwatch.domain.engine.authorization import Outcomes
from cardwatch.domain.engine.rules import Policy, default_policy
from cardwatch.evaluation.metrics import HANDBOOK_BASELINES, detection_metrics
from cardwatch.evaluation.replay import (
    DECISION_CODES,
    LabelledHistory,
    ReplayResult,
    ReplaySettings,
    load_history,
)
from cardwatch.evaluation.replay import replay as run_replay
from cardwatch.evaluation.rule_report import RuleEffect, rule_effects
from cardwatch.evaluation.weekly import Week, weekly, weekly_table

__all__ = ["BacktestReport", "authorization_table", "backtest", "run_backtest"]


@dataclass(frozen=True, slots=True)
class BacktestReport:
    rows: int
    seconds: float
    test_days: int
    test_rows: int
    metrics: dict[str, float]
    retrains: int
    #: average precision of the model's score alone, and each rule's effect on the test days
    model_average_precision: float = float("nan")
    rules: tuple[RuleEffect, ...] = ()
    #: shares of the test days' transactions sent to review or block, and to block
    flagged_share: float = float("nan")
    blocked_share: float = float("nan")
    flagged_precision: float = float("nan")
    #: a larger model's average precision on the same test days (``--reference``)
    reference_average_precision: float = float("nan")
    weeks: tuple[Week, ...] = ()
    #: each retraining: when, on how many rows, and (as deployed) how its challenge went
    retrainings: tuple[dict[str, Any], ...] = ()
    #: the test days' answers had every payment asked ``POST /decisions``
    authorization: Outcomes | None = None

    @property
    def transactions_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds else float("nan")


def backtest(
    history: LabelledHistory,
    settings: ReplaySettings,
    test_days: int = 7,
    progress: Progress | None = None,
    policy: Policy | None = None,
    *,
    reference: bool = False,
) -> tuple[ReplayResult, BacktestReport]:
    task = progress.add_task("replaying", total=len(history)) if progress else None

    def advance(done: int) -> None:
        if progress is not None and task is not None:
            progress.update(task, completed=done)

    started = time.perf_counter()
    policy = policy or default_policy()
    result = run_replay(history, settings, policy, progress=advance)
    seconds = time.perf_counter() - started
    days = history.days
    test = days > days.max() - test_days
    cards = [user for user, keep in zip(history.users, test.tolist(), strict=True) if keep]
    labels = history.labels[test]
    metrics = detection_metrics(days[test], cards, result.scores[test], labels)
    model_alone, _with_rules, effects = rule_effects(
        policy, result.model_scores[test], result.rule_hits[test], labels
    )
    reference_ap = float("nan")
    if reference:
        from cardwatch.evaluation.reference import reference_average_precision  # noqa: PLC0415

        reference_ap = reference_average_precision(
            history, result.features, test, settings.label_delay_days
        )
    return result, BacktestReport(
        len(history),
        seconds,
        test_days,
        int(test.sum()),
        metrics,
        len(result.retrains),
        model_alone,
        tuple(effects),
        *_decision_shares(result.decisions[test], labels),
        reference_ap,
        tuple(weekly(history, result)),
        tuple(result.retrains),
        _outcomes(cards, labels, result.decisions[test]),
    )


_DECISIONS = {code: decision for decision, code in DECISION_CODES.items()}


def _outcomes(cards: list[str], labels: NDArray[np.int8], decisions: NDArray[np.int8]) -> Outcomes:
    """The test days' payments (in time order) as answers at authorization time."""
    return Outcomes.tally(
        zip(
            cards,
            (bool(label) for label in labels.tolist()),
            (_DECISIONS[code] for code in decisions.tolist()),
            strict=True,
        )
    )


def authorization_table(outcomes: Outcomes, title: str) -> Table:
    """What the answers would have done: shares approved, challenged and declined, and
    when the frauds were stopped."""
    table = Table(title=title)
    table.add_column("measure")
    table.add_column("value", justify="right")
    whole = max(outcomes.payments, 1)
    frauds = max(outcomes.frauds, 1)
    for name, part, of in (
        ("approved", outcomes.approved, whole),
        ("challenged (review: 3-D Secure or hold)", outcomes.challenged, whole),
        ("declined (block)", outcomes.declined, whole),
        ("fraud stopped at authorization", outcomes.fraud_at_authorization, frauds),
        ("fraud stopped after the fact (a later payment)", outcomes.fraud_after_the_fact, frauds),
        ("fraud missed", outcomes.fraud_missed, frauds),
    ):
        table.add_row(name, f"{part:,} ({part / of:.2%})")
    return table


def _decision_shares(
    decisions: NDArray[np.int8], labels: NDArray[np.int8]
) -> tuple[float, float, float]:
    if not len(decisions):
        return float("nan"), float("nan"), float("nan")
    flagged = decisions > 0
    precision = float(labels[flagged].mean()) if flagged.any() else float("nan")
    return float(flagged.mean()), float((decisions == 2).mean()), precision


def _table(report: BacktestReport) -> Table:
    table = Table(
        title=f"Detection on the last {report.test_days} days ({report.test_rows:,} transactions)"
    )
    table.add_column("model")
    for name in report.metrics:
        table.add_column(name, justify="right")
    table.add_row("cardwatch", *(f"{value:.3f}" for value in report.metrics.values()))
    for name, published in HANDBOOK_BASELINES.items():
        table.add_row(
            name, *(f"{published.get(metric, float('nan')):.3f}" for metric in report.metrics)
        )
    return table


def _rules_table(report: BacktestReport) -> Table:
    table = Table(
        title=f"Rules on the test days (the model alone: AP {report.model_average_precision:.3f})"
    )
    for name in ("rule", "hits", "precision", "AP without it", "AP change"):
        table.add_column(name, justify="left" if name == "rule" else "right")
    for effect in report.rules:
        table.add_row(
            effect.rule_id,
            f"{effect.hits:,}",
            f"{effect.precision:.3f}",
            f"{effect.average_precision_without:.4f}",
            f"{effect.average_precision_change:+.4f}",
        )
    return table


def write_scores(path: Path, history: LabelledHistory, result: ReplayResult) -> None:
    """``transaction_id,score,decision,reasons``: reason codes joined by ``|``."""
    names = {code: decision.value for decision, code in DECISION_CODES.items()}
    with path.open("w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["transaction_id", "score", "decision", "reasons"])
        reasons = result.reasons
        for index, (transaction_id, score, decision) in enumerate(
            zip(
                history.transaction_ids,
                np.round(result.scores, 6).tolist(),
                result.decisions.tolist(),
                strict=True,
            )
        ):
            writer.writerow([transaction_id, score, names[decision], reasons.get(index, "")])


def run_backtest(
    data: Path,
    scores_out: Path | None,
    settings: ReplaySettings,
    test_days: int = 7,
    console: Console | None = None,
    *,
    reference: bool = False,
) -> BacktestReport:
    console = console or Console()
    history = load_history(data)
    columns = (
        *Progress.get_default_columns()[:1],
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console, transient=False) as progress:
        result, report = backtest(history, settings, test_days, progress, reference=reference)
    if scores_out is not None:
        write_scores(scores_out, history, result)
    console.print(weekly_table(list(report.weeks)))
    for retraining in report.retrainings:
        if "challenge" in retraining:
            when = np.datetime64(retraining["at_ms"], "ms").astype("datetime64[D]")
            console.print(f"retrained {when}: {retraining['challenge'].describe()}")
    console.print(_table(report))
    console.print(_rules_table(report))
    if report.authorization is not None:
        console.print(
            authorization_table(
                report.authorization,
                f"Answered at authorization (POST /decisions), the last {report.test_days} days",
            )
        )
    if reference:
        ap = report.metrics["average_precision"]
        console.print(
            f"reference (a larger gradient-boosted model on the same features and the raw "
            f"fields, fitted on the labels visible at the test's start, 3 seeds): AP "
            f"{report.reference_average_precision:.3f}; cardwatch {ap:.3f} = "
            f"{ap / report.reference_average_precision:.2f} of it"
        )
    promoted = sum(bool(r.get("challenge") and r["challenge"].promoted) for r in report.retrainings)
    console.print(
        f"{report.rows:,} transactions in {report.seconds:.1f} s "
        f"({report.transactions_per_second:,.0f} per second), "
        f"label delay {settings.label_delay_days:g} days, "
        f"{report.retrains} retrainings on visible labels only"
        + (f" ({promoted} promoted)" if settings.promotion is not None else "")
        + "; test days: "
        f"{report.flagged_share:.2%} flagged ({report.blocked_share:.2%} blocked), "
        f"{report.flagged_precision:.1%} of them fraud"
        + (f", {result.duplicates} repeated ids skipped" if result.duplicates else "")
    )
    return report
