"""The decision use case on in-memory fakes: the answer is the decision of record, a
repeat answers it again, the asynchronous path takes it without scoring again, and the
degraded policies answer when the state cannot be read."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest

from cardwatch.domain.engine.authorization import ACTIONS, Degraded, Outcomes
from cardwatch.domain.engine.decisions import Decision
from cardwatch.domain.engine.detection import Detector
from cardwatch.domain.engine.model_store import default_model
from cardwatch.domain.engine.rules import default_policy
from cardwatch.domain.engine.state import StateChange
from cardwatch.domain.errors import DecidedAfterwards, StoreBusy, TransactionConflict
from cardwatch.domain.transaction.validation import TransactionParser
from cardwatch.services.decide import (
    DeadlineExceeded,
    DecisionOutcome,
    DecisionResult,
    DecisionService,
)
from cardwatch.services.detect import DetectionService, DetectOutcome
from cardwatch.services.ingest import IngestService
from tests.fakes import FailingState, Injected, InMemoryTransactionStore, ListQueue
from tests.support.documents import body

START = datetime(2026, 11, 20, 11, 50, tzinfo=UTC)


def at(n: int) -> datetime:
    """When the n-th of the run is paid: seconds apart."""
    return START + timedelta(seconds=9 * n)


def probe(n: int, **fields: object) -> str:
    """The n-th of a card-testing run: a purchase, then small amounts seconds apart."""
    sent: dict[str, object] = {
        "transaction_id": f"p-{n}",
        "amount": 180.0 if n == 0 else 0.5,
        "timestamp": at(n).isoformat().replace("+00:00", "Z"),
    }
    return body(**(sent | fields))


class Clock:
    """The decision's clock: a moment after the payment it decides was stamped."""

    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now


class Stack:
    """The decision service and the detect service over one store and one state."""

    def __init__(self, parser: TransactionParser, policy: Degraded = Degraded.OPEN) -> None:
        self.parser = parser
        self.store = InMemoryTransactionStore()
        self.state = FailingState()
        self.queue = ListQueue()
        self.degraded: list[Exception] = []
        self.clock = Clock()
        detector = Detector(self.state, default_policy(), default_model())
        self.decisions = DecisionService(
            parser,
            self.store,
            detector,
            policy=policy,
            rules_version="sha256:test",
            now=self.clock,
            on_degraded=self.degraded.append,
            unavailable=(Injected,),  # what this fake raises when unavailable
            deadline_seconds=5.0,
        )
        self.detect = DetectionService(detector, self.store, self.queue, now=self.clock)

    def decide(self, n: int, **fields: object) -> DecisionResult:
        self.clock.now = at(n) + timedelta(milliseconds=30)
        return self.decisions.decide(probe(n, **fields))

    def settle(self, transaction_id: str) -> DetectOutcome:
        """What the asynchronous path does with the stored item (the stream's INSERT)."""
        stored = self.store.items[transaction_id]
        return self.detect.handle(stored.transaction, stored.authorization).outcome


def test_a_card_testing_run_is_caught_in_its_own_answers(parser: TransactionParser) -> None:
    stack = Stack(parser)
    answers = [stack.decide(n) for n in range(9)]
    decisions = [a.authorization.decision for a in answers]
    # the purchase is approved; the probes escalate as the run goes on
    assert decisions[0] is Decision.APPROVE
    assert Decision.APPROVE not in decisions[5:]
    assert all(a.outcome is DecisionOutcome.CREATED for a in answers)
    # each answer is the decision of record, with its reasons and the model's version
    last = answers[-1].authorization
    assert stack.store.decisions["p-8"].decision == last.decision.value
    assert stack.store.decisions["p-8"].score == last.score
    body_ = last.answer("p-8")
    assert body_["action"] == ACTIONS[last.decision] and not body_["degraded"]
    assert body_["model_version"] == default_model().version
    assert body_["rules_version"] == "sha256:test"
    assert {"code", "detail"} == set(body_["reasons"][0])


def test_the_asynchronous_path_counts_each_once_and_never_scores_again(
    parser: TransactionParser, monkeypatch: pytest.MonkeyPatch
) -> None:
    stack = Stack(parser)
    answers = {f"p-{n}": stack.decide(n).authorization for n in range(9)}
    card = next(iter(stack.store.items.values())).transaction.card.token
    # nothing is counted by a decision: registered only
    assert card not in stack.state.state.cards or stack.state.state.cards[card].count == 0

    def no_score(*_args: object) -> None:
        raise AssertionError("a decided transaction was scored again")

    monkeypatch.setattr(Detector, "judge", no_score)
    recorded = dict(stack.store.decisions)
    outcomes = [stack.settle(f"p-{n}") for n in range(9)]
    again = [stack.settle(f"p-{n}") for n in range(9)]  # every event redelivered
    assert stack.state.state.cards[card].count == 9
    assert again == [DetectOutcome.ALREADY_SEEN] * 9
    assert stack.store.decisions == recorded  # recorded once, by the decision
    queued = {f.finding_id: f for f in stack.queue.sent}
    for n, outcome in enumerate(outcomes):
        answer = answers[f"p-{n}"]
        assert (outcome is DetectOutcome.QUEUED) == (answer.decision is not Decision.APPROVE)
        if answer.decision is not Decision.APPROVE:
            assert queued[f"p-{n}"].decision == answer.decision.value
            assert queued[f"p-{n}"].score == round(answer.score or 0, 4)


