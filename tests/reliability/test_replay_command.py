"""``cardwatch replay`` as a script uses it: fresh ids per run, the downstream alert
queue never read, an exit code that says whether everything was accepted, JSON out."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import boto3

from cardwatch.local.runtime.pipeline import LocalPipeline


def cardwatch(*argv: str) -> subprocess.CompletedProcess[str]:
    """The command in a process of its own, as a script runs it."""
    return subprocess.run(
        [sys.executable, "-m", "cardwatch.cli.main", *argv],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def waiting(stack: LocalPipeline) -> int:
    """Messages on the downstream alert queue (another team's: replay must not read it)."""
    assert stack.made is not None
    url = stack.made.queue_urls[stack.blueprint.alerts_queue.name]
    attributes = boto3.client("sqs").get_queue_attributes(
        QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"]
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"])


def test_two_runs_of_the_same_data_are_both_accepted_and_leave_the_alert_queue_alone(
    stack: LocalPipeline,
) -> None:
    state = str(stack.settings.state_dir / "local.json")
    before = waiting(stack)
    reports = []
    for _run in range(2):
        run = cardwatch("replay", "--simulate", "12", "--rate", "5", "--json", "--state", state)
        reports.append((run.returncode, json.loads(run.stdout)))
    assert [code for code, _report in reports] == [0, 0]
    statuses = [report["statuses"] for _code, report in reports]
    assert list(statuses[0]) == ["201"] and statuses[0] == statuses[1]
    assert reports[0][1]["run_tag"] != reports[1][1]["run_tag"]
    assert reports[0][1]["watcher_error"] is None
    assert waiting(stack) >= before  # nothing consumed downstream
    time.sleep(2)  # the throttle's burst refills for the tests after


def test_replay_asks_for_decisions_and_reports_what_they_did(stack: LocalPipeline) -> None:
    state = str(stack.settings.state_dir / "local.json")
    run = cardwatch(
        "replay", "--simulate", "60", "--rate", "20", "--decisions", "--json", "--state", state
    )
    assert run.returncode == 0, run.stderr
    report = json.loads(run.stdout)
    assert list(report["statuses"]) == ["200"]
    said = report["authorization"]
    assert said["payments"] == report["sent"] >= 60
    shares = said["share_approved"] + said["share_challenged"] + said["share_declined"]
    assert abs(shares - 1) < 1e-5  # each share rounded to six places
    # the demo's fraud is card testing on a few cards: stopped in its own answers
    assert said["frauds"] > 0
    assert said["fraud_stopped_at_authorization"] + said["fraud_stopped_after_the_fact"] > 0
    assert (
        said["fraud_stopped_at_authorization"]
        + said["fraud_stopped_after_the_fact"]
        + said["fraud_missed"]
        == said["frauds"]
    )
    time.sleep(2)  # the throttle's burst refills for the tests after


def test_refused_requests_make_a_nonzero_exit_and_a_shortfall_is_explained(
    stack: LocalPipeline, tmp_path: Path
) -> None:
    state = str(stack.settings.state_dir / "local.json")
    data = tmp_path / "two.csv"
    data.write_text(
        "transaction_id,timestamp,user_id,terminal_id,amount,is_fraud\n"
        f"{tmp_path.name}-1,2026-11-01T10:00:00Z,u-1,t-1,12.50,0\n"
        f"{tmp_path.name}-1,2026-11-01T10:01:00Z,u-1,t-1,13.50,0\n"
    )
    # the same id with other content: the second is refused (409)
    run = cardwatch("replay", str(data), "--keep-ids", "--clients", "1", "--json", "--state", state)
    report = json.loads(run.stdout)
    assert run.returncode == 1, run.stderr
    assert report["statuses"] == {"201": 1, "409": 1} and report["refused"] == 1
    # one client at a rate the API cannot answer in time says why
    run = cardwatch(
        "replay", "--simulate", "15", "--rate", "1000", "--clients", "1", "--json", "--state", state
    )
    report = json.loads(run.stdout)
    assert report["rate_shortfall"] is None or "raise --clients" in report["rate_shortfall"]
    time.sleep(3)


def test_bad_arguments_exit_2_and_no_stack_exits_3_in_one_line(tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    for argv, code in (
        (["replay", str(tmp_path / "missing.csv"), "--state", str(tmp_path / "missing.json")], 3),
        (["replay", "--simulate", "3", "--state", str(empty)], 3),
        (["backtest", str(tmp_path / "missing.csv")], 2),
        (["backtest", str(empty)], 2),
        (["backtest", str(tmp_path)], 2),
        (["replay", "--simulate", "x"], 2),
        (["replay", "--simulate", "-5"], 2),
        (["replay", "--simulate", "5", "--rate", "0"], 2),
    ):
        run = cardwatch(*argv)
        assert run.returncode == code, (argv, run.stderr)
        assert "Traceback" not in run.stderr
        assert run.stderr.strip().splitlines()[-1].startswith("cardwatch"), run.stderr


def _downstream_alerts_naming(stack: LocalPipeline, tag: str) -> int:
    """The alerts on the downstream queue that name this run's transactions (looked at,
    each made visible again at once: the test's look, not replay's)."""
    assert stack.made is not None
    sqs = boto3.client("sqs")
    url = stack.made.queue_urls[stack.blueprint.alerts_queue.name]
    seen: dict[str, str] = {}
    held: list[str] = []
    while True:
        messages = sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=60
        ).get("Messages", [])
        if not messages:
            break
        for message in messages:
            seen[message["MessageId"]] = message["Body"]
            held.append(message["ReceiptHandle"])
    for handle in held:
        sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=handle, VisibilityTimeout=0)
    return sum(tag in body for body in seen.values())


def test_replay_waits_until_its_alerts_have_left_notify_and_counts_them_all(
    stack: LocalPipeline,
) -> None:
    state = str(stack.settings.state_dir / "local.json")
    run = cardwatch("replay", "--simulate", "80", "--rate", "40", "--json", "--state", state)
    assert run.returncode == 0, run.stderr
    report = json.loads(run.stdout)
    assert report["sent"] == 80  # --simulate N sends N
    settled = report["settled"]
    assert settled["accepted"] == settled["assessed"] == 80 and settled["in_flight"] == 0
    assert settled["notified"] == settled["suspicious"] > 0
    # every alert notify published for this run's transactions, and no other, was counted
    assert report["alerts"] > 0
    assert report["alerts"] == _downstream_alerts_naming(stack, report["run_tag"])
    time.sleep(2)  # the throttle's burst refills for the tests after
