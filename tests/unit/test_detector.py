"""The engine: score, decision, reasons; redelivery; labels."""

import pytest

from cardwatch.adapters.memory import InMemoryState
from cardwatch.domain.engine.detection import Decision, Detector, Label
from cardwatch.domain.engine.features import FEATURES, Observation
from cardwatch.domain.engine.model import TreeModel
from cardwatch.domain.engine.rules import default_policy
from cardwatch.domain.engine.state import DAY_MS

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
    detector = Detector(InMemoryState(), default_policy())
    detector.assess(Observation("t0", T0, "card", "term", 200.0))
    for n in range(1, 5):
        detector.assess(Observation(f"t{n}", T0 + n * 1000, "card", "term", 1.0))
    # WHEN one more tiny amount arrives
    assessment = detector.assess(Observation("t9", T0 + 9000, "card", "term", 1.0))
    # THEN the rules alone send it to review, and say why
    assert assessment is not None
    assert assessment.decision is Decision.REVIEW
    assert "CARD_TESTING" in {reason.code for reason in assessment.reasons}
    assert 0 <= assessment.score <= 1 and assessment.model_score is None


def test_the_model_score_is_explained_by_its_features() -> None:
    detector = Detector(InMemoryState(), default_policy(), stump(0, 100.0, -6.0, 6.0))
    low = detector.assess(Observation("a", T0, "card", "term", 20.0))
    high = detector.assess(Observation("b", T0 + 1, "card2", "term", 500.0))
    assert low is not None and high is not None
    assert low.decision is Decision.APPROVE and low.reasons == ()
    assert high.decision is Decision.BLOCK
    assert high.reasons[0].code == "HIGH_AMOUNT" and high.reasons[0].source == "model"


def test_redelivery_is_not_scored_twice() -> None:
    detector = Detector(InMemoryState(), default_policy())
    observation = Observation("a", T0, "card", "term", 20.0)
    assert detector.assess(observation) is not None
    assert detector.assess(observation) is None


def test_labels_reach_the_terminal_and_card_state_once() -> None:
    state = InMemoryState()
    detector = Detector(state, default_policy())
    label = Label("a", T0, "card", "term", True, T0 + 1000)
    assert detector.learn(label)
    assert not detector.learn(label)  # a repeat changes nothing
    day = state.terminals["term"].state.days[T0 // DAY_MS]
    assert (day.labelled, day.frauds, day.frauds_known) == (1, 1, 1)
    assert state.cards["card"].days[(T0 + 1000) // DAY_MS].frauds_known == 1


def test_an_event_past_the_lateness_limit_is_scored_and_changes_nothing() -> None:
    # GIVEN a card with history, and a limit of one day
    state = InMemoryState()
    detector = Detector(state, default_policy(), max_lateness_ms=DAY_MS)
    for n in range(3):
        detector.assess(Observation(f"t{n}", T0 + n * 60_000, "card", "term", 20.0))
    # WHEN an event 200 days old arrives now
    pending = detector.prepare(Observation("old", T0 - 200 * DAY_MS, "card", "term", 5.0), T0)
    # THEN it is scored against the state as it is, and not added
    assert pending is not None and pending.late
    assert pending.assessment.feature("c_history_count") == 3
    assert not detector.commit(pending)
    assert state.cards["card"].count == 3


def test_an_event_within_the_limit_counts_in_the_windows_of_its_own_time() -> None:
    detector = Detector(InMemoryState(), default_policy())
    detector.assess(Observation("now", T0, "card", "term", 20.0))
    # a purchase made two hours earlier, arriving now, is not "in the last hour"
    late = detector.assess(Observation("early", T0 - 2 * 3_600_000, "card", "term", 20.0), T0)
    assert late is not None and late.feature("c_count_1h") == 0
    after = detector.assess(Observation("next", T0 + 60_000, "card", "term", 20.0))
    assert after is not None and after.feature("c_count_1d") == 2


def test_a_model_for_other_features_is_refused() -> None:
    with pytest.raises(ValueError, match="other features"):
        Detector(InMemoryState(), default_policy(), TreeModel(("x",), 0.0, (), {}))
