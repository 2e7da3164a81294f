"""Turn a request body into a :class:`Transaction`, or say exactly what is wrong.

The contract (``cardwatch/schema/transaction.schema.json``) is checked first, with the
same draft-04 rules an API Gateway model applies; then what a schema cannot say: exact
money, real dates in a sane range, Luhn-valid card numbers. Messages never echo values.

Whether a body keeps the contract is decided by the contract's compiled check (plain
Python generated from the schema file, :mod:`cardwatch.cli.contract_checks`). Only a
body that breaks it loads jsonschema, whose validator names every problem: a cold start
never waits for it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import cache, partial
from typing import TYPE_CHECKING, Any, TypeVar

from fastjsonschema import JsonSchemaException

from cardwatch.domain.errors import FieldProblem, InvalidTransaction
from cardwatch.domain.transaction import strict_json
from cardwatch.domain.transaction.card import CardReference, CardTokenizer
from cardwatch.domain.transaction.card_screen import holds_card_number, number_holds_card_number
from cardwatch.domain.transaction.money import parse_amount
from cardwatch.domain.transaction.record import OPTIONAL_FIELDS, Transaction
from cardwatch.schema import (
    case_action_check,
    contract_schema,
    label_check,
    label_schema,
    transaction_check,
    transaction_schema,
)

if TYPE_CHECKING:
    from jsonschema import Draft4Validator
    from jsonschema.exceptions import ValidationError

__all__ = [
    "CVV_FIELDS",
    "TimeWindow",
    "TransactionParser",
    "card_data_problems",
    "check_path_id",
    "contract_problems",
    "contract_validator",
    "keeps_contract",
    "model_problems",
    "parse_label",
]

_T = TypeVar("_T")

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

#: Field names longer than this are cut in messages (a name is the client's own text).
_NAME_SHOWN = 64
_SHORT_ENUM = 10
#: Fields the screen leaves alone: the card number itself (checked as one, then
#: tokenized) and the token (taken only when cardwatch issued it; a real token's hex
#: holds a Luhn-valid digit run now and then).
_UNSCREENED = frozenset({"card_number", "card_token"})
_CARD_DATA = "may hold a card number; card numbers are taken only in card_number"
#: Fields of free text (a person's words): a word of up to three letters joins digit
#: groups there too, see :mod:`~cardwatch.domain.transaction.card_screen`.
FREE_TEXT_FIELDS = frozenset({"note"})


def _matches(pattern: str, value: str) -> bool:
    """draft-04's ``pattern`` with ``$`` at the very end of the value: Python's ``$``
    also matches before a final newline, which would make ``X`` and ``X\n`` two ids
    (the compiled checks read ``$`` the same way)."""
    found = re.search(pattern, value)
    anchored = pattern.endswith("$") and not pattern.endswith("\\$")
    return found is not None and not (anchored and found.end() != len(value))


def _whole_value_pattern(
    validator: Draft4Validator, pattern: str, instance: object, schema: dict[str, Any]
) -> Iterator[ValidationError]:
    from jsonschema.exceptions import ValidationError  # noqa: PLC0415 - see contract_validator

    if isinstance(instance, str) and not _matches(pattern, instance):
        yield ValidationError(f"does not match {pattern!r}")


#: The contract files' compiled checks: each raises on the first problem it meets.
_CHECKS: dict[str, Callable[[object], object]] = {
    "transaction": transaction_check.validate_urn_cardwatch_schema_transaction,
    "label": label_check.validate_urn_cardwatch_schema_label,
    "case_action": case_action_check.validate_urn_cardwatch_schema_case_action,
}
_SCHEMAS: dict[str, Callable[[], dict[str, Any]]] = {
    "transaction": transaction_schema,
    "label": label_schema,
    "case_action": lambda: contract_schema("case_action"),
}


@cache
def contract_validator(name: str) -> Draft4Validator:
    """The full validator of a contract file, which names every problem of a document
    (built once, by the first document that breaks the contract)."""
    from jsonschema import Draft4Validator, validators  # noqa: PLC0415 - broken bodies only

    extended = validators.extend(  # type: ignore[no-untyped-call]
        Draft4Validator, {"pattern": _whole_value_pattern}
    )
    validator: Draft4Validator = extended(_SCHEMAS[name]())
    return validator


def keeps_contract(document: object, name: str = "transaction") -> bool:
    """Whether ``document`` keeps the contract file ``name``, by its compiled check."""
    try:
        _CHECKS[name](document)
    except JsonSchemaException:
        return False
    return True


def _shown(name: str) -> str:
    return name if len(name) <= _NAME_SHOWN else name[:_NAME_SHOWN] + "..."


def card_data_problems(document: object, where: str = "body") -> list[FieldProblem]:
    """Every place in ``document`` (names and values, at any depth) that holds a card
    number, other than the ``card_number`` field itself, named by field, never shown:
    a path whose names spell one together is named by the part before them."""
    if isinstance(document, dict):
        return _in_fields(document, where)
    if isinstance(document, list):
        return _in_items(document, where)
    if isinstance(document, str):
        free = where.rpartition(".")[2] in FREE_TEXT_FIELDS
        return (
            [FieldProblem(where, _CARD_DATA)] if holds_card_number(document, free_text=free) else []
        )
    if isinstance(document, int | float | Decimal) and number_holds_card_number(document):
        return [FieldProblem(where, _CARD_DATA)]
    return []


def _in_fields(document: dict[Any, Any], where: str) -> list[FieldProblem]:
    problems: list[FieldProblem] = []
    for name, value in document.items():
        inner = name if where == "body" else f"{where}.{name}"
        if holds_card_number(name, free_text=True) or holds_card_number(inner, free_text=True):
            problems.append(FieldProblem(where, f"a field name {_CARD_DATA}"))
        elif not (where == "body" and name in _UNSCREENED):
            problems += card_data_problems(value, inner)
    return problems


def _in_items(document: list[Any], where: str) -> list[FieldProblem]:
    problems: list[FieldProblem] = []
    for index, value in enumerate(document):
        inner = f"{where}.{index}"
        if holds_card_number(inner, free_text=True):
            return [*problems, FieldProblem(where, f"a field name {_CARD_DATA}")]
        problems += card_data_problems(value, inner)
    return problems


def _where(error: ValidationError) -> str:
    return ".".join(str(part) for part in error.absolute_path) or "body"


def _unknown_fields(
    instance: dict[str, Any], schema: dict[str, Any], where: str
) -> Iterator[FieldProblem]:
    """The fields the contract does not have, by name; a name that may hold a card
    number is never shown, not even cut."""
    for name in sorted(set(instance) - set(schema.get("properties", {}))):
        if holds_card_number(name, free_text=True):
            yield FieldProblem(where, f"a field name {_CARD_DATA}")
        else:
            yield FieldProblem(_shown(name), "is not a field of the contract")


def _describe(error: ValidationError) -> Iterable[FieldProblem]:
    """Name the field and the rule, never the offending value."""
    kind, where = str(error.validator), _where(error)
    rule: Any = error.validator_value
    instance: Any = error.instance
    schema: Any = error.schema
    if kind == "required":
        yield from (FieldProblem(name, "is required") for name in rule if name not in instance)
    elif kind == "additionalProperties":
        yield from _unknown_fields(instance, schema, where)
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


def contract_problems(document: object, contract: str = "transaction") -> list[FieldProblem]:
    """Every way ``document`` breaks the JSON Schema contract (empty when it holds):
    card data outside ``card_number`` and card verification codes first, then each rule
    the contract's validator finds broken on a field not named already.

    A document the compiled check passes never loads jsonschema."""
    if not isinstance(document, dict):
        return [FieldProblem("body", "must be a JSON object")]
    problems = card_data_problems(document)
    named = {problem.field for problem in problems}
    problems += [
        FieldProblem(name, "card verification codes are never accepted")
        for name in sorted(document)
        if name.lower() in CVV_FIELDS and name not in named
    ]
    if keeps_contract(document, contract):
        return problems
    named = {problem.field for problem in problems}
    found = model_problems(document, contract_validator(contract))
    return problems + [problem for problem in found if problem.field not in named]


def model_problems(document: object, validator: Draft4Validator) -> list[FieldProblem]:
    """Every way ``document`` breaks the JSON Schema ``validator`` holds, by field, in
    a stable order: the body's own rules first, then field by field. A value of the
    wrong JSON type is named once, by its type (not by each rule it then also breaks)."""
    errors = sorted(validator.iter_errors(document), key=lambda e: [str(p) for p in e.path])
    mistyped = {_where(error) for error in errors if error.validator == "type"}
    problems: list[FieldProblem] = []
    required_at: set[str] = set()
    for error in errors:
        where = _where(error)
        if error.validator == "required":
            # one error per missing field, each carrying the whole list: named once
            if where in required_at:
                continue
            required_at.add(where)
        elif where in mistyped and error.validator != "type":
            continue
        problems.extend(_describe(error))
    return problems


def check_path_id(transaction_id: str, name: str = "transaction_id") -> None:
    """An id taken from a path (a transaction's, or a case's, which keeps the same
    pattern): the contract's id pattern, and no card data."""
    problems = card_data_problems(transaction_id, name)
    pattern = transaction_schema()["properties"]["transaction_id"]["pattern"]
    if not problems and _matches(pattern, transaction_id):
        return
    raise InvalidTransaction(problems or [FieldProblem(name, f"must match the pattern {pattern}")])


