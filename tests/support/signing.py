"""Signed requests for the tests: as a demo analyst of a running local stack (its
state or its pipeline), for httpx (the console's own signer) and for requests
(schemathesis's transport), both through botocore's SigV4."""

from __future__ import annotations

from typing import Any

import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from cardwatch.adapters.signed_requests import SignedAsCaller, local_caller

__all__ = ["RequestsSigned", "analyst_arn", "as_analyst", "credentials_of"]


def credentials_of(source: Any, name: str = "ana") -> tuple[str, Credentials]:
    """(ARN, credentials) of demo analyst ``name``: ``source`` a state dict or a pipeline."""
    if isinstance(source, dict):
        return local_caller(source, name)
    caller = source.analysts[name]
    return caller.arn, Credentials(
        caller.access_key_id, caller.secret_access_key, caller.session_token
    )


def analyst_arn(source: Any, name: str = "ana") -> str:
    return credentials_of(source, name)[0]


def as_analyst(source: Any, name: str = "ana", region: str = "us-east-1") -> SignedAsCaller:
    """httpx's auth: signed as demo analyst ``name``."""
    return SignedAsCaller(credentials_of(source, name)[1], region)


class RequestsSigned(requests.auth.AuthBase):
    """requests' auth: signed as demo analyst ``name``."""

    def __init__(self, source: Any, name: str = "ana", region: str = "us-east-1") -> None:
        self._credentials, self._region = credentials_of(source, name)[1], region

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        body = request.body or b""
        signed = AWSRequest(
            method=request.method,
            url=request.url,
            data=body.encode() if isinstance(body, str) else body,
            headers={"content-type": request.headers.get("content-type", "")} if body else {},
        )
        SigV4Auth(self._credentials, "execute-api", self._region).add_auth(signed)
        for name in ("Authorization", "X-Amz-Date", "X-Amz-Security-Token"):
            request.headers[name] = signed.headers[name]
        return request
