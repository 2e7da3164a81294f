"""JSON decoding that never passes money through float.

Numbers with a fraction or exponent become :class:`~decimal.Decimal`, integers stay
``int``; ``NaN``, ``Infinity`` and duplicate keys are rejected, since each would let two
readers of the same document see different values.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from cardwatch.domain.errors import InvalidTransaction
from cardwatch.domain.transaction.card_screen import holds_card_number

__all__ = ["loads"]


def _reject_constant(name: str) -> Any:
    raise InvalidTransaction.single("body", f"{name} is not a valid JSON number")


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            shown = "body" if len(key) > 64 or holds_card_number(key, free_text=True) else key
            raise InvalidTransaction.single(shown, "appears more than once in the object")
        result[key] = value
    return result


def loads(text: str | bytes) -> Any:
    """Decode ``text`` strictly; every failure is an :class:`InvalidTransaction`."""
    try:
        return json.loads(
            text,
            parse_float=Decimal,
            parse_constant=_reject_constant,
            object_pairs_hook=_unique_keys,
        )
    except InvalidTransaction:
        raise
    except RecursionError:
        raise InvalidTransaction.single("body", "is nested too deeply") from None
    except UnicodeDecodeError:
        raise InvalidTransaction.single("body", "is not UTF-8 text") from None
    except ValueError as error:  # JSONDecodeError, and int digits over Python's limit
        where = f" at position {error.pos}" if isinstance(error, json.JSONDecodeError) else ""
        raise InvalidTransaction.single("body", f"is not valid JSON{where}") from None
