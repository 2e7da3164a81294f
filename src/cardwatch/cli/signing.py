"""Requests signed with a person's own AWS identity (Signature Version 4), as API
Gateway's ``AWS_IAM`` routes take them: the console and scripts sign with the
credentials of whoever runs them (a profile, IAM Identity Center's session, or in local
mode a demo analyst's emulator session)."""

from __future__ import annotations

from collections.abc import Generator, Mapping

import httpx
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

__all__ = ["SignedAsCaller", "local_caller"]

#: what a signature adds to a request
_SIGNATURE_HEADERS = ("Authorization", "X-Amz-Date", "X-Amz-Security-Token")


class SignedAsCaller(httpx.Auth):
    """httpx's auth: every request signed for ``execute-api`` in ``region``."""

    requires_request_body = True

    def __init__(self, credentials: Credentials, region: str) -> None:
        self._credentials, self._region = credentials, region

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response]:
        signed = AWSRequest(
            method=request.method,
            url=str(request.url),
            data=request.content,
            headers={"content-type": request.headers.get("content-type", "")}
            if request.content
            else {},
        )
        SigV4Auth(self._credentials, "execute-api", self._region).add_auth(signed)
        for name in _SIGNATURE_HEADERS:
            if name in signed.headers:
                request.headers[name] = signed.headers[name]
        yield request


def local_caller(state: Mapping[str, object], name: str) -> tuple[str, Credentials]:
    """A demo analyst's ARN and emulator credentials from local mode's state file."""
    analysts = state.get("analysts")
    if not isinstance(analysts, dict) or name not in analysts:
        known = ", ".join(sorted(analysts)) if isinstance(analysts, dict) else "none"
        raise KeyError(f"no demo analyst named {name!r} (local mode has: {known})")
    kept = analysts[name]
    credentials = Credentials(
        kept["access_key_id"], kept["secret_access_key"], kept["session_token"]
    )
    return str(kept["arn"]), credentials
