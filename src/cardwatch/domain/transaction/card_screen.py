"""Find card numbers wherever a client might put them (PCI DSS 3.3-3.5).

A card number is a Luhn-valid run of 13 to 19 digits whose first digit is a payment
card's major industry identifier, 2 to 6 (Mastercard's 2- and 5-series, Amex, Diners and
JCB's 3, Visa's 4, Discover, UnionPay and Maestro's 6): an epoch time in milliseconds or
microseconds (13 or 16 digits starting with 1) is never one. Written by people and programs it
comes bare (``4111111111111111``), grouped (``4111 1111 1111 1111``,
``4111-1111-1111-1111``, ``4111.1111.1111.1111``, ``4111_1111...``), or inside other
text (``tok_4111111111111111``, ``order 12 4111-1111-1111-1111``). The screen reads
every *chain* of digit groups joined by short separator runs (one to three of space, tab,
``-``, ``.``, ``:``, ``_``, ``/``, ``,``, ``|``) and tests every consecutive span of
groups holding 13 to 19 digits, so a PAN stands out however it is spelt and whatever
digits stand beside it across a separator.

What it does not call a card number: a bare run of more than 19 digits (no span of a
single group is tested inside it: any long number would hold a Luhn-valid window by
chance), digits joined by letters or by ``+`` (a timestamp's offset), a UUID in its
standard 8-4-4-4-12 form (whose hex would otherwise hold a Luhn-valid chain about one
time in 300), and a calendar date-time (``2026-11-23 10:15:30,123``, as log records and
clients write it, a valid month, day, hour and minute: its 14 to 17 digits would
otherwise read as a Luhn-valid number about one time in five). Other hex ids are
screened as text: a random 32-digit hex id holds a Luhn-valid run now and then (the
unit tests measure how often); the refusal names the field and the client can choose
another id.

The API screens every string a client sends (field values, field names, the path) and
every number by its digits; the reliability tier scans tables, queues and logs with the
same function.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from decimal import Decimal

from cardwatch.domain.transaction.card import luhn_valid

__all__ = ["PAN_DIGITS", "card_numbers_in", "holds_card_number", "number_holds_card_number"]

#: How many digits a card number (a PAN) has.
PAN_DIGITS = range(13, 20)
_CHAIN = re.compile(r"[0-9]+(?:[ \t\-.:_/,|]{1,3}[0-9]+)*")
_GROUP = re.compile(r"[0-9]+")
_CARD_FIRST_DIGITS = frozenset("23456")
_UUID = re.compile(
    r"(?<![0-9A-Za-z])[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-"
    r"[0-9a-fA-F]{12}(?![0-9A-Za-z])"
)

_DATETIME = re.compile(
    r"(?<![0-9])[0-9]{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01])[T ]"
    r"(?:[01][0-9]|2[0-3]):[0-5][0-9](?::[0-6][0-9](?:[.,][0-9]{1,9})?)?(?![0-9])"
)


def _masked(found: re.Match[str]) -> str:
    return "u" * len(found.group())


def _spans(chain: str) -> Iterator[tuple[int, int]]:
    """Each (start, end) in ``chain`` of consecutive digit groups with 13-19 digits."""
    groups = [(m.start(), m.end()) for m in _GROUP.finditer(chain)]
    for first in range(len(groups)):
        digits = 0
        for last in range(first, len(groups)):
            digits += groups[last][1] - groups[last][0]
            if digits > PAN_DIGITS.stop - 1:
                break
            if digits >= PAN_DIGITS.start:
                yield groups[first][0], groups[last][1]


def card_numbers_in(text: str) -> Iterator[tuple[int, int]]:
    """The (start, end) of every card number in ``text``, in any common spelling."""
    if "-" in text:
        text = _DATETIME.sub(_masked, _UUID.sub(_masked, text))
    for chain in _CHAIN.finditer(text):
        for start, end in _spans(chain.group()):
            digits = "".join(_GROUP.findall(chain.group()[start:end]))
            if digits[0] in _CARD_FIRST_DIGITS and luhn_valid(digits):
                yield chain.start() + start, chain.start() + end


def holds_card_number(text: str) -> bool:
    """True when ``text`` holds a card number anywhere, in any common spelling."""
    return next(card_numbers_in(text), None) is not None


def number_holds_card_number(value: int | Decimal | float) -> bool:
    """A JSON number screened by its digits: ``1.4111111111111111`` holds a PAN in its
    fraction, ``4111111111111111`` in its integer part, ``4.111111111111111E+15`` in
    its significant digits."""
    if isinstance(value, bool):
        return False
    text = format(value, "f") if isinstance(value, Decimal) else repr(value)
    if holds_card_number(text):
        return True
    if isinstance(value, Decimal) and value.is_finite():
        significant = "".join(str(d) for d in value.as_tuple().digits).lstrip("0")
        return (
            len(significant) in PAN_DIGITS
            and significant[0] in _CARD_FIRST_DIGITS
            and luhn_valid(significant)
        )
    return False
