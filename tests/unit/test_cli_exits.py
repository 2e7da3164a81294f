"""The whole ``cardwatch`` command keeps one exit-code table: every command, in each
situation a newcomer meets (no stack, a stack that died, a stale file, bad arguments,
a part not installed), says it in one line with the table's code, never a traceback;
and every option explains itself."""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError, NoCredentialsError

from cardwatch.cli.exits import EXIT_CODES, CommandError, classified
from cardwatch.cli.main import build_parser, main
from cardwatch.domain.engine.rules import rules_text
from cardwatch.local.stack_state import NoLocalStack, forget_state, live_state, write_state
from cardwatch.simulation.traffic import demo_traffic

#: Every command that acts on the local stack, as a user types it.
LOCAL_COMMANDS = (
    ["env"],
    ["replay", "--simulate", "5"],
    ["dlq", "list"],
    ["dlq", "show", "suspicious"],
    ["dlq", "redrive", "failures"],
    ["rules", "diff", "RULES"],
    ["rules", "publish", "RULES", "--note", "why"],
    ["rules", "show"],
    ["rules", "history"],
    ["rules", "rollback", "--note", "why"],
    ["model", "status"],
    ["model", "train"],
    ["model", "promote", "v1"],
    ["model", "rollback"],
    ["audit"],
    ["console", "--port", "0"],
)


def _subcommands(parser: argparse.ArgumentParser, path: str = "cardwatch"):  # type: ignore[no-untyped-def]
    yield path, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, child in action.choices.items():
                yield from _subcommands(child, f"{path} {name}")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _run(argv: list[str], state: Path, rules: Path) -> int:
    typed = [str(rules) if word == "RULES" else word for word in argv]
    return main([*typed, "--state", str(state)])


def test_every_option_of_every_command_has_help_and_every_help_the_exit_codes() -> None:
    missing = []
    for path, parser in _subcommands(build_parser()):
        assert "exit codes:" in (parser.epilog or ""), path
        for code, meaning in EXIT_CODES.items():
            assert f"{code}  {meaning}" in (parser.epilog or ""), path
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                continue
            if not action.help or action.help == argparse.SUPPRESS:
                missing.append(f"{path} {'/'.join(action.option_strings) or action.dest}")
    assert missing == []
    assert "``" not in (build_parser().description or "")  # no markup in the words shown


@pytest.mark.parametrize("argv", LOCAL_COMMANDS, ids=" ".join)
def test_with_no_local_stack_every_command_says_so_in_one_line_and_exits_3(
    argv: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rules = tmp_path / "rules.json"
    rules.write_text(rules_text())
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        check=True,
        capture_output=True,
        text=True,
    )
    gone_pid = int(dead.stdout)
    states = {
        "missing": None,
        "not a state file": "{}",
        "a stopped stack's": {"pid": gone_pid},
        "nobody answering": {"pid": os.getpid()},
    }
    for situation, written in states.items():
        state = tmp_path / f"{situation}.json"
        if isinstance(written, str):
            state.write_text(written)
        elif written is not None:
            stale = {
                "api_url": f"http://127.0.0.1:{_free_port()}",
                "aws_endpoint": f"http://127.0.0.1:{_free_port()}",
                "region": "us-east-1",
            }
            write_state(state, stale, "token")
            document = json.loads(state.read_text()) | written
            state.write_text(json.dumps(document))
        assert _run(argv, state, rules) == 3, situation
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "Traceback" not in err, (situation, err)
        assert "no local stack running" in err and "make up" in err, (situation, err)


@pytest.mark.parametrize(
    "argv",
    [
        ["replay", "--simulate", "-5"],
        ["replay", "--simulate", "0"],
        ["replay", "--simulate", "5", "--rate", "0"],
        ["replay", "--simulate", "5", "--rate", "nan"],
        ["demo", "--count", "0"],
        ["up", "--port", "70000"],
        ["blueprint", "--environment-suffix", "a b"],
        ["dlq", "show"],
        ["rules", "frobnicate"],
        ["rules", "show", "--target", "azure"],
        ["model", "train", "--min-frauds", "0"],
        ["simulate", "out.csv", "--days", "-1"],
        ["simulate", "out.csv", "--seed", "-1"],
        ["model", "day-one", "--out", "/nonexistent/model.json"],
        ["train", "data.csv", "--out", "/"],
        ["dlq", "redrive", "failures", "--watch", "-1"],
        ["audit", "--days", "nan"],
    ],
    ids=" ".join,
)
def test_bad_arguments_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        code = main(argv)
        raise SystemExit(code)
    assert exit_.value.code == 2
    assert "Traceback" not in capsys.readouterr().err


