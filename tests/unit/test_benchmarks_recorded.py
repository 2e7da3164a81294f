"""The speed requirements are measured by `make bench`, not timed here: these tests read
the committed results of the last benchmark run and hold them to the seeds' targets,
and hold the results to the code: a change to ``src/cardwatch`` after the last full
run of `make bench` fails here until the benchmarks are measured again."""

import json
from pathlib import Path

import pytest
from bench.report import code_digest

ROOT = Path(__file__).resolve().parents[2]
RUN = json.loads((ROOT / "bench" / "run.json").read_text())
RESULTS = {
    r["name"]: r
    for r in json.loads(
        (Path(__file__).resolve().parents[2] / "bench" / "results.json").read_text()
    )
}


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
    reason="issue 18: the emulator is one moto interpreter that every call of ingest, "
    "detect, notify and the pollers goes through; 2,000 requests from 16 clients were "
    "answered at 59.4 a second in the last run (0 server errors), beside 408 bare calls "
    "a second to the same emulator",
)
def test_the_local_api_sustains_200_requests_a_second_from_16_clients() -> None:
    burst = RESULTS["local API: burst of 2,000 from 16 clients (requests a second)"]
    assert burst["value"] >= 200
    assert RESULTS["local API: burst of 2,000 from 16 clients, 5xx or no answer"]["value"] == 0


@pytest.mark.xfail(
    strict=True,
    reason="issue 18: at 100 requests a second from 16 clients the local stack falls "
    "behind (the emulator is saturated); the last run reached 33 requests a second, p99 915 ms",
)
def test_ingest_p99_under_150_ms_at_100_requests_a_second() -> None:
    assert RESULTS["ingest: POST /transactions at 100 req/s (p99)"]["value"] < 150


@pytest.mark.xfail(
    strict=True,
    reason="issue 18: botocore, Powertools and the X-Ray SDK alone take about 200 ms of "
    "every function's import; ingest adds Powertools' REST resolver and the contract's "
    "validator. The last run recorded 508, 358, 386 and 409 ms (ingest, detect, analyze, "
    "notify; a noisy start: 360-412, 254-303, 243-261 and 246-275 ms in three runs after)",
)
def test_every_function_starts_cold_in_250_ms() -> None:
    for function in ("ingest", "detect", "analyze", "notify"):
        measured = RESULTS[f"cold start: import cardwatch.handlers.{function}"]
        assert measured["target"] == 250 and measured["value"] <= 250, function


@pytest.mark.xfail(
    strict=True,
    reason="found by the last run (1 of 2,000 answered 500): local mode runs two ingest "
    "environments in one process, and Powertools keeps one metric set per namespace, so "
    "one invocation flushed the other's metric and the other's flush, finding none, "
    "raised SchemaValidationError. Lambda runs each environment in its own process; the "
    "local runtime needs a metric set per environment (not fixed yet)",
)
def test_a_burst_is_answered_without_a_server_error() -> None:
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


@pytest.mark.xfail(
    strict=True,
    reason="issue 12's 180 s: 171 s was recorded at 72653a6 (one run); the run on this "
    "code took 185 and 183.5 s (best of two), on a day the same run's bare put_item "
    "baseline ran at 197 calls a second against 408 then: the target sits inside this "
    "machine's noise",
)
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


def test_the_results_were_measured_on_this_code_by_a_full_run() -> None:
    assert RUN["stages"] == [], "the last run measured only some stages"
    assert RUN["code_digest"] == code_digest(), "src/ changed since `make bench`: run it"


def test_the_state_costs_at_most_12_units_per_transaction_at_every_terminal_volume() -> None:
    for volume in ("100", "2,000", "10,000"):
        for kind in ("write", "read"):
            name = (
                f"dynamodb: detection state, {kind} units per transaction, terminal at {volume}/day"
            )
            assert RESULTS[name]["value"] <= 12


def test_the_rich_world_is_ranked_at_least_nine_tenths_as_well_as_the_reference() -> None:
    ratio = RESULTS["rich world: AP against a larger gradient-boosted reference"]
    assert ratio["unit"] == "x" and ratio["value"] >= 0.9 and ratio["baseline"] > 0
    # and the processor's fields earn their keep: the engine without them ranks worse
    without = RESULTS["rich world: AP without the processor fields"]
    assert without["value"] < without["baseline"]


def test_the_rich_worlds_alerts_stay_within_a_reviewable_share() -> None:
    flagged = RESULTS["rich world: share of traffic flagged (alert budget)"]
    assert flagged["unit"] == "%" and 0 < flagged["value"] <= 1.0
