from decimal import Decimal

import pytest

from cardwatch.domain.errors import InvalidTransaction
from cardwatch.domain.transaction.money import minor_units, parse_amount


@pytest.mark.parametrize(
    ("currency", "places"), [("USD", 2), ("EUR", 2), ("JPY", 0), ("KRW", 0), ("KWD", 3), ("BHD", 3)]
)
def test_minor_units_follow_iso_4217(currency: str, places: int) -> None:
    assert minor_units(currency) == places


def test_amount_is_quantized_to_the_currency() -> None:
    assert parse_amount(Decimal("12.3"), "USD") == Decimal("12.30")
    assert str(parse_amount(Decimal("12.3"), "USD")) == "12.30"
    assert str(parse_amount(500, "JPY")) == "500"
    assert str(parse_amount(Decimal("1.234"), "KWD")) == "1.234"
    assert parse_amount(Decimal("12.300"), "USD") == Decimal("12.30")


@pytest.mark.parametrize(
    ("value", "currency", "message"),
    [
        (Decimal("0"), "USD", "greater than zero"),
        (Decimal("-5"), "USD", "greater than zero"),
        (Decimal("12.345"), "USD", "more decimal places than USD allows"),
        (Decimal("1.5"), "JPY", "more decimal places than JPY allows"),
        (Decimal("1E+400"), "USD", "must not exceed"),
        (Decimal("1E-400"), "USD", "more decimal places"),
        (Decimal("NaN"), "USD", "finite"),
        (Decimal("Infinity"), "USD", "finite"),
        (1.5, "USD", "JSON number"),
        (True, "USD", "JSON number"),
        ("12.50", "USD", "JSON number"),
    ],
)
def test_bad_amounts_are_rejected_naming_the_field(
    value: object, currency: str, message: str
) -> None:
    with pytest.raises(InvalidTransaction, match=message) as caught:
        parse_amount(value, currency)
    assert caught.value.fields == ("amount",)
