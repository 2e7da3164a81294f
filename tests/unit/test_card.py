import pytest

from cardwatch.domain.errors import InvalidTransaction
from cardwatch.domain.transaction.card import CardReference, CardTokenizer, luhn_valid
from tests.support.documents import TEST_PANS, TOKEN_KEY


@pytest.mark.parametrize("pan", TEST_PANS)
def test_test_cards_pass_luhn(pan: str) -> None:
    assert luhn_valid(pan)


@pytest.mark.parametrize("digits", ["4111111111111112", "1234567812345678", "12a4", ""])
def test_other_numbers_fail_luhn(digits: str) -> None:
    assert not luhn_valid(digits)


def test_token_is_a_keyed_hmac_keeping_only_bin_and_last_four(tokenizer: CardTokenizer) -> None:
    # GIVEN a card number
    pan = TEST_PANS[0]
    # WHEN it is tokenized
    card = tokenizer.tokenize(pan)
    # THEN the token is stable, carries no run of the PAN, and only BIN + last 4 remain
    assert card == tokenizer.tokenize(pan)
    assert card.token.startswith("tok_") and len(card.token) == 68
    assert pan not in card.token and pan[6:12] not in repr(card)
    assert (card.bin, card.last4) == ("411111", "1111")
    assert card.masked == "411111******1111"


def test_a_different_key_gives_a_different_token() -> None:
    other = CardTokenizer(bytes(reversed(TOKEN_KEY)))
    assert (
        other.tokenize(TEST_PANS[0]).token != CardTokenizer(TOKEN_KEY).tokenize(TEST_PANS[0]).token
    )


def test_short_keys_are_refused_and_the_key_is_never_shown() -> None:
    with pytest.raises(ValueError, match="at least 32 bytes"):
        CardTokenizer(b"too short")
    assert TOKEN_KEY.hex() not in repr(CardTokenizer(TOKEN_KEY))


@pytest.mark.parametrize(
    ("pan", "message"),
    [
        ("4111111111111112", "Luhn"),
        ("411111", "13 to 19 digits"),
        ("41111111111111111111", "13 to 19 digits"),
    ],
)
def test_bad_card_numbers_name_the_field_but_not_the_value(
    tokenizer: CardTokenizer, pan: str, message: str
) -> None:
    with pytest.raises(InvalidTransaction, match=message) as caught:
        tokenizer.tokenize(pan)
    assert caught.value.fields == ("card_number",)
    assert pan not in str(caught.value)


def test_existing_tokens_are_accepted_only_in_cardwatch_form() -> None:
    token = "tok_" + "ab" * 32
    assert CardReference.from_token(token).masked == "token ...ababab"
    with pytest.raises(InvalidTransaction):
        CardReference.from_token("tok_nothex")
