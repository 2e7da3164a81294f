"""Requests signed with a person's own AWS identity (Signature Version 4), as API
Gateway's ``AWS_IAM`` routes take them: the console and scripts sign with the
credentials of whoever runs them (a profile, IAM Identity Center's session, or in local
mode a demo analyst's emulator session)."""

from __future__ import annotations

from collections.abc import Generator, Mapping
from urllib.parse import quote, urlencode

import httpx
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

__all__ = ["SignedAsCaller", "local_caller"]

#: what a signature adds to a request
_SIGNATURE_HEADERS = ("Authorization", "X-Amz-Date", "X-Amz-Security-Token")


class SignedAsCaller(httpx.Auth):
    """httpx's auth: every request signed for ``execute-api`` in ``region``, with the
    credentials as they are at that moment (an SSO or role session refreshes)."""

    requires_request_body = True

    def __init__(self, credentials: Credentials, region: str) -> None:
        self._credentials, self._region = credentials, region

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response]:
        # the query as SigV4 spells it (a space is %20, never +), sent as signed
        query = urlencode(list(request.url.params.multi_items()), quote_via=quote)
        request.url = request.url.copy_with(query=query.encode() or None)
        signed = AWSRequest(
            method=request.method,
            url=str(request.url),
            data=request.content,
            headers={"content-type": request.headers.get("content-type", "")}
            if request.content
            else {},
        )
        frozen = self._credentials.get_frozen_credentials()
        now = Credentials(frozen.access_key, frozen.secret_key, frozen.token)
        SigV4Auth(now, "execute-api", self._region).add_auth(signed)
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
