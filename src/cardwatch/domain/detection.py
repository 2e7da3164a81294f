"""The detection engine: features, rules and the model, combined into one assessment.

The Lambda functions, the local mode and the backtest all call :class:`Detector`, so
what the backtest measures is what runs in AWS.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Protocol

from cardwatch.domain.features import FEATURES, Observation, compute, remember, remember_label
from cardwatch.domain.model import TreeModel
from cardwatch.domain.profiles import CardProfile, TerminalProfile
from cardwatch.domain.rules import Policy

__all__ = [
    "Assessment",
    "Decision",
    "Detector",
    "InMemoryProfiles",
    "Label",
    "Pending",
    "ProfileStore",
    "Reason",
]

#: Reason code for each feature, used when the model's score is explained.
_FEATURE_REASONS = {
    "amount": "HIGH_AMOUNT",
    "log_amount": "HIGH_AMOUNT",
    "hour": "UNUSUAL_TIME",
    "is_night": "UNUSUAL_TIME",
    "is_weekend": "UNUSUAL_TIME",
    "c_ratio_30d": "AMOUNT_ABOVE_CARD_NORM",
    "c_ratio_history": "AMOUNT_ABOVE_CARD_NORM",
    "c_zscore": "AMOUNT_ABOVE_CARD_NORM",
    "c_mean_1d": "AMOUNT_ABOVE_CARD_NORM",
    "c_mean_7d": "AMOUNT_ABOVE_CARD_NORM",
    "c_mean_30d": "AMOUNT_ABOVE_CARD_NORM",
    "c_known_fraud_30d": "CARD_WITH_CONFIRMED_FRAUD",
    "c_geo_speed_kmh": "IMPOSSIBLE_TRAVEL",
    "c_small_count_1h": "CARD_TESTING",
    "c_distinct_terminals_1d": "MANY_TERMINALS",
    "c_history_count": "NEW_CARD",
    "t_mean_30d": "AMOUNT_ABOVE_TERMINAL_NORM",
    "t_ratio_30d": "AMOUNT_ABOVE_TERMINAL_NORM",
    "t_fraud_known_last_7d": "TERMINAL_WITH_CONFIRMED_FRAUD",
    "t_known_fraud_28d": "TERMINAL_WITH_CONFIRMED_FRAUD",
    "t_fraud_rate_28d": "TERMINAL_WITH_CONFIRMED_FRAUD",
    "t_labelled_28d": "TERMINAL_WITH_CONFIRMED_FRAUD",
    "t_distinct_cards_1h": "TERMINAL_HIT_BY_MANY_CARDS",
    "t_distinct_cards_1d": "TERMINAL_HIT_BY_MANY_CARDS",
}
_MODEL_REASONS = 2


class Decision(enum.StrEnum):
    APPROVE = "approve"
    REVIEW = "review"
    BLOCK = "block"


@dataclass(frozen=True, slots=True)
class Reason:
    code: str
    detail: str
    source: str  # "rule:<id>" or "model"


@dataclass(frozen=True, slots=True)
class Assessment:
    transaction_id: str
    score: float
    decision: Decision
    reasons: tuple[Reason, ...]
    model_score: float | None
    features: tuple[float, ...]

    @property
    def suspicious(self) -> bool:
        return self.decision is not Decision.APPROVE

    def feature(self, name: str) -> float:
        return self.features[FEATURES.index(name)]


@dataclass(frozen=True, slots=True)
class Label:
    """A confirmed verdict on a transaction: fraud or genuine."""

    transaction_id: str
    transaction_ms: int
    card_key: str
    terminal_id: str
    is_fraud: bool
    known_ms: int


@dataclass(frozen=True, slots=True)
class Pending:
    """A scored transaction whose profiles are not updated yet."""

    observation: Observation
    card: CardProfile
    terminal: TerminalProfile
    assessment: Assessment


class ProfileStore(Protocol):
    """Where card and terminal profiles live between transactions."""

    def load(self, card_key: str, terminal_id: str) -> tuple[CardProfile, TerminalProfile]: ...

    def save(
        self, card_key: str, card: CardProfile, terminal_id: str, terminal: TerminalProfile
    ) -> None: ...


class InMemoryProfiles:
    """:class:`ProfileStore` in a dictionary, for backtests and tests."""

    def __init__(self) -> None:
        self.cards: dict[str, CardProfile] = {}
        self.terminals: dict[str, TerminalProfile] = {}

    def load(self, card_key: str, terminal_id: str) -> tuple[CardProfile, TerminalProfile]:
        card = self.cards.get(card_key)
        if card is None:
            card = self.cards[card_key] = CardProfile()
        terminal = self.terminals.get(terminal_id)
        if terminal is None:
            terminal = self.terminals[terminal_id] = TerminalProfile()
        return card, terminal

    def save(
        self, card_key: str, card: CardProfile, terminal_id: str, terminal: TerminalProfile
    ) -> None:
        self.cards[card_key], self.terminals[terminal_id] = card, terminal


class Detector:
    """Scores transactions one at a time and learns from labels as they arrive."""

    def __init__(
        self, profiles: ProfileStore, policy: Policy, model: TreeModel | None = None
    ) -> None:
        self.profiles = profiles
        self.policy = policy
        self.model = model
        if model is not None and model.features != FEATURES:
            raise ValueError("the model was trained on other features than the engine's")

    def assess(self, obs: Observation) -> Assessment | None:
        """Score ``obs`` and remember it; ``None`` if it was assessed before (redelivery)."""
        pending = self.prepare(obs)
        if pending is None:
            return None
        self.commit(pending)
        return pending.assessment

    def prepare(self, obs: Observation) -> Pending | None:
        """Score ``obs`` against the profiles without changing them yet."""
        card, terminal = self.profiles.load(obs.card_key, obs.terminal_id)
        if obs.transaction_id in card.seen:
            return None
        assessment = self.judge(obs.transaction_id, compute(obs, card, terminal))
        return Pending(obs, card, terminal, assessment)

    def commit(self, pending: Pending) -> None:
        """Add the transaction to its card's and terminal's profile, and save them."""
        obs = pending.observation
        remember(obs, pending.card, pending.terminal)
        self.profiles.save(obs.card_key, pending.card, obs.terminal_id, pending.terminal)

    def judge(self, transaction_id: str, x: list[float]) -> Assessment:
        """Combine the model and the rules on a feature vector (noisy-OR of the parts)."""
        fired = self.policy.fired(x)
        model_score = self.model.probability(x) if self.model is not None else None
        keep = 1.0 - (model_score or 0.0)
        for rule in fired:
            keep *= 1.0 - rule.weight
        score = 1.0 - keep
        thresholds = self.policy.thresholds
        decision = (
            Decision.BLOCK
            if score >= thresholds.block
            else Decision.REVIEW
            if score >= thresholds.review
            else Decision.APPROVE
        )
        reasons = [Reason(rule.reason, rule.description, f"rule:{rule.id}") for rule in fired]
        if decision is not Decision.APPROVE and self.model is not None:
            reasons += self._model_reasons(x, {reason.code for reason in reasons})
        return Assessment(transaction_id, score, decision, tuple(reasons), model_score, tuple(x))

    def _model_reasons(self, x: list[float], already: set[str]) -> list[Reason]:
        assert self.model is not None
        credit = self.model.contributions(x)
        reasons: list[Reason] = []
        for name, value in sorted(credit.items(), key=lambda item: -item[1]):
            code = _FEATURE_REASONS.get(name, "UNUSUAL_PATTERN")
            if value <= 0 or len(reasons) >= _MODEL_REASONS:
                break
            if code not in already:
                already.add(code)
                reasons.append(
                    Reason(code, f"model: {name} = {x[FEATURES.index(name)]:.4g}", "model")
                )
        return reasons

    def learn(self, label: Label) -> None:
        """Take a confirmed label into the card's and the terminal's profile."""
        card, terminal = self.profiles.load(label.card_key, label.terminal_id)
        remember_label(card, terminal, label.transaction_ms, label.is_fraud, label.known_ms)
        self.profiles.save(label.card_key, card, label.terminal_id, terminal)
