"""The backtest: every row scored, labels never seen early, metrics computed."""

import csv
import io
import json
import re
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest

from cardwatch.cli.main import main
from cardwatch.domain.engine.features import FEATURES
from cardwatch.domain.transaction.card import CardTokenizer
from cardwatch.domain.transaction.validation import TransactionParser, contract_problems
from cardwatch.evaluation.backtest import (
    backtest,
    backtest_report,
    print_backtest,
    run_backtest,
)
from cardwatch.evaluation.replay import LabelledHistory, ReplaySettings, load_history, replay
from cardwatch.evaluation.report_format import json_number, report_console
from cardwatch.simulation.traffic import csv_traffic

SETTINGS = ReplaySettings(label_delay_days=7, retrain_every_days=7)


def test_changing_a_test_window_label_changes_no_score_in_that_window(
    small_history: LabelledHistory,
) -> None:
    # GIVEN the last 7 days as the test window
    days = small_history.days
    test = days > days.max() - 7
    # WHEN every label in that window is flipped
    flipped = replace(
        small_history,
        labels=np.where(test, 1 - small_history.labels, small_history.labels).astype(np.int8),
    )
    before, after = replay(small_history, SETTINGS), replay(flipped, SETTINGS)
    # THEN not one score in the window moves (and the run did retrain on earlier labels)
    assert before.retrains
    assert np.array_equal(before.scores[test], after.scores[test])


def test_a_label_seen_earlier_would_change_scores(small_history: LabelledHistory) -> None:
    # The check above can fail: with labels visible at once, flipping them shows.
    days = small_history.days
    test = days > days.max() - 14
    flipped = replace(
        small_history,
        labels=np.where(test, 1 - small_history.labels, small_history.labels).astype(np.int8),
    )
    instant = replace(SETTINGS, label_delay_days=0.01)
    assert not np.array_equal(
        replay(small_history, instant).scores[test], replay(flipped, instant).scores[test]
    )


def test_the_engine_learns_beyond_chance(small_history: LabelledHistory) -> None:
    _result, report = backtest(small_history, SETTINGS, test_days=7)
    assert report.metrics["auc_roc"] > 0.75
    assert report.metrics["average_precision"] > 0.3


def test_the_command_writes_a_score_for_every_row(small_csv: Path, tmp_path: Path) -> None:
    scores = tmp_path / "scores.csv"
    assert (
        main(["backtest", str(small_csv), "--label-delay-days", "7", "--scores-out", str(scores)])
        == 0
    )
    with scores.open() as file:
        rows = list(csv.DictReader(file))
    assert list(rows[0]) == ["transaction_id", "score", "decision", "reasons"]
    assert len(rows) == len(small_csv.read_text().splitlines()) - 1
    # a flagged row scored at least the rules' review threshold (the budget only raises
    # it), and says why in codes joined by "|"
    assert {row["decision"] for row in rows} == {"approve", "review", "block"}
    for row in rows:
        assert float(row["score"]) >= 0.5 or row["decision"] == "approve"
        assert bool(row["reasons"]) <= (row["decision"] != "approve")
    flagged = [row for row in rows if row["decision"] != "approve"]
    assert sum(bool(row["reasons"]) for row in flagged) > 0.9 * len(flagged)
    assert all(
        re.fullmatch(r"[A-Z_]+(\|[A-Z_]+)*", row["reasons"]) for row in flagged if row["reasons"]
    )


@pytest.mark.parametrize(
    ("stamps", "labels"),
    [
        (["2018-04-01T00:00:31Z", "2018-04-01T10:00:00.5Z"], ["0", "1"]),
        (["2018-04-01T00:00:31+00:00", "2018-04-01T10:00:00.5+00:00"], ["0.0", "1.0"]),
        (["2018-04-01 00:00:31", "2018-04-01 10:00:00.500"], ["False", "True"]),
        (["2018-04-01T02:00:31+02:00", "2018-04-01T05:00:00.5-05:00"], ["0", "1"]),
    ],
)
def test_other_generators_timestamps_and_labels_are_read_alike(
    tmp_path: Path, stamps: list[str], labels: list[str]
) -> None:
    # GIVEN the same two rows written as another generator might (a missing zone is UTC)
    path = tmp_path / "data.csv"
    rows = [
        f"t{n},{stamp},u,m,1.50,{label},extra"
        for n, (stamp, label) in enumerate(zip(stamps, labels, strict=True))
    ]
    path.write_text(
        "transaction_id,timestamp,user_id,terminal_id,amount,is_fraud,note\n"
        + "\n".join(rows)
        + "\n"
    )
    # WHEN it is loaded
    history = load_history(path)
    # THEN the instants and labels are the same
    assert history.timestamp_ms.tolist() == [1522540831000, 1522576800500]
    assert history.labels.tolist() == [0, 1]


