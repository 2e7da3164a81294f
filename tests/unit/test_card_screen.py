"""The card-number screen: every spelling of a PAN in every field is refused, named by
field and never shown; ordinary values pass."""

from __future__ import annotations

import json
import random
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cardwatch.domain.errors import MAX_PROBLEMS, InvalidTransaction, problem_body
from cardwatch.domain.transaction.card_screen import (
    card_numbers_in,
    holds_card_number,
    number_holds_card_number,
)
from cardwatch.domain.transaction.validation import TransactionParser, check_path_id, parse_label
from tests.support.card_corpus import (
    ID_FIELDS,
    grouped,
    id_spellings,
    luhn_pans,
    number_spellings,
    text_spellings,
)
from tests.support.documents import TEST_PANS, body
from tests.support.figures import figures

FIGURES = figures("reliability")

PANS = luhn_pans(12, seed=3) + list(TEST_PANS)


def refusal(parser: TransactionParser, text: str) -> InvalidTransaction:
    with pytest.raises(InvalidTransaction) as caught:
        parser.parse(text)
    return caught.value


def assert_not_echoed(error: InvalidTransaction, pan: str) -> None:
    answer = json.dumps(problem_body(error))
    digits = "".join(ch for ch in answer if ch.isdigit())
    assert pan not in digits, "the answer holds the card number's digits"


@pytest.mark.parametrize("field", ID_FIELDS)
def test_a_card_number_in_any_id_field_is_refused_by_name(
    parser: TransactionParser, field: str
) -> None:
    for pan in PANS:
        for spelling in id_spellings(pan):
            error = refusal(parser, body(**{field: spelling}))
            assert error.fields == (field,), spelling
            assert_not_echoed(error, pan)


@pytest.mark.parametrize("field", ["ip_address", "card_token"])
def test_a_card_number_in_the_address_or_the_token_is_refused(
    parser: TransactionParser, field: str
) -> None:
    for pan in PANS:
        spellings = (
            [pan, grouped(pan, "."), grouped(pan, ":")]
            if field == "ip_address"
            else [f"tok_{pan}{'0' * (64 - len(pan))}", f"tok_{pan}{'ab' * 32}"[:68], f"tok_{pan}"]
        )
        for spelling in spellings:
            changes = {field: spelling} | ({"card_number": None} if field == "card_token" else {})
            error = refusal(parser, body(**changes))
            assert error.fields == (field,), spelling
            assert_not_echoed(error, pan)


@pytest.mark.parametrize("field", ["latitude", "longitude", "amount"])
def test_a_card_number_in_a_number_is_refused(parser: TransactionParser, field: str) -> None:
    for pan in PANS:
        for number in number_spellings(pan):
            text = body().replace('"latitude": 40.7128', f'"{field}": {number}')
            if field != "latitude":
                text = text.replace(f'"{field}": ', f'"{field}": {number}, "_": ', 1)
                text = body(**{field: None})[:-1] + f', "{field}": {number}}}'
            error = refusal(parser, text)
            assert error.fields == (field,), number
            assert_not_echoed(error, pan)


def test_a_card_number_as_a_field_name_is_never_echoed(parser: TransactionParser) -> None:
    for pan in PANS:
        for name in (pan, grouped(pan, "-"), f"note {pan}"):
            error = refusal(parser, body()[:-1] + f", {json.dumps(name)}: 1}}")
            assert error.fields == ("body",)
            assert_not_echoed(error, pan)
            twice = body()[:-1] + f", {json.dumps(name)}: 1, {json.dumps(name)}: 2}}"
            assert_not_echoed(refusal(parser, twice), pan)


def test_the_label_body_and_path_are_screened() -> None:
    for pan in PANS:
        for note in text_spellings(pan):
            with pytest.raises(InvalidTransaction) as caught:
                parse_label(json.dumps({"label": "fraud", "source": "analyst", "note": note}))
            assert caught.value.fields == ("note",), note
            assert_not_echoed(caught.value, pan)
        for path_id in id_spellings(pan):
            with pytest.raises(InvalidTransaction) as caught:
                check_path_id(path_id)
            assert caught.value.fields == ("transaction_id",)
            assert_not_echoed(caught.value, pan)


def test_the_card_number_field_itself_is_not_screened(parser: TransactionParser) -> None:
    assert parser.parse(body(card_number=TEST_PANS[1])).card.last4 == "4444"


@given(st.sampled_from(PANS), st.sampled_from([" ", "-", ".", ":", "_", "/", " - "]))
def test_every_grouping_of_a_pan_is_found(pan: str, separator: str) -> None:
    for size in (3, 4, 5, 6):
        assert holds_card_number(f"x {grouped(pan, separator, size)} y")


