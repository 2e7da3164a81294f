import json

import pytest

from cardwatch.domain.engine.features import FEATURES
from cardwatch.domain.engine.rules import Policy, RuleSetError, default_policy


def vector(**values: float) -> list[float]:
    return [values.get(name, float("nan")) for name in FEATURES]


def test_the_shipped_rule_set_loads_and_every_rule_has_a_reason() -> None:
    policy = default_policy()
    assert policy.rules and all(rule.reason and rule.description for rule in policy.rules)
    assert 0 < policy.thresholds.review <= policy.thresholds.block <= 1


def test_a_rule_fires_when_all_its_conditions_hold() -> None:
    policy = default_policy()
    fired = policy.fired(vector(c_small_count_1h=5, c_ratio_history=0.1))
    assert [rule.reason for rule in fired] == ["CARD_TESTING"]
    assert policy.fired(vector(c_small_count_1h=5, c_ratio_history=0.5)) == []


def test_missing_values_never_fire_a_rule() -> None:
    assert default_policy().fired(vector()) == []


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        (
            {
                "id": "x",
                "reason": "X",
                "weight": 0.5,
                "when": [{"feature": "no_such", "op": ">", "value": 1}],
            },
            "unknown feature",
        ),
        (
            {
                "id": "x",
                "reason": "X",
                "weight": 0.5,
                "when": [{"feature": "amount", "op": "__import__", "value": 1}],
            },
            "unknown operator",
        ),
        (
            {
                "id": "x",
                "reason": "X",
                "weight": 2,
                "when": [{"feature": "amount", "op": ">", "value": 1}],
            },
            "weight",
        ),
        ({"id": "x", "reason": "X", "weight": 0.5, "when": []}, "at least one condition"),
    ],
)
def test_a_bad_rule_set_is_refused_with_its_place(rule: dict[str, object], message: str) -> None:
    with pytest.raises(RuleSetError, match=message):
        Policy.from_json(json.dumps({"rules": [rule]}))


def _rule_with(**changes: object) -> str:
    rule = {"id": "x", "reason": "X", "weight": 0.5, "description": "fine"}
    rule["when"] = [{"feature": "amount", "op": ">", "value": 1}]
    return json.dumps({"rules": [rule | changes]})


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"reason": "<img src=x onerror=alert(1)>"}, "reason must match"),
        ({"reason": "card_testing"}, "reason must match"),
        ({"reason": "A" * 41}, "reason must match"),
        ({"reason": "CARD TESTING"}, "reason must match"),
        ({"id": "x\ny"}, "id must match"),
        ({"description": "line one\nBcc: someone@example.com"}, "printable"),
        ({"description": "line one\r\nline two"}, "printable"),
        ({"description": "\x1b[31mred\x1b[0m"}, "printable"),
        ({"description": "tab\there"}, "printable"),
        ({"description": "right-to-left \u202e override"}, "printable"),
        ({"description": "d" * 201}, "at most 200"),
        ({"description": 5}, "must be text"),
        ({"description": "seen on 4111 1111 1111 1111 twice"}, "card number"),
    ],
)
def test_rule_text_is_data(changes: dict[str, object], message: str) -> None:
    with pytest.raises(RuleSetError, match=message):
        Policy.from_json(_rule_with(**changes))


def test_rule_text_within_the_rules_loads() -> None:
    policy = Policy.from_json(_rule_with(reason="A" * 40, description="Plain text, 200 at most."))
    assert policy.rules[0].reason == "A" * 40


def test_an_alert_subject_is_what_sns_takes() -> None:
    from cardwatch.domain.engine.alerts import SUBJECT_LENGTH, Alert, Finding  # noqa: PLC0415

    finding = Finding(
        kind="pattern",
        finding_id="p-1",
        subject_key="T" * 300,
        masked_card=None,
        amount=None,
        currency=None,
        score=0.95,
        decision="block",
        reasons=({"code": "TERMINAL_HIT_BY_MANY_CARDS", "detail": "café\nBcc: x"},),
        detected_at="2026-12-05T10:00:00Z",
        terminal_id="caf\u00e9\nBcc: someone",
    )
    subject = Alert.from_finding(finding).subject
    assert subject.isascii() and subject.isprintable()
    assert len(subject) <= SUBJECT_LENGTH
    assert subject.startswith("[HIGH] TERMINAL_HIT_BY_MANY_CARDS")
