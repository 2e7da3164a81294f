"""The console as a page on an analyst's machine: another site, another Host name or a
forged path reaches nothing (no state changes, no data), and the page itself carries a
policy that runs only its own script."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from botocore.credentials import Credentials

from cardwatch.adapters.signed_requests import SignedAsCaller
from cardwatch.cli.console import TOKEN_HEADER, ConsoleServer, ConsoleSource


@pytest.fixture
def console() -> Iterator[httpx.Client]:
    # an API nobody answers at: a request that reached it would fail with a 5xx
    source = ConsoleSource(
        "http://127.0.0.1:9",
        SignedAsCaller(Credentials("AKIDEXAMPLE", "secret", "token"), "us-east-1"),
        "arn:aws:sts::123456789012:assumed-role/fraud-console-analyst-local/ana",
        target=None,  # type: ignore[arg-type]
    )
    with ConsoleServer(source) as server, httpx.Client(base_url=server.url) as client:
        yield client


def token_of(console: httpx.Client) -> str:
    page = console.get("/").text
    found = re.search(r'name="cardwatch-token" content="([^"]+)"', page)
    assert found is not None
    return found[1]


def test_the_page_runs_only_its_own_script_and_cannot_be_framed(console: httpx.Client) -> None:
    answer = console.get("/")
    policy = answer.headers["content-security-policy"]
    nonce = re.search(r"script-src 'nonce-([^']+)'", policy)
    assert nonce is not None and f'<script nonce="{nonce[1]}">' in answer.text
    assert "frame-ancestors 'none'" in policy and "default-src 'none'" in policy
    assert answer.headers["x-frame-options"] == "DENY"
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert answer.headers["referrer-policy"] == "no-referrer"
    again = console.get("/").headers["content-security-policy"]
    assert again != policy  # a nonce per answer


@pytest.mark.parametrize(
    "path",
    ["/", "/api/reviews", "/api/cases", "/api/cases/tx-1", "/api/whoami", "/api/overview"],
)
def test_another_host_name_reaches_nothing(console: httpx.Client, path: str) -> None:
    answer = console.get(path, headers={"host": "attacker.example"})
    assert answer.status_code == 421
    assert "cardwatch-token" not in answer.text


@pytest.mark.parametrize(
    ("headers", "why"),
    [
        ({"content-type": "text/plain"}, "a cross-site form: no token"),
        ({"content-type": "application/json"}, "a no-cors fetch: no token"),
        ({"origin": "http://attacker.example", "with_token": True}, "another origin"),
        ({"origin": "null", "with_token": True}, "a sandboxed frame"),
        ({"sec-fetch-site": "cross-site", "with_token": True}, "another site"),
        ({TOKEN_HEADER: "guessed"}, "a wrong token"),
    ],
)
def test_a_case_action_not_from_the_page_is_refused(
    console: httpx.Client, headers: dict[str, Any], why: str
) -> None:
    sent = dict(headers)
    if sent.pop("with_token", False):
        sent[TOKEN_HEADER] = token_of(console)
    body = b'{"action": "label", "label": "fraud"}'
    answer = console.post("/api/cases/tx-1", content=body, headers=sent)
    assert answer.status_code == 403, why


def test_a_forged_path_never_becomes_an_upstream_path(console: httpx.Client) -> None:
    headers = {
        TOKEN_HEADER: token_of(console),
        "origin": str(console.base_url).rstrip("/"),
        "sec-fetch-site": "same-origin",
        "content-type": "application/json",
    }
    for path in ("/api/cases/.%3F", "/api/cases/%2E%2E", "/api/cases/a%20b"):
        answer = console.post(path, content=b'{"action": "note", "note": "x"}', headers=headers)
        assert answer.status_code == 400, path
    assert console.get("/api/cases/.%3F").status_code == 400
    assert console.get("/api/transactions/.%3F").status_code == 400
    as_text = console.post(
        "/api/cases/tx-1", content=b"{}", headers=headers | {"content-type": "text/plain"}
    )
    assert as_text.status_code == 400
