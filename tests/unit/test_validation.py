"""The contract and the checks beyond it, on request bodies."""

import json
import unicodedata
from collections.abc import Callable
from decimal import Decimal

import pytest

from cardwatch.domain.engine.features import observe
from cardwatch.domain.errors import MAX_PROBLEMS, InvalidTransaction, problem_body
from cardwatch.domain.transaction.card import CardTokenizer
from cardwatch.domain.transaction.record import Transaction
from cardwatch.domain.transaction.validation import (
    TransactionParser,
    card_data_problems,
    contract_validator,
    model_problems,
)
from cardwatch.schema import schema_text, transaction_schema
from tests.support.card_corpus import full_width
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


CHANNELS = ("pos", "ecommerce", "contactless", "atm", "moto", "recurring")
_ID = "must match the pattern ^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$"
#: Every field of the contract with a value it refuses, and the rule the refusal names.
EVERY_FIELD_BROKEN: dict[str, tuple[object, str]] = {
    "transaction_id": ("-starts-with-a-dash", _ID),
    "user_id": ("user 42", _ID),
    "amount": (-1, "must be greater than 0"),
    "currency": ("XYZ", "must be one of the contract's list"),
    "timestamp": ("yesterday", "must match the pattern "),
    "terminal_id": ("", _ID),
    "merchant_id": ("shop/7", _ID),
    "card_number": ("4111", "must match the pattern ^[0-9]{13,19}$"),
    "merchant_category_code": ("54111", "must match the pattern ^[0-9]{4}$"),
    "country": ("usa", "must match the pattern ^[A-Z]{2}$"),
    "channel": ("bike", "must be one of " + ", ".join(CHANNELS)),
    "device_id": ("dev ice", "must match the pattern ^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$"),
    "ip_address": ("not-an-ip", "must match the pattern ^[0-9A-Fa-f:.]{2,45}$"),
    "latitude": (91, "must be at most 90"),
    "longitude": (-181, "must be at least -180"),
}


def answer_of(parser: TransactionParser, document: dict[str, object]) -> dict[str, object]:
    return problem_body(problems_of(parser, json.dumps(document)))


def test_every_broken_rule_is_listed_not_only_the_first(parser: TransactionParser) -> None:
    # GIVEN a body breaking three of the contract's rules
    answer = answer_of(parser, valid_document(amount=-1, currency="XYZ", channel="bike"))
    # THEN each is listed, naming its field and its rule, and counted
    assert answer["error_count"] == 3
    assert answer["errors"] == [
        {"field": "amount", "message": "must be greater than 0"},
        {"field": "channel", "message": "must be one of " + ", ".join(CHANNELS)},
        {"field": "currency", "message": "must be one of the contract's list"},
    ]


def test_the_checks_beyond_the_schema_each_name_their_problem(parser: TransactionParser) -> None:
    # GIVEN a body that keeps the schema but breaks three rules it cannot say
    broken = valid_document(
        amount=12.345, timestamp="2026-02-30T10:00:00Z", card_number="4111111111111112"
    )
    answer = answer_of(parser, broken)
    assert answer["error_count"] == 3
    assert [(e["field"], e["message"]) for e in answer["errors"]] == [  # type: ignore[attr-defined]
        ("amount", "has more decimal places than USD allows (2)"),
        ("timestamp", "is not a real date and time"),
        ("card_number", "fails the Luhn check"),
    ]


def test_contract_and_later_checks_are_listed_together(parser: TransactionParser) -> None:
    # the amount's places depend on the currency, which is broken: not checked
    broken = valid_document(currency="XYZ", amount=1.234, latitude=1.01111111111)
    assert problems_of(parser, json.dumps(broken)).fields == ("currency", "latitude")


