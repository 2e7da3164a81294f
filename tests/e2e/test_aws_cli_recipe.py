"""The AWS CLI recipe of the local-mode page (docs/local-mode.md), run as written against
the local stack: the functions are listed, the queues too, a function's log lines come out
of its log group, and a function invoked runs and answers."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from cardwatch.cli.main import main
from cardwatch.local.runtime.event_wiring import wait_until
from cardwatch.local.runtime.pipeline import LocalPipeline
from tests.support.local_stack import transaction

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def recipe() -> str:
    """The shell lines under the local-mode page's ``<!-- recipe: aws-cli -->`` marker."""
    text = (ROOT / "docs" / "local-mode.md").read_text()
    found = re.search(r"<!-- recipe: aws-cli -->\n```bash\n(.*?)\n```", text, re.S)
    assert found, "docs/local-mode.md has no AWS CLI recipe"
    return found.group(1)


def run_recipe(stack: LocalPipeline, workdir: Path) -> subprocess.CompletedProcess[str]:
    # a shell in the repository as a user has it: .venv/bin/cardwatch, .cardwatch/, and no
    # AWS settings of its own (whatever the tests' process has is left out)
    (workdir / ".venv").mkdir()
    (workdir / ".venv" / "bin").symlink_to(BIN)
    (workdir / ".cardwatch").symlink_to(stack.settings.state_dir)
    environment = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    environment["PATH"] = f"{BIN}{os.pathsep}{environment.get('PATH', '')}"
    environment["HOME"] = str(workdir)  # no ~/.aws of the machine's
    return subprocess.run(
        ["bash", "-euo", "pipefail", "-c", recipe()],
        cwd=workdir,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_readme_aws_cli_recipe_works_as_written(
    api: httpx.Client, stack: LocalPipeline, tmp_path: Path
) -> None:
    # GIVEN a transaction scored by detect, whose log lines reach its log group
    assert api.post("/transactions", json=transaction("cli-recipe-1")).status_code == 201
    logs = stack.emulator.session().client("logs") if stack.emulator else None
    assert logs is not None
    group = stack.blueprint.functions["detect"].log_group
    assert wait_until(
        lambda: bool(logs.filter_log_events(logGroupName=group, limit=1)["events"]), 60
    ), "detect's log lines never reached its log group"
    # WHEN the README's lines run in a shell with no AWS settings of its own
    run = run_recipe(stack, tmp_path)
    # THEN every command succeeded and said what the stack has
    assert run.returncode == 0, run.stderr
    for spec in stack.blueprint.functions.values():
        assert spec.name in run.stdout
    for url in stack.made.queue_urls.values() if stack.made else ():
        assert url.rsplit("/", 1)[-1] in run.stdout
    # detect's own lines, out of its log group (the transaction it assessed among them)
    assert '"service":"cardwatch-detect"' in run.stdout
    assert '"transaction_id":"cli-recipe-1"' in run.stdout
    # analyze, run by `aws lambda invoke` in the local runtime: a window with no transaction
    assert '"transactions": 0' in run.stdout and "FunctionError" not in run.stdout


def test_env_says_when_no_local_stack_runs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["env", "--state", str(tmp_path / "local.json")]) == 3
    assert "no local stack" in capsys.readouterr().err
    (tmp_path / "local.json").write_text("{}")
    assert main(["env", "--state", str(tmp_path / "local.json")]) == 3
    assert "is not a state file" in capsys.readouterr().err


def test_each_function_is_registered_as_deployed(stack: LocalPipeline) -> None:
    assert stack.emulator is not None and stack.made is not None
    session = stack.emulator.session()
    functions, logs = session.client("lambda"), session.client("logs")
    for key, spec in stack.blueprint.functions.items():
        config = functions.get_function_configuration(FunctionName=spec.name)
        assert (config["Handler"], config["MemorySize"], config["Timeout"]) == (
            spec.handler,
            spec.memory_mb,
            spec.timeout_seconds,
        )
        assert config["Runtime"] == "python3.11" and config["Architectures"] == ["arm64"]
        assert config["TracingConfig"]["Mode"] == "Active"
        expected = stack.made.environment(stack.blueprint, key)
        # as deployed, but for what local mode waits longer for (its emulator is slower)
        ours = stack.settings.local_environment()
        expected |= {name: ours[name] for name in expected.keys() & ours.keys()}
        assert expected.items() <= config["Environment"]["Variables"].items()
        group = logs.describe_log_groups(logGroupNamePrefix=spec.log_group)["logGroups"][0]
        assert group["retentionInDays"] == stack.blueprint.settings.log_retention_days
