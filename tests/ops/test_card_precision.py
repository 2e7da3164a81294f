"""Card precision top-k counts as the handbook counts: a card caught in a day's top k
is known from then on, and later days' lists leave it out."""

import numpy as np
import pytest

from cardwatch.evaluation.metrics import card_precision_at_k


def test_a_card_caught_once_is_not_counted_again_on_later_days() -> None:
    # GIVEN two days; card a is fraudulent and scores highest on both
    days = np.array([0, 0, 0, 1, 1, 1])
    cards = ["a", "b", "c", "a", "b", "c"]
    scores = np.array([0.9, 0.5, 0.1, 0.9, 0.5, 0.1])
    labels = np.array([1, 0, 0, 1, 0, 1], dtype=np.int8)
    # WHEN card precision at 1 is taken
    # THEN day 0 finds a (1/1); on day 1 a is known and left out: b is first, genuine
    assert card_precision_at_k(days, cards, scores, labels, k=1) == pytest.approx(0.5)
    # at 2: day 0 finds a (1/2); day 1 ranks b, c: c is fraud (1/2)
    assert card_precision_at_k(days, cards, scores, labels, k=2) == pytest.approx(0.5)


def test_a_card_counts_once_a_day_by_its_highest_score() -> None:
    days = np.array([0, 0, 0])
    cards = ["a", "a", "b"]
    scores = np.array([0.2, 0.95, 0.9])
    labels = np.array([0, 1, 0], dtype=np.int8)
    # a's best is 0.95 and it had a fraud that day: the top 1 is a, a fraud
    assert card_precision_at_k(days, cards, scores, labels, k=1) == 1.0
    assert card_precision_at_k(days, cards, scores, labels, k=2) == 0.5
