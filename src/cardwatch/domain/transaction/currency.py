"""Amounts in one reference currency, so 50,000 yen is not scored as 50,000 dollars.

The engine compares amounts across a card's history, a terminal's and a threshold's:
each is first converted with a rates table, which is a setting (the shipped default in
``domain/data/rates.json``; the deployments keep theirs in SSM Parameter Store). A
currency the table does not list is taken at par and counted (:attr:`Rates.unlisted`),
so a missing rate shows up rather than failing the transaction.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import cache
from importlib import resources
from typing import Any

__all__ = ["Rates", "default_rates", "rates_text"]


@dataclass(slots=True)
class Rates:
    """Units of the reference currency per unit of each listed currency."""

    reference: str
    rates: dict[str, Decimal]
    unlisted: int = field(default=0, compare=False)

    @classmethod
    def from_document(cls, text: str) -> Rates:
        """Read a rates document; a malformed one raises ValueError naming the problem."""
        try:
            document: Any = json.loads(text)
            reference = document["reference"]
            rates = {code: Decimal(str(rate)) for code, rate in document["rates"].items()}
        except (ValueError, KeyError, TypeError, InvalidOperation) as error:
            raise ValueError(f"rates document: {error.__class__.__name__}") from None
        bad = sorted(code for code, rate in rates.items() if not rate.is_finite() or rate <= 0)
        if bad or reference not in rates or rates[reference] != 1:
            raise ValueError("rates document: every rate positive, the reference's 1")
        return cls(reference, rates)

    def to_reference(self, amount: Decimal | float, currency: str | None) -> float:
        """``amount`` in the reference currency, as the float the features use."""
        if currency is None or currency == self.reference:
            return float(amount)
        rate = self.rates.get(currency)
        if rate is None:
            self.unlisted += 1
            return float(amount)
        return (
            float(Decimal(amount) * rate) if isinstance(amount, Decimal) else amount * float(rate)
        )


def rates_text() -> str:
    """The shipped table's document, as the deployments first store it."""
    return resources.files("cardwatch.domain").joinpath("data/rates.json").read_text("utf-8")


@cache
def default_rates() -> Rates:
    """The table that ships with cardwatch (one shared instance)."""
    return Rates.from_document(rates_text())
