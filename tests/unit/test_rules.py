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
    fired = policy.fired(vector(c_ratio_history=12, c_history_count=30))
    assert [rule.reason for rule in fired] == ["AMOUNT_FAR_ABOVE_CARD_NORM"]
    assert policy.fired(vector(c_ratio_history=12, c_history_count=3)) == []


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
