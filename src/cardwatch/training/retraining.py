"""Retraining as deployed: the decision log is the training set.

detect records, with each decision, the features it scored and the model's version;
labels join the same item later. A retraining reads that log back (no replay: the
features are the ones served), takes the labels visible now, fits on all but the most
recent labelled days, judges the challenger against the champion on those days (the
backtest's :func:`~cardwatch.training.model_choice.challenge`), publishes the artifact under a
new version and moves the pointer: promoted when it wins by the margin, else scored in
shadow beside the champion until someone promotes it (or the next retraining replaces it).

A decision with no label counts as genuine once it is ``label_delay_days`` old (the
chargeback window: a fraud is reported by then); a younger one without a label is left
out, as the backtest leaves out the rows whose labels are not visible yet.
"""

from __future__ import annotations

import json
import logging
import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np
from numpy.typing import NDArray

from cardwatch.domain.audit.record import AuditRecord
from cardwatch.domain.digest import text_digest
from cardwatch.domain.engine.features import FEATURES
from cardwatch.domain.engine.model import TreeModel, artifact_digest
from cardwatch.domain.engine.model_pointer import ModelPointer
from cardwatch.domain.engine.model_store import model_named, trusted_model
from cardwatch.domain.engine.state import DAY_MS
from cardwatch.domain.labels.sample import is_drawn
from cardwatch.domain.ports import (
    AuditTrail,
    DecisionHistory,
    LabelledDecision,
    ModelRegistry,
    TrainingRow,
    TrainingSource,
)
from cardwatch.training.fit import fit_artifact
from cardwatch.training.model_choice import Challenge, Promotion, challenge

_log = logging.getLogger(__name__)

__all__ = [
    "RetrainReport",
    "RetrainSettings",
    "TrainingSet",
    "drawn_training_set",
    "implied_training_rows",
    "retrain",
    "training_set",
]


@dataclass(frozen=True, slots=True)
class RetrainSettings:
    #: how far back the log is read
    history_days: float = 91
    #: an unlabelled decision this old counts as genuine
    label_delay_days: float = 7
    min_frauds_to_train: int = 30
    #: the share of the genuine a training set built where the log is draws (every
    #: fraud is kept; each drawn genuine stands for 1 / share of them)
    genuine_share: float = 1.0
    promotion: Promotion = field(default_factory=Promotion)
    #: promote a winning challenger at once (else every challenger waits in shadow)
    auto_promote: bool = True
    #: a winning challenger is promoted at once only when no one identity (a key, a
    #: principal) posted more than this share of the training set's labels, fraud and
    #: genuine: one careless or compromised labeller cannot retrain the model alone
    #: (else it waits in shadow for a person to promote it)
    max_labeller_share: float = 0.8
    seed: int = 0


@dataclass(frozen=True, slots=True)
class TrainingSet:
    """The log's visible rows in time order: features (NaN: missing) and labels."""

    timestamp_ms: NDArray[np.int64]
    x: NDArray[np.float32]
    y: NDArray[np.int8]
    #: decisions read, and those left out for want of a visible label
    read: int
    unlabelled_recent: int
    #: how many of the log's rows each row stands for (None: one each)
    w: NDArray[np.float32] | None = None
    #: the share of the genuine the rows hold (the rest drawn away where the log is)
    genuine_share: float = 1.0
    #: who posted the labels the rows hold (fraud and genuine alike), by identity;
    #: labels recorded before identities were are left out
    labellers: Counter[str] = field(default_factory=Counter)

    def top_labeller_share(self) -> float:
        """The share of the labels the most prolific identity posted (0: none)."""
        total = sum(self.labellers.values())
        return max(self.labellers.values()) / total if total else 0.0


def implied_training_rows(
    log: Iterable[LabelledDecision], matured_ms: int, genuine_share: float
) -> list[TrainingRow]:
    """The training set the decision log implies, in time order: what the engine's query
    builds where the log is (held equal to it by a test): the visible rows (a label, or
    none and no newer than ``matured_ms``), every fraud, and the genuine drawn at
    ``genuine_share`` by their ids, each standing for ``1 / genuine_share``."""
    rows = []
    for decision in log:
        fraud = decision.label == "fraud"
        if decision.label is None and decision.timestamp_ms > matured_ms:
            continue
        if not fraud and not is_drawn(decision.transaction_id, genuine_share):
            continue
        weight = 1.0 if fraud else 1.0 / genuine_share
        rows.append(
            TrainingRow(
                decision.timestamp_ms, dict(decision.features), fraud, weight, decision.label_by
            )
        )
    return sorted(rows, key=lambda row: row.timestamp_ms)


