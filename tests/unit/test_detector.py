"""The engine: score, decision, reasons; redelivery; labels."""

import pytest

from cardwatch.domain.detection import Decision, Detector, InMemoryProfiles, Label
from cardwatch.domain.features import FEATURES, Observation
from cardwatch.domain.model import TreeModel
from cardwatch.domain.profiles import DAY_MS
from cardwatch.domain.rules import default_policy

T0 = 1_700_000_000_000


def stump(feature_index: int, threshold: float, low: float, high: float) -> TreeModel:
    """A one-split model: raw score ``low`` below the threshold, ``high`` above."""
    return TreeModel.from_artifact(
        {
            "format": "cardwatch-gbt/1",
            "features": list(FEATURES),
            "baseline": 0.0,
            "trees": [
                {
                    "feature": [feature_index, -1, -1],
                    "threshold": [threshold, 0, 0],
                    "missing_left": [1, 0, 0],
                    "left": [1, 0, 0],
                    "right": [2, 0, 0],
                    "value": [0.0, low, high],
                }
            ],
        }
    )


def test_without_a_model_the_rules_decide() -> None:
    # GIVEN a card with one real purchase, then a run of tiny ones (card testing)
    detector = Detector(InMemoryProfiles(), default_policy())
    detector.assess(Observation("t0", T0, "card", "term", 200.0))
    for n in range(1, 5):
        detector.assess(Observation(f"t{n}", T0 + n * 1000, "card", "term", 1.0))
    # WHEN one more tiny amount arrives
    assessment = detector.assess(Observation("t9", T0 + 9000, "card", "term", 1.0))
    # THEN the rules alone send it to review, and say why
    assert assessment is not None
    assert assessment.decision is Decision.REVIEW
    assert {"CARD_TESTING", "CARD_VELOCITY"} <= {reason.code for reason in assessment.reasons}
    assert 0 <= assessment.score <= 1 and assessment.model_score is None


def test_the_model_score_is_explained_by_its_features() -> None:
    detector = Detector(InMemoryProfiles(), default_policy(), stump(0, 100.0, -6.0, 6.0))
    low = detector.assess(Observation("a", T0, "card", "term", 20.0))
    high = detector.assess(Observation("b", T0 + 1, "card2", "term", 500.0))
    assert low is not None and high is not None
    assert low.decision is Decision.APPROVE and low.reasons == ()
    assert high.decision is Decision.BLOCK
    assert high.reasons[0].code == "HIGH_AMOUNT" and high.reasons[0].source == "model"


def test_redelivery_is_not_scored_twice() -> None:
    detector = Detector(InMemoryProfiles(), default_policy())
    observation = Observation("a", T0, "card", "term", 20.0)
    assert detector.assess(observation) is not None
    assert detector.assess(observation) is None


def test_labels_reach_the_terminal_profile() -> None:
    profiles = InMemoryProfiles()
    detector = Detector(profiles, default_policy())
    detector.learn(Label("a", T0, "card", "term", True, T0 + 1000))
    terminal = profiles.terminals["term"]
    assert terminal.label_days == {T0 // DAY_MS: [1, 1]}
    assert terminal.fraud_known_days == {(T0 + 1000) // DAY_MS: 1}


def test_a_model_for_other_features_is_refused() -> None:
    with pytest.raises(ValueError, match="other features"):
        Detector(InMemoryProfiles(), default_policy(), TreeModel(("x",), 0.0, (), {}))
