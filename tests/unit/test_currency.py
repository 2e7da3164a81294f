"""Amounts are compared in one reference currency, through a rates table that is a setting."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from cardwatch.domain.engine.features import observe
from cardwatch.domain.transaction.card import CardReference
from cardwatch.domain.transaction.currency import Rates, default_rates
from cardwatch.domain.transaction.record import Transaction


def test_the_shipped_table_converts_yen_to_dollars_and_leaves_dollars_alone() -> None:
    rates = default_rates()
    assert rates.reference == "USD"
    assert rates.to_reference(Decimal(50_000), "JPY") < 1_000  # not 50,000 dollars
    assert rates.to_reference(Decimal("12.34"), "USD") == 12.34


def test_a_transaction_is_scored_in_the_reference_currency_with_its_processor_fields() -> None:
    tx = Transaction(
        "tx-1",
        "u-1",
        Decimal(15_000),
        "JPY",
        datetime(2026, 11, 22, 3, tzinfo=UTC),
        "T1",
        CardReference("tok_" + "a" * 64, "411111", "1111"),
        {"device_id": "phone-1", "channel": "ecommerce", "merchant_category_code": "5732"},
    )
    rates = Rates.from_document('{"reference": "USD", "rates": {"USD": "1", "JPY": "0.01"}}')
    seen = observe(tx, rates)
    assert seen.amount == 150.0
    assert (seen.device_id, seen.channel, seen.merchant_category_code) == (
        "phone-1",
        "ecommerce",
        "5732",
    )
    # a BIN is counted only where the deployment asks for it (a hot key for an issuer)
    assert seen.card_bin is None and observe(tx, rates, with_bin=True).card_bin == "411111"


def test_an_unlisted_currency_is_taken_at_par_and_counted() -> None:
    rates = Rates.from_document('{"reference": "EUR", "rates": {"EUR": "1"}}')
    assert rates.to_reference(Decimal(7), "CHF") == 7.0
    assert rates.unlisted == 1


@pytest.mark.parametrize(
    "document",
    [
        "not json",
        '{"rates": {"USD": "1"}}',
        '{"reference": "USD", "rates": {"USD": "2"}}',
        '{"reference": "USD", "rates": {"USD": "1", "EUR": "-1"}}',
        '{"reference": "USD", "rates": {"USD": "1", "EUR": "NaN"}}',
    ],
)
def test_a_malformed_table_is_refused(document: str) -> None:
    with pytest.raises(ValueError, match="rates document"):
        Rates.from_document(document)