def test_each_kind_of_failure_has_its_code() -> None:
    refused = ClientError({"Error": {"Code": "AccessDenied", "Message": "no"}}, "PutParameter")
    unreachable = EndpointConnectionError(endpoint_url="https://ssm.example")
    assert classified(CommandError("bad")) == (2, "bad")
    assert classified(FileNotFoundError(2, "No such file or directory", "x.csv")) == (
        2,
        "No such file or directory: x.csv",
    )
    assert classified(NoLocalStack("gone"))[0] == 3  # type: ignore[index]
    assert classified(ConnectionRefusedError(111, "refused"))[0] == 3  # type: ignore[index]
    assert classified(unreachable)[0] == 3  # type: ignore[index]
    assert classified(NoCredentialsError())[0] == 3  # type: ignore[index]
    assert classified(refused)[0] == 4  # type: ignore[index]
    missing = ModuleNotFoundError("No module named 'sklearn'", name="sklearn")
    code, line = classified(missing)  # type: ignore[misc]
    assert code == 2 and "pip install 'cardwatch[ops]'" in line and "make install" in line
    ours = ModuleNotFoundError("No module named 'cardwatch.nope'", name="cardwatch.nope")
    assert classified(ours) is None  # a bug of ours keeps its traceback
    assert classified(KeyError("x")) is None


_LIGHT = '''
import importlib.abc, sys
class _Light(importlib.abc.MetaPathFinder):
    """The ``local`` install: no training stack, no deployment tooling."""
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in {"sklearn", "duckdb", "threadpoolctl", "scipy"}:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None
sys.meta_path.insert(0, _Light())
'''


@pytest.mark.parametrize(
    "argv",
    [
        ["rules", "test", "RULES", "DATA"],
        ["backtest", "DATA", "--test-days", "1"],
        ["train", "DATA", "--out", "OUT"],
        ["model", "day-one", "--out", "OUT", "--worlds", "1", "--customers", "20", "--days", "2"],
        ["worlds", "--count", "1", "--customers", "20", "--days", "14"],
    ],
    ids=lambda argv: " ".join(argv[:2]),
)
def test_the_light_install_says_what_to_install_in_one_line(
    argv: list[str], tmp_path: Path
) -> None:
    (tmp_path / "sitecustomize.py").write_text(_LIGHT)
    data = tmp_path / "data.csv"
    assert (
        main(["simulate", str(data), "--customers", "20", "--terminals", "20", "--days", "9"]) == 0
    )
    rules = tmp_path / "rules.json"
    rules.write_text(rules_text())
    words = {"RULES": str(rules), "DATA": str(data), "OUT": str(tmp_path / "model.json")}
    run = subprocess.run(
        [sys.executable, "-m", "cardwatch.cli.main", *(words.get(w, w) for w in argv)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env=os.environ
        | {"PYTHONPATH": f"{tmp_path}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"},
    )
    assert run.returncode == 2, run.stderr
    assert "Traceback" not in run.stderr and run.stderr.count("\n") == 1, run.stderr
    assert "pip install 'cardwatch[ops]'" in run.stderr


def test_a_state_file_is_the_stack_that_wrote_it_and_goes_with_it(tmp_path: Path) -> None:
    state = tmp_path / "local.json"
    write_state(state, {"api_url": "http://127.0.0.1:1", "aws_endpoint": "x", "region": "r"}, "a")
    written = json.loads(state.read_text())
    assert written["pid"] == os.getpid() and written["stack_token"] == "a"
    with pytest.raises(NoLocalStack, match="no answer from its API"):
        live_state(state, timeout=0.5)
    forget_state(state, "another start's")
    assert state.exists()  # not that start's file: left alone
    forget_state(state, "a")
    assert not state.exists()


@pytest.mark.parametrize("count", [1, 10, 37, 40, 500])
def test_simulated_traffic_is_exactly_the_count_asked_for(count: int) -> None:
    planned = demo_traffic(count)
    assert len(planned) == count
    if count >= 40:  # every fraud scenario fits
        kinds = {item.kind for item in planned}
        assert {"card-testing", "skimmed-terminal", "stolen-card", "genuine"} <= kinds
