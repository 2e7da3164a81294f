"""Bad input, by hand and by generation: every invalid body is a 4xx naming the
problem, no input of any kind is a 5xx."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft4Validator

from cardwatch.schema import gateway_model, transaction_schema
from tests.support.documents import TEST_PANS
from tests.support.figures import figures

FIGURES = figures("reliability")

NOW = datetime.now(UTC)


def body(**changes: Any) -> dict[str, Any]:
    document = {
        "transaction_id": f"bad-{len(FIGURES)}",
        "user_id": "u1",
        "amount": 10.5,
        "currency": "USD",
        "timestamp": NOW.isoformat().replace("+00:00", "Z"),
        "terminal_id": "t1",
        "card_number": TEST_PANS[0],
    } | changes
    return {k: v for k, v in document.items() if v is not None}


CORPUS: list[tuple[str, str | bytes, dict[str, str], str]] = [
    ("not JSON", "{not json", {}, "body"),
    ("empty body", "", {}, "body"),
    ("JSON array", "[]", {}, "body"),
    ("NaN", json.dumps(body()).replace("10.5", "NaN"), {}, "body"),
    ("Infinity", json.dumps(body()).replace("10.5", "Infinity"), {}, "body"),
    ("1e400", json.dumps(body()).replace("10.5", "1e400"), {}, "amount"),
    ("negative amount", json.dumps(body(amount=-3)), {}, "amount"),
    ("zero amount", json.dumps(body(amount=0)), {}, "amount"),
    ("three decimals", json.dumps(body(amount=1.005)), {}, "amount"),
    ("duplicate keys", json.dumps(body())[:-1] + ', "amount": 2}', {}, "amount"),
    ("huge string", json.dumps(body(user_id="u" * 5000)), {}, "user_id"),
    ("NUL in id", json.dumps(body(transaction_id="a\u0000b")), {}, "transaction_id"),
    ("odd unicode", json.dumps(body(terminal_id="t\u202e\ud83d\udca3")), {}, "terminal_id"),
    ("Luhn-invalid card", json.dumps(body(card_number="4111111111111112")), {}, "card_number"),
    ("CVV field", json.dumps(body(cvv="123")), {}, "cvv"),
    (
        "future timestamp",
        json.dumps(body(timestamp=(NOW + timedelta(days=2)).isoformat())),
        {},
        "timestamp",
    ),
    ("ancient timestamp", json.dumps(body(timestamp="1970-01-01T00:00:00Z")), {}, "timestamp"),
    ("oversized body", json.dumps(body(device_id="d" * 40_000)), {}, "body"),
    ("wrong content type", json.dumps(body()), {"content-type": "text/plain"}, "Content-Type"),
    ("invalid UTF-8", b'{"user_id": "\xff\xfe"}', {}, "body"),
]


def problem_names(response: httpx.Response) -> str:
    return response.text


@pytest.mark.parametrize(
    ("label", "content", "headers", "field"), CORPUS, ids=[c[0] for c in CORPUS]
)
def test_hand_made_corpus(
    api: httpx.Client, label: str, content: str | bytes, headers: dict[str, str], field: str
) -> None:
    response = api.post("/transactions", content=content, headers=headers)
    FIGURES["hand-made bad inputs tried"] += 1
    FIGURES["hand-made bad inputs answered 4xx naming the problem"] += (
        1 if (400 <= response.status_code < 500 and field in response.text) else 0
    )
    FIGURES["server errors"] += response.status_code >= 500
    assert 400 <= response.status_code < 500, (label, response.status_code, response.text)
    assert field in problem_names(response), (label, response.text)
    assert TEST_PANS[0] not in response.text


VALIDATOR = Draft4Validator(transaction_schema())
GATEWAY_MODEL = Draft4Validator(gateway_model("transaction"))


def _property(spec: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Values for one property of the (flat) contract, mostly valid, sometimes not."""
    if "enum" in spec:
        valid: st.SearchStrategy[Any] = st.sampled_from(spec["enum"])
    elif "pattern" in spec:
        valid = st.from_regex(spec["pattern"], fullmatch=True)
    else:
        valid = st.decimals(
            min_value=spec.get("minimum", -1e9),
            allow_nan=False,
            max_value=spec.get("maximum", 1e9),
            places=3,
        ).map(float)
    return st.one_of(valid, valid, st.text(max_size=8), st.integers(), st.none())


def documents() -> st.SearchStrategy[dict[str, Any]]:
    """Documents near the contract: built from its own properties, required ones mostly
    present, so that both what the model accepts and what it rejects get tried."""
    schema = transaction_schema()
    properties = schema["properties"]
    return st.fixed_dictionaries(
        {name: _property(properties[name]) for name in schema["required"]},
        optional={
            name: _property(spec)
            for name, spec in properties.items()
            if name not in schema["required"]
        },
    ).map(lambda d: {k: v for k, v in d.items() if v is not None})


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(document=documents())
def test_model_validator_and_function_agree(api: httpx.Client, document: dict[str, Any]) -> None:
    # API Gateway's model checks the contract's shape (its messages would echo values for
    # any other rule); the function checks the whole contract, naming fields. What breaks
    # the contract is a 400 either way, never a 5xx, and no answer echoes a value.
    response = api.post("/transactions", content=json.dumps(document))
    FIGURES["generated documents tried"] += 1
    FIGURES["server errors"] += response.status_code >= 500
    assert response.status_code < 500, response.text
    if not GATEWAY_MODEL.is_valid(document):
        assert response.status_code == 400
        assert response.json()["message"] == "Invalid request body"
    elif not VALIDATOR.is_valid(document):
        assert response.status_code == 400
        assert response.json()["errors"], response.text
    else:
        assert response.status_code in {201, 400, 409}
        if response.status_code == 400:
            # a rule beyond the schema (Luhn, dates, minor units, a whole-value pattern,
            # a card number in another field): named by a field of the contract
            fields = {problem["field"] for problem in response.json()["errors"]}
            assert fields <= set(transaction_schema()["properties"]), response.text
