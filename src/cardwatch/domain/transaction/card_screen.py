"""Find card numbers wherever a client might put them (PCI DSS 3.3-3.5).

A card number is a Luhn-valid run of 13 to 19 digits whose first digit is a payment
card's major industry identifier, 2 to 6 (Mastercard's 2- and 5-series, Amex, Diners and
JCB's 3, Visa's 4, Discover, UnionPay and Maestro's 6): an epoch time in milliseconds
(13 digits starting with 1) is never one.

How the screen reads a value, in order:

1. **Read several ways.** Every decimal digit of any script (full-width digits,
   Arabic-Indic, Devanagari...) counts by its value, and so does a character whose
   compatibility form (NFKC) holds digits (superscripts, circled digits); a value holding
   percent-escapes is read both as sent and decoded (``4973%201000``, and double
   encoding). A card number in any reading is refused.
2. **Shapes that are not cards are blanked.** A calendar date or date-time of the years
   1900-2099 (``2026-11-23``, ``2026-11-23 10:15:30,123``): no card number starts with
   19 or 20, so blanking one never hides a card. A UUID in its 8-4-4-4-12 form: its
   hex holds a Luhn-valid stretch of digits about one time in 2,000, which at a
   thousand transactions a second would refuse one UUID id every two seconds.
3. **Chains.** Digit groups joined by any run of characters that are not letters or
   digits, of any length (space, NBSP, thin space, en dash, newline, ``+``, ``....``,
   `` // ``, tabs...), are one chain. In free text (a note, a description) a word of one
   to three letters joins too (``4973 x 1000 y 0000``); a longer word ends the chain.
4. **Windows.** Every stretch of 13 to 19 consecutive digits of a chain is tested, at any
   offset: a card number glued to other digits (``9`` + PAN, PAN + ``2512``, a Track 2
   without its ``=``) is found. Luhn's prefix sums turn every window of one length into
   one comparison of two byte strings (:func:`_window`): linear time, whatever the
   input.

The policy's price, measured by the unit tests: a value whose chain holds 14 or more
digits (a microsecond timestamp, a long numeric order number) holds a Luhn-valid
stretch with a card's first digit by chance, and is refused about one time in six at
14 digits, two in five at 16 and three in four at 19. The refusal names the field; an
id that mixes in letters, or a UUID, never meets it.

What the screen does not find: digits spelt as words (``four nine seven three``), split
by words of four or more letters, or laid out as the groups of a UUID
(``49731000-0000-5051-...``). Those are a deliberate disguise, not a spelling a person
or a program produces by mistake; the audit trail names who wrote each note, and the
key that sent each transaction.

The API screens every string a client sends (field values, field names, the path) and
every number by its digits; the reliability tier scans tables, queues and logs with the
same function, reading glued digits only at group boundaries there (``glued=False``):
a stream's 24-digit sequence number is not a client's value.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from decimal import Decimal
from itertools import accumulate
from urllib.parse import unquote

from cardwatch.domain.transaction.card import luhn_valid

__all__ = [
    "PAN_DIGITS",
    "card_numbers_in",
    "holds_card_number",
    "number_holds_card_number",
    "readings",
]

#: How many digits a card number (a PAN) has.
PAN_DIGITS = range(13, 20)
_SHORTEST, _LONGEST = PAN_DIGITS.start, PAN_DIGITS.stop - 1
#: A chain long enough to hold a card number: 13 digits or more, joined by runs of
#: anything but letters (``[\W_]`` is neither a letter nor a digit, in every script), or,
#: in free text, also by words of one to three letters. A match starts only at a digit
#: group's first digit, where the lookahead counts 13 digits (at most 13 groups ahead);
#: possessive steps then take the chain group by group: linear, whatever the runs.
_SEPARATOR = r"[\W_]"
_SHORT_WORD = r"[^\W\d_]{1,3}+(?![^\W\d_])"
_CHAINS = {
    free: re.compile(
        rf"(?<![0-9])(?=[0-9])(?=(?:{joiner}*+[0-9]){{{_SHORTEST}}})"
        rf"[0-9]++(?:{joiner}*+[0-9]++)*+"
    )
    for free, joiner in ((False, _SEPARATOR), (True, f"(?:{_SEPARATOR}|{_SHORT_WORD})"))
}
_GROUP = re.compile(r"[0-9]+")
_NOT_DIGITS = bytes(set(range(128)) - set(b"0123456789"))
_PERCENT = re.compile(r"%[0-9A-Fa-f]{2}")
_CARD_FIRST_DIGITS = frozenset(b"23456")
_UUID = re.compile(
    r"(?<![0-9A-Za-z])[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-"
    r"[0-9a-fA-F]{12}(?![0-9A-Za-z])"
)
_UUID_OR_DATE = re.compile(
    rf"(?P<uuid>{_UUID.pattern})|(?<![0-9])(?:19|20)[0-9]{{2}}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01])"
    rf"(?:[T ](?:[01][0-9]|2[0-3]):[0-5][0-9](?::[0-6][0-9](?:[.,][0-9]{{1,9}})?)?)?(?![0-9])"
)
#: Luhn's doubled digit, by digit: 2 x d with its digits summed.
_DOUBLED = bytes((2 * d) % 9 if d != 9 else 9 for d in range(10)).ljust(256, b"\0")
_VALUE = bytes.maketrans(b"0123456789", bytes(range(10)))
#: 0 where a window may start (a card's first digit), a byte no residue equals elsewhere.
_NOT_A_START = bytes.maketrans(b"0123456789", b"\xf0\xf0\0\0\0\0\0\xf0\xf0\xf0")


_JOINED_BEFORE = re.compile(r"[0-9][\W_]*$")
_JOINED_AFTER = re.compile(r"[\W_]*[0-9]")


def _blank(found: re.Match[str]) -> str:
    """A UUID, or a date a digit group is not joined to: a date between digit groups
    (``4539-2019-05-17-1233``) is read as the chain it sits in."""
    text, start, end = found.string, found.start(), found.end()
    if found.group("uuid") is None and (
        _JOINED_BEFORE.search(text, max(0, start - 64), start)
        or (":" not in found.group() and _JOINED_AFTER.match(text, end))
    ):
        return found.group()
    return "u" * len(found.group())


class _Readable(dict[int, str]):
    """How the screen reads each character beyond ASCII (for ``str.translate``, filled
    as characters are met): a decimal digit of any script as its ASCII digit; a
    character whose compatibility form (NFKC) holds digits as that form (``²``, ``①``,
    ``⑴``); anything else as itself, so a letter still ends a chain and a symbol NFKC
    would spell with letters (``⒜``) still joins one."""

    _KEPT = 4096

    def __init__(self, *, spelt_as_symbols: bool = False) -> None:
        super().__init__()
        #: read a symbol NFKC spells with letters and digits (``㎟``: "mm2") as itself,
        #: a separator, rather than as its spelling
        self._spelt_as_symbols = spelt_as_symbols

    def __missing__(self, code: int) -> str:
        char = chr(code)
        value = unicodedata.decimal(char, None)
        if value is not None:
            read = str(value)
        else:
            compatible = unicodedata.normalize("NFKC", char)
            if len(compatible) == 1 and unicodedata.digit(compatible, None) is not None:
                compatible = str(unicodedata.digit(compatible))  # ❶, ⓵, Ethiopic digits
            digits = [unicodedata.decimal(ch, None) for ch in compatible]
            read = char
            spelt = self._spelt_as_symbols and any(ch.isalpha() for ch in compatible)
            if not spelt and any(digit is not None for digit in digits):
                read = "".join(
                    ch if digit is None else str(digit)
                    for ch, digit in zip(compatible, digits, strict=True)
                )
        if len(self) < self._KEPT:
            self[code] = read
        return read


_READ = _Readable()
#: the other reading of symbols NFKC spells with letters and digits: as separators
_READ_SPELT_AS_SYMBOLS = _Readable(spelt_as_symbols=True)


def _ascii_digits(text: str) -> str:
    return text if text.isascii() else text.translate(_READ)


def readings(text: str) -> list[str]:
    """``text`` as the screen reads it: every digit of any script in ASCII (see
    :class:`_Readable`); and, when it holds percent escapes, each decoding of them too
    (up to three, for double encoding: ``4973%201000`` hides a card number only when
    decoded, ``459%791%90`` only when not); and a symbol NFKC spells with letters and
    digits read as a separator too. A card number in any reading is one."""
    found = [_ascii_digits(text)]
    while len(found) < 4 and _PERCENT.search(found[-1]):
        found.append(_ascii_digits(unquote(found[-1], errors="replace")))
    if not text.isascii():  # "459㎟791㎟..." reads "459mm2791mm2...", and 459 791 ... too
        other = text.translate(_READ_SPELT_AS_SYMBOLS)
        if other != found[0]:
            found.append(other)
    return found


def _window(digits: bytes) -> tuple[int, int] | None:
    """The first (start, end) of a 13-19-digit window of ``digits`` that starts with a
    card's first digit and passes Luhn, found in linear time.

    Two prefix sums weight the digits alternately plain and doubled. A window ending
    at ``end`` passes Luhn when the sum whose plain digits fall on ``end - 1``'s parity
    has the same residue (mod 10) at ``start`` and at ``end``. So with ``right[i]`` that
    residue as seen from an end at ``i``, and ``left[i]`` as seen from a start at ``i``
    (which depends on the window's length only by its parity), every window of length
    ``k`` is tested at once: the positions where ``left`` and ``right`` shifted by ``k``
    hold the same byte. Starts without a card's first digit are marked so they never
    match. The comparison runs on whole byte strings (as big integers, XORed), so the
    work per digit is a handful of machine operations, not Python steps."""
    count = len(digits)
    values = digits.translate(_VALUE)
    doubled = values.translate(_DOUBLED)
    even_plain, odd_plain = bytearray(values), bytearray(values)
    even_plain[1::2], odd_plain[0::2] = doubled[1::2], doubled[0::2]
    residue = (10).__rmod__
    sums = (
        bytes(map(residue, accumulate(even_plain, initial=0))),
        bytes(map(residue, accumulate(odd_plain, initial=0))),
    )
    # own[i]: the residue of the sum whose plain digits fall on i's parity; other[i]: of
    # the other one. A window [start, end) reads other[] at both ends when its length
    # is even, own[start] and other[end] when odd.
    own, other = bytearray(sums[0]), bytearray(sums[1])
    own[1::2], other[1::2] = sums[1][1::2], sums[0][1::2]
    not_a_start = int.from_bytes(digits.translate(_NOT_A_START) + b"\xf0", "big")
    starts = (
        int.from_bytes(other, "big") | not_a_start,
        int.from_bytes(own, "big") | not_a_start,
    )
    ends = int.from_bytes(other, "big")
    best: tuple[int, int] | None = None
    for length in PAN_DIGITS:
        if length > count:
            break
        span = count + 1 - length
        left = starts[length & 1] >> (8 * length)
        right = ends & ((1 << (8 * span)) - 1)
        where = (left ^ right).to_bytes(span, "big").find(0)
        if where >= 0 and (best is None or where < best[0]):
            best = (where, where + length)
    return best


def _is_card(digits: str) -> bool:
    return len(digits) in PAN_DIGITS and ord(digits[0]) in _CARD_FIRST_DIGITS and luhn_valid(digits)


def _group_span(chain: str) -> bool:
    """Whether some span of whole consecutive digit groups of ``chain`` is a card
    number (at most 19 digits from each group on: linear in the chain)."""
    groups = _GROUP.findall(chain)
    for first in range(len(groups)):
        digits = ""
        for group in groups[first:]:
            digits += group
            if len(digits) > _LONGEST:
                break
            if _is_card(digits):
                return True
    return False


def card_numbers_in(
    text: str, *, free_text: bool = False, glued: bool = True
) -> Iterator[tuple[int, int]]:
    """The (start, end), in a :func:`readings` of ``text``, of each chain holding a card
    number. ``free_text`` lets short words join digit groups; ``glued=False`` tests only
    spans of whole digit groups (for scanning machine records, not clients' values)."""
    for reading in readings(text):
        if "-" in reading:
            reading = _UUID_OR_DATE.sub(_blank, reading)  # noqa: PLW2901
        for chain in _CHAINS[free_text].finditer(reading):
            if glued:
                digits = chain.group().encode("ascii", "ignore").translate(None, _NOT_DIGITS)
                found = _window(digits) is not None
            else:
                found = _group_span(chain.group())
            if found:
                yield chain.start(), chain.end()


def holds_card_number(text: str, *, free_text: bool = False) -> bool:
    """True when ``text`` holds a card number anywhere, in any spelling the screen reads."""
    return next(card_numbers_in(text, free_text=free_text), None) is not None


def number_holds_card_number(value: int | Decimal | float) -> bool:
    """A JSON number screened by its digits: ``1.4111111111111111`` holds a PAN in its
    fraction, ``4111111111111111`` in its integer part, ``4.111111111111111E+15`` in
    its significant digits."""
    if isinstance(value, bool):
        return False
    if not (isinstance(value, Decimal) and value.is_finite()):
        return holds_card_number(repr(value))
    significant = "".join(str(d) for d in value.as_tuple().digits).lstrip("0")
    in_significant = len(significant) >= _SHORTEST and _window(significant.encode()) is not None
    if abs(value.adjusted()) > _LONGEST * 2:
        # 1E+999999999 written out would be a gigabyte: its significant digits say it all
        return in_significant
    return in_significant or holds_card_number(format(value, "f"))
