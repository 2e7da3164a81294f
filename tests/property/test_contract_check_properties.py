"""The contract's compiled check and jsonschema's full validator give one verdict.

ingest accepts a body on the compiled check alone (jsonschema loads only for a body that
breaks the contract, to name its problems), so a body the compiled check let through and
the full validator would refuse would be a hole in the contract. Every field of both
contract files is tried with hostile values, removed, doubled by an unknown one, and
with values hypothesis draws."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cardwatch.cli.contract_checks import check_path, check_source
from cardwatch.domain.transaction.validation import contract_validator, keeps_contract
from cardwatch.schema import SCHEMA_FILES, contract_schema
from tests.support.documents import valid_document

_VALID_LABEL = {"label": "fraud", "source": "analyst", "note": "called the customer"}
#: Values a client might send for any field, honest or not.
_HOSTILE: list[Any] = [
    None,
    True,
    False,
    0,
    -1,
    1,
    10**30,
    Decimal("0"),
    Decimal("-0.0"),
    Decimal("1.5"),
    Decimal("1E+5"),
    Decimal("0.000001"),
    1.5,
    "",
    " ",
    "x",
    "X\n",
    "\nX",
    "a" * 64,
    "a" * 65,
    "US",
    "us",
    "USD",
    "5411",
    "5411\n",
    "pos",
    "2026-11-20T11:58:00Z",
    "2026-11-20T11:58:00Z\n",
    "2026-11-20T11:58:00.1234567Z",
    "4111111111111111",
    "tok_" + "0" * 64,
    "fraud",
    "analyst",
    "é",
    [],
    {},
    ["a"],
    {"a": 1},
]


_VALID_CASE_ACTION = {"action": "label", "label": "fraud", "transaction_ids": ["tx-1"]}


def _full_verdict(document: object, name: str) -> bool:
    return not list(contract_validator(name).iter_errors(document))


def _agree(document: object, name: str) -> None:
    assert keeps_contract(document, name) == _full_verdict(document, name), document


def _cases(name: str) -> list[tuple[dict[str, Any], str]]:
    valid = {
        "transaction": valid_document,
        "label": lambda: dict(_VALID_LABEL),
        "case_action": lambda: dict(_VALID_CASE_ACTION),
    }[name]()
    schema = contract_schema(name)
    fields = list(schema["properties"])
    cases = [(valid, "as is"), ({**valid, "unknown": 1}, "unknown field")]
    for field in fields:
        choices = list(_HOSTILE) + list(schema["properties"][field].get("enum", []))
        cases += [({**valid, field: value}, f"{field}={value!r}") for value in choices]
        cases.append(({k: v for k, v in valid.items() if k != field}, f"without {field}"))
    return cases


@pytest.mark.parametrize("name", list(SCHEMA_FILES))
def test_the_compiled_checks_are_what_the_schema_files_give_now(name: str) -> None:
    # GIVEN the schema file as it is WHEN its check is compiled again
    # THEN the module ingest imports is exactly that (`make contract-checks` rewrites it)
    assert check_path(name).read_text(encoding="utf-8") == check_source(name)


@pytest.mark.parametrize("name", list(SCHEMA_FILES))
def test_both_checks_agree_on_every_field_with_hostile_values(name: str) -> None:
    cases = _cases(name)
    assert len(cases) > 40
    accepted = 0
    for document, _what in cases:
        _agree(document, name)
        accepted += keeps_contract(document, name)
    # the cases are not all one verdict: both sides of the line are exercised
    assert 0 < accepted < len(cases)


def test_both_checks_agree_on_the_card_fields_together_and_apart() -> None:
    token = "tok_" + "a" * 64
    for document in (
        valid_document(card_number=None, card_token=token),
        valid_document(card_token=token),
        valid_document(card_number=None),
        valid_document(card_number=None, card_token="tok_short"),
    ):
        _agree(document, "transaction")


_JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.decimals(allow_nan=False, allow_infinity=False)
    | st.text(max_size=80),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=6,
)


@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_both_checks_agree_on_drawn_values(data: st.DataObject) -> None:
    name = data.draw(st.sampled_from(list(SCHEMA_FILES)))
    valid = {
        "transaction": valid_document,
        "label": lambda: dict(_VALID_LABEL),
        "case_action": lambda: dict(_VALID_CASE_ACTION),
    }[name]()
    schema = contract_schema(name)
    field = data.draw(st.sampled_from([*schema["properties"], "other"]))
    document = {**valid, field: data.draw(_JSON)}
    _agree(document, name)
