"""The emulator in a process of its own: a fixed port when asked, a clear error when the
port is taken, nothing left running after the ``with`` block (issue 18, items 1 and 2)."""

from __future__ import annotations

import io
import json
import os
import socket
from contextlib import redirect_stderr

import pytest
from botocore.exceptions import ClientError

from cardwatch.cli.main import main
from cardwatch.local.emulator.server import EmulatorError, running_emulator


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


def test_a_tls_only_bucket_policy_refuses_nothing_but_another_deny_still_refuses() -> None:
    # moto ignores a policy's conditions, and speaks plain HTTP: the local side reads a
    # TLS-only statement as AWS would for a TLS caller (every SDK), and keeps the rest
    with running_emulator("us-east-1", 0) as emulator:
        s3 = emulator.session().client("s3")
        s3.create_bucket(Bucket="tls-only-models")
        statement = {
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": ["arn:aws:s3:::tls-only-models", "arn:aws:s3:::tls-only-models/*"],
        }
        tls_only = {**statement, "Condition": {"Bool": {"aws:SecureTransport": "false"}}}
        policy = {"Version": "2012-10-17", "Statement": [tls_only]}
        s3.put_bucket_policy(Bucket="tls-only-models", Policy=json.dumps(policy))
        s3.put_object(Bucket="tls-only-models", Key="models/m.json", Body=b"{}")
        assert s3.get_object(Bucket="tls-only-models", Key="models/m.json")["Body"].read() == b"{}"
        policy["Statement"].append({**statement, "Action": "s3:GetObject"})
        s3.put_bucket_policy(Bucket="tls-only-models", Policy=json.dumps(policy))
        with pytest.raises(ClientError, match=r"403|AccessDenied|Forbidden"):
            s3.get_object(Bucket="tls-only-models", Key="models/m.json")
