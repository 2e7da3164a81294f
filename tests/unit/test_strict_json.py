from decimal import Decimal

import pytest

from cardwatch.domain.errors import InvalidTransaction
from cardwatch.domain.transaction.strict_json import loads


def test_fractions_become_decimal_never_float() -> None:
    # GIVEN a number that binary floating point cannot hold exactly
    # WHEN it is decoded
    document = loads('{"amount": 0.1, "count": 3}')
    # THEN it is the exact decimal, and integers stay integers
    assert document == {"amount": Decimal("0.1"), "count": 3}
    assert type(document["amount"]) is Decimal


@pytest.mark.parametrize(
    "text", ['{"amount": NaN}', '{"amount": Infinity}', '{"amount": -Infinity}']
)
def test_non_finite_constants_are_rejected(text: str) -> None:
    with pytest.raises(InvalidTransaction, match="not a valid JSON number"):
        loads(text)


def test_duplicate_keys_are_rejected_naming_the_key() -> None:
    with pytest.raises(InvalidTransaction) as caught:
        loads('{"amount": 1, "amount": 1000}')
    assert caught.value.fields == ("amount",)


@pytest.mark.parametrize("text", ["", "not json", "{", '{"a": 1,}', "[1, 2"])
def test_malformed_json_is_an_input_error(text: str) -> None:
    with pytest.raises(InvalidTransaction) as caught:
        loads(text)
    assert caught.value.fields == ("body",)


def test_deep_nesting_and_giant_integers_are_input_errors() -> None:
    with pytest.raises(InvalidTransaction, match="nested too deeply"):
        loads("[" * 100_000 + "]" * 100_000)
    with pytest.raises(InvalidTransaction, match="not valid JSON"):
        loads('{"amount": ' + "9" * 5000 + "}")


def test_invalid_utf8_bytes_are_an_input_error() -> None:
    with pytest.raises(InvalidTransaction, match="UTF-8"):
        loads(b'{"a": "\xff\xfe"}')