def test_a_label_that_is_not_zero_or_one_is_named(tmp_path: Path) -> None:
    path = tmp_path / "data.csv"
    path.write_text(
        "transaction_id,timestamp,user_id,terminal_id,amount,is_fraud\n"
        "t1,2018-04-01T00:00:00Z,u,m,1.50,maybe\n"
    )
    with pytest.raises(ValueError, match="line 2, column is_fraud: must be 0 or 1") as caught:
        load_history(path)
    assert "maybe" not in str(caught.value)


def test_coordinates_in_the_file_feed_geo_velocity(tmp_path: Path) -> None:
    # GIVEN a card used in New York, then in London an hour later; a third row has none
    path = tmp_path / "data.csv"
    path.write_text(
        "transaction_id,timestamp,user_id,terminal_id,amount,is_fraud,latitude,longitude\n"
        "t1,2018-04-01T10:00:00Z,u,ny,20.00,0,40.7128,-74.0060\n"
        "t2,2018-04-01T11:00:00Z,u,london,20.00,1,51.5074,-0.1278\n"
        "t3,2018-04-01T11:30:00Z,v,shop,20.00,0,,\n"
    )
    # WHEN it is replayed
    history = load_history(path)
    result = replay(history, SETTINGS)
    # THEN the second use travelled about 5,570 km in an hour; the others did not move
    speed = result.features[:, FEATURES.index("c_geo_speed_kmh")]
    assert speed[1] == pytest.approx(5570, rel=0.01)
    assert np.isnan(speed[0]) and np.isnan(speed[2])
    assert history.latitudes == [40.7128, 51.5074, None]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("transaction_id,timestamp,user_id,amount\n", "no column terminal_id, is_fraud"),
        (
            "transaction_id,timestamp,user_id,terminal_id,amount,is_fraud\nt1,2018-04-01\n",
            "line 2: too few fields",
        ),
        (
            "transaction_id,timestamp,user_id,terminal_id,amount,is_fraud\n"
            "t1,2018-04-01T00:00:00Z,u,m,1.00,0\n"
            "t2,2018-04-01T00:00:00Z,u,m,twelve,0\n",
            "line 3, column amount: must be a positive decimal number",
        ),
        (
            "transaction_id,timestamp,user_id,terminal_id,amount,is_fraud\n"
            "t1,2018-04-01T00:00:00Z,u,m,-4.00,0\n",
            "line 2, column amount: must be a positive decimal number",
        ),
        (
            "transaction_id,timestamp,user_id,terminal_id,amount,is_fraud\n"
            "t1,2018-04-01T00:00:00Z,u,m,1.00,0\n"
            "t2,yesterday,u,m,1.00,0\n",
            "line 3, column timestamp: is not an ISO 8601",
        ),
        (
            "transaction_id,timestamp,user_id,terminal_id,amount,is_fraud,channel\n"
            "t1,2018-04-01T00:00:00Z,u,m,1.00,0,telepathy\n",
            "line 2, column channel: is outside the contract",
        ),
        (
            "transaction_id,timestamp,user_id,terminal_id,amount,is_fraud\n"
            "t1,2018-04-01T00:00:00Z,u,4111 1111 1111 1111,1.00,0\n",
            "line 2, column terminal_id: is outside the contract",
        ),
        (
            "transaction_id,timestamp,user_id,terminal_id,amount,is_fraud,latitude,longitude\n"
            "t1,2018-04-01T00:00:00Z,u,m,1.00,0,91,0\n",
            "line 2, column latitude: must be a number within +-90",
        ),
    ],
)
def test_an_unreadable_file_is_refused_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, message: str
) -> None:
    path = tmp_path / "data.csv"
    path.write_text(text)
    assert main(["backtest", str(path), "--label-delay-days", "7"]) == 2
    error = capsys.readouterr().err
    assert error.startswith("cardwatch backtest: data.csv") and message in error
    assert error.count("\n") == 1
    for value in ("twelve", "-4.00", "yesterday", "telepathy", "4111", "91,"):
        assert value not in error  # the problem is named, the value never echoed


