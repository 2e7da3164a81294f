"""A newcomer's first hour, as a script: start the stack, send traffic, open the
console, work the rules and the models, look at the dead letters, backtest, stop; then
every command once more with nothing running; then the demo beside a running stack.
At every step the documented exit code, and never a traceback."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from cardwatch.local.runtime.event_wiring import wait_until

#: three stacks, a demo and a dozen commands, each a process of its own: alone, so that
#: it neither starves the other tiers' stacks nor is starved by them
pytestmark = [pytest.mark.slow, pytest.mark.serial]


def cardwatch(cwd: Path, *argv: str, code: int = 0, timeout: float = 300) -> str:
    """Run a command as a user does (a process, in the project directory); its
    standard output, once its exit code is the one documented for the situation."""
    run = subprocess.run(
        [sys.executable, "-m", "cardwatch.cli.main", *argv],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        cwd=cwd,
    )
    said = f"cardwatch {' '.join(argv)} -> {run.returncode}\n{run.stderr[-2000:]}"
    assert run.returncode == code, said
    assert "Traceback" not in run.stderr, said
    if code >= 2:  # a failure, not a finding: one line of its own
        assert run.stderr.startswith("cardwatch ") and run.stderr.count("\n") == 1, said
    return run.stdout


@contextmanager
def running_up(cwd: Path) -> Iterator[tuple[subprocess.Popen[str], dict[str, str]]]:
    """``cardwatch up`` on free ports, until the block ends (then Ctrl-C)."""
    log = cwd / "up.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "cardwatch.cli.main",
                "up",
                "--port",
                "0",
                "--console-port",
                "0",
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            text=True,
            cwd=cwd,
            env=os.environ | {"COLUMNS": "200"},
        )
        try:
            assert wait_until(lambda: "running; Ctrl-C" in log.read_text(), timeout=180), (
                log.read_text()
            )
            printed = dict(re.findall(r"^(API|console)\s+(\S+)", log.read_text(), re.MULTILINE))
            yield process, printed
        finally:
            process.send_signal(signal.SIGINT)
            stopped = process.wait(timeout=60)
    assert stopped == 0, log.read_text()
    assert "Traceback" not in log.read_text()
    assert "No application metrics" not in log.read_text()


def test_a_newcomers_first_hour(tmp_path: Path) -> None:
    state = tmp_path / ".cardwatch" / "local.json"
    data = tmp_path / "small.csv"
    cardwatch(
        tmp_path, "simulate", str(data), "--customers", "60", "--terminals", "80", "--days", "12"
    )
    with running_up(tmp_path) as (_up, printed):
        assert state.exists()
        assert "AWS_ENDPOINT_URL" in cardwatch(tmp_path, "env")
        sent = json.loads(
            cardwatch(tmp_path, "replay", "--simulate", "60", "--rate", "30", "--json")
        )
        assert sent["sent"] == 60 and sent["settled"]["in_flight"] == 0
        # the console's link answers (the alerts point to it)
        assert httpx.get(printed["console"], timeout=10).status_code == 200
        # the rules: kept, tested, changed, rolled back
        shipped = tmp_path / "rules.json"
        shipped.write_text(cardwatch(tmp_path, "rules", "show"))
        cardwatch(tmp_path, "rules", "validate", str(shipped))
        tested = json.loads(
            cardwatch(
                tmp_path, "rules", "test", str(shipped), str(data), "--test-days", "3", "--json"
            )
        )
        assert tested["rows"] > 0
        changed = json.loads(shipped.read_text())
        changed["thresholds"]["review"] = 0.55
        candidate = tmp_path / "candidate.json"
        candidate.write_text(json.dumps(changed))
        cardwatch(tmp_path, "rules", "diff", str(candidate), code=1)  # it differs
        cardwatch(tmp_path, "rules", "publish", str(candidate), "--note", "tour")
        cardwatch(tmp_path, "rules", "publish", str(candidate), "--note", "again", code=2)
        cardwatch(tmp_path, "rules", "rollback", "--note", "tour done")
        assert json.loads(cardwatch(tmp_path, "rules", "show")) == json.loads(shipped.read_text())
        status = json.loads(cardwatch(tmp_path, "model", "status", "--json"))
        assert status["champion"] == "shipped" and status["champion_version"].startswith("gbt-")
        listed = json.loads(cardwatch(tmp_path, "dlq", "list", "--json"))
        assert set(listed) == {"suspicious", "alerts", "failures"}
        assert json.loads(cardwatch(tmp_path, "dlq", "show", "suspicious", "--json")) == []
        cardwatch(tmp_path, "backtest", str(data), "--test-days", "3", "--retrain-every-days", "0")
        assert "exit codes:" in cardwatch(tmp_path, "rules", "publish", "--help")
    # stopped: the state file went with the stack, and every command says so
    assert not state.exists()
    for argv in (
        ["env"],
        ["replay", "--simulate", "5"],
        ["dlq", "list"],
        ["rules", "history"],
        ["model", "status"],
        ["audit"],
        ["console", "--port", "0"],
    ):
        cardwatch(tmp_path, *argv, code=3)
    # a stack killed outright leaves its file: still "no local stack", exit 3
    with running_up(tmp_path) as (up, _printed):
        left = state.read_text()
    state.write_text(left)  # as if the stack had died without removing it
    cardwatch(tmp_path, "env", code=3)
    state.unlink()
    # the demo beside a running stack: each its own, neither touches the other
    with running_up(tmp_path) as (up, _printed):
        before = state.read_text()
        cardwatch(tmp_path, "up", "--port", "0", code=2)  # one stack per state file
        demo = json.loads(
            cardwatch(tmp_path, "demo", "--count", "80", "--rate", "40", "--json", timeout=600)
        )
        assert demo["sent"] == 80 and demo["alerts"] == len(demo["alert_list"]) > 0
        assert state.read_text() == before
        assert json.loads(cardwatch(tmp_path, "replay", "--simulate", "10", "--json"))["sent"] == 10
        assert up.poll() is None
