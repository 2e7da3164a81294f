"""Rules as data: conditions over named features, a weight and a reason code each.

A rule set is a JSON document, validated on load (no ``eval``): every feature must be a
known one, every operator one of :data:`OPERATORS`, every weight in [0, 1]. Deployments
keep it in SSM Parameter Store, so it can change without a redeploy; locally it is a
file. The same document holds the decision thresholds.
"""

from __future__ import annotations

import json
import operator
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from cardwatch.domain.digest import text_digest
from cardwatch.domain.engine.features import FEATURES
from cardwatch.domain.transaction.card_screen import holds_card_number

__all__ = [
    "OPERATORS",
    "Condition",
    "Policy",
    "Rule",
    "RuleSetError",
    "Thresholds",
    "combine",
    "default_policy",
    "rules_text",
]

OPERATORS: dict[str, Callable[[float, float], bool]] = {
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
    "==": operator.eq,
    "!=": operator.ne,
}
_INDEX = {name: index for index, name in enumerate(FEATURES)}
#: A reason code: what an alert's subject, a case and a decision log carry. Codes alone
#: reach an e-mail's subject line, so they are data, never markup or a header.
REASON_CODE = re.compile(r"[A-Z][A-Z0-9_]{0,39}")
#: A rule's id: names it in the document, the decision log and the audit trail.
RULE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
#: The longest description: a line of an alert's body.
DESCRIPTION_LENGTH = 200


class RuleSetError(ValueError):
    """The rule document is not valid; the message says where."""


@dataclass(frozen=True, slots=True)
class Condition:
    feature: str
    op: str
    value: float

    def holds(self, x: list[float]) -> bool:
        v = x[_INDEX[self.feature]]
        return v == v and OPERATORS[self.op](v, self.value)  # NaN never satisfies a rule


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    reason: str
    description: str
    weight: float
    conditions: tuple[Condition, ...]

    def fires(self, x: list[float]) -> bool:
        for condition in self.conditions:
            v = x[_INDEX[condition.feature]]
            if v != v or not OPERATORS[condition.op](v, condition.value):
                return False
        return True


@dataclass(frozen=True, slots=True)
class Thresholds:
    review: float = 0.5
    block: float = 0.9


@dataclass(frozen=True, slots=True)
class Policy:
    rules: tuple[Rule, ...]
    thresholds: Thresholds
    _first: tuple[tuple[int, Callable[[float, float], bool], float], ...] = field(
        init=False, repr=False, compare=False
    )
    #: which document it is: ``sha256:`` and the first 16 hex digits of its text (what
    #: ``rules publish`` writes beside each version), "" for one built in code
    version: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        first = tuple(
            (_INDEX[r.conditions[0].feature], OPERATORS[r.conditions[0].op], r.conditions[0].value)
            for r in self.rules
        )
        object.__setattr__(self, "_first", first)

    def fired(self, x: list[float]) -> list[Rule]:
        # The first condition of most rules fails: test it inline before the rest.
        fired = []
        for rule, (index, test, value) in zip(self.rules, self._first, strict=True):
            v = x[index]
            if v == v and test(v, value) and rule.fires(x):
                fired.append(rule)
        return fired

    @classmethod
    def from_json(cls, text: str) -> Policy:
        try:
            document = json.loads(text)
        except ValueError as error:
            raise RuleSetError(f"rule set is not JSON: {error}") from None
        policy = cls.from_document(document)
        object.__setattr__(policy, "version", f"sha256:{text_digest(text)[:16]}")
        return policy

    @classmethod
    def from_document(cls, document: Any) -> Policy:
        """The policy a rules document describes; every way it can be wrong is a
        :class:`RuleSetError` naming the rule and the problem."""
        if not isinstance(document, dict):
            raise RuleSetError("rule set: must be a JSON object with rules and thresholds")
        try:
            return cls._from_document(document)
        except RuleSetError:
            raise
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            raise RuleSetError(f"rule set: {type(error).__name__}: {error}") from None

    @classmethod
    def _from_document(cls, document: dict[str, Any]) -> Policy:
        rules = tuple(_rule(entry, index) for index, entry in enumerate(document.get("rules", [])))
        seen: set[str] = set()
        for index, rule in enumerate(rules):
            if rule.id in seen:
                raise RuleSetError(f"rules[{index}] ({rule.id}): the id is used twice")
            seen.add(rule.id)
        limits = document.get("thresholds", {})
        thresholds = Thresholds(float(limits.get("review", 0.5)), float(limits.get("block", 0.9)))
        if not 0 < thresholds.review <= thresholds.block <= 1:
            raise RuleSetError("thresholds: need 0 < review <= block <= 1")
        return cls(rules, thresholds)