def drawn_training_set(rows: Sequence[TrainingRow], genuine_share: float) -> TrainingSet:
    """A training set built where the log is (its rows in time order, weighted)."""
    x = np.full((len(rows), len(FEATURES)), np.nan, dtype=np.float32)
    for index, row in enumerate(rows):
        x[index] = [row.features.get(name, math.nan) for name in FEATURES]
    order = np.argsort(np.asarray([r.timestamp_ms for r in rows], dtype=np.int64), kind="stable")
    return TrainingSet(
        np.asarray([r.timestamp_ms for r in rows], dtype=np.int64)[order],
        x[order],
        np.asarray([r.is_fraud for r in rows], dtype=np.int8)[order],
        len(rows),
        0,
        np.asarray([r.weight for r in rows], dtype=np.float32)[order],
        genuine_share,
        Counter(r.label_by for r in rows if r.label_by is not None),
    )


#: rows gathered as Python floats before they are packed
_CHUNK = 8192


def training_set(
    rows: Iterable[LabelledDecision], now_ms: int, label_delay_days: float
) -> TrainingSet:
    """The visible rows of ``rows`` (read once, as they stream in), in time order."""
    matured = now_ms - int(label_delay_days * DAY_MS)
    stamps: list[int] = []
    chunks: list[NDArray[np.float32]] = []  # rows as float32 every _CHUNK: 200 bytes a row
    vectors: list[list[float]] = []
    labels: list[int] = []
    labellers: Counter[str] = Counter()
    read = recent = 0
    for row in rows:
        read += 1
        if row.label is None and row.timestamp_ms > matured:
            recent += 1
            continue
        stamps.append(row.timestamp_ms)
        vectors.append([float(row.features.get(name, math.nan)) for name in FEATURES])
        labels.append(1 if row.label == "fraud" else 0)
        if row.label_by is not None:
            labellers[row.label_by] += 1
        if len(vectors) == _CHUNK:
            chunks.append(np.asarray(vectors, dtype=np.float32))
            vectors = []
    chunks.append(np.asarray(vectors, dtype=np.float32).reshape(len(vectors), len(FEATURES)))
    order = np.argsort(np.asarray(stamps, dtype=np.int64), kind="stable")
    x = np.concatenate(chunks)
    return TrainingSet(
        np.asarray(stamps, dtype=np.int64)[order],
        x[order],
        np.asarray(labels, dtype=np.int8)[order],
        read,
        recent,
        labellers=labellers,
    )


@dataclass(frozen=True, slots=True)
class RetrainReport:
    """What one retraining did (``model status`` shows the last one)."""

    at: str
    outcome: str  # "promoted", "shadow" or "skipped"
    detail: str
    read: int
    fitted: int = 0
    frauds: int = 0
    judged: int = 0
    version: str | None = None
    champion: str | None = None
    champion_ap: float | None = None
    challenger_ap: float | None = None
    #: the share of the fraud labels the most prolific identity posted
    top_labeller_share: float | None = None

    def to_record(self) -> dict[str, Any]:
        return {
            key: (None if isinstance(value, float) and math.isnan(value) else value)
            for key, value in (
                ("at", self.at),
                ("outcome", self.outcome),
                ("detail", self.detail),
                ("read", self.read),
                ("fitted", self.fitted),
                ("frauds", self.frauds),
                ("judged", self.judged),
                ("version", self.version),
                ("champion", self.champion),
                ("champion_ap", self.champion_ap),
                ("top_labeller_share", self.top_labeller_share),
                ("challenger_ap", self.challenger_ap),
            )
        }


def _version(artifact: dict[str, Any], now: datetime) -> str:
    return f"m-{now:%Y%m%dT%H%M%SZ}-{artifact_digest(artifact)[:8]}"


def _record_move(audit: AuditTrail, entry: AuditRecord) -> None:
    """The pointer has moved: its record is written, or the failure logged (raising would
    make Lambda's retry fit and publish a second model). The move itself is in the
    parameter's history and the report."""
    try:
        audit.record(entry)
    except Exception:
        _log.exception("the pointer moved, its audit record was not written: %s", entry.entry)


