"""The embedded AWS emulator: moto's threaded server on 127.0.0.1.

Everything in the process that builds a boto3 client after :func:`running_emulator`
starts talks to it, through ``AWS_ENDPOINT_URL`` and fake credentials: local mode
changes endpoints, nothing else.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import boto3
from moto.server import ThreadedMotoServer

from cardwatch.local import fidelity

__all__ = ["Emulator", "running_emulator"]

_FAKE_ENVIRONMENT = {
    "AWS_ACCESS_KEY_ID": "cardwatch-local",
    "AWS_SECRET_ACCESS_KEY": "cardwatch-local",
    "AWS_SESSION_TOKEN": "cardwatch-local",
}


@dataclass(frozen=True, slots=True)
class Emulator:
    endpoint: str
    region: str

    def session(self) -> boto3.session.Session:
        return boto3.session.Session(region_name=self.region)


@contextmanager
def running_emulator(region: str, port: int = 0) -> Iterator[Emulator]:
    """Start moto's server on loopback (port 0: any free port) for the ``with`` block."""
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no line per emulated request
    fidelity.install()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    host, bound = server.get_host_and_port()
    endpoint = f"http://{host}:{bound}"
    environment = {
        **_FAKE_ENVIRONMENT,
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_DEFAULT_REGION": region,
        "AWS_REGION": region,
    }
    saved = {name: os.environ.get(name) for name in environment}
    os.environ.update(environment)
    try:
        yield Emulator(endpoint=endpoint, region=region)
    finally:
        server.stop()
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
