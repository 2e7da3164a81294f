"""The emulator in a process of its own: a fixed port when asked, a clear error when the
port is taken, nothing left running after the ``with`` block (issue 18, items 1 and 2)."""

from __future__ import annotations

import io
import os
import socket
from contextlib import redirect_stderr

import pytest

from cardwatch.cli import main
from cardwatch.local.emulator import EmulatorError, running_emulator


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_the_emulator_runs_in_its_own_process_on_the_port_asked_for() -> None:
    port = _free_port()
    with running_emulator("us-east-1", port) as emulator:
        assert emulator.endpoint == f"http://127.0.0.1:{port}"
        assert emulator.pid != os.getpid() and _alive(emulator.pid)
        assert os.environ["AWS_ENDPOINT_URL"] == emulator.endpoint
        queue = emulator.session().client("sqs").create_queue(QueueName="fixed-port")
        assert f":{port}/" in queue["QueueUrl"]
        with (
            pytest.raises(EmulatorError, match=f"port {port}"),
            running_emulator("us-east-1", port),
        ):
            pass
    assert not _alive(emulator.pid)
    assert os.environ.get("AWS_ENDPOINT_URL") != emulator.endpoint


def test_up_on_a_taken_emulator_port_says_so_in_one_line() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        stderr = io.StringIO()
        with redirect_stderr(stderr):
            code = main(["up", "--port", "0", "--emulator-port", str(port)])
    assert code == 2
    assert stderr.getvalue() == (
        f"cardwatch up: the emulator did not start on port {port} (exit code 1)\n"
    )