def retrain(
    history: DecisionHistory | TrainingSource,
    registry: ModelRegistry,
    settings: RetrainSettings,
    now: datetime | None = None,
    *,
    audit: AuditTrail | None = None,
    actor: str = "function:retrain",
) -> RetrainReport:
    """Fit on the labelled log, judge, publish and move the pointer; see the module. A
    pointer move is recorded in ``audit`` as ``actor``'s."""
    now = now or datetime.now(UTC)
    at = now.isoformat(timespec="seconds")
    now_ms = int(now.timestamp() * 1000)
    start = now_ms - int(settings.history_days * DAY_MS)
    if isinstance(history, TrainingSource):  # built where the log is: no rows streamed
        matured = now_ms - int(settings.label_delay_days * DAY_MS)
        data = drawn_training_set(
            history.training_set(start, now_ms + 1, matured, settings.genuine_share),
            settings.genuine_share,
        )
    else:
        data = training_set(
            history.labelled_decisions(start, now_ms + 1), now_ms, settings.label_delay_days
        )
    pointer = registry.pointer()
    fitted = len(data.y)
    if len(data.y):  # the latest labelled days judge; the rows before them are fitted
        recent = int(settings.promotion.evaluation_days * DAY_MS)
        edge = int(data.timestamp_ms[-1]) - recent
        fitted = int(np.searchsorted(data.timestamp_ms, edge, side="right"))
    frauds = int(data.y[:fitted].sum())
    if frauds < settings.min_frauds_to_train or frauds == fitted:
        report = RetrainReport(
            at,
            "skipped",
            f"{frauds} labelled frauds to fit on before the judged days "
            f"({settings.min_frauds_to_train} needed, and some genuine)",
            data.read,
            fitted,
            frauds,
            champion=pointer.champion,
        )
        registry.move(pointer.trained(report.to_record()))
        return report
    artifact = fit_artifact(
        data.x,
        data.y,
        seed=settings.seed,
        rows=np.arange(fitted),
        note={"source": "decision log", "labels_visible_at": at},
        genuine_share=data.genuine_share,
    )
    version = _version(artifact, now)
    artifact["metadata"]["version"] = version
    challenger = TreeModel.from_artifact(artifact)
    champion = model_named(pointer.champion, registry.artifact, pointer.digest(pointer.champion))
    verdict: Challenge = challenge(
        champion,
        challenger,
        data.x[fitted:],
        data.y[fitted:],
        settings.promotion,
        seed=settings.seed,
        weights=None if data.w is None else data.w[fitted:],
    )
    text = json.dumps(artifact, separators=(",", ":"))
    trusted_model(text)  # what detect will load: refused here rather than there
    registry.publish(version, text)
    digest = text_digest(text)
    share = data.top_labeller_share()
    held = verdict.promoted and share > settings.max_labeller_share
    outcome = "promoted" if verdict.promoted and settings.auto_promote and not held else "shadow"
    detail = (
        verdict.describe()
        if not math.isnan(verdict.challenger_ap)
        else (
            f"{verdict.frauds} labelled frauds in the judged days "
            f"({settings.promotion.min_frauds} needed): no evidence, scored in shadow"
        )
    )
    if held:
        detail += (
            f"; held in shadow: one identity posted {share:.0%} of the labels "
            f"(at most {settings.max_labeller_share:.0%} for a promotion without a person)"
        )
    report = RetrainReport(
        at,
        outcome,
        detail,
        data.read,
        fitted,
        frauds,
        verdict.rows,
        version,
        pointer.champion,
        verdict.champion_ap,
        verdict.challenger_ap,
        share,
    )
    moved: ModelPointer = (
        pointer.promote(version, f"retraining: {report.detail}", at, digest)
        if outcome == "promoted"
        else pointer.shadow(version, f"retraining: {report.detail}", at, digest)
    )
    registry.move(moved.trained(report.to_record()))
    if audit is not None:
        _record_move(
            audit,
            AuditRecord(
                actor,
                "model.promote" if outcome == "promoted" else "model.shadow",
                version,
                AuditRecord.moment(int(now.timestamp() * 1000)),
                pointer.champion if outcome == "promoted" else (pointer.challenger or ""),
                f"{version}@sha256:{digest}",
                {"detail": report.detail[:300], "top_labeller_share": share},
            ),
        )
    return report
