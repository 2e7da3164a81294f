"""Replay labelled history through the detection engine in time order.

Labels become visible only ``label_delay_days`` after their transaction, as
chargebacks do; the model is retrained every ``retrain_every_days`` on the labels
visible at that moment and on nothing else. Used by ``cardwatch backtest`` (scores and
metrics) and ``cardwatch train`` (the final artifact).
"""

from __future__ import annotations

import csv
import gc
import math
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from cardwatch.domain.detection import Assessment, Decision, Detector, Label
from cardwatch.domain.features import FEATURES, Observation
from cardwatch.domain.memory_state import InMemoryState
from cardwatch.domain.model import TreeModel
from cardwatch.domain.rules import Policy, default_policy
from cardwatch.domain.state import DAY_MS
from cardwatch.ops import DataError
from cardwatch.ops.train import fit_artifact

__all__ = [
    "DECISION_CODES",
    "LabelledHistory",
    "ReplayResult",
    "ReplaySettings",
    "load_history",
    "replay",
]


@dataclass(slots=True)
class LabelledHistory:
    """A labelled transaction file, column by column, in file order."""

    transaction_ids: list[str]
    timestamp_ms: NDArray[np.int64]
    users: list[str]
    terminals: list[str]
    amounts: list[float]
    labels: NDArray[np.int8]
    #: Terminal coordinates, when the file has ``latitude`` and ``longitude`` columns
    #: (the API contract's names); a blank cell is a transaction without them.
    latitudes: list[float | None] | None = None
    longitudes: list[float | None] | None = None
    #: the offset each timestamp was written in (minutes east of UTC), when any is not UTC
    utc_offsets: list[int] | None = None

    def __len__(self) -> int:
        return len(self.transaction_ids)

    @property
    def days(self) -> NDArray[np.int64]:
        return self.timestamp_ms // DAY_MS


_UTC_SUFFIXES = ("Z", "+00:00")
_ZONED = re.compile(r"(Z|[+-]\d\d:?\d\d)$")
_LABELS = {"0": 0, "1": 1, "0.0": 0, "1.0": 1, "false": 0, "true": 1}


def _epoch_ms(text: str) -> int:
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:  # a timestamp without a zone is UTC, as the columns say
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp() * 1000)


def _epoch_ms_all(texts: list[str]) -> NDArray[np.int64]:
    """Epoch milliseconds of ISO 8601 timestamps (a missing zone means UTC); vectorized
    when every one is in UTC, written with "Z", "+00:00" or no zone at all."""
    for suffix in _UTC_SUFFIXES:
        if texts and all(text.endswith(suffix) for text in texts):
            texts = [text[: -len(suffix)] for text in texts]
            break
    else:
        if any(_ZONED.search(text) for text in texts):
            return np.array([_epoch_ms(text) for text in texts], dtype=np.int64)
    return np.array(texts, dtype="datetime64[ms]").astype(np.int64)


