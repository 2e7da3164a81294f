"""Card numbers: Luhn check and keyed tokenization (PCI DSS 3.4 and 3.5).

A PAN is turned into an HMAC-SHA256 token under a secret key as soon as it arrives;
only the token, the BIN (first six digits) and the last four are ever kept.

A token is ``tok_`` and 64 hex digits: 48 of the PAN's HMAC, then 16 of an HMAC of those
48 under the same key. So ingest takes back only tokens it issued: a ``card_token`` is
never a client's free-form 256 bits (a card number spelt in hex, say).
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass

from cardwatch.domain.errors import InvalidTransaction

__all__ = ["MIN_KEY_BYTES", "CardReference", "CardTokenizer", "luhn_valid"]

MIN_KEY_BYTES = 32
_PAN = re.compile(r"[0-9]{13,19}")
_TOKEN = re.compile(r"tok_[0-9a-f]{64}")


def luhn_valid(digits: str) -> bool:
    """True when ``digits`` passes the Luhn (mod 10) check."""
    if not (digits.isascii() and digits.isdecimal()):
        return False
    total = 0
    for index, char in enumerate(reversed(digits)):
        digit = int(char)
        if index % 2 == 1:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return total % 10 == 0


@dataclass(frozen=True, slots=True)
class CardReference:
    """What cardwatch keeps of a card: a token, and BIN and last four when known."""

    token: str
    bin: str | None = None
    last4: str | None = None

    @property
    def masked(self) -> str:
        """A display form that PCI DSS allows: BIN and last four at most."""
        if self.bin and self.last4:
            return f"{self.bin}******{self.last4}"
        return f"token ...{self.token[-6:]}"

    @classmethod
    def from_token(cls, token: str, field: str = "card_token") -> CardReference:
        """A stored token read back (its form checked; :meth:`CardTokenizer.reference`
        also checks that cardwatch issued it)."""
        if not _TOKEN.fullmatch(token):
            raise InvalidTransaction.single(field, _NOT_ISSUED)
        return cls(token=token)


_NOT_ISSUED = "is not a card token issued by cardwatch"
_HEAD = 48  # hex digits of the PAN's HMAC in a token; the other 16 check them


class CardTokenizer:
    """Turns a PAN into a :class:`CardReference` with a keyed HMAC."""

    def __init__(self, key: bytes) -> None:
        if len(key) < MIN_KEY_BYTES:
            raise ValueError(f"the card token key must have at least {MIN_KEY_BYTES} bytes")
        self._key = key

    def __repr__(self) -> str:  # never show the key
        return "CardTokenizer(key=<hidden>)"

    def tokenize(self, pan: str, field: str = "card_number") -> CardReference:
        if not _PAN.fullmatch(pan):
            raise InvalidTransaction.single(field, "must be 13 to 19 digits")
        if not luhn_valid(pan):
            raise InvalidTransaction.single(field, "fails the Luhn check")
        head = hmac.new(self._key, pan.encode("ascii"), hashlib.sha256).hexdigest()[:_HEAD]
        return CardReference(token=f"tok_{head}{self._check(head)}", bin=pan[:6], last4=pan[-4:])

    def _check(self, head: str) -> str:
        message = b"token-check:" + head.encode("ascii")
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()[: 64 - _HEAD]

    def issued(self, token: str) -> bool:
        """True when ``token`` is one this key issued."""
        if not _TOKEN.fullmatch(token):
            return False
        head, check = token[4 : 4 + _HEAD], token[4 + _HEAD :]
        return hmac.compare_digest(check, self._check(head))

    def reference(self, token: str, field: str = "card_token") -> CardReference:
        """The card a client names by a token cardwatch issued; any other is refused."""
        if not self.issued(token):
            raise InvalidTransaction.single(field, _NOT_ISSUED)
        return CardReference(token=token)
