"""Replay labelled history through the detection engine in time order.

Labels become visible only ``label_delay_days`` after their transaction, as
chargebacks do; the model is retrained every ``retrain_every_days`` on the labels
visible at that moment and on nothing else. Used by ``cardwatch backtest`` (scores and
metrics) and ``cardwatch train`` (the final artifact).

As the deployment behaves (``backtest --as-deployed``): the shipped model scores from the
first transaction (``start_model``), and a retrained model is a challenger that takes
over only when it beats the model in force on the latest labelled days (``promotion``).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import closing
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np
from numpy.typing import NDArray

from cardwatch.adapters.memory import InFlight, InMemoryScoreLog
from cardwatch.blueprint import Blueprint
from cardwatch.domain.engine.budget import AlertBudget, bin_of
from cardwatch.domain.engine.detection import Assessment, Decision, Detector
from cardwatch.domain.engine.features import FEATURES
from cardwatch.domain.engine.model import TreeModel
from cardwatch.domain.engine.rules import Policy, Thresholds, default_policy
from cardwatch.domain.engine.state import DAY_MS
from cardwatch.domain.transaction.currency import default_rates
from cardwatch.evaluation.feature_stream import (
    Columns,
    Observed,
    collector_paused,
    observed,
    stream,
)
from cardwatch.evaluation.fit_ahead import Fitter, background_fitter, inline_fitter
from cardwatch.evaluation.rule_report import combined_scores
from cardwatch.simulation.labelled_file import LabelledHistory, load_history
from cardwatch.training.batch_scoring import probabilities
from cardwatch.training.model_choice import Promotion, challenge

__all__ = [
    "DECISION_CODES",
    "LabelledHistory",
    "ReplayResult",
    "ReplaySettings",
    "load_history",
    "replay",
]


@dataclass(frozen=True, slots=True)
class ReplaySettings:
    label_delay_days: float = 7
    retrain_every_days: float = 7
    min_frauds_to_train: int = 30
    seed: int = 0
    #: thresholds cut each day from the days before, as the deployment does (None: the
    #: rule document's thresholds throughout)
    budget: AlertBudget | None = field(default_factory=AlertBudget)
    #: the model in force before any retraining (the deployment's: the shipped one)
    start_model: TreeModel | None = None
    #: None: each retrained model replaces the one in force; else it is a challenger
    promotion: Promotion | None = None
    #: fit each retrained model in a worker process as soon as its rows are scored
    #: (the same model, sooner); None: when the history has 100,000 rows or more
    fit_ahead: bool | None = None
    #: keep the state (labels learnt, rows observed) in a worker process a step ahead
    #: of the judging (the same features, sooner); None: as ``fit_ahead``
    state_worker: bool | None = None
    #: None: each transaction's effects land before the next is read; else as late as
    #: the deployment lands them under load (the rows detect serves)
    in_flight: InFlight | None = None

    @property
    def retrains(self) -> bool:
        return 0 < self.retrain_every_days < math.inf


@dataclass(slots=True)
class ReplayResult:
    scores: NDArray[np.float64]
    features: NDArray[np.float32]
    #: the model's own score (NaN before the first model), and the decision
    model_scores: NDArray[np.float64] = field(default_factory=lambda: np.zeros(0))
    decisions: NDArray[np.int8] = field(default_factory=lambda: np.zeros(0, dtype=np.int8))
    #: bit ``i`` set: the policy's rule ``i`` fired on the row
    rule_hits: NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    #: reason codes of the rows not approved, joined by "|"
    reasons: dict[int, str] = field(default_factory=dict)
    retrains: list[dict[str, Any]] = field(default_factory=list)
    duplicates: int = 0
    model: TreeModel | None = None
    #: (from when, model version): the models in force, in order ("" before any model)
    models_in_force: list[tuple[int, str]] = field(default_factory=list)
    #: True: the row was judged at thresholds the alert budget raised above the rule
    #: document's (with too few recent scores, the budget keeps the document's)
    raised: NDArray[np.bool_] = field(default_factory=lambda: np.zeros(0, dtype=np.bool_))

    def model_at(self, timestamp_ms: int) -> str:
        """The version of the model in force at ``timestamp_ms``."""
        version = ""
        for since, name in self.models_in_force:
            if since > timestamp_ms:
                break
            version = name
        return version

    def keep(self, index: int, assessment: Assessment, rule_bit: dict[str, int]) -> None:
        """Record row ``index``'s assessment (``rule_bit``: a rule's source -> its bit)."""
        self.scores[index] = assessment.score
        self.features[index] = assessment.features
        if assessment.model_score is not None:
            self.model_scores[index] = assessment.model_score
        if assessment.reasons:
            hits = 0
            for reason in assessment.reasons:
                hits |= rule_bit.get(reason.source, 0)
            self.rule_hits[index] = hits
        if assessment.suspicious:
            self.decisions[index] = DECISION_CODES[assessment.decision]
            self.reasons[index] = "|".join(reason.code for reason in assessment.reasons)


Progress = Callable[[int], None]
#: how :attr:`ReplayResult.decisions` codes a decision
DECISION_CODES = {Decision.APPROVE: 0, Decision.REVIEW: 1, Decision.BLOCK: 2}


@dataclass(frozen=True, slots=True)
class _Retraining:
    """A scheduled retraining: at the ``step``-th row in time order (time ``now``), on
    the first ``visible`` rows in time order, whose labels are known by then."""

    step: int
    now: int
    visible: int


def _schedule(sorted_stamps: NDArray[np.int64], settings: ReplaySettings) -> list[_Retraining]:
    """Every retraining of a replay, known before it starts: the first row at or after
    each period's end retrains, on the rows a label delay older than that row."""
    if not settings.retrains or not len(sorted_stamps):
        return []
    period = int(settings.retrain_every_days * DAY_MS)
    delay = int(settings.label_delay_days * DAY_MS)
    plan: list[_Retraining] = []
    due = int(sorted_stamps[0]) + period
    while True:
        step = int(np.searchsorted(sorted_stamps, due, side="left"))
        if step >= len(sorted_stamps):
            return plan
        now = int(sorted_stamps[step])
        visible = min(step, int(np.searchsorted(sorted_stamps, now - delay, side="right")))
        plan.append(_Retraining(step, now, visible))
        due += period * max(1, (now - due) // period + 1)


#: below this many rows a replay runs in one process (a worker takes a second to start)
_WORKER_ROWS = 100_000


def replay(
    history: LabelledHistory,
    settings: ReplaySettings | None = None,
    policy: Policy | None = None,
    progress: Progress | None = None,
) -> ReplayResult:
    """Score every transaction of ``history`` as the deployed engine would have."""
    settings = settings or ReplaySettings()
    order = np.argsort(history.timestamp_ms, kind="stable")
    plan = _schedule(history.timestamp_ms[order], settings)
    shape = (len(history), len(FEATURES))
    large = len(history) >= _WORKER_ROWS
    ahead = large if settings.fit_ahead is None else settings.fit_ahead
    apart = large if settings.state_worker is None else settings.state_worker
    with closing(
        background_fitter(shape, history.labels, order)
        if ahead and plan
        else inline_fitter(np.zeros(shape, dtype=np.float32), history.labels, order)
    ) as fitter:
        retrainer = _Retrainer(plan, fitter, history, settings)
        columns = _columns(history, order, settings)
        policy = policy or default_policy()
        detector = Detector(columns.state(), policy, settings.start_model)
        rows = stream(columns) if apart else observed(columns, detector)
        result = _replay(history, settings, detector, rows, retrainer, progress=progress)
        result.features = fitter.close()
    return result


def _columns(
    history: LabelledHistory, order: NDArray[np.int64], settings: ReplaySettings
) -> Columns:
    """What the state side needs of ``history``: its rows, with the time order."""
    nowhere: list[float | None] = [None] * len(history)
    blank = [""] * len(history)
    names = ("device_id", "ip_address", "country", "channel", "merchant_category_code")
    return Columns(
        history.transaction_ids,
        history.timestamp_ms.tolist(),
        history.users,
        history.terminals,
        history.reference_amounts(default_rates()),
        history.latitudes or nowhere,
        history.longitudes or nowhere,
        history.utc_offsets or [0] * len(history),
        # the processor fields in :class:`Observation`'s order (blank: absent)
        [history.extras.get(name) or blank for name in names],
        history.labels.tolist(),
        order.tolist(),
        int(settings.label_delay_days * DAY_MS),
        settings.in_flight,
    )


def _replay(
    history: LabelledHistory,
    settings: ReplaySettings,
    detector: Detector,
    rows: Iterator[Observed],
    retrainer: _Retrainer,
    *,
    progress: Progress | None,
) -> ReplayResult:
    """The judging side: each observed row scored by the model and the thresholds in
    force, with the retrainings and the alert budget as the deployment has them."""
    order = retrainer.fitter.order
    stamps = history.timestamp_ms.tolist()
    ids = history.transaction_ids
    size = len(history)
    result = ReplayResult(
        np.zeros(size),
        retrainer.fitter.features,
        np.full(size, np.nan),
        np.zeros(size, dtype=np.int8),
        np.zeros(size, dtype=np.int64),
        raised=np.zeros(size, dtype=np.bool_),
    )
    policy = detector.policy
    rule_bit = {f"rule:{rule.id}": 1 << index for index, rule in enumerate(policy.rules)}
    calibration = _Calibration(detector, settings.budget)
    sorted_stamps = history.timestamp_ms[order]
    if len(order) and settings.start_model is not None:
        result.models_in_force.append((int(stamps[order[0]]), settings.start_model.version))
    with collector_paused():
        for step, (index, visible, x) in enumerate(rows):
            retrainer.start(step)
            now = stamps[index]
            if retrainer.due(step, visible) and retrainer.adopt(detector, result):
                calibration.rescore(result, order[:step], sorted_stamps[:step], now)
            calibration.before(now)
            if x is None:
                result.duplicates += 1
                continue
            assessment = detector.judge(ids[index], x)
            result.keep(index, assessment, rule_bit)
            result.raised[index] = detector.thresholds != policy.thresholds
            calibration.scored(assessment.score)
            if progress is not None and step % 10_000 == 0:
                progress(step)
    if progress is not None:
        progress(size)
    result.model = detector.model
    return result


#: rows of recent days a new model re-scores to cut its thresholds
_RESCORE_SAMPLE = 20_000


class _Calibration:
    """The alert budget in a replay, as the deployment keeps it: each analysis window's
    scores folded when it ends, and the thresholds cut afresh from the days before and
    today's finished windows (the deployment re-reads them within a minute)."""

    def __init__(self, detector: Detector, budget: AlertBudget | None) -> None:
        self._detector, self._budget = detector, budget
        self._log = InMemoryScoreLog()
        self._window_ms = Blueprint.analysis_window_seconds * 1000
        self._window: int | None = None
        self._pending: list[float] = []
        self._day: int | None = None
        self._past: Counter[int] = Counter()  # the finished days' counts in the budget
        #: the finished days' own cuts (each day's counts change no more): see
        #: :meth:`AlertBudget.daily_thresholds`, which this keeps window by window
        self._past_cuts: list[Thresholds] = []

    def before(self, now_ms: int) -> None:
        window = now_ms - now_ms % self._window_ms
        if self._budget is None or window == self._window:
            return
        if self._window is not None:
            self._log.fold(self._window, self._pending)
        self._window, self._pending = window, []
        day = now_ms // DAY_MS
        floor = self._detector.policy.thresholds
        if day != self._day:
            first, _last = self._budget.window(now_ms)
            days = self._log.daily_counts(first, day)
            self._day, self._past = day, sum(days.values(), Counter())
            past = (self._budget.day_cut(counts, floor) for counts in days.values())
            self._past_cuts = [cut for cut in past if cut is not None]
        today = self._log.days.get(day)
        pooled = self._past + today if today else self._past
        # as AlertBudget.daily_thresholds cuts them, the finished days' cuts kept
        self._detector.thresholds = self._budget.combined(self._past_cuts, today, pooled, floor)

    def scored(self, score: float) -> None:
        self._pending.append(score)

    def rescore(
        self,
        result: ReplayResult,
        rows: NDArray[np.int64],
        stamps: NDArray[np.int64],
        now_ms: int,
    ) -> None:
        """A new model scores differently: cut the thresholds from its own scores of the
        recent rows (a sample of them), as a promoted model's shadow scores would."""
        if self._budget is None or self._detector.model is None:
            return
        first, _last = self._budget.window(now_ms)
        start = int(np.searchsorted(stamps, first * DAY_MS))
        if start >= len(rows):
            return
        step = max(1, (len(rows) - start) // _RESCORE_SAMPLE)
        positions = np.arange(start, len(rows), step)  # rows and stamps in time order
        sample = rows[positions]
        model_scores = probabilities(self._detector.model, result.features[sample])
        weights = [rule.weight for rule in self._detector.policy.rules]
        scores = combined_scores(model_scores, result.rule_hits[sample], weights)
        days: dict[int, Counter[int]] = {}
        sampled_days = (stamps[positions] // DAY_MS).tolist()
        for day, score in zip(sampled_days, scores.tolist(), strict=True):
            days.setdefault(day, Counter())[bin_of(score)] += step
        # the old model's days are forgotten; the re-scored ones stand for them
        self._log.days = days
        self._day = None  # the days' cuts are taken afresh at the next window
        self._past, self._pending = Counter(), []
        self._detector.thresholds = self._budget.daily_thresholds(
            days, self._detector.policy.thresholds, now_ms // DAY_MS
        )


def _date(timestamp_ms: int) -> str:
    return datetime.fromtimestamp(timestamp_ms / 1000, UTC).date().isoformat()


@dataclass(frozen=True, slots=True)
class _Job:
    """A retraining's fit: on the first ``fitted`` rows in time order; as deployed, its
    challenge is judged on the rows from there to the ``visible`` ones."""

    at_ms: int
    fitted: int
    visible: int
    frauds: int
    note: dict[str, Any]


class _Retrainer:
    """A replay's retrainings: each fit handed to the fitter as soon as the rows it
    learns from are scored, and its model adopted at its time."""

    def __init__(
        self,
        plan: list[_Retraining],
        fitter: Fitter,
        history: LabelledHistory,
        settings: ReplaySettings,
    ) -> None:
        self.plan, self.fitter = plan, fitter
        self._history, self._settings = history, settings
        self._started = self._made = 0
        self._jobs: dict[int, _Job | None] = {}

    def start(self, step: int) -> None:
        """Hand over every fit whose rows are all scored before row ``step``."""
        plan = self.plan
        while self._started < len(plan) and plan[self._started].visible <= step:
            key = self._started
            job = self._jobs[key] = self._job(plan[key])
            if job is not None:
                self.fitter.submit(key, job.fitted, self._settings.seed, job.note)
            self._started += 1

    def due(self, step: int, visible: int) -> bool:
        """Whether a retraining falls on row ``step`` (``visible`` labels known)."""
        if self._made >= len(self.plan) or self.plan[self._made].step != step:
            return False
        if visible != self.plan[self._made].visible:
            raise AssertionError("the retraining schedule and the labels known disagree")
        return True

    def _job(self, when: _Retraining) -> _Job | None:
        """What ``when`` fits on; None when the labels are too few to fit."""
        history, settings = self._history, self._settings
        rows = self.fitter.order[: when.visible]
        fitted = when.visible
        if settings.promotion is not None and len(rows):
            # fit on the older labels, judge on the latest labelled days (rows in time
            # order: the latest days are the last rows)
            stamps = history.timestamp_ms[rows]
            recent = int(settings.promotion.evaluation_days * DAY_MS)
            fitted = int(np.searchsorted(stamps, stamps[-1] - recent, side="right"))
        y = history.labels[rows[:fitted]]
        frauds = int(y.sum())
        if frauds < settings.min_frauds_to_train or frauds == len(y):
            return None
        note = {"labels_visible_until_ms": when.now, "version": f"retrained-{_date(when.now)}"}
        return _Job(when.now, fitted, when.visible, frauds, note)

    def adopt(self, detector: Detector, result: ReplayResult) -> bool:
        """Put the due retraining's model in force (as deployed: if it wins its
        challenge); False when nothing changed."""
        key = self._made
        self._made += 1
        job = self._jobs.pop(key)
        if job is None:
            return False
        challenger = TreeModel.from_artifact(self.fitter.take(key))
        entry: dict[str, Any] = {"at_ms": job.at_ms, "rows": job.fitted, "frauds": job.frauds}
        result.retrains.append(entry)
        if self._settings.promotion is not None:
            judged = self.fitter.order[job.fitted : job.visible]
            verdict = challenge(
                detector.model,
                challenger,
                result.features[judged],
                self._history.labels[judged],
                self._settings.promotion,
                seed=self._settings.seed,
            )
            entry["challenge"] = verdict
            if not verdict.promoted:
                return False
        detector.model = challenger
        result.models_in_force.append((job.at_ms, challenger.version))
        return True
