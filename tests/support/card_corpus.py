"""How a client can spell a card number into a field: the corpus the screen and the
no-card-data tests send. Each spelling carries one Luhn-valid PAN."""

from __future__ import annotations

import random
from decimal import Decimal

from cardwatch.domain.transaction.card import luhn_valid

#: Which spellings fit which field (its contract pattern), by field.
ID_FIELDS = ("transaction_id", "user_id", "terminal_id", "merchant_id", "device_id")


def luhn_pans(count: int, seed: int = 0) -> list[str]:
    """``count`` Luhn-valid numbers of 13 to 19 digits (test numbers, not real cards)."""
    rng = random.Random(seed)
    pans: list[str] = []
    while len(pans) < count:
        length = rng.randint(13, 19)
        stem = str(rng.choice("3456")) + "".join(
            rng.choice("0123456789") for _ in range(length - 2)
        )
        check = next(d for d in "0123456789" if luhn_valid(stem + d))
        pans.append(stem + check)
    return pans


def grouped(pan: str, separator: str, size: int = 4) -> str:
    return separator.join(pan[i : i + size] for i in range(0, len(pan), size))


def id_spellings(pan: str) -> list[str]:
    """Spellings an id pattern (``[A-Za-z0-9][A-Za-z0-9_.:-]*``) lets through."""
    return [
        pan,
        grouped(pan, "-"),
        grouped(pan, "."),
        grouped(pan, ":"),
        grouped(pan, "_"),
        f"ref-{pan}-x",
        f"order12-{grouped(pan, '-')}",
        f"tok_{pan}",
    ]


def text_spellings(pan: str) -> list[str]:
    """Spellings free text takes: the ids' and spaced, slashed, embedded in words."""
    return [
        *id_spellings(pan),
        grouped(pan, " "),
        grouped(pan, " - "),
        grouped(pan, "/"),
        f"card {grouped(pan, ' ')} was stolen",
        f"see{pan}now",
    ]


def number_spellings(pan: str) -> list[Decimal | int]:
    """A PAN in a JSON number: in its fraction, or as the whole number."""
    return [Decimal(f"1.{pan}"), Decimal(f"-0.{pan}"), int(pan)]
