"""AWS clients shared by the adapters of one process (one per service, created lazily).

boto3 reads ``AWS_ENDPOINT_URL`` itself, which is all local mode changes.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import boto3
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    NoCredentialsError,
    NoRegionError,
    ProfileNotFound,
    SSOTokenLoadError,
    TokenRetrievalError,
    UnauthorizedSSOTokenError,
)
from botocore.exceptions import ConnectionError as EndpointUnreachable

__all__ = [
    "AWS_ERRORS",
    "AWS_UNREACHABLE",
    "bounded_client",
    "client",
    "emulator_session",
    "forget_clients",
    "session",
]

#: What a call to AWS (or the emulator) raises when it is refused or cannot be made.
AWS_ERRORS = (BotoCoreError, ClientError)
#: ... of those, what says AWS was not reached (no network; no credentials, profile or
#: region; an expired sign-in), rather than that it refused.
AWS_UNREACHABLE = (
    EndpointUnreachable,
    NoCredentialsError,
    NoRegionError,
    ProfileNotFound,
    SSOTokenLoadError,
    TokenRetrievalError,
    UnauthorizedSSOTokenError,
)


@cache
def client(service: str) -> Any:
    return boto3.client(service)


@cache
def bounded_client(service: str, timeout_seconds: float, attempts: int) -> Any:
    """A client whose every call gives up after ``attempts`` tries of at most
    ``timeout_seconds`` each: for what an answer waits on, where a late result is worth
    less than a prompt fallback."""
    from botocore.config import Config  # noqa: PLC0415 - with botocore, already loaded

    return boto3.client(
        service,
        config=Config(
            connect_timeout=timeout_seconds,
            read_timeout=timeout_seconds,
            # total: the first try included (max_attempts would count retries only)
            retries={"total_max_attempts": attempts, "mode": "standard"},
        ),
    )


def session(region: str) -> Any:
    """A fresh session in ``region`` with the caller's credentials (the operator's
    commands, which read an account rather than serve a function)."""
    return boto3.session.Session(region_name=region)


def emulator_session(region: str) -> Any:
    """A session for local mode's emulator, which takes any credentials (so a shell with
    no AWS credentials can use the local stack)."""
    return boto3.session.Session(
        aws_access_key_id="local",
        aws_secret_access_key="local",  # noqa: S106 (the emulator's, not a secret)
        region_name=region,
    )


def forget_clients() -> None:
    """Drop cached clients (after the endpoint or credentials changed)."""
    client.cache_clear()
    bounded_client.cache_clear()
