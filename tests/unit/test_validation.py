"""The contract and the checks beyond it, on request bodies."""

import json
from collections.abc import Callable
from decimal import Decimal

import pytest

from cardwatch.domain.engine.features import observe
from cardwatch.domain.errors import InvalidTransaction
from cardwatch.domain.transaction.card import CardTokenizer
from cardwatch.domain.transaction.record import Transaction
from cardwatch.domain.transaction.validation import TransactionParser
from cardwatch.schema import schema_text, transaction_schema
from tests.support.documents import TEST_PANS, valid_document

pytestmark = pytest.mark.requirement("R000-02")


def problems_of(parser: TransactionParser, text: str) -> InvalidTransaction:
    with pytest.raises(InvalidTransaction) as caught:
        parser.parse(text)
    return caught.value


def test_a_valid_body_becomes_a_tokenized_transaction(
    parser: TransactionParser, make_body: Callable[..., str]
) -> None:
    transaction = parser.parse(make_body())
    assert transaction.amount == Decimal("125.50")
    assert transaction.card.masked == "411111******1111"
    assert transaction.timestamp_ms == 1_795_175_880_000
    assert transaction.extras["latitude"] == Decimal("40.7128")
    assert TEST_PANS[0] not in json.dumps(transaction.public_view())
    assert TEST_PANS[0] not in repr(transaction.to_record())


def test_the_clients_offset_is_kept_for_local_time_through_the_stored_record(
    parser: TransactionParser, make_body: Callable[..., str]
) -> None:
    # GIVEN the same moment written in Tokyo's time and in UTC
    tokyo = parser.parse(make_body(timestamp="2026-11-20T20:58:00+09:00"))
    utc = parser.parse(make_body())
    # THEN both are the same instant; the Tokyo one keeps its offset, stored and read back
    assert tokyo.timestamp_ms == utc.timestamp_ms == 1_795_175_880_000
    assert (tokyo.utc_offset_minutes, utc.utc_offset_minutes) == (540, 0)
    again = Transaction.from_record(tokyo.to_record())
    assert observe(again).utc_offset_minutes == 540
    assert Transaction.from_record(utc.to_record()).fingerprint() == utc.fingerprint()


def test_the_schema_is_draft_04_and_one_file() -> None:
    schema = transaction_schema()
    assert schema["$schema"] == "http://json-schema.org/draft-04/schema#"
    assert json.loads(schema_text()) == schema
    assert schema["additionalProperties"] is False


@pytest.mark.parametrize(
    "field", ["transaction_id", "user_id", "amount", "currency", "timestamp", "terminal_id"]
)
def test_a_missing_required_field_is_named(parser: TransactionParser, field: str) -> None:
    document = valid_document()
    del document[field]
    error = problems_of(parser, json.dumps(document))
    assert error.fields == (field,)
    assert "is required" in str(error)


@pytest.mark.parametrize("field", ["cvv", "CVC", "cvv2", "security_code"])
def test_a_card_verification_code_is_refused_and_not_echoed(
    parser: TransactionParser, field: str
) -> None:
    error = problems_of(parser, json.dumps(valid_document(**{field: "123"})))
    assert error.fields == (field,)
    assert "123" not in str(error)


def test_unknown_fields_are_refused_by_name(parser: TransactionParser) -> None:
    error = problems_of(parser, json.dumps(valid_document(favourite_colour="blue")))
    assert error.fields == ("favourite_colour",)


def test_exactly_one_card_form_is_required(parser: TransactionParser) -> None:
    assert problems_of(parser, json.dumps(valid_document(card_number=None))).fields == (
        "card_number",
    )
    both = valid_document(card_token="tok_" + "0" * 64)
    assert "exactly one" in str(problems_of(parser, json.dumps(both)))


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"amount": 0}, "amount", "greater than 0"),
        ({"amount": -3}, "amount", "greater than 0"),
        ({"amount": "12.00"}, "amount", "type number"),
        ({"amount": 12.345}, "amount", "more decimal places"),
        ({"amount": 1e300}, "amount", "at most"),
        ({"currency": "XYZ"}, "currency", "one of"),
        ({"currency": "usd"}, "currency", "one of"),
        ({"timestamp": "yesterday"}, "timestamp", "pattern"),
        ({"timestamp": "2026-02-30T10:00:00Z"}, "timestamp", "real date"),
        ({"timestamp": "2026-11-20T13:00:00Z"}, "timestamp", "future"),
        ({"timestamp": "1999-01-01T00:00:00Z"}, "timestamp", "older than"),
        ({"card_number": "4111111111111112"}, "card_number", "Luhn"),
        ({"card_number": "4111-1111-1111-1111"}, "card_number", "pattern"),
        ({"latitude": 91}, "latitude", "at most 90"),
        ({"channel": "carrier-pigeon"}, "channel", "one of"),
        ({"user_id": "x" * 65}, "user_id", "pattern"),
        ({"transaction_id": "a\u0000b"}, "transaction_id", "pattern"),
    ],
)
def test_bad_values_are_named_never_echoed(
    parser: TransactionParser, changes: dict[str, object], field: str, message: str
) -> None:
    error = problems_of(parser, json.dumps(valid_document(**changes)))
    assert field in error.fields
    assert message in str(error)
    assert TEST_PANS[0] not in str(error)


@pytest.mark.parametrize("text", ["[]", "null", "42", '"text"'])
def test_a_body_that_is_not_an_object_is_refused(parser: TransactionParser, text: str) -> None:
    assert problems_of(parser, text).fields == ("body",)


def test_a_token_instead_of_a_card_number(
    parser: TransactionParser, tokenizer: CardTokenizer
) -> None:
    token = tokenizer.tokenize(TEST_PANS[2]).token
    transaction = parser.parse(json.dumps(valid_document(card_number=None, card_token=token)))
    assert transaction.card.token == token and transaction.card.bin is None
    forged = token[:-1] + ("0" if token[-1] != "0" else "1")
    refused = problems_of(parser, json.dumps(valid_document(card_number=None, card_token=forged)))
    assert refused.fields == ("card_token",)