def _offsets(texts: list[str]) -> list[int] | None:
    """The offset of each timestamp that names one other than UTC (None: all UTC)."""
    if not any(_ZONED.search(text) and not text.endswith(_UTC_SUFFIXES) for text in texts):
        return None
    offsets = []
    for text in texts:
        offset = datetime.fromisoformat(text).utcoffset()
        offsets.append(0 if offset is None else int(offset.total_seconds() // 60))
    return offsets


def _labels(texts: list[str]) -> NDArray[np.int8]:
    """0/1 labels, also written 0.0/1.0 or false/true (any case)."""
    try:
        return np.array([_LABELS[text.strip().lower()] for text in texts], dtype=np.int8)
    except KeyError as error:
        raise ValueError(f"is_fraud must be 0 or 1, not {error.args[0]!r}") from None


_COLUMNS = ("transaction_id", "timestamp", "user_id", "terminal_id", "amount", "is_fraud")
_COORDINATES = ("latitude", "longitude")


def _coordinate(text: str) -> float | None:
    return float(text) if text.strip() else None


def load_history(path: Path) -> LabelledHistory:
    """Read ``transaction_id,timestamp,user_id,terminal_id,amount,is_fraud`` (+ extras;
    ``latitude`` and ``longitude``, when both are there, feed geo-velocity)."""
    with path.open(newline="") as file:
        reader = csv.reader(file)
        header = next(reader, [])
        missing = [name for name in _COLUMNS if name not in header]
        if missing:
            raise DataError(f"{path.name}: no column {', '.join(missing)}")
        names = _COLUMNS + (_COORDINATES if set(_COORDINATES) <= set(header) else ())
        picks = [header.index(name) for name in names]
        columns: list[list[str]] = [[] for _ in names]
        for line, row in enumerate(reader, start=2):
            try:
                for column, index in zip(columns, picks, strict=True):
                    column.append(row[index])
            except IndexError:
                raise DataError(f"{path.name}, line {line}: too few fields") from None
    ids, stamps, users, terminals, amounts, labels, *coordinates = columns
    latitudes: list[float | None] | None = None
    longitudes: list[float | None] | None = None
    try:
        if coordinates:
            latitudes, longitudes = ([_coordinate(v) for v in c] for c in coordinates)
        return LabelledHistory(
            ids,
            _epoch_ms_all(stamps),
            users,
            terminals,
            [float(a) for a in amounts],
            _labels(labels),
            latitudes,
            longitudes,
            _offsets(stamps),
        )
    except ValueError as error:
        raise DataError(f"{path.name}: {error}") from None


@dataclass(frozen=True, slots=True)
class ReplaySettings:
    label_delay_days: float = 7
    retrain_every_days: float = 7
    min_frauds_to_train: int = 30
    seed: int = 0


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


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause Python's cycle collector: the replay makes next to no reference cycles (a
    retraining leaves about 150 small objects), yet each automatic pass would rescan
    every profile built so far, about a tenth of a run."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


def replay(
    history: LabelledHistory,
    settings: ReplaySettings | None = None,
    policy: Policy | None = None,
    progress: Progress | None = None,
) -> ReplayResult:
    """Score every transaction of ``history`` as the deployed engine would have."""
    settings = settings or ReplaySettings()
    order = np.argsort(history.timestamp_ms, kind="stable")
    stamps = history.timestamp_ms.tolist()
    labels = history.labels.tolist()
    policy = policy or default_policy()
    detector = Detector(InMemoryState(), policy)
    size = len(history)
    result = ReplayResult(
        np.zeros(size),
        np.zeros((size, len(FEATURES)), dtype=np.float32),
        np.full(size, np.nan),
        np.zeros(size, dtype=np.int8),
        np.zeros(size, dtype=np.int64),
    )
    rule_bit = {f"rule:{rule.id}": 1 << index for index, rule in enumerate(policy.rules)}
    delay = int(settings.label_delay_days * DAY_MS)
    never = 2**62
    period = (
        int(settings.retrain_every_days * DAY_MS)
        if math.isfinite(settings.retrain_every_days)
        else never
    )
    next_retrain = min(never, int(stamps[order[0]]) + period) if len(order) else never
    visible = 0  # labels of order[:visible] are known to the engine
    positions = order.tolist()
    ids, users, terminals, amounts = (
        history.transaction_ids,
        history.users,
        history.terminals,
        history.amounts,
    )
    nowhere: list[float | None] = [None] * len(history)
    latitudes, longitudes = history.latitudes or nowhere, history.longitudes or nowhere
    offsets = history.utc_offsets or [0] * len(history)
    with _collector_paused():
        for step, index in enumerate(positions):
            now = stamps[index]
            while visible < step and stamps[positions[visible]] + delay <= now:
                known = positions[visible]
                when = stamps[known]
                detector.learn(
                    Label(
                        ids[known],
                        when,
                        users[known],
                        terminals[known],
                        bool(labels[known]),
                        when + delay,
                    )
                )
                visible += 1
            if now >= next_retrain:
                _retrain(detector, result, order[:visible], history, settings, now=now)
                next_retrain += period * max(1, (now - next_retrain) // period + 1)
            assessment = detector.assess(
                Observation(
                    ids[index],
                    now,
                    users[index],
                    terminals[index],
                    amounts[index],
                    latitudes[index],
                    longitudes[index],
                    offsets[index],
                )
            )
            if assessment is None:
                result.duplicates += 1
                continue
            result.keep(index, assessment, rule_bit)
            if progress is not None and step % 10_000 == 0:
                progress(step)
    if progress is not None:
        progress(len(positions))
    result.model = detector.model
    return result


def _retrain(
    detector: Detector,
    result: ReplayResult,
    rows: NDArray[np.int64],
    history: LabelledHistory,
    settings: ReplaySettings,
    *,
    now: int,
) -> None:
    y = history.labels[rows]
    frauds = int(y.sum())
    if frauds < settings.min_frauds_to_train or frauds == len(y):
        return
    artifact = fit_artifact(
        result.features,
        history.labels,
        seed=settings.seed,
        note={"labels_visible_until_ms": now},
        rows=rows,
    )
    detector.model = TreeModel.from_artifact(artifact)
    result.retrains.append({"at_ms": now, "rows": len(rows), "frauds": frauds})
