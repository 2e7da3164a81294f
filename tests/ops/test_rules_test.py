"""``cardwatch rules test``: a candidate document measured against the shipped rules on
labelled data, before it is published."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from cardwatch.cli.main import main
from cardwatch.domain.engine.rules import Policy, default_policy, rules_text
from cardwatch.evaluation.backtest import backtest, backtest_report
from cardwatch.evaluation.replay import ReplaySettings
from cardwatch.evaluation.rules_test import compare_rules, measure_rules, rules_test_report
from cardwatch.simulation.labelled_file import LabelledHistory


def test_the_same_rules_measure_the_same_and_a_silenced_rule_hits_nothing(
    small_history: LabelledHistory,
) -> None:
    document = json.loads(rules_text())
    silenced = document["rules"][1]["id"]
    for condition in document["rules"][1]["when"]:
        condition["op"], condition["value"] = ">", 1e12  # can never hold
    current, candidate, rows = compare_rules(
        small_history, default_policy(), Policy.from_document(document), ReplaySettings()
    )
    assert rows > 0
    assert candidate.rules[silenced][0] == 0
    same = compare_rules(small_history, default_policy(), default_policy(), ReplaySettings())
    assert same[0] == same[1]
    assert 0 <= current.review_share <= 1 and 0 <= candidate.block_share <= current.review_share + 1


def test_the_command_prints_both_and_refuses_a_bad_document(
    small_csv: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rules = tmp_path / "rules.json"
    rules.write_text(rules_text())
    assert main(["rules", "test", str(rules), str(small_csv), "--json"]) == 0
    report = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert report["shipped"] == report["candidate"] and report["rows"] > 0
    rules.write_text('{"rules": [{"id": "x"}]}')
    assert main(["rules", "test", str(rules), str(small_csv)]) == 2
    assert "rules[0] (x)" in capsys.readouterr().err


def test_the_rules_test_and_the_backtest_each_say_at_which_thresholds_they_flag(
    small_history: LabelledHistory,
) -> None:
    # WHEN the same file is backtested (under the alert budget, and without it) and
    # rules-tested with the shipped rules
    _r, budgeted = backtest(small_history, ReplaySettings())
    _r, fixed = backtest(small_history, replace(ReplaySettings(), budget=None))
    measured = measure_rules(small_history, default_policy(), default_policy(), ReplaySettings())
    # THEN the rules test flags what the document's thresholds alone flag, many times the
    # budget's share, and it says so, beside the backtest's share under the budget
    assert measured.in_force.review_share == fixed.flagged_share
    assert measured.in_force.review_share > 5 * budgeted.flagged_share
    assert measured.in_force_under_budget == (budgeted.flagged_share, budgeted.blocked_share)
    entry = rules_test_report(measured)
    assert entry["alert_budget_applied"] is False
    assert entry["shipped"]["flagged_share"] == backtest_report(fixed)["decisions"]["flagged_share"]
    shares = backtest_report(budgeted)["decisions"]
    assert entry["shipped_under_alert_budget"] == {
        "flagged_share": shares["flagged_share"],
        "blocked_share": shares["blocked_share"],
    }
    assert shares["alert_budget"] is not None and "rules test" in shares["meaning"]