def test_ordinary_values_pass(parser: TransactionParser) -> None:
    ordinary = [
        "2026-11-20T11:58:00.123456+14:00",
        "192.168.100.200",
        "2001:db8:85a3::8a2e:370:7334",
        "tx-2026-11-20-000123",
        "12345678901234567890123",  # more than 19 digits: not a card number
        "order-1795386292939",  # epoch milliseconds
        "evt-1795386292939123",  # epoch microseconds
        "tok_" + "ab" * 32,
    ]
    assert [text for text in ordinary if holds_card_number(text)] == []
    transaction = parser.parse(body(transaction_id="tx-2026-11-20-000123", ip_address="10.0.0.1"))
    assert transaction.transaction_id == "tx-2026-11-20-000123"


def test_uuids_pass_and_hex_ids_are_refused_rarely() -> None:
    rng = random.Random(7)
    uuids = [str(uuid.UUID(int=rng.getrandbits(128), version=4)) for _ in range(20_000)]
    assert [text for text in uuids if holds_card_number(text)] == []
    hex_ids = [f"{rng.getrandbits(128):032x}" for _ in range(20_000)]
    refused = sum(holds_card_number(text) for text in hex_ids)
    FIGURES["random 32-digit hex ids refused by the card screen, of 20,000"] = refused
    assert refused <= 100  # under half a percent: a chance refusal names the field


def test_date_times_pass_and_a_card_number_beside_one_is_found() -> None:
    rng = random.Random(11)
    start = datetime(2020, 1, 1, tzinfo=UTC)
    moments = [start + timedelta(seconds=rng.uniform(0, 3e8)) for _ in range(5_000)]
    spellings = [
        *(f"{m:%Y-%m-%d %H:%M:%S},{m.microsecond // 1000:03d}+0000" for m in moments),
        *(m.isoformat() for m in moments),
        *(f"{m:%Y-%m-%dT%H:%M:%S}.{m.microsecond // 1000:03d}Z" for m in moments),
    ]
    # one in five of them would hold a Luhn-valid 14- or 17-digit span if read as digits
    assert [text for text in spellings if holds_card_number(text)] == []
    line = f'{{"timestamp":"{spellings[0]}","note":"{grouped(TEST_PANS[0], " ")}"}}'
    assert holds_card_number(line)
    assert holds_card_number(f"{spellings[0]} {TEST_PANS[0]}")
    assert holds_card_number("2026-13-45 " + TEST_PANS[0])


def test_found_spans_cover_the_digits() -> None:
    text = f"card {grouped(TEST_PANS[0], ' ')} stolen"
    (start, end), *_ = card_numbers_in(text)
    assert "".join(ch for ch in text[start:end] if ch.isdigit()) == TEST_PANS[0]


def test_a_trailing_newline_makes_no_second_id(parser: TransactionParser) -> None:
    for field in ID_FIELDS:
        assert refusal(parser, body(**{field: "X\n"})).fields == (field,)
        assert refusal(parser, body(**{field: "X\r\n"})).fields == (field,)


@pytest.mark.parametrize(
    "stamp", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00", "9999-12-31T23:59:59Z"]
)
def test_edge_timestamps_are_refused(parser: TransactionParser, stamp: str) -> None:
    assert refusal(parser, body(timestamp=stamp)).fields == ("timestamp",)


def test_coordinates_with_float_noise_are_refused_always(parser: TransactionParser) -> None:
    error = refusal(parser, body().replace("40.7128", "0.30000000000000004"))
    assert error.fields == ("latitude",)
    assert "decimal places" in str(error) or "card number" in str(error)
    error = refusal(parser, body().replace("40.7128", "40.7128000000001"))
    assert "decimal places" in str(error)


def test_error_answers_are_bounded(parser: TransactionParser) -> None:
    crowded = body()[:-1] + "".join(f', "k{n}": {n}' for n in range(10_000)) + "}"
    error = refusal(parser, crowded)
    answer = problem_body(error)
    assert answer["error_count"] == 10_000
    assert len(answer["errors"]) == MAX_PROBLEMS  # type: ignore[arg-type]
    assert len(json.dumps(answer)) < 2_000


def test_a_long_field_name_is_cut_in_the_answer(parser: TransactionParser) -> None:
    error = refusal(parser, body()[:-1] + f', "{"n" * 5000}": 1}}')
    assert len(json.dumps(problem_body(error))) < 1_000


def test_decimal_spellings_of_numbers() -> None:
    pan = TEST_PANS[0]
    assert number_holds_card_number(Decimal(f"{pan[0]}.{pan[1:]}E+15"))
    assert not number_holds_card_number(Decimal("40.7128"))
    assert not number_holds_card_number(True)