def test_a_repeat_answers_the_recorded_decision_and_a_reused_id_is_refused(
    parser: TransactionParser,
) -> None:
    stack = Stack(parser)
    first = [stack.decide(n) for n in range(3)]
    for n in range(3, 9):
        stack.decide(n)
    again = stack.decide(1)  # the state has moved on since
    assert again.outcome is DecisionOutcome.REPEATED
    assert again.authorization == first[1].authorization
    registered = len(stack.state.state._registered)
    with pytest.raises(TransactionConflict):
        stack.decide(1, amount=7.25)
    # a conflicting body is never scored: nothing more is registered
    assert len(stack.state.state._registered) == registered


def test_an_id_sent_to_post_transactions_has_no_answer_here(parser: TransactionParser) -> None:
    stack = Stack(parser)
    IngestService(parser, stack.store).ingest(probe(0))
    with pytest.raises(DecidedAfterwards) as raised:
        stack.decide(0)
    assert "p-0" not in str(raised.value)


@pytest.mark.parametrize(
    ("policy", "decision"), [(Degraded.OPEN, Decision.APPROVE), (Degraded.CLOSED, Decision.BLOCK)]
)
def test_an_unavailable_state_gets_the_policys_answer_and_is_scored_afterwards(
    parser: TransactionParser, policy: Degraded, decision: Decision
) -> None:
    stack = Stack(parser, policy)
    stack.state.fail_reads = 1
    answer = stack.decide(0).authorization
    assert answer.decision is decision and answer.degraded is policy and answer.score is None
    assert answer.answer("p-0")["degraded"] is True
    assert answer.answer("p-0")["policy"] == policy.value
    assert [type(error).__name__ for error in stack.degraded] == ["Injected"]
    # stored with what it was told, and no decision of record yet
    assert stack.store.items["p-0"].authorization == answer
    assert "p-0" not in stack.store.decisions
    # the asynchronous path scores it like any other, once
    assert stack.settle("p-0") in (DetectOutcome.APPROVED, DetectOutcome.QUEUED)
    assert "p-0" in stack.store.decisions
    assert stack.store.items["p-0"].authorization == answer  # what it was told stays


def test_the_degraded_policy_is_read_from_its_name() -> None:
    assert Degraded.parse(" Fail-Closed ") is Degraded.CLOSED
    with pytest.raises(ValueError, match="fail-open, fail-closed"):
        Degraded.parse("fail-sometimes")


def test_outcomes_say_when_each_fraud_was_stopped() -> None:
    approve, review, block = Decision.APPROVE, Decision.REVIEW, Decision.BLOCK
    outcomes = Outcomes.tally(
        [
            ("a", True, approve),  # stopped after the fact: a's later payment is flagged
            ("b", True, approve),  # missed: nothing on b is flagged later
            ("a", True, review),  # stopped in its own answer
            ("c", False, block),
            ("b", False, approve),
            ("a", True, block),
        ]
    )
    assert (outcomes.approved, outcomes.challenged, outcomes.declined) == (3, 1, 2)
    assert outcomes.frauds == 4
    assert (outcomes.fraud_at_authorization, outcomes.fraud_after_the_fact) == (2, 1)
    assert outcomes.fraud_missed == 1
    assert outcomes.as_dict()["share_declined"] == round(2 / 6, 6)


class SlowState(FailingState):
    """A state store that takes its time, or throttles a hot key, or breaks."""

    def __init__(self) -> None:
        super().__init__()
        self.delay = 0.0
        self.raise_next: BaseException | None = None

    def register(self, change: StateChange) -> frozenset[str]:
        time.sleep(self.delay)
        if self.raise_next is not None:
            error, self.raise_next = self.raise_next, None
            raise error
        return super().register(change)


def slow_stack(parser: TransactionParser, policy: Degraded = Degraded.OPEN) -> Stack:
    stack = Stack(parser, policy)
    stack.state = SlowState()
    detector = Detector(stack.state, default_policy(), default_model())
    stack.decisions = DecisionService(
        parser,
        stack.store,
        detector,
        policy=policy,
        now=stack.clock,
        on_degraded=stack.degraded.append,
        deadline_seconds=0.2,
    )
    return stack


def test_a_slow_state_gets_the_policys_answer_within_the_deadline(
    parser: TransactionParser,
) -> None:
    stack = slow_stack(parser)
    stack.state.delay = 1.0
    started = time.perf_counter()
    answer = stack.decide(0).authorization
    assert time.perf_counter() - started < 0.9
    assert answer.degraded is Degraded.OPEN and answer.decision is Decision.APPROVE
    assert isinstance(stack.degraded[0], DeadlineExceeded)


@pytest.mark.parametrize(
    ("policy", "decision"), [(Degraded.OPEN, Decision.REVIEW), (Degraded.CLOSED, Decision.BLOCK)]
)
def test_a_throttled_key_is_stepped_up_not_approved(
    parser: TransactionParser, policy: Degraded, decision: Decision
) -> None:
    stack = slow_stack(parser, policy)
    stack.state.raise_next = StoreBusy("ProvisionedThroughputExceededException")
    answer = stack.decide(0).authorization
    assert answer.decision is decision
    assert answer.answer("p-0")["reasons"][0]["code"] == (
        "STATE_THROTTLED" if policy is Degraded.OPEN else "ENGINE_UNAVAILABLE"
    )


def test_a_fault_is_an_error_not_a_silent_answer(parser: TransactionParser) -> None:
    stack = slow_stack(parser)
    stack.state.raise_next = KeyError("a bug")
    with pytest.raises(KeyError):
        stack.decide(0)
    assert stack.degraded == [] and "p-0" not in stack.store.items
