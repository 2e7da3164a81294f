"""`make bench-check`: the committed results of the last `make bench` held to their targets.

The benchmarks are a report, not a gate: `make test` never reads them, so a change to
``src/`` waits on no benchmark run. bench/run.json names the commit that measured them.
Run with ``pytest bench/check_targets.py`` (it is outside the test suite's paths)."""

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
RUN = json.loads((ROOT / "bench" / "run.json").read_text())
RESULTS = {r["name"]: r for r in json.loads((ROOT / "bench" / "results.json").read_text())}


@pytest.mark.requirement("R000-30")
def test_ingest_under_200_ms_and_analysis_within_30_s() -> None:
    # at a rate the local stack sustains beside detect (issue 18 measures 100 req/s)
    assert RESULTS["ingest: POST /transactions at 20 req/s (p50)"]["value"] < 200
    assert RESULTS["analysis: 300,000-transaction window"]["value"] < 30


@pytest.mark.requirement("R003-21")
def test_sub_second_detection_and_scaling_settings() -> None:
    assert RESULTS["scoring: engine per transaction (median)"]["unit"] == "us"
    assert RESULTS["scoring: engine per transaction (median)"]["value"] < 1_000_000


def test_the_retrain_function_fits_lambda() -> None:
    # issue 14: the package within Lambda's 250 MB, a run within the function's timeout
    # and memory (a bench run on 500,000 decisions; the Scan's reads come on top)
    assert RESULTS["retrain package, unpacked"]["value"] < 250
    run = RESULTS["retraining: 500,000 decisions, read, fitted, judged, published (one core)"]
    assert run["value"] < run["target"]
    assert RESULTS["retraining: peak RSS, 500,000 decisions"]["value"] < 3008


# Known regressions, measured by the last `make bench` and kept visible: strict, so the
# marker must go the day the target is met again.
def test_a_burst_reaches_the_alert_queue_within_a_second_on_the_emulator() -> None:
    assert RESULTS["alert latency: last POST to alert queue (max of 5 bursts)"]["value"] < 1000


@pytest.mark.xfail(
    strict=True,
    reason="issue 18, blocked on this machine: from a burst's first request until every "
    "accepted transaction was assessed, the emulator spent 98 ms of CPU per transaction "
    "and the local runtime 54 ms (16 AWS calls each), so 2 cores assess at most 13 a "
    "second whatever the processes' layout; the burst was answered at 45 a second with "
    "0 server errors while detect fell behind",
)
def test_the_local_api_sustains_200_requests_a_second_from_16_clients() -> None:
    burst = RESULTS["local API: burst of 2,000 from 16 clients (requests a second)"]
    assert burst["value"] >= 200
    ceiling = RESULTS["local pipeline: the most transactions a second this machine can assess"]
    assert ceiling["value"] >= 200


@pytest.mark.xfail(
    strict=True,
    reason="issue 18, blocked by the same CPU ceiling: at 100 requests a second offered "
    "from 16 clients the last run reached 19 a second, p99 1,607 ms",
)
def test_ingest_p99_under_150_ms_at_100_requests_a_second() -> None:
    assert RESULTS["ingest: POST /transactions at 100 req/s (p99)"]["value"] < 150


@pytest.mark.xfail(
    strict=True,
    reason="issue 18: detect 242, analyze 233 and notify 239 ms meet 250; ingest took 297 ms "
    "beside a floor of 196 ms (boto3 and Powertools alone, the same measure), of which "
    "Powertools' REST resolver is about 50 ms",
)
def test_every_function_starts_cold_in_250_ms() -> None:
    for function in ("ingest", "detect", "analyze", "notify"):
        measured = RESULTS[f"cold start: import cardwatch.handlers.{function}"]
        assert measured["target"] == 250 and measured["value"] <= 250, function


