"""Turn a request body into a :class:`Transaction`, or say exactly what is wrong.

The contract (``cardwatch/schema/transaction.schema.json``) is checked first, with the
same draft-04 rules an API Gateway model applies; then what a schema cannot say: exact
money, real dates in a sane range, Luhn-valid card numbers. Messages never echo values.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from jsonschema import Draft4Validator
from jsonschema.exceptions import ValidationError

from cardwatch.domain import strict_json
from cardwatch.domain.card import CardReference, CardTokenizer
from cardwatch.domain.errors import FieldProblem, InvalidTransaction
from cardwatch.domain.money import parse_amount
from cardwatch.domain.transaction import OPTIONAL_FIELDS, Transaction
from cardwatch.schema import label_schema, transaction_schema

__all__ = [
    "CVV_FIELDS",
    "TimeWindow",
    "TransactionParser",
    "contract_problems",
    "parse_label",
]

#: Field names under which a card verification code could be sent; each is refused
#: (PCI DSS 3.2: sensitive authentication data is never stored after authorization).
CVV_FIELDS = frozenset(
    {
        "cvv",
        "cvv2",
        "cvc",
        "cvc2",
        "cid",
        "csc",
        "card_verification_value",
        "card_security_code",
        "security_code",
        "cvn",
    }
)

_VALIDATOR = Draft4Validator(transaction_schema())
_LABEL_VALIDATOR = Draft4Validator(label_schema())
_SHORT_ENUM = 10


def _where(error: ValidationError) -> str:
    return ".".join(str(part) for part in error.absolute_path) or "body"


def _describe(error: ValidationError) -> Iterable[FieldProblem]:
    """Name the field and the rule, never the offending value."""
    kind, where = str(error.validator), _where(error)
    rule: Any = error.validator_value
    instance: Any = error.instance
    schema: Any = error.schema
    if kind == "required":
        yield from (FieldProblem(name, "is required") for name in rule if name not in instance)
    elif kind == "additionalProperties":
        allowed = set(schema.get("properties", {}))
        for name in sorted(set(instance) - allowed):
            yield FieldProblem(name, "is not a field of the transaction contract")
    elif kind == "oneOf" and where == "body":
        yield FieldProblem("card_number", "exactly one of card_number or card_token is required")
    elif kind == "type":
        yield FieldProblem(where, f"must be of JSON type {rule}")
    elif kind == "pattern":
        yield FieldProblem(where, f"must match the pattern {rule}")
    elif kind == "enum":
        allowed_text = ", ".join(rule) if len(rule) <= _SHORT_ENUM else "the contract's list"
        yield FieldProblem(where, f"must be one of {allowed_text}")
    elif kind == "minimum":
        strict = schema.get("exclusiveMinimum", False)
        yield FieldProblem(where, f"must be {'greater than' if strict else 'at least'} {rule}")
    elif kind == "maximum":
        yield FieldProblem(where, f"must be at most {rule}")
    else:
        yield FieldProblem(where, f"breaks the contract's {kind} rule")


def contract_problems(
    document: object, validator: Draft4Validator = _VALIDATOR
) -> list[FieldProblem]:
    """Every way ``document`` breaks the JSON Schema contract (empty when it holds)."""
    if not isinstance(document, dict):
        return [FieldProblem("body", "must be a JSON object")]
    cvv = sorted(name for name in document if name.lower() in CVV_FIELDS)
    if cvv:
        return [FieldProblem(name, "card verification codes are never accepted") for name in cvv]
    problems: list[FieldProblem] = []
    for error in sorted(validator.iter_errors(document), key=lambda e: list(e.path)):
        problems.extend(_describe(error))
    return problems


def parse_label(body: str | bytes) -> dict[str, Any]:
    """A label request body, checked against ``label.schema.json``."""
    document = strict_json.loads(body)
    problems = contract_problems(document, _LABEL_VALIDATOR)
    if problems:
        raise InvalidTransaction(problems)
    result: dict[str, Any] = document
    return result


@dataclass(frozen=True, slots=True)
class TimeWindow:
    """How far from now a transaction's timestamp may lie."""

    max_age: timedelta = timedelta(days=365)
    max_ahead: timedelta = timedelta(minutes=5)
    now: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))

    def check(self, moment: datetime) -> None:
        current = self.now()
        if moment > current + self.max_ahead:
            raise InvalidTransaction.single("timestamp", "lies in the future")
        if moment < current - self.max_age:
            raise InvalidTransaction.single("timestamp", f"is older than {self.max_age.days} days")


class TransactionParser:
    """Parses and validates request bodies, tokenizing the card on the way."""

    def __init__(self, tokenizer: CardTokenizer, window: TimeWindow | None = None) -> None:
        self._tokenizer = tokenizer
        self._window = window or TimeWindow()

    def parse(self, body: str | bytes) -> Transaction:
        document = strict_json.loads(body)
        problems = contract_problems(document)
        if problems:
            raise InvalidTransaction(problems)
        return self.from_document(document)

    def from_document(self, document: dict[str, Any]) -> Transaction:
        """Build a transaction from a document that already satisfies the contract."""
        currency = document["currency"]
        amount = parse_amount(document["amount"], currency)
        occurred_at, offset_minutes = _parse_timestamp(document["timestamp"])
        self._window.check(occurred_at)
        if "card_number" in document:
            card = self._tokenizer.tokenize(document["card_number"])
        else:
            card = CardReference.from_token(document["card_token"])
        extras: dict[str, str | Decimal] = {}
        for name in OPTIONAL_FIELDS:
            if name in document:
                value = document[name]
                extras[name] = Decimal(value) if isinstance(value, int | Decimal) else value
        for name in ("latitude", "longitude"):
            if name in extras:
                extras[name] = _coordinate(Decimal(extras[name]))
        return Transaction(
            transaction_id=document["transaction_id"],
            user_id=document["user_id"],
            amount=amount,
            currency=currency,
            occurred_at=occurred_at,
            terminal_id=document["terminal_id"],
            card=card,
            extras=extras,
            utc_offset_minutes=offset_minutes,
        )


#: Coordinates are kept to seven decimal places (about a centimetre): every value in
#: range is then a number DynamoDB can store (1E-200 cannot be).
_COORDINATE_STEP = Decimal("1E-7")


def _coordinate(value: Decimal) -> Decimal:
    kept = value.quantize(_COORDINATE_STEP)
    return kept if kept != 0 else Decimal(0)


def _parse_timestamp(text: str) -> tuple[datetime, int]:
    """The moment in UTC, and the offset the client wrote (whole minutes east of UTC)."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidTransaction.single("timestamp", "is not a real date and time") from None
    offset = moment.utcoffset()
    minutes = 0 if offset is None else int(offset.total_seconds() // 60)
    return moment.astimezone(UTC), minutes
