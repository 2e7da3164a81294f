"""Properties of money parsing: only input errors escape, and amounts survive exactly."""

import contextlib
from decimal import Decimal

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from hypothesis import given
from hypothesis import strategies as st

from cardwatch.domain.errors import InvalidTransaction
from cardwatch.domain.transaction.money import minor_units, parse_amount
from cardwatch.domain.transaction.strict_json import loads
from cardwatch.schema import transaction_schema

CURRENCIES = st.sampled_from(transaction_schema()["properties"]["currency"]["enum"])
NUMBER_TEXT = st.from_regex(r"-?[0-9]{1,30}(\.[0-9]{1,30})?([eE][+-]?[0-9]{1,5})?", fullmatch=True)


@given(text=NUMBER_TEXT, currency=CURRENCIES)
def test_any_json_number_is_parsed_or_rejected_as_input_error(text: str, currency: str) -> None:
    try:
        amount = parse_amount(loads(text), currency)
    except InvalidTransaction as error:  # "body" where the text is not JSON, as "00"
        assert error.fields in {("amount",), ("body",)}
    else:
        assert Decimal(0) < amount <= Decimal(1_000_000_000)
        assert amount.as_tuple().exponent == -minor_units(currency)


@given(units=st.integers(min_value=1, max_value=10**11), currency=CURRENCIES)
def test_a_stored_amount_reads_back_exactly(units: int, currency: str) -> None:
    # GIVEN an amount with exactly the currency's minor units
    places = minor_units(currency)
    amount = Decimal(units).scaleb(-places)
    if amount > Decimal(1_000_000_000):
        return
    # WHEN it goes through JSON, parsing and DynamoDB's number type and back
    parsed = parse_amount(loads(str(amount)), currency)
    stored = TypeSerializer().serialize(parsed)
    read_back = TypeDeserializer().deserialize(stored)
    # THEN not one digit has changed
    assert parsed == amount == read_back


@given(st.text(max_size=64))
def test_arbitrary_text_never_escapes_as_anything_but_an_input_error(text: str) -> None:
    with contextlib.suppress(InvalidTransaction):
        loads(text)
