"""The embedded AWS emulator: moto's threaded server on 127.0.0.1, in a process of its own.

The emulator answers every AWS call of the functions, the gateway's key checks and the
event wiring's pollers. In the same interpreter it would share one GIL with all of them,
so a busy detect would slow every ``put_item`` of ingest; in a child process it has a
core of its own, as AWS's services are not in the caller's process either. The child
installs the :mod:`~cardwatch.local.emulator.patches` patches, starts the server, prints the
address it listens on, and stops when its standard input closes: when the parent leaves
the ``with`` block, or dies.

Everything in the parent that builds a boto3 client after :func:`running_emulator`
starts talks to it, through ``AWS_ENDPOINT_URL`` and fake credentials: local mode
changes endpoints, nothing else.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import logging
import os
import subprocess
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass

import boto3

__all__ = ["Emulator", "EmulatorError", "running_emulator"]

_FAKE_ENVIRONMENT = {
    "AWS_ACCESS_KEY_ID": "cardwatch-local",
    "AWS_SECRET_ACCESS_KEY": "cardwatch-local",
    "AWS_SESSION_TOKEN": "cardwatch-local",
}
_READY = "cardwatch-emulator listening on "


class EmulatorError(RuntimeError):
    """The emulator's process did not start (a port in use, a broken install)."""


@dataclass(frozen=True, slots=True)
class Emulator:
    endpoint: str
    region: str
    pid: int = 0

    def session(self) -> boto3.session.Session:
        return boto3.session.Session(region_name=self.region)


def _start(port: int, settings: Mapping[str, str]) -> tuple[subprocess.Popen[str], str]:
    child = subprocess.Popen(  # noqa: S603 - this interpreter, this module
        [sys.executable, "-m", "cardwatch.local.emulator.server", "--port", str(port)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        # no CORS answers: a web page in the user's browser may not call the emulator
        env={**os.environ, "MOTO_DISABLE_GLOBAL_CORS": "true", **settings},
    )
    assert child.stdout is not None
    line = child.stdout.readline()
    if not line.startswith(_READY):
        _stop(child)
        raise EmulatorError(
            f"the emulator did not start on port {port or 'any'} (exit code {child.returncode})"
        )
    return child, line.removeprefix(_READY).strip()


def _stop(child: subprocess.Popen[str]) -> None:
    assert child.stdin is not None and child.stdout is not None
    child.stdin.close()
    try:
        child.wait(timeout=10)
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait()
    child.stdout.close()


@contextmanager
def running_emulator(
    region: str, port: int = 0, settings: Mapping[str, str] | None = None
) -> Iterator[Emulator]:
    """Start moto's server in a child process on loopback (port 0: any free port) for the
    ``with`` block, with this process's AWS endpoint and credentials pointed at it;
    ``settings``: environment of the emulator's own (its DynamoDB limits, say)."""
    child, endpoint = _start(port, settings or {})
    environment = {
        **_FAKE_ENVIRONMENT,
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_DEFAULT_REGION": region,
        "AWS_REGION": region,
    }
    saved = {name: os.environ.get(name) for name in environment}
    os.environ.update(environment)
    try:
        yield Emulator(endpoint=endpoint, region=region, pid=child.pid)
    finally:
        _stop(child)
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def serve(port: int) -> None:
    """The child: the patched server until standard input closes (moto's threaded
    server, made here so that a port in use ends the child with an error)."""
    import threading  # noqa: PLC0415

    from moto.moto_server.werkzeug_app import (  # noqa: PLC0415 - the child's only
        DomainDispatcherApplication,
        MotoRequestHandler,
        create_backend_app,
    )
    from werkzeug.serving import make_server  # noqa: PLC0415

    from cardwatch.local.emulator import patches  # noqa: PLC0415
    from cardwatch.local.emulator.patches import speed  # noqa: PLC0415

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no line per emulated request
    patches.install()
    speed.install()
    app = DomainDispatcherApplication(create_backend_app)
    with contextlib.redirect_stderr(io.StringIO()):  # werkzeug's own words on a taken port
        server = make_server(
            "127.0.0.1", port, app, threaded=True, request_handler=MotoRequestHandler
        )
    threading.Thread(target=server.serve_forever, daemon=True, name="emulator").start()
    bound = server.server_address[1]
    print(f"{_READY}http://127.0.0.1:{bound}", flush=True)
    try:
        sys.stdin.read()  # returns when the parent closes its end (or dies)
    finally:
        server.shutdown()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="cardwatch's local AWS emulator")
    parser.add_argument("--port", type=int, default=0)
    serve(parser.parse_args().port)
