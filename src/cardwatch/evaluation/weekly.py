"""The backtest week by week: how the detector in force did on each week of the replay,
so a change of model (a promotion) or of traffic shows where it happened."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from rich.table import Table

from cardwatch.evaluation.metrics import detection_metrics
from cardwatch.evaluation.replay import ReplayResult
from cardwatch.evaluation.report_format import cell, json_number
from cardwatch.simulation.labelled_file import LabelledHistory

__all__ = ["Week", "week_entry", "weekly", "weekly_table"]

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


def week_entry(week: Week) -> dict[str, Any]:
    """A week as plain JSON values (None where a measure is not defined)."""
    return {
        "week_of": week.starts,
        "rows": week.rows,
        "frauds": week.frauds,
        "average_precision": json_number(week.metrics["average_precision"]),
        "auc_roc": json_number(week.metrics["auc_roc"]),
        "card_precision@100": json_number(week.metrics["card_precision@100"]),
        "flagged_share": json_number(week.flagged_share),
        "blocked_share": json_number(week.blocked_share),
        "alert_precision": json_number(week.alert_precision),
        "model": week.model or None,
    }


#: The columns of the week table: heading, the entry's key, its format.
_COLUMNS = (
    ("transactions", "rows", ","),
    ("frauds", "frauds", ","),
    ("AP", "average_precision", ".3f"),
    ("AUC", "auc_roc", ".3f"),
    ("CP@100", "card_precision@100", ".3f"),
    ("flagged", "flagged_share", ".2%"),
    ("blocked", "blocked_share", ".2%"),
    ("alert precision", "alert_precision", ".1%"),
)


def weekly_table(weeks: Sequence[Mapping[str, Any]], title: str = "Week by week") -> Table:
    """The weeks (:func:`week_entry`), one row each."""
    table = Table(title=title)
    longest = max((len(week["model"] or "none") for week in weeks), default=4)
    table.add_column("week of", no_wrap=True)
    for name, _key, _form in _COLUMNS:
        table.add_column(name, justify="right")
    # a version is read whole: never cut short
    table.add_column("model in force", no_wrap=True, min_width=longest)
    for week in weeks:
        table.add_row(
            week["week_of"],
            *(cell(week[key], form) for _name, key, form in _COLUMNS),
            week["model"] or "none",
        )
    return table
