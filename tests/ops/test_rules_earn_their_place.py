"""No shipped rule lowers the ranking: on the handbook's simulation and on the project's
other generators (the issuer's portfolio among them), each rule's hits are measured
against the scores without it."""

from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cardwatch.domain.engine.rules import Policy, combine, default_policy
from cardwatch.evaluation.backtest import backtest
from cardwatch.evaluation.replay import ReplaySettings, load_history
from cardwatch.evaluation.rule_report import combined_scores
from cardwatch.simulation.handbook import SimulationSettings, simulate, write_csv
from cardwatch.simulation.issuer import IssuerSettings, simulate_issuer
from cardwatch.simulation.rich import RichSettings
from tests.support.worlds import short_compromises

BASE = SimulationSettings(customers=600, terminals=1200, days=49, seed=41)
WORLDS = {
    "handbook": BASE,
    "lower amount threshold": replace(BASE, fraud_amount=150.0, compromised_amount_factor=3.0),
    "short compromises": short_compromises(BASE),
    "card testing": replace(BASE, card_testing_per_day=3),
    "rich": replace(BASE, rich=RichSettings()),
    "issuer": IssuerSettings(cardholders=600, days=49, seed=41),
}


@pytest.mark.parametrize("world", WORLDS)
def test_no_shipped_rule_lowers_average_precision(
    world: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    # GIVEN a generated history
    path = tmp_path_factory.mktemp("world") / "data.csv"
    settings = WORLDS[world]
    data = simulate_issuer(settings) if isinstance(settings, IssuerSettings) else simulate(settings)
    write_csv(data, path)
    history = load_history(path)
    # WHEN it is backtested with the shipped rules, over the last three weeks
    _result, report = backtest(history, ReplaySettings(), test_days=21)
    # THEN every shipped rule is measured, and none lowers the average precision
    assert [effect.rule_id for effect in report.rules] == [
        rule.id for rule in default_policy().rules
    ]
    for effect in report.rules:
        assert effect.average_precision_change >= 0, (
            f"{effect.rule_id}: {effect.hits} hits at precision {effect.precision:.3f} "
            f"change AP by {effect.average_precision_change:+.4f}"
        )
    if world == "card testing":  # the rule meant for it fires, nearly only on fraud
        (testing,) = [e for e in report.rules if e.rule_id == "card-testing"]
        assert testing.hits > 20 and testing.precision > 0.95


def test_a_rule_that_hits_genuine_customers_is_shown_to_lower_it(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    # The measure can fail: a rule on terminals with confirmed fraud, as once shipped,
    # mostly hits the genuine customers of those terminals.
    path = tmp_path_factory.mktemp("world") / "data.csv"
    write_csv(simulate(BASE), path)
    document = {
        "rules": [
            {
                "id": "terminal-confirmed-fraud",
                "reason": "TERMINAL_WITH_CONFIRMED_FRAUD",
                "weight": 0.3,
                "when": [{"feature": "t_fraud_known_last_7d", "op": ">=", "value": 2}],
            }
        ]
    }
    _result, report = backtest(
        load_history(path), ReplaySettings(), test_days=21, policy=Policy.from_document(document)
    )
    (effect,) = report.rules
    assert effect.hits > 100 and effect.precision < 0.6
    assert effect.average_precision_change < 0


@settings(max_examples=200, deadline=None)
@given(
    model=st.one_of(st.none(), st.floats(0, 1)),
    weights=st.lists(st.floats(0, 1), min_size=0, max_size=5),
    hits=st.integers(0, 31),
)
def test_the_report_combines_model_and_rules_as_the_detector_does(
    model: float | None, weights: list[float], hits: int
) -> None:
    fired = [w for bit, w in enumerate(weights) if hits >> bit & 1]
    vector = combined_scores(
        np.array([np.nan if model is None else model]), np.array([hits]), weights
    )
    assert vector[0] == pytest.approx(combine(model, fired), abs=1e-12)