def _conditions(entries: Iterable[dict[str, Any]], where: str) -> tuple[Condition, ...]:
    conditions = []
    for entry in entries:
        feature, op = entry.get("feature"), entry.get("op")
        if feature not in _INDEX:
            raise RuleSetError(f"{where}: unknown feature {feature!r}")
        if op not in OPERATORS:
            raise RuleSetError(f"{where}: unknown operator {op!r}")
        value = entry.get("value")
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise RuleSetError(f"{where}: a condition's value must be a number")
        conditions.append(Condition(feature, op, float(value)))
    if not conditions:
        raise RuleSetError(f"{where}: a rule needs at least one condition")
    return tuple(conditions)


def _rule(entry: dict[str, Any], index: int) -> Rule:
    if not isinstance(entry, dict):
        raise RuleSetError(f"rules[{index}]: must be an object")
    where = f"rules[{index}]" + (f" ({entry['id']})" if isinstance(entry.get("id"), str) else "")
    weight = float(entry.get("weight", -1))
    if not 0 <= weight <= 1:
        raise RuleSetError(f"{where}: weight must be within [0, 1]")
    for key in ("id", "reason"):
        if not isinstance(entry.get(key), str) or not entry[key]:
            raise RuleSetError(f"{where}: {key} is required")
    if not RULE_ID.fullmatch(entry["id"]):
        raise RuleSetError(f"rules[{index}]: id must match {RULE_ID.pattern}")
    if not REASON_CODE.fullmatch(entry["reason"]):
        raise RuleSetError(f"{where}: reason must match {REASON_CODE.pattern}")
    return Rule(
        entry["id"],
        entry["reason"],
        _description(entry.get("description", ""), where),
        weight,
        _conditions(entry.get("when", []), where),
    )


def _description(value: object, where: str) -> str:
    """Plain text for an alert's body: printable characters only (no line breaks, tabs,
    escape sequences or direction overrides: nothing that could add a header or hide
    text), at most 200 of them, and no card number."""
    if not isinstance(value, str):
        raise RuleSetError(f"{where}: description must be text")
    if len(value) > DESCRIPTION_LENGTH:
        raise RuleSetError(f"{where}: description must be at most {DESCRIPTION_LENGTH} characters")
    if not value.isprintable():
        raise RuleSetError(
            f"{where}: description must be printable text, without line breaks or control "
            "characters"
        )
    if holds_card_number(value, free_text=True):
        raise RuleSetError(f"{where}: description may hold a card number")
    return value


def combine(model_score: float | None, weights: Iterable[float]) -> float:
    """The score: a noisy-OR of the model's probability and the fired rules' weights
    (each an independent chance that the transaction is fraud)."""
    keep = 1.0 - (model_score or 0.0)
    for weight in weights:
        keep *= 1.0 - weight
    return 1.0 - keep


def rules_text() -> str:
    """The rule document that ships with cardwatch (``domain/data/rules.json``)."""
    return resources.files("cardwatch.domain").joinpath("data/rules.json").read_text("utf-8")


def default_policy() -> Policy:
    """The shipped rule set, parsed."""
    return Policy.from_json(rules_text())