def test_the_loader_keeps_each_timestamps_offset_for_local_time(tmp_path: Path) -> None:
    path = tmp_path / "data.csv"
    path.write_text(
        "transaction_id,timestamp,user_id,terminal_id,amount,is_fraud\n"
        "a,2018-04-01T05:30:00+09:00,u,m,1.50,0\n"
        "b,2018-04-01T05:30:00Z,u,m,1.50,0\n"
        "c,2018-04-01T05:30:00-04:30,u,m,1.50,0\n"
    )
    history = load_history(path)
    assert history.utc_offsets == [540, 0, -270]
    result = replay(history, SETTINGS)
    hours = result.features[:, FEATURES.index("hour")].tolist()
    assert hours == [5, 5, 5]  # each row's local hour, not UTC's 20, 5 and 10
    utc_only = tmp_path / "utc.csv"
    utc_only.write_text(path.read_text().replace("+09:00", "Z").replace("-04:30", "Z"))
    assert load_history(utc_only).utc_offsets is None


def test_local_replay_reads_files_with_the_same_loader(tmp_path: Path) -> None:
    # GIVEN a file another generator wrote: labels as words, an offset, contract extras
    path = tmp_path / "data.csv"
    path.write_text(
        "transaction_id,timestamp,user_id,terminal_id,amount,is_fraud,channel,country,"
        "merchant_category_code,device_id,latitude,longitude\n"
        "a,2018-04-01T05:30:00+09:00,u1,m1,12.50,false,pos,JP,5411,,35.68,139.69\n"
        "b,2018-04-01T06:00:00+09:00,u2,m2,900.00,true,ecommerce,JP,5732,dev-9,,\n"
    )
    # WHEN local mode turns it into request bodies
    planned = list(csv_traffic(path))
    # THEN each body passes the API's own parser, keeps its columns, offset and label
    parser = TransactionParser(CardTokenizer(b"k" * 32))
    assert all(contract_problems(p.body) == [] for p in planned)
    first, second = (parser.from_document(p.body) for p in planned)
    assert [p.is_fraud for p in planned] == [False, True]
    assert first.utc_offset_minutes == 540 and first.extras["channel"] == "pos"
    assert first.extras["latitude"] == Decimal("35.68") and "latitude" not in second.extras
    assert second.extras["device_id"] == "dev-9" and "device_id" not in first.extras
    assert second.timestamp_ms - first.timestamp_ms == 30 * 60_000


def test_the_alert_budget_holds_the_flagged_share_where_the_rules_thresholds_do_not(
    small_history: LabelledHistory,
) -> None:
    # WHEN the history is backtested with the default budget (0.5 % review, 0.1 % block)
    # and with the rule document's fixed thresholds
    _r, budgeted = backtest(small_history, SETTINGS, test_days=7)
    _r, fixed = backtest(small_history, replace(SETTINGS, budget=None), test_days=7)
    # THEN the budget keeps the team's queue near its share; the fixed cut does not
    assert fixed.flagged_share > 0.02
    assert 0 < budgeted.flagged_share < 0.01 and budgeted.blocked_share < 0.003
    # AND what it flags is, more than the fixed cut's, fraud; ranking is untouched
    assert budgeted.flagged_precision >= fixed.flagged_precision
    assert budgeted.metrics["average_precision"] == fixed.metrics["average_precision"]


def test_the_json_report_is_plain_and_the_tables_print_whole_when_piped(
    small_csv: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN a backtest run for --json: nothing on standard output but what the CLI prints
    report = run_backtest(small_csv, None, SETTINGS, as_json=True)
    assert capsys.readouterr().out == ""
    entry = backtest_report(report)
    # THEN its report is plain JSON (no NaN), and a small world gets no handbook row
    assert json.loads(json.dumps(entry, allow_nan=False)) == entry
    assert entry["published"] == [] and entry["rows"] == report.rows
    assert entry["decisions"]["flagged_share"] == json_number(report.flagged_share)
    # AND its tables, piped, print whole, with no nan and no negative zero
    out = io.StringIO()
    print_backtest(entry, report_console(file=out))
    text = out.getvalue()
    assert "…" not in text and "nan" not in text and "-0.0000" not in text
    assert "0.869" not in text and "Week by week" in text and "alert budget applied" in text
