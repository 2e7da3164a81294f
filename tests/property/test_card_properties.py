"""Properties of tokenization over generated card numbers."""

from hypothesis import given
from hypothesis import strategies as st

from cardwatch.domain.errors import InvalidTransaction
from cardwatch.domain.transaction.card import CardTokenizer, luhn_valid
from tests.support.documents import TOKEN_KEY

TOKENIZER = CardTokenizer(TOKEN_KEY)


def with_check_digit(body: str) -> str:
    for digit in "0123456789":
        if luhn_valid(body + digit):
            return body + digit
    raise AssertionError("some check digit always completes a Luhn number")


PANS = st.from_regex(r"[1-9][0-9]{11,17}", fullmatch=True).map(with_check_digit)


@given(PANS)
def test_a_valid_pan_keeps_only_bin_last_four_and_a_token(pan: str) -> None:
    card = TOKENIZER.tokenize(pan)
    assert (card.bin, card.last4) == (pan[:6], pan[-4:])
    assert pan not in card.token
    assert card.masked == f"{pan[:6]}******{pan[-4:]}"


@given(PANS, PANS)
def test_tokens_differ_when_pans_differ(first: str, second: str) -> None:
    assert (TOKENIZER.tokenize(first).token == TOKENIZER.tokenize(second).token) == (
        first == second
    )


@given(st.text(max_size=25))
def test_any_text_is_tokenized_or_rejected_as_input_error(text: str) -> None:
    try:
        TOKENIZER.tokenize(text)
    except InvalidTransaction as error:
        assert error.fields == ("card_number",)
        assert len(text) < 13 or text not in str(error)
