"""Money as :class:`~decimal.Decimal`, checked against the currency's minor units."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from cardwatch.domain.errors import InvalidTransaction

__all__ = ["MAX_AMOUNT", "minor_units", "parse_amount"]

#: The largest amount accepted, in major units (the schema's ``maximum``).
MAX_AMOUNT = Decimal(1_000_000_000)

# ISO 4217 minor units of the currencies that do not have two; every other listed
# currency has two. The list of currencies itself is the contract's enum.
_MINOR_UNITS_NOT_TWO: dict[str, int] = {
    **dict.fromkeys(
        [
            "BIF",
            "CLP",
            "DJF",
            "GNF",
            "ISK",
            "JPY",
            "KMF",
            "KRW",
            "PYG",
            "RWF",
            "UGX",
            "VND",
            "VUV",
            "XAF",
            "XOF",
            "XPF",
        ],
        0,
    ),
    **dict.fromkeys(["BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"], 3),
}


def minor_units(currency: str) -> int:
    """How many decimal places the currency has (2 for USD, 0 for JPY, 3 for KWD)."""
    return _MINOR_UNITS_NOT_TWO.get(currency, 2)


def parse_amount(value: object, currency: str, field: str = "amount") -> Decimal:
    """Return ``value`` as an exact amount quantized to the currency's minor units.

    ``value`` must already be a Decimal or an int (see :mod:`strict_json`); a float is
    refused because it may already have lost the amount's exact value.
    """
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        raise InvalidTransaction.single(field, "must be a JSON number")
    amount = Decimal(value)
    if not amount.is_finite():
        raise InvalidTransaction.single(field, "must be a finite number")
    if amount <= 0:
        raise InvalidTransaction.single(field, "must be greater than zero")
    if amount > MAX_AMOUNT:
        raise InvalidTransaction.single(field, f"must not exceed {MAX_AMOUNT}")
    places = minor_units(currency)
    quantum = Decimal(1).scaleb(-places)
    try:
        exact = amount.quantize(quantum)
    except InvalidOperation:  # the amount has far more digits than any precision
        raise InvalidTransaction.single(field, "has too many digits") from None
    if exact != amount:
        raise InvalidTransaction.single(
            field, f"has more decimal places than {currency} allows ({places})"
        )
    return exact