def parse_label(body: str | bytes) -> dict[str, Any]:
    """A label request body, checked against ``label.schema.json``."""
    document = strict_json.loads(body)
    problems = contract_problems(document, "label")
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


@dataclass(frozen=True, slots=True)
class _Values:
    """What the checks beyond the schema read from a document, and what they found
    wrong (a value is None when its check failed or did not run)."""

    amount: Decimal | None
    moment: tuple[datetime, int] | None
    card: CardReference | None
    coordinates: dict[str, Decimal]
    problems: tuple[FieldProblem, ...]


class TransactionParser:
    """Parses and validates request bodies, tokenizing the card on the way.

    Every problem is found, not only the first: the contract's, then those of the
    checks beyond it (exact money, real dates in the window, the card, coordinates),
    each run on the fields the contract found no fault with."""

    def __init__(self, tokenizer: CardTokenizer, window: TimeWindow | None = None) -> None:
        self._tokenizer = tokenizer
        self._window = window or TimeWindow()

    def parse(self, body: str | bytes) -> Transaction:
        document = strict_json.loads(body)
        problems = contract_problems(document)
        if problems:
            named = frozenset(problem.field for problem in problems)
            beyond = self._values(document, named).problems if isinstance(document, dict) else ()
            raise InvalidTransaction([*problems, *beyond])
        return self.from_document(document)

    def from_document(self, document: dict[str, Any]) -> Transaction:
        """Build a transaction from a document that already satisfies the contract."""
        values = self._values(document, frozenset())
        if values.problems:
            raise InvalidTransaction(values.problems)
        # no problem: every check ran (the contract holds) and held
        assert values.amount is not None and values.moment is not None
        assert values.card is not None
        extras: dict[str, str | Decimal] = {}
        for name in OPTIONAL_FIELDS:
            if name in document:
                value = document[name]
                extras[name] = Decimal(value) if isinstance(value, int | Decimal) else value
        extras.update(values.coordinates)
        occurred_at, offset_minutes = values.moment
        return Transaction(
            transaction_id=document["transaction_id"],
            user_id=document["user_id"],
            amount=values.amount,
            currency=document["currency"],
            occurred_at=occurred_at,
            terminal_id=document["terminal_id"],
            card=values.card,
            extras=extras,
            utc_offset_minutes=offset_minutes,
        )

    def _values(self, document: dict[str, Any], skip: frozenset[str]) -> _Values:
        """Run every check beyond the schema whose fields are present and not in
        ``skip`` (fields already named by a problem), collecting what each finds."""
        problems: list[FieldProblem] = []

        def run(fields: tuple[str, ...], check: Callable[[], _T]) -> _T | None:
            if any(name in skip or name not in document for name in fields):
                return None
            try:
                return check()
            except InvalidTransaction as error:
                problems.extend(error.problems)
                return None

        amount = run(
            ("amount", "currency"), lambda: parse_amount(document["amount"], document["currency"])
        )
        moment = run(("timestamp",), lambda: self._moment(document["timestamp"]))
        card_field = "card_number" if "card_number" in document else "card_token"
        card = run((card_field,), lambda: self._card(card_field, document[card_field]))
        coordinates: dict[str, Decimal] = {}
        for name in ("latitude", "longitude"):
            kept = run((name,), partial(_read_coordinate, document, name))
            if kept is not None:
                coordinates[name] = kept
        return _Values(amount, moment, card, coordinates, tuple(problems))

    def _moment(self, text: str) -> tuple[datetime, int]:
        occurred_at, offset_minutes = _parse_timestamp(text)
        self._window.check(occurred_at)
        return occurred_at, offset_minutes

    def _card(self, name: str, value: str) -> CardReference:
        if name == "card_number":
            return self._tokenizer.tokenize(value)
        return self._tokenizer.reference(value)


#: Coordinates are kept to seven decimal places (about a centimetre): every value in
#: range is then a number DynamoDB can store (1E-200 cannot be).
_COORDINATE_STEP = Decimal("1E-7")
#: More decimals than this are refused, always: a coordinate then has at most 12 digits,
#: too few for the card-number screen to read one as a card (a float's noise digits,
#: ``40.71280000000001``, would otherwise be refused now and then).
MAX_COORDINATE_DECIMALS = 9


def _read_coordinate(document: dict[str, Any], name: str) -> Decimal:
    """The coordinate ``name`` of a document whose field keeps the contract."""
    return _coordinate(name, Decimal(document[name]))


def _coordinate(name: str, value: Decimal) -> Decimal:
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and -exponent > MAX_COORDINATE_DECIMALS:
        raise InvalidTransaction.single(
            name, f"must have at most {MAX_COORDINATE_DECIMALS} decimal places"
        )
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
    try:
        return moment.astimezone(UTC), minutes
    except OverflowError:  # 0001-01-01T00:00:00+14:00 has no UTC moment in range
        raise InvalidTransaction.single("timestamp", "is out of range") from None
