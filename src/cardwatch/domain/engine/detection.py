"""The detection engine: features, rules and the model, combined into one assessment.

The Lambda functions, the local mode and the backtest all call :class:`Detector`, so
what the backtest measures is what runs in AWS.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from cardwatch.domain.engine.assessment import Assessment
from cardwatch.domain.engine.decisions import Decision, DecisionRecord, Reason
from cardwatch.domain.engine.features import FEATURES, Observation, change_of, compute, keys_of
from cardwatch.domain.engine.model import TreeModel
from cardwatch.domain.engine.reasons import explain
from cardwatch.domain.engine.rules import Policy, Thresholds, combine
from cardwatch.domain.engine.state import (
    DEFAULT_MAX_LATENESS_MS,
    LabelChange,
    StateChange,
    StateStore,
    Verdict,
)

__all__ = [
    "Assessment",
    "Decision",
    "Detector",
    "Label",
    "Pending",
    "Reason",
]

_MODEL_REASONS = 2


@dataclass(frozen=True, slots=True)
class Label:
    """A confirmed verdict on a transaction: fraud or genuine."""

    transaction_id: str
    transaction_ms: int
    card_key: str
    terminal_id: str
    is_fraud: bool
    known_ms: int
    merchant_category_code: str | None = None
    #: the verdict this label corrects (None: the first), and which verdict this is
    previous: Verdict | None = None
    version: int = 1


@dataclass(frozen=True, slots=True)
class Pending:
    """A scored transaction whose state change is not applied yet.

    ``change`` is ``None`` for an event that arrived past the lateness limit: it is
    scored against the state as it is, and changes nothing.
    """

    observation: Observation
    assessment: Assessment
    change: StateChange | None

    @property
    def late(self) -> bool:
        return self.change is None


class Detector:
    """Scores transactions one at a time and learns from labels as they arrive."""

    def __init__(
        self,
        state: StateStore,
        policy: Policy,
        model: TreeModel | None = None,
        max_lateness_ms: int = DEFAULT_MAX_LATENESS_MS,
        *,
        challenger: TreeModel | None = None,
    ) -> None:
        self.state = state
        self.policy = policy
        self.model = model
        #: scored in shadow beside the model: recorded, never deciding
        self.challenger = challenger
        self.max_lateness_ms = max_lateness_ms
        #: the thresholds in force (an alert budget's); None: the rule document's
        self.thresholds: Thresholds | None = None
        for each in (model, challenger):
            if each is not None and each.features != FEATURES:
                raise ValueError("the model was trained on other features than the engine's")

    def assess(self, obs: Observation, now_ms: int | None = None) -> Assessment | None:
        """Score ``obs`` and add it to the state; ``None`` if it was applied before."""
        pending = self.prepare(obs, now_ms)
        if pending is None:
            return None
        self.commit(pending)
        return pending.assessment

    def prepare(
        self, obs: Observation, now_ms: int | None = None, *, at_authorization: bool = False
    ) -> Pending | None:
        """Score ``obs`` against the state before it, changing nothing yet.

        ``now_ms`` is when it is processed (its own time in a replay). ``None`` when the
        state already holds it (an earlier attempt finished: nothing left to do).
        ``at_authorization``: scored as of ``now_ms`` (the moment the answer is made, or
        its own time if later), so it counts everything registered before it reads,
        concurrent transactions stamped a moment after it included; its change still
        counts at its own time.
        """
        seen = self.observe(obs, now_ms, at_authorization=at_authorization)
        if seen is None:
            return None
        x, change = seen
        return Pending(obs, self.judge(obs.transaction_id, x), change)

    def settle(self, obs: Observation, assessment: Assessment, now_ms: int) -> Pending:
        """``obs`` with the assessment it was given at authorization time: registered
        again (idempotent: the same event and the same first-visit claims), never
        scored again; its change is applied by :meth:`commit`, once."""
        if now_ms - obs.timestamp_ms > self.max_lateness_ms:
            return Pending(obs, assessment, None)
        made = change_of(obs)
        claimed = self.state.register(made)
        change = StateChange(made.card_key, made.terminal_id, made.event, claimed, made.keys)
        return Pending(obs, assessment, change)

    def observe(
        self, obs: Observation, now_ms: int | None = None, *, at_authorization: bool = False
    ) -> tuple[list[float], StateChange | None] | None:
        """The feature vector of ``obs`` against the state before it, and the change it
        makes (``None``: past the lateness limit); ``None`` when the state holds it."""
        now = obs.timestamp_ms if now_ms is None else now_ms
        late = now - obs.timestamp_ms > self.max_lateness_ms
        scored = obs
        if late or (at_authorization and now > obs.timestamp_ms):
            scored = replace(obs, timestamp_ms=now)
        change = None
        if not late:  # visible to concurrent readers before it is scored itself
            made = change_of(obs)
            # (built anew: a named tuple's _replace costs a twentieth of a replay's row)
            claimed = self.state.register(made)
            change = StateChange(made.card_key, made.terminal_id, made.event, claimed, made.keys)
        keys = keys_of(obs) if change is None else change.keys
        snapshot = self.state.read(
            obs.card_key, obs.terminal_id, obs.transaction_id, scored.timestamp_ms, keys
        )
        if snapshot.applied:
            return None
        return compute(scored, snapshot), change

    def commit(self, pending: Pending) -> bool:
        """Apply the transaction's change (once); False when there was nothing to apply."""
        if pending.change is None:
            return False
        return self.state.apply(pending.change)

    def judge(self, transaction_id: str, x: list[float]) -> Assessment:
        """Combine the model and the rules on a feature vector (noisy-OR of the parts)."""
        fired = self.policy.fired(x)
        model_score = self.model.probability(x) if self.model is not None else None
        score = combine(model_score, (rule.weight for rule in fired))
        thresholds = self.thresholds or self.policy.thresholds
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
        shadow = None
        if self.challenger is not None:
            shadow = combine(self.challenger.probability(x), (rule.weight for rule in fired))
        return Assessment(
            transaction_id, score, decision, tuple(reasons), model_score, tuple(x), shadow
        )

    def _model_reasons(self, x: list[float], already: set[str]) -> list[Reason]:
        assert self.model is not None
        facts = dict(zip(FEATURES, x, strict=True))
        return [
            Reason(why.code, why.detail, "model", why.feature, why.value)
            for why in explain(self.model.explain(x), facts, already, _MODEL_REASONS)
        ]

    def record(self, assessment: Assessment) -> DecisionRecord:
        """The decision as the log keeps it: with the features scored and the model."""
        return DecisionRecord(
            assessment.score,
            assessment.decision.value,
            tuple(reason.code for reason in assessment.reasons),
            {
                name: value
                for name, value in zip(FEATURES, assessment.features, strict=True)
                if value == value  # NaN (missing) is left out
            },
            None if self.model is None else self.model.version,
            None if self.challenger is None else self.challenger.version,
            assessment.challenger_score,
        )

    def learn(self, label: Label) -> bool:
        """Take a confirmed label into the state, once per (transaction, version); a
        correction takes the verdict it replaces back out."""
        return self.state.apply_label(
            LabelChange(
                label.transaction_id,
                label.card_key,
                label.terminal_id,
                label.transaction_ms,
                label.is_fraud,
                label.known_ms,
                None
                if label.merchant_category_code is None
                else f"mcc#{label.merchant_category_code}",
                label.previous,
                label.version,
            )
        )
