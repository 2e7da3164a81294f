"""The backtest's and the rules test's reports: numbers that are defined or say they are
not, the handbook's figures only beside its own world, the thresholds each applied said,
one plain dict for JSON and tables, and tables printed whole when piped."""

from __future__ import annotations

import io
import json
import math
import re
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pytest
from rich.console import Console

from cardwatch.domain.engine.authorization import Outcomes
from cardwatch.domain.engine.budget import AlertBudget
from cardwatch.domain.engine.rules import Thresholds
from cardwatch.domain.engine.state import DAY_MS
from cardwatch.evaluation.backtest import BacktestReport, backtest_report, print_backtest
from cardwatch.evaluation.metrics import handbook_comparable, handbook_world
from cardwatch.evaluation.report_format import (
    UNDEFINED,
    cell,
    json_number,
    report_console,
    signed_cell,
)
from cardwatch.evaluation.rule_report import RuleEffect
from cardwatch.evaluation.rules_test import (
    RulesComparison,
    RulesOutcome,
    print_rules_test,
    rules_test_report,
)
from cardwatch.evaluation.weekly import Week, weekly_table
from cardwatch.simulation.labelled_file import LabelledHistory
from cardwatch.training.model_choice import Challenge

NAN = math.nan
#: A number printed as "nan", or one that rounds to zero printed with a minus sign.
BAD_NUMBER = re.compile(r"\bnan\b|-0\.0*(?![0-9]*[1-9])\b|-0\.0*%", re.IGNORECASE)


def week(first_day: int, model: str, *, frauds: int = 5, flagged: float = 0.01) -> Week:
    metrics = {"auc_roc": 0.81, "average_precision": 0.52, "card_precision@100": 0.2}
    if not frauds:
        metrics = dict.fromkeys(metrics, NAN)
    return Week(first_day, 3_134, frauds, metrics, flagged, flagged / 5, NAN, model)


def report(**changes: Any) -> BacktestReport:
    """A backtest's report as a small replay leaves it: measures undefined here and there,
    an AP change that is noise around zero, a challenge with no champion."""
    values: dict[str, Any] = {
        "rows": 13_623,
        "seconds": 2.0,
        "test_days": 7,
        "test_rows": 2_700,
        "metrics": {"auc_roc": 0.825, "average_precision": 0.705, "card_precision@100": 0.42},
        "retrains": 2,
        "model_average_precision": 0.705,
        "rules": (
            RuleEffect("impossible-travel", 0, 0, 0.705, -1e-12),
            RuleEffect("amount-spike", 7, 7, 0.7049, 0.0001),
        ),
        "flagged_share": 0.0,
        "blocked_share": 0.0,
        "flagged_precision": NAN,
        "weeks": (
            week(17_622, "", frauds=0, flagged=0.0),
            week(17_629, "retrained-2018-04-15"),
        ),
        "retrainings": (
            {"at_ms": 1_523_750_400_000, "rows": 6_000, "frauds": 300},
            {
                "at_ms": 1_524_355_200_000,
                "rows": 9_000,
                "frauds": 500,
                "challenge": Challenge(NAN, 0.5123, 2_000, 90, promoted=True),
            },
        ),
        "authorization": Outcomes(2_700, 2_700, 0, 0, 0),
        "as_deployed": True,
        "budget": AlertBudget(),
    }
    return BacktestReport(**(values | changes))


def printed(entry: dict[str, Any], printer: Any = print_backtest) -> str:
    """What a report prints when piped (its console is not a terminal)."""
    out = io.StringIO()
    printer(entry, report_console(file=out))
    return out.getvalue()


def test_an_undefined_number_is_a_dash_in_a_table_and_null_in_json() -> None:
    assert cell(NAN, ".3f") == cell(None, ".1%") == UNDEFINED == "—"
    assert json_number(NAN) is None and json_number(math.inf) is None and json_number(None) is None
    assert json.dumps({"x": json_number(NAN)}, allow_nan=False) == '{"x": null}'


@pytest.mark.parametrize(
    ("value", "form", "shown"),
    [
        (-1e-9, ".4f", "0.0000"),
        (-0.0, ".3f", "0.000"),
        (-0.00001, ".2%", "0.00%"),
        (0, ",", "0"),
        (1234, ",", "1,234"),
        (-0.0123, ".4f", "-0.0123"),
    ],
)
def test_a_number_that_rounds_to_zero_shows_no_sign(value: float, form: str, shown: str) -> None:
    assert cell(value, form) == shown