def test_cardwatch_adds_at_most_three_fifths_to_the_floor_of_a_cold_start() -> None:
    # boto3 and Powertools alone, measured the same way in the same run; before the
    # package shipped bytecode and ingest its compiled contract checks, ingest took
    # more than twice the floor
    for function in ("ingest", "detect", "analyze", "notify"):
        measured = RESULTS[f"cold start: import cardwatch.handlers.{function}"]
        assert measured["value"] <= 1.6 * measured["baseline"], function


def test_a_burst_is_answered_without_a_server_error() -> None:
    # a run once answered 1 of 2,000 with a 500: local mode's environments shared one
    # Powertools metric set; each function's Metrics now keeps its own
    assert RESULTS["local API: burst of 2,000 from 16 clients, 5xx or no answer"]["value"] == 0


def test_the_full_default_backtest_beats_the_handbook() -> None:
    whole = RESULTS["backtest: handbook-default dataset, whole command"]
    assert "1,793,020 transactions" in whole["note"]
    for metric in ("auc_roc", "average_precision", "card_precision@100"):
        measured = RESULTS[f"backtest: {metric} (last 7 days)"]
        assert measured["value"] >= measured["baseline"] > 0


def test_the_full_default_backtest_runs_in_five_minutes() -> None:
    whole = RESULTS["backtest: handbook-default dataset, whole command"]
    assert whole["unit"] == "s" and whole["value"] < 300


def test_the_full_default_backtest_is_no_slower_than_on_the_single_profile_state() -> None:
    # issue 12: the replay on the deployment's event-time, bucketed state, with its state
    # kept in a worker process and its fits on the second core, against the 180 s of the
    # single-profile state
    whole = RESULTS["backtest: handbook-default dataset, whole command"]
    assert whole["unit"] == "s" and whole["value"] <= 180


def test_a_backtest_with_one_core_busy_is_at_most_half_again_as_slow() -> None:
    # as slow as the job would be serially, at most half again (a spinning OpenMP fit on
    # a taken core made it 10 to 40 times slower); against its own idle run, which fits on
    # the second core, at most the loss of that core
    serial = RESULTS["backtest with one core busy, against a serial run on the idle machine"]
    assert serial["unit"] == "x" and serial["value"] <= 1.5
    busy = RESULTS["backtest with one core busy, against idle"]
    assert busy["unit"] == "x" and busy["value"] <= 2.0


def test_the_results_come_from_one_full_run() -> None:
    assert RUN["stages"] == [], "the last run measured only some stages"


def test_the_state_costs_the_same_bounded_units_at_every_terminal_volume() -> None:
    # writes: detect's 8 and the fold's 6 at most (a batch of its own); reads: 12
    for volume in ("100", "2,000", "10,000"):
        for kind, most in (("write", 14), ("read", 12)):
            name = (
                f"dynamodb: detection state, {kind} units per transaction, terminal at {volume}/day"
            )
            assert RESULTS[name]["value"] <= most


def test_the_whole_path_costs_at_most_26_write_and_7_read_units() -> None:
    for volume in ("100", "2,000", "10,000"):
        for kind, most in (("write", 26), ("read", 7)):
            name = f"dynamodb: whole path, {kind} units per transaction, terminal at {volume}/day"
            assert RESULTS[name]["value"] <= most


def test_the_rich_world_is_ranked_at_least_nine_tenths_as_well_as_the_reference() -> None:
    ratio = RESULTS["rich world: AP against a larger gradient-boosted reference"]
    assert ratio["unit"] == "x" and ratio["value"] >= 0.9 and ratio["baseline"] > 0
    # and the processor's fields earn their keep: the engine without them ranks worse
    without = RESULTS["rich world: AP without the processor fields"]
    assert without["value"] < without["baseline"]


def test_the_rich_worlds_alerts_stay_within_a_reviewable_share() -> None:
    flagged = RESULTS["rich world: share of traffic flagged (alert budget)"]
    assert flagged["unit"] == "%" and 0 < flagged["value"] <= 1.0
