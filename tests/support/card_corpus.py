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
        # separator runs of any length the id patterns allow
        grouped(pan, "...."),
        grouped(pan, "::::"),
        grouped(pan, "----"),
        grouped(pan, "_-_-"),
        # digits glued to the card number: a prefix, a Track 2 expiry without its "="
        f"9{pan}",
        f"{pan}2512",
        f"1{pan}",
        f"12-9{grouped(pan, '-')}",
    ]


def note_spellings(pan: str) -> list[str]:
    """Spellings only free text is screened for: digit groups joined by short words
    (in an id, a letter ends a chain: a hex id would otherwise read as digits)."""
    return [*text_spellings(pan), grouped(pan, "x"), grouped(pan, " a "), grouped(pan, " or ")]


def text_spellings(pan: str) -> list[str]:
    """Spellings any string takes: the ids', spaced, slashed, embedded in words, in
    Unicode digits and separators, percent-encoded."""
    return [
        *id_spellings(pan),
        grouped(pan, " "),
        grouped(pan, " - "),
        grouped(pan, "/"),
        f"card {grouped(pan, ' ')} was stolen",
        f"see{pan}now",
        *(grouped(pan, separator) for separator in UNICODE_SEPARATORS),
        f"({pan[:4]}) {grouped(pan[4:], ' ')}",
        full_width(pan),
        full_width(grouped(pan, " ")),
        pan.translate(ARABIC_INDIC),
        grouped(pan, "%2520"),
    ]


#: Separators a person or a program puts between digit groups: NBSP, thin space, en
#: dash, em dash, newline, CRLF, plus, runs of spaces and tabs, slashes, a URL's %20.
UNICODE_SEPARATORS = (
    "\u00a0",
    "\u2009",
    "\u2013",
    "\u2014",
    "\n",
    "\r\n",
    "+",
    "    ",
    "\t\t\t\t",
    " // ",
    "%20",
    " \u00b7 ",
)
ARABIC_INDIC = str.maketrans("0123456789", "".join(chr(0x660 + d) for d in range(10)))


def full_width(text: str) -> str:
    """``text`` with its ASCII digits and spaces in their full-width forms."""
    return "".join(chr(ord(ch) + 0xFEE0) if ch.isdigit() else ch for ch in text)


def key_spellings(pan: str) -> list[str]:
    """Card numbers a client could send as a JSON key."""
    return [
        pan,
        grouped(pan, "-"),
        f"note {pan}",
        full_width(pan),
        *(grouped(pan, separator) for separator in ("\u00a0", "\u2013", "\n", "+")),
    ]


def number_spellings(pan: str) -> list[Decimal | int]:
    """A PAN in a JSON number: in its fraction, or as the whole number."""
    return [Decimal(f"1.{pan}"), Decimal(f"-0.{pan}"), int(pan)]