def test_a_change_is_signed_unless_it_rounds_to_zero() -> None:
    assert signed_cell(0.0123, ".4f") == "+0.0123"
    assert signed_cell(-0.0123, ".4f") == "-0.0123"
    assert signed_cell(-1e-12, ".4f") == signed_cell(1e-12, ".4f") == "0.0000"
    assert signed_cell(NAN, ".4f") == UNDEFINED
    assert str(json_number(-1e-12)) == "0.0"


def test_no_output_holds_nan_or_a_negative_zero() -> None:
    entry = backtest_report(report())
    text = printed(entry)
    as_json = json.dumps(entry, allow_nan=False)  # JSON has no NaN: refused if any
    assert not BAD_NUMBER.search(text), BAD_NUMBER.search(text)
    assert not BAD_NUMBER.search(as_json) and "-0.0" not in as_json
    # the undefined measures say so: precision of nothing flagged, the missing champion
    assert entry["decisions"]["flagged_precision"] is None
    assert entry["rules"][0]["precision"] is None
    assert entry["rules"][0]["average_precision_change"] == 0.0
    assert entry["retrainings"][1]["challenge"]["champion_average_precision"] is None
    assert re.search(r"fraud among flagged +│ +" + UNDEFINED, text)
    assert "vs champion none (no model in force)" in text


def test_the_handbook_row_is_printed_only_beside_the_handbook_world() -> None:
    # GIVEN a small simulation's backtest: the handbook's figures are not for it
    small = backtest_report(report())
    assert small["published"] == []
    assert "0.869" not in printed(small) and "not shown" in printed(small)
    # WHEN the data is the handbook's world at its published size, tested on a week
    handbook = backtest_report(report(handbook_comparable=True, as_deployed=False))
    (published,) = handbook["published"]
    # THEN its row is printed, with which protocol each figure comes from
    assert published["metrics"] == {
        "auc_roc": 0.869,
        "average_precision": 0.687,
        "card_precision@100": 0.303,
    }
    assert "model-selection protocol" in published["protocol"]
    assert "retrained every 7 days" in published["compared_with"]
    text = printed(handbook)
    assert "published" in text and "0.869" in text and "prequential" in text
    assert "not shown" not in text


