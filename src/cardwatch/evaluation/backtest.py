"""``cardwatch backtest``: replay, score every row, and measure the last days."""

from __future__ import annotations

import csv
import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn
from rich.table import Table

from cardwatch.domain.engine.authorization import Outcomes
from cardwatch.domain.engine.budget import AlertBudget
from cardwatch.domain.engine.rules import Policy, Thresholds, default_policy
from cardwatch.evaluation.metrics import (
    HANDBOOK_BASELINES,
    HANDBOOK_PROTOCOL,
    detection_metrics,
    handbook_comparable,
)
from cardwatch.evaluation.replay import (
    DECISION_CODES,
    LabelledHistory,
    ReplayResult,
    ReplaySettings,
    load_history,
)
from cardwatch.evaluation.replay import replay as run_replay
from cardwatch.evaluation.report_format import (
    cell,
    json_number,
    report_console,
    signed_cell,
)
from cardwatch.evaluation.rule_report import RuleEffect, rule_effects
from cardwatch.evaluation.weekly import Week, week_entry, weekly, weekly_table

__all__ = [
    "BacktestReport",
    "authorization_table",
    "backtest",
    "backtest_report",
    "print_backtest",
    "run_backtest",
]


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
    #: how the replay ran: labels' delay, retraining period, challengers or not
    label_delay_days: float = 7.0
    retrain_every_days: float = 7.0
    as_deployed: bool = False
    duplicates: int = 0
    #: the rule document's thresholds, and the alert budget that raised them (None: the
    #: document's thresholds were applied as they are)
    thresholds: Thresholds = field(default_factory=Thresholds)
    budget: AlertBudget | None = None
    #: the test rows judged at thresholds the budget raised (0: it never did, too few
    #: recent scores for it to cut: the document's thresholds held)
    raised_share: float = 0.0
    #: the data is the handbook's simulated world at its published size and the test a
    #: week: its published figures may be printed beside ours
    handbook_comparable: bool = False

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
    flagged_share, blocked_share, flagged_precision = _decision_shares(
        result.decisions[test], labels
    )
    return result, BacktestReport(
        rows=len(history),
        seconds=seconds,
        test_days=test_days,
        test_rows=int(test.sum()),
        metrics=metrics,
        retrains=len(result.retrains),
        model_average_precision=model_alone,
        rules=tuple(effects),
        flagged_share=flagged_share,
        blocked_share=blocked_share,
        flagged_precision=flagged_precision,
        reference_average_precision=reference_ap,
        weeks=tuple(weekly(history, result)),
        retrainings=tuple(result.retrains),
        authorization=_outcomes(cards, labels, result.decisions[test]),
        label_delay_days=settings.label_delay_days,
        retrain_every_days=settings.retrain_every_days,
        as_deployed=settings.promotion is not None,
        duplicates=result.duplicates,
        thresholds=policy.thresholds,
        budget=settings.budget,
        raised_share=float(result.raised[test].mean()) if test.any() else 0.0,
        handbook_comparable=handbook_comparable(history, test_days),
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


def _decision_shares(
    decisions: NDArray[np.int8], labels: NDArray[np.int8]
) -> tuple[float, float, float]:
    if not len(decisions):
        return float("nan"), float("nan"), float("nan")
    flagged = decisions > 0
    precision = float(labels[flagged].mean()) if flagged.any() else float("nan")
    return float(flagged.mean()), float((decisions == 2).mean()), precision


_COMPARISON_NOTE = (
    "the handbook's published figures are not shown: they are for its own simulated "
    "world (5,000 customers, 10,000 terminals, 183 days from 2018-04-01) tested on a "
    "week, and this is not that"
)


def _promoted(report: BacktestReport) -> int:
    return sum(bool(r.get("challenge") and r["challenge"].promoted) for r in report.retrainings)


def _days_text(days: float) -> str:
    return f"{days:g} days"


def _our_protocol(report: BacktestReport) -> str:
    """How this backtest measured, in the words the handbook's protocol is said in."""
    retrains = 0 < report.retrain_every_days < math.inf
    learning = (
        f"retrained every {_days_text(report.retrain_every_days)} on the labels visible "
        f"{_days_text(report.label_delay_days)} after their transaction"
        if retrains
        else "never retrained"
    )
    start = (
        "the shipped model from the first transaction, each retrained model promoted only "
        "when it beats the model in force; "
        if report.as_deployed
        else ""
    )
    return (
        f"cardwatch's backtest: every transaction scored in time order, {start}{learning}, "
        f"no hyperparameter search; measured on the file's last {report.test_days} days"
    )


def _published(report: BacktestReport) -> list[dict[str, Any]]:
    """The handbook's published figures, when they may be compared (else none)."""
    if not report.handbook_comparable:
        return []
    return [
        {
            "name": name,
            "metrics": {metric: json_number(figures.get(metric)) for metric in report.metrics},
            "protocol": HANDBOOK_PROTOCOL,
            "compared_with": _our_protocol(report),
        }
        for name, figures in HANDBOOK_BASELINES.items()
    ]


def _decisions_meaning(
    thresholds: Thresholds, budget: AlertBudget | None, raised_share: float = 1.0
) -> str:
    """What the flagged share of a backtest is: at which thresholds it was cut."""
    document = f"review {thresholds.review:g}, block {thresholds.block:g}"
    if budget is not None and raised_share == 0:
        return (
            f"the replay's decisions at the rule document's thresholds ({document}): the "
            f"alert budget cuts only from {budget.min_scores:,} scores in {budget.days} "
            "days, which these test days never had, so it raised no threshold"
        )
    if budget is None:
        return (
            f"the replay's decisions at the rule document's thresholds ({document}) on "
            "every test day, without an alert budget"
        )
    return (
        "the replay's decisions as the deployment makes them, under the alert budget: "
        f"thresholds cut each day so that at most {budget.review_share:.2%} of the last "
        f"{budget.days} days' scores are reviewed or blocked and {budget.block_share:.2%} "
        f"blocked, never below the rule document's ({document}); `cardwatch rules test` "
        "cuts at the document's thresholds alone, so it flags a larger share of the same file"
    )


def _decisions_entry(report: BacktestReport) -> dict[str, Any]:
    budget = report.budget
    return {
        "flagged_share": json_number(report.flagged_share),
        "blocked_share": json_number(report.blocked_share),
        "flagged_precision": json_number(report.flagged_precision),
        "thresholds": {"review": report.thresholds.review, "block": report.thresholds.block},
        "alert_budget": None
        if budget is None
        else {
            "review_share": budget.review_share,
            "block_share": budget.block_share,
            "days": budget.days,
            "min_scores": budget.min_scores,
            "applied": report.raised_share > 0,
            "raised_share": json_number(report.raised_share),
        },
        "meaning": _decisions_meaning(report.thresholds, budget, report.raised_share),
    }


def _rule_entry(effect: RuleEffect) -> dict[str, Any]:
    return {
        "rule_id": effect.rule_id,
        "hits": effect.hits,
        "frauds": effect.frauds,
        "precision": json_number(effect.precision),
        "average_precision_without": json_number(effect.average_precision_without),
        "average_precision_change": json_number(effect.average_precision_change),
    }


def _retraining_entry(retraining: dict[str, Any]) -> dict[str, Any]:
    when = np.datetime64(retraining["at_ms"], "ms").astype("datetime64[D]")
    verdict = retraining.get("challenge")
    return {
        "at": str(when),
        "rows": retraining.get("rows"),
        "frauds": retraining.get("frauds"),
        "challenge": None
        if verdict is None
        else {
            "champion_average_precision": json_number(verdict.champion_ap),
            "challenger_average_precision": json_number(verdict.challenger_ap),
            "rows": verdict.rows,
            "frauds": verdict.frauds,
            "promoted": verdict.promoted,
        },
    }


def _authorization_entry(outcomes: Outcomes) -> dict[str, Any]:
    return outcomes.as_dict() | {
        "approved": outcomes.approved,
        "challenged": outcomes.challenged,
        "declined": outcomes.declined,
    }


def backtest_report(report: BacktestReport) -> dict[str, Any]:
    """The backtest as plain JSON values under stable keys (numbers as numbers, None
    where a measure is not defined): what ``--json`` prints, and what the tables print."""
    return {
        "rows": report.rows,
        "seconds": json_number(report.seconds, 3),
        "transactions_per_second": json_number(report.transactions_per_second, 1),
        "label_delay_days": json_number(report.label_delay_days),
        "retrain_every_days": json_number(report.retrain_every_days),
        "as_deployed": report.as_deployed,
        "retrains": report.retrains,
        "promoted": _promoted(report) if report.as_deployed else None,
        "duplicates_skipped": report.duplicates,
        "test": {"days": report.test_days, "rows": report.test_rows},
        "metrics": {name: json_number(value) for name, value in report.metrics.items()},
        "model_average_precision": json_number(report.model_average_precision),
        "reference_average_precision": json_number(report.reference_average_precision),
        "decisions": _decisions_entry(report),
        "rules": [_rule_entry(effect) for effect in report.rules],
        "weeks": [week_entry(week) for week in report.weeks],
        "retrainings": [_retraining_entry(entry) for entry in report.retrainings],
        "authorization": None
        if report.authorization is None
        else _authorization_entry(report.authorization),
        "published": _published(report),
    }


def _detection_table(entry: dict[str, Any]) -> Table:
    test = entry["test"]
    days, rows = test["days"], test["rows"]
    table = Table(title=f"Detection on the last {days} days ({rows:,} transactions)")
    table.add_column("model")
    for name in entry["metrics"]:
        table.add_column(name, justify="right")
    table.add_row("cardwatch", *(cell(value, ".3f") for value in entry["metrics"].values()))
    for published in entry["published"]:
        table.add_row(
            f"{published['name']}, published",
            *(cell(published["metrics"].get(name), ".3f") for name in entry["metrics"]),
        )
    return table


def _rules_table(entry: dict[str, Any]) -> Table:
    alone = cell(entry["model_average_precision"], ".3f")
    table = Table(title=f"Rules on the test days (the model alone: AP {alone})")
    for name in ("rule", "hits", "precision", "AP without it", "AP change"):
        table.add_column(name, justify="left" if name == "rule" else "right")
    for rule in entry["rules"]:
        table.add_row(
            rule["rule_id"],
            f"{rule['hits']:,}",
            cell(rule["precision"], ".3f"),
            cell(rule["average_precision_without"], ".4f"),
            signed_cell(rule["average_precision_change"], ".4f"),
        )
    return table


def _threshold_cells(decisions: dict[str, Any]) -> list[tuple[str, str]]:
    """The thresholds a backtest applied, as the rules test says its own."""
    thresholds, budget = decisions["thresholds"], decisions["alert_budget"]
    if budget is None or not budget["applied"]:
        why = (
            "no"
            if budget is None
            else f"no (it cuts from {budget['min_scores']:,} scores in {budget['days']} days; "
            "the test days had fewer)"
        )
        return [
            ("review threshold applied", f"{thresholds['review']:g}"),
            ("block threshold applied", f"{thresholds['block']:g}"),
            ("alert budget applied", why),
        ]
    review, block = thresholds["review"], thresholds["block"]
    return [
        (
            "review threshold applied",
            f"cut daily to {budget['review_share']:.2%} of scores, at least {review:g}",
        ),
        (
            "block threshold applied",
            f"cut daily to {budget['block_share']:.2%} of scores, at least {block:g}",
        ),
        (
            "alert budget applied",
            f"yes, on {budget['raised_share']:.0%} of the test rows "
            f"(the last {budget['days']} days' scores)",
        ),
    ]


def _decisions_table(entry: dict[str, Any]) -> Table:
    decisions = entry["decisions"]
    table = Table(title=f"Decisions on the last {entry['test']['days']} days")
    table.add_column("measure")
    table.add_column("value", justify="right")
    for name, value in (
        *_threshold_cells(decisions),
        ("reviewed or blocked", cell(decisions["flagged_share"], ".2%")),
        ("blocked", cell(decisions["blocked_share"], ".2%")),
        ("fraud among flagged", cell(decisions["flagged_precision"], ".1%")),
    ):
        table.add_row(name, value)
    return table


def _authorization_rows(entry: dict[str, Any]) -> list[tuple[str, int, int]]:
    """(measure, count, of how many) of an authorization entry."""
    whole, frauds = entry["payments"], entry["frauds"]
    return [
        ("approved", entry["approved"], whole),
        ("challenged (review: 3-D Secure or hold)", entry["challenged"], whole),
        ("declined (block)", entry["declined"], whole),
        ("fraud stopped at authorization", entry["fraud_stopped_at_authorization"], frauds),
        (
            "fraud stopped after the fact (a later payment)",
            entry["fraud_stopped_after_the_fact"],
            frauds,
        ),
        ("fraud missed", entry["fraud_missed"], frauds),
    ]


def _authorization_table(entry: dict[str, Any], title: str) -> Table:
    table = Table(title=title)
    table.add_column("measure")
    table.add_column("value", justify="right")
    for name, part, of in _authorization_rows(entry):
        table.add_row(name, f"{part:,} ({cell(part / of if of else None, '.2%')})")
    return table


def authorization_table(outcomes: Outcomes, title: str) -> Table:
    """What the answers would have done: shares approved, challenged and declined, and
    when the frauds were stopped."""
    return _authorization_table(_authorization_entry(outcomes), title)


def _retraining_line(retraining: dict[str, Any]) -> str | None:
    verdict = retraining["challenge"]
    if verdict is None:
        return None
    outcome = "promoted" if verdict["promoted"] else "kept the champion"
    champion = verdict["champion_average_precision"]
    return (
        f"retrained {retraining['at']}: challenger AP "
        f"{cell(verdict['challenger_average_precision'], '.3f')} vs champion "
        f"{cell(champion, '.3f') if champion is not None else 'none (no model in force)'} "
        f"on {verdict['rows']:,} rows ({verdict['frauds']} frauds): {outcome}"
    )


def _reference_line(entry: dict[str, Any]) -> str:
    ours, reference = entry["metrics"]["average_precision"], entry["reference_average_precision"]
    share = ours / reference if ours is not None and reference else None
    return (
        "reference (a larger gradient-boosted model on the same features and the raw "
        "fields, fitted on the labels visible at the test's start, 3 seeds): AP "
        f"{cell(reference, '.3f')}; cardwatch {cell(ours, '.3f')} = {cell(share, '.2f')} of it"
    )


def _summary_line(entry: dict[str, Any]) -> str:
    decisions = entry["decisions"]
    promoted = "" if entry["promoted"] is None else f" ({entry['promoted']} promoted)"
    applied = decisions["alert_budget"] and decisions["alert_budget"]["applied"]
    budget = "under the alert budget" if applied else "at the rules' thresholds"
    skipped = entry["duplicates_skipped"]
    return (
        f"{entry['rows']:,} transactions in {cell(entry['seconds'], '.1f')} s "
        f"({cell(entry['transactions_per_second'], ',.0f')} per second), "
        f"label delay {cell(entry['label_delay_days'], 'g')} days, "
        f"{entry['retrains']} retrainings on visible labels only{promoted}; test days: "
        f"{cell(decisions['flagged_share'], '.2%')} flagged "
        f"({cell(decisions['blocked_share'], '.2%')} blocked) {budget}, "
        f"{cell(decisions['flagged_precision'], '.1%')} of them fraud"
        + (f", {skipped} repeated ids skipped" if skipped else "")
    )


def print_backtest(entry: dict[str, Any], console: Console) -> None:
    """The backtest's tables and lines, from its report (:func:`backtest_report`)."""
    console.print(weekly_table(entry["weeks"]))
    for retraining in entry["retrainings"]:
        line = _retraining_line(retraining)
        if line is not None:
            console.print(line)
    console.print(_detection_table(entry))
    for published in entry["published"]:
        console.print(
            f"{published['name']}: {published['protocol']}; against {published['compared_with']}"
        )
    if not entry["published"]:
        console.print(_COMPARISON_NOTE)
    console.print(_rules_table(entry))
    console.print(_decisions_table(entry))
    console.print(f"flagged: {entry['decisions']['meaning']}")
    if entry["authorization"] is not None:
        days = entry["test"]["days"]
        title = f"Answered at authorization (POST /decisions), the last {days} days"
        console.print(_authorization_table(entry["authorization"], title))
    if entry["reference_average_precision"] is not None:
        console.print(_reference_line(entry))
    console.print(_summary_line(entry))


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
    as_json: bool = False,
) -> BacktestReport:
    """Backtest ``data`` and print its report's tables; ``as_json``: print nothing on
    standard output (the progress goes to standard error), the caller prints
    :func:`backtest_report` of the report returned."""
    console = console or report_console(stderr=as_json)
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
    if not as_json:
        print_backtest(backtest_report(report), console)
    return report
