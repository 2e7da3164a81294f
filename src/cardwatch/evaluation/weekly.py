"""The backtest week by week: how the detector in force did on each week of the replay,
so a change of model (a promotion) or of traffic shows where it happened."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from rich.table import Table

from cardwatch.evaluation.metrics import detection_metrics
from cardwatch.evaluation.replay import ReplayResult
from cardwatch.simulation.labelled_file import LabelledHistory

__all__ = ["Week", "weekly", "weekly_table"]

_WEEK_DAYS = 7


@dataclass(frozen=True, slots=True)
class Week:
    first_day: int  # days since the epoch
    rows: int
    frauds: int
    metrics: dict[str, float]  # NaN where a week has no fraud or nothing else
    flagged_share: float
    blocked_share: float
    alert_precision: float  # NaN: nothing flagged
    model: str  # the model in force at the week's end ("" for none)

    @property
    def starts(self) -> str:
        return str(np.datetime64(self.first_day, "D"))


def weekly(history: LabelledHistory, result: ReplayResult) -> list[Week]:
    """One :class:`Week` per seven days from the first day of ``history``."""
    days = history.days
    if not len(days):
        return []
    first = int(days.min())
    weeks = (days - first) // _WEEK_DAYS
    out = []
    for week in range(int(weeks.max()) + 1):
        rows = np.flatnonzero(weeks == week)
        labels = history.labels[rows]
        frauds = int(labels.sum())
        metrics: dict[str, float] = {
            "auc_roc": math.nan,
            "average_precision": math.nan,
            "card_precision@100": math.nan,
        }
        if 0 < frauds < len(rows):
            cards = [history.users[row] for row in rows.tolist()]
            metrics = detection_metrics(days[rows], cards, result.scores[rows], labels)
        flagged = result.decisions[rows] > 0
        end_ms = int(history.timestamp_ms[rows].max()) if len(rows) else 0
        out.append(
            Week(
                first + week * _WEEK_DAYS,
                len(rows),
                frauds,
                metrics,
                float(flagged.mean()) if len(rows) else math.nan,
                float((result.decisions[rows] == 2).mean()) if len(rows) else math.nan,
                float(labels[flagged].mean()) if flagged.any() else math.nan,
                result.model_at(end_ms),
            )
        )
    return out


def _cell(value: float, form: str) -> str:
    return "-" if math.isnan(value) else format(value, form)


def weekly_table(weeks: list[Week], title: str = "Week by week") -> Table:
    table = Table(title=title)
    longest = max((len(week.model) for week in weeks), default=4)
    for name in (
        "week of",
        "transactions",
        "frauds",
        "AP",
        "AUC",
        "CP@100",
        "flagged",
        "blocked",
        "alert precision",
        "model in force",
    ):
        if name == "model in force":  # a version is read whole: never cut short
            table.add_column(name, no_wrap=True, min_width=longest)
        else:
            table.add_column(name, justify="left" if name == "week of" else "right")
    for week in weeks:
        table.add_row(
            week.starts,
            f"{week.rows:,}",
            f"{week.frauds:,}",
            _cell(week.metrics["average_precision"], ".3f"),
            _cell(week.metrics["auc_roc"], ".3f"),
            _cell(week.metrics["card_precision@100"], ".3f"),
            _cell(week.flagged_share, ".2%"),
            _cell(week.blocked_share, ".2%"),
            _cell(week.alert_precision, ".1%"),
            week.model or "none",
        )
    return table