def handbook_shaped(
    customers: int = 5_000, terminals: int = 10_000, days: int = 183, start: str = "2018-04-01"
) -> LabelledHistory:
    """The fewest rows that have the shape: every customer and terminal, every day."""
    rows = max(customers, terminals, days)
    first = int(datetime.fromisoformat(start).replace(tzinfo=UTC).timestamp() * 1000)
    day = np.arange(rows) * days // rows
    return LabelledHistory(
        [f"tx-{n}" for n in range(rows)],
        (first + day * DAY_MS + DAY_MS // 2).astype(np.int64),
        [f"C{n % customers:05d}" for n in range(rows)],
        [f"T{n % terminals:05d}" for n in range(rows)],
        [12.5] * rows,
        np.zeros(rows, dtype=np.int8),
    )


def test_the_handbook_world_is_known_by_the_files_shape() -> None:
    assert handbook_world(handbook_shaped())
    assert handbook_world(handbook_shaped(customers=4_988))  # a few never transact
    assert handbook_comparable(handbook_shaped(), 7)
    assert not handbook_comparable(handbook_shaped(), 14)  # not the handbook's test week
    assert not handbook_world(handbook_shaped(customers=250, terminals=500, days=35))
    assert not handbook_world(handbook_shaped(customers=4_000))
    assert not handbook_world(handbook_shaped(days=182))
    assert not handbook_world(handbook_shaped(start="2019-04-01"))
    rich = handbook_shaped()
    rich.extras["channel"] = ["pos"] * len(rich)  # a processor field: not its world
    assert not handbook_world(rich)


def test_the_backtest_says_at_which_thresholds_its_flagged_share_was_cut() -> None:
    budgeted = backtest_report(
        report(flagged_share=0.0038, flagged_precision=0.9, raised_share=0.8)
    )
    decisions = budgeted["decisions"]
    assert decisions["alert_budget"] == {
        "review_share": 0.005,
        "block_share": 0.001,
        "days": 7,
        "min_scores": 1000,
        "applied": True,
        "raised_share": 0.8,
    }
    assert decisions["thresholds"] == {"review": 0.5, "block": 0.9}
    assert "alert budget" in decisions["meaning"] and "rules test" in decisions["meaning"]
    text = printed(budgeted)
    assert re.search(r"alert budget applied +│ +yes, on 80% of the test rows", text)
    assert "cut daily to 0.50% of scores, at least 0.5" in text
    assert "0.38% flagged (0.00% blocked) under the alert budget" in text
    # too few scores for the budget to cut: it is said not to have applied
    small = backtest_report(report(flagged_share=0.2145, raised_share=0.0))
    assert small["decisions"]["alert_budget"]["applied"] is False
    assert "raised no threshold" in small["decisions"]["meaning"]
    text = printed(small)
    assert re.search(r"alert budget applied +│ +no \(it cuts from 1,000 scores", text)
    assert "at the rules' thresholds" in text
    fixed = backtest_report(report(budget=None, thresholds=Thresholds(0.6, 0.95)))
    assert fixed["decisions"]["alert_budget"] is None
    assert "without an alert budget" in fixed["decisions"]["meaning"]
    text = printed(fixed)
    assert re.search(r"alert budget applied +│ +no", text)
    assert re.search(r"review threshold applied +│ +0\.6", text)


def outcome(review: float, flagged: float, precision: float) -> RulesOutcome:
    return RulesOutcome(
        0.7, flagged, flagged / 3, precision, {"amount-spike": (7, 7), "card-testing": (0, 0)},
        Thresholds(review, 0.9),
    )  # fmt: skip


def test_the_rules_test_says_which_thresholds_it_applied_beside_the_backtests_share() -> None:
    # GIVEN the shipped rules and a candidate that raises the review threshold, and the
    # share the replay (the shipped rules under the alert budget) flagged
    comparison = RulesComparison(
        outcome(0.5, 0.1633, 0.2),
        outcome(0.7, 0.0, NAN),
        2_700,
        7,
        AlertBudget(),
        (0.0038, 0.0009),
    )
    entry = rules_test_report(comparison)
    # THEN the report says each document's thresholds, that the budget is not applied,
    # and what the budget flags, side by side
    assert entry["alert_budget_applied"] is False
    assert entry["shipped"]["thresholds"] == {"review": 0.5, "block": 0.9}
    assert entry["candidate"]["thresholds"] == {"review": 0.7, "block": 0.9}
    assert entry["candidate"]["flagged_precision"] is None
    assert entry["shipped_under_alert_budget"] == {
        "flagged_share": 0.0038,
        "blocked_share": 0.0009,
    }
    assert entry["shipped"]["rules"]["card-testing"] == {"hits": 0, "frauds": 0, "precision": None}
    text = printed(entry, print_rules_test)
    assert re.search(r"review threshold applied +│ +0\.5 +│ +0\.7", text)
    assert re.search(r"alert budget applied +│ +no +│ +no", text)
    assert re.search(r"reviewed or blocked +│ +16\.33% +│ +0\.00%", text)
    assert "the alert budget is not applied" in text
    assert "as `cardwatch backtest` measures this file: 0.38% reviewed or blocked" in text
    assert not BAD_NUMBER.search(text)
    json.dumps(entry, allow_nan=False)


def test_the_json_reports_have_stable_keys() -> None:
    entry = backtest_report(report())
    assert list(entry) == [
        "rows",
        "seconds",
        "transactions_per_second",
        "label_delay_days",
        "retrain_every_days",
        "as_deployed",
        "retrains",
        "promoted",
        "duplicates_skipped",
        "test",
        "metrics",
        "model_average_precision",
        "reference_average_precision",
        "decisions",
        "rules",
        "weeks",
        "retrainings",
        "authorization",
        "published",
    ]
    assert json.loads(json.dumps(entry)) == entry  # plain values only
    assert entry["promoted"] == 1 and entry["retrainings"][0]["challenge"] is None
    assert entry["weeks"][0]["model"] is None and entry["weeks"][0]["auc_roc"] is None
    rules = rules_test_report(
        RulesComparison(outcome(0.5, 0.1, 0.2), outcome(0.5, 0.1, 0.2), 10, 7, None)
    )
    assert list(rules) == [
        "rows",
        "test_days",
        "alert_budget_applied",
        "thresholds_applied",
        "shipped",
        "candidate",
        "shipped_under_alert_budget",
    ]
    assert rules["shipped"] == rules["candidate"]


def test_tables_print_whole_when_piped() -> None:
    entry = backtest_report(report())
    # rich on its own falls back to 80 columns when piped, and cuts the week table short
    narrow = io.StringIO()
    Console(file=narrow).print(weekly_table(entry["weeks"]))
    assert "…" in narrow.getvalue()
    # the reports' console fits the content: no cell is cut or folded
    text = printed(entry)
    assert "…" not in text
    assert "week of" in text and "retrained-2018-04-15" in text
    assert "alert precision" in text and "2018-04-08" in text
