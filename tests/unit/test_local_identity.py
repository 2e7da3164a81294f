"""The local gateway's AWS_IAM authorization, as API Gateway's: a request signed with a
demo analyst's session passes, and one whose signature, body, query, time, scope or
role does not hold is refused with API Gateway's message."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from botocore.credentials import Credentials

from cardwatch.adapters.signed_requests import SignedAsCaller
from cardwatch.blueprint import blueprint_for
from cardwatch.infra.common.policies import analyst_policy
from cardwatch.local.runtime.identity import Caller, Refused, api_arn, authorize

BLUEPRINT = blueprint_for("local", "unit")
ACCOUNT = "123456789012"
BASE = "http://127.0.0.1:8080"


def _caller(title: str) -> Caller:
    role = BLUEPRINT.analyst_roles[title]
    under = f"{api_arn(BLUEPRINT, ACCOUNT)}/{BLUEPRINT.api_stage}"
    policy = analyst_policy(role, lambda handle: [f"arn:aws:local:::{handle}"], under, "".join)
    return Caller(
        "ana",
        title,
        f"arn:aws:sts::{ACCOUNT}:assumed-role/{role.role_name}/ana",
        "ASIAEXAMPLEKEY",
        "secret-of-ana",
        "token-of-ana",
        json.dumps(policy),
    )


def _signed(method: str, path: str, body: bytes = b"", **params: str) -> httpx.Request:
    request = httpx.Request(
        method,
        f"{BASE}{path}",
        params=params or None,
        content=body or None,
        headers={"content-type": "application/json"} if body else {},
    )
    auth = SignedAsCaller(
        Credentials("ASIAEXAMPLEKEY", "secret-of-ana", "token-of-ana"), "us-east-1"
    )
    return next(auth.auth_flow(request))


def _check(request: httpx.Request, title: str = "analyst", **changes: object) -> Caller:
    caller = _caller(title)
    path = request.url.path.lstrip("/")
    resource = f"{api_arn(BLUEPRINT, ACCOUNT)}/{BLUEPRINT.api_stage}/{request.method}/{path}"
    parts: dict[str, object] = {
        "method": request.method,
        "url": str(request.url),
        "headers": dict(request.headers),
        "body": request.content,
        "resource": resource,
        "region": "us-east-1",
    } | changes
    return authorize({caller.access_key_id: caller}, **parts)  # type: ignore[arg-type]


def test_a_signed_request_passes_with_its_callers_arn() -> None:
    case = _signed("POST", "/cases/c-1", b'{"action": "assign"}')
    assert _check(case).arn.endswith("/ana")
    assert _check(_signed("GET", "/cases", user="a b+c", terminal="t/1")).name == "ana"


@pytest.mark.parametrize(
    ("change", "said"),
    [
        ({"body": b'{"action": "close", "outcome": "fraud"}'}, "does not match"),
        ({"url": f"{BASE}/cases/c-2"}, "does not match"),
        ({"now": timedelta(minutes=16)}, "expired"),
        ({"region": "eu-west-1"}, "valid date and region"),
        ({"headers": {}}, "Missing Authentication Token"),
    ],
)
def test_a_request_that_was_not_signed_as_sent_is_refused(
    change: dict[str, object], said: str
) -> None:
    later = change.get("now")
    if isinstance(later, timedelta):  # a time from now, taken when the test runs
        change = change | {"now": datetime.now(UTC) + later}
    with pytest.raises(Refused, match=said):
        _check(_signed("POST", "/cases/c-1", b'{"action": "assign"}'), **change)


def test_a_claimed_body_hash_and_a_dropped_signed_header_are_refused() -> None:
    request = _signed("POST", "/cases/c-1", b'{"action": "assign"}')
    headers = dict(request.headers) | {"x-amz-content-sha256": "UNSIGNED-PAYLOAD"}
    with pytest.raises(Refused, match="does not match"):
        _check(request, headers=headers)
    dropped = {k: v for k, v in request.headers.items() if k != "x-amz-date"}
    with pytest.raises(Refused):
        _check(request, headers=dropped)


def test_a_viewer_reads_but_cannot_change_a_case() -> None:
    assert _check(_signed("GET", "/cases/c-1"), title="viewer").role == "viewer"
    with pytest.raises(Refused, match="not authorized to perform: execute-api:Invoke"):
        _check(_signed("POST", "/cases/c-1", b'{"action": "assign"}'), title="viewer")