def test_fifteen_problems_list_ten_and_count_fifteen(parser: TransactionParser) -> None:
    # GIVEN every one of the contract's fields broken
    broken = {name: value for name, (value, _) in EVERY_FIELD_BROKEN.items()}
    error = problems_of(parser, json.dumps(broken))
    answer = problem_body(error)
    # THEN fifteen problems are counted, the first ten listed, the rest said in the message
    assert answer["error_count"] == len(error.problems) == 15
    assert len(answer["errors"]) == MAX_PROBLEMS  # type: ignore[arg-type]
    assert str(answer["message"]).endswith("; and 5 more")
    assert set(error.fields) == set(EVERY_FIELD_BROKEN)
    for problem in error.problems:
        assert problem.message.startswith(EVERY_FIELD_BROKEN[problem.field][1]), problem
    # AND no value is echoed
    for value, _ in EVERY_FIELD_BROKEN.values():
        if isinstance(value, str) and len(value) > 2:
            assert value not in json.dumps(answer)


def test_the_order_of_problems_is_stable(parser: TransactionParser) -> None:
    broken = {name: value for name, (value, _) in EVERY_FIELD_BROKEN.items()}
    shuffled = dict(reversed(list(broken.items())))
    first = problems_of(parser, json.dumps(broken)).problems
    assert problems_of(parser, json.dumps(broken)).problems == first
    assert problems_of(parser, json.dumps(shuffled)).problems == first


def test_missing_fields_are_each_named_once(parser: TransactionParser) -> None:
    error = problems_of(
        parser, json.dumps(valid_document(amount=None, currency=None, user_id=None))
    )
    assert sorted(error.fields) == ["amount", "currency", "user_id"]
    assert len(error.problems) == 3


def test_a_value_of_the_wrong_type_is_named_once_by_its_type(parser: TransactionParser) -> None:
    error = problems_of(parser, json.dumps(valid_document(currency=3, channel=True)))
    assert [str(p) for p in error.problems] == [
        "channel: must be of JSON type string",
        "currency: must be of JSON type string",
    ]


@pytest.mark.parametrize(
    "spelling", [TEST_PANS[1], full_width(TEST_PANS[1]), "x\u00a0" + TEST_PANS[1]]
)
def test_card_data_is_named_with_the_other_problems_never_shown(
    parser: TransactionParser, spelling: str
) -> None:
    # GIVEN a card number in a device id and as a field name, a CVV, and two bad values
    document = valid_document(device_id=f"d-{spelling}", cvv="123", amount=-1, currency="XYZ")
    document[spelling] = 1
    answer = answer_of(parser, document)
    # THEN each is counted, by field, and the card number's digits are nowhere
    assert [(e["field"], e["message"][:24]) for e in answer["errors"]] == [  # type: ignore[attr-defined]
        ("device_id", "may hold a card number; "),
        ("body", "a field name may hold a "),
        ("cvv", "card verification codes "),
        ("amount", "must be greater than 0"),
        ("currency", "must be one of the contr"),
    ]
    assert answer["error_count"] == 5
    shown = json.dumps(answer, ensure_ascii=False)
    assert TEST_PANS[1] not in "".join(
        ch for ch in unicodedata.normalize("NFKC", shown) if ch.isdigit()
    )
    assert "123" not in shown


def test_the_validator_alone_never_shows_a_card_number_as_a_field_name() -> None:
    # the local gateway reads model_problems without the screen in front of it
    document = valid_document() | {full_width(TEST_PANS[2]): 1, "favourite_colour": "blue"}
    problems = model_problems(document, contract_validator("transaction"))
    assert sorted(p.field for p in problems) == ["body", "favourite_colour"]
    shown = unicodedata.normalize("NFKC", " ".join(map(str, problems)))
    assert TEST_PANS[2] not in shown


def test_a_path_whose_names_spell_a_card_number_is_never_shown() -> None:
    nested = {"x": {"4111": {"1111": {"1111": {"1111": "a"}}}}}
    spaced = {"4111 1111": {"1111 1111": "a"}}
    for document in (nested, spaced):
        problems = card_data_problems(document)
        assert problems, document
        shown = " ".join(f"{p.field} {p.message}" for p in problems)
        assert "4111.1111.1111.1111" not in shown and "4111111111111111" not in shown
