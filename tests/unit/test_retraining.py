"""Retraining as deployed, on fakes: the decision log is the training set, a challenger is
judged on the latest labelled days, published under its own version, and promoted or
scored in shadow; the pointer moves, rolls back and refuses what it cannot name."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime

import numpy as np
import pytest

from cardwatch.domain.digest import text_digest
from cardwatch.domain.engine.features import FEATURES
from cardwatch.domain.engine.model_pointer import SHIPPED, ModelPointer, PointerError
from cardwatch.domain.engine.model_store import default_model, model_named
from cardwatch.domain.engine.state import DAY_MS
from cardwatch.domain.ports import LabelledDecision, TrainingRow
from cardwatch.training.model_choice import Promotion
from cardwatch.training.retraining import RetrainSettings, retrain, training_set
from tests.fakes import DictModelRegistry

NOW = datetime(2026, 11, 30, 12, tzinfo=UTC)
NOW_MS = int(NOW.timestamp() * 1000)
TELLING = "c_small_count_1h"


class ListHistory:
    def __init__(self, rows: list[LabelledDecision]) -> None:
        self.rows = rows
        self.asked: list[tuple[int, int]] = []

    def labelled_decisions(self, start_ms: int, end_ms: int) -> list[LabelledDecision]:
        self.asked.append((start_ms, end_ms))
        return [row for row in self.rows if start_ms <= row.timestamp_ms < end_ms]


def decision_log(
    days: int = 40, per_day: int = 150, seed: int = 7, labellers: int = 3
) -> list[LabelledDecision]:
    """A log whose frauds show in one feature the shipped model reads differently; frauds
    are labelled (by ``labellers`` identities in turn), genuine ones mostly not (as in a
    deployment)."""
    rng = np.random.default_rng(seed)
    rows = []
    for n in range(days * per_day):
        at = NOW_MS - days * DAY_MS + n * (DAY_MS // per_day)
        fraud = rng.random() < 0.06
        values = {name: float(rng.normal()) for name in FEATURES}
        values[TELLING] = float(rng.normal(6 if fraud else 0))
        label = "fraud" if fraud else ("genuine" if rng.random() < 0.1 else None)
        by = None if label is None else f"key-{n % labellers}"
        rows.append(LabelledDecision(at, values, label, default_model().version, f"tx-{n}", by))
    return rows


def test_a_challenger_fitted_on_the_log_wins_and_is_promoted() -> None:
    registry, history = DictModelRegistry(), ListHistory(decision_log())
    report = retrain(history, registry, RetrainSettings(), NOW)
    assert report.outcome == "promoted", report.detail
    assert report.challenger_ap is not None and report.champion_ap is not None
    assert report.challenger_ap > report.champion_ap + 0.01
    # published once, under a version naming the time and the numbers; in force now
    assert registry.versions() == [report.version]
    pointer = registry.pointer()
    assert (pointer.champion, pointer.challenger, pointer.earlier) == (
        report.version,
        None,
        (SHIPPED,),
    )
    assert pointer.last_training["outcome"] == "promoted"
    model = model_named(pointer.champion, registry.artifact, pointer.digest(pointer.champion))
    assert model.version == report.version and model.features == FEATURES
    assert pointer.digest(report.version) == text_digest(registry.artifact(report.version))
    assert json.loads(registry.artifact(report.version))["metadata"]["source"] == "decision log"
    # the log was read from the history window up to now
    ((start, end),) = history.asked
    assert end == NOW_MS + 1 and start == NOW_MS - 91 * DAY_MS


def test_the_judged_days_are_not_fitted_and_young_unlabelled_rows_are_left_out() -> None:
    rows = decision_log()
    data = training_set(rows, NOW_MS, label_delay_days=7)
    young_unlabelled = sum(
        1 for r in rows if r.label is None and r.timestamp_ms > NOW_MS - 7 * DAY_MS
    )
    assert young_unlabelled > 0 and data.unlabelled_recent == young_unlabelled
    assert len(data.y) == len(rows) - young_unlabelled
    assert np.all(np.diff(data.timestamp_ms) >= 0)
    # old unlabelled rows count as genuine; a missing feature is NaN
    assert data.y.sum() == sum(1 for r in rows if r.label == "fraud")
    gap = LabelledDecision(NOW_MS - 30 * DAY_MS, {"amount": 5.0}, None)
    assert np.isnan(training_set([gap], NOW_MS, 7).x[0, 1])
    report = retrain(ListHistory(rows), DictModelRegistry(), RetrainSettings(), NOW)
    edge = int(data.timestamp_ms[-1]) - 14 * DAY_MS
    assert report.fitted == int((data.timestamp_ms <= edge).sum())
    assert report.judged == len(data.y) - report.fitted


def test_without_automatic_promotion_a_challenger_waits_in_shadow_for_a_command() -> None:
    registry = DictModelRegistry()
    report = retrain(
        ListHistory(decision_log()), registry, RetrainSettings(auto_promote=False), NOW
    )
    assert report.outcome == "shadow"
    pointer = registry.pointer()
    assert (pointer.champion, pointer.challenger) == (SHIPPED, report.version)
    assert report.version is not None
    promoted = pointer.promote(report.version, "by command", "2026-11-30T13:00:00+00:00")
    assert (promoted.champion, promoted.challenger, promoted.earlier) == (
        report.version,
        None,
        (SHIPPED,),
    )
    back = promoted.rollback("2026-11-30T14:00:00+00:00")
    assert back.champion == SHIPPED and back.earlier[0] == report.version
    assert "rolled back" in back.reason
    assert ModelPointer.from_json(back.to_json()) == back


def test_a_challenger_that_does_not_beat_the_champion_by_the_margin_stays_in_shadow() -> None:
    registry = DictModelRegistry()
    first = retrain(ListHistory(decision_log()), registry, RetrainSettings(), NOW)
    assert first.outcome == "promoted"
    # the same world a day later: a new fit ranks no better than the one in force
    later = datetime(2026, 12, 1, 12, tzinfo=UTC)
    settings = RetrainSettings(promotion=Promotion(margin=0.05))
    second = retrain(ListHistory(decision_log()), registry, settings, later)
    assert second.outcome == "shadow", second.detail
    assert registry.pointer().champion == first.version
    assert registry.pointer().challenger == second.version


def test_too_few_labelled_frauds_publish_nothing_and_say_why() -> None:
    registry = DictModelRegistry()
    rows = [r for r in decision_log() if r.label != "fraud"][:2000]
    report = retrain(ListHistory(rows), registry, RetrainSettings(), NOW)
    assert report.outcome == "skipped" and "labelled frauds" in report.detail
    assert registry.versions() == []
    assert registry.pointer().champion == SHIPPED
    assert registry.pointer().last_training["outcome"] == "skipped"


def test_the_pointer_refuses_what_it_cannot_name() -> None:
    assert ModelPointer.from_json("{}") == ModelPointer()
    for bad in ("[]", "not json", '{"champion": "../../etc"}', '{"challenger": 5}'):
        with pytest.raises(PointerError):
            ModelPointer.from_json(bad)
    with pytest.raises(PointerError, match="no earlier champion"):
        ModelPointer().rollback("now")
    with pytest.raises(PointerError, match="already the champion"):
        ModelPointer().promote(SHIPPED, "again", "now")
    with pytest.raises(PointerError, match="cannot challenge itself"):
        ModelPointer().shadow(SHIPPED, "again", "now")


def test_an_artifact_published_under_another_name_is_refused() -> None:
    registry = DictModelRegistry()
    report = retrain(ListHistory(decision_log()), registry, RetrainSettings(), NOW)
    assert report.version is not None
    registry.artifacts["m-renamed"] = text = registry.artifact(report.version)
    with pytest.raises(ValueError, match="names itself"):
        model_named("m-renamed", registry.artifact, text_digest(text))
    assert model_named(SHIPPED, registry.artifact) is default_model()


def test_the_training_set_packs_rows_across_its_chunks_in_time_order() -> None:
    rows = decision_log(days=40, per_day=500)  # 20,000 rows: more than two chunks
    data = training_set(reversed(rows), NOW_MS, label_delay_days=7)
    matured = NOW_MS - 7 * DAY_MS
    visible = [r for r in rows if r.label is not None or r.timestamp_ms <= matured]
    expected = np.array([[r.features[name] for name in FEATURES] for r in visible], np.float32)
    np.testing.assert_array_equal(data.x, expected)
    assert data.timestamp_ms.tolist() == [r.timestamp_ms for r in visible]


def test_a_run_may_change_its_settings_but_not_where_it_reads_and_writes() -> None:
    from cardwatch.blueprint import blueprint_for  # noqa: PLC0415
    from cardwatch.handlers.config import RetrainConfig  # noqa: PLC0415
    from cardwatch.handlers.wiring.retrain import settings, with_overrides  # noqa: PLC0415

    environment = blueprint_for("cdktf").functions["retrain"].environment
    base = RetrainConfig.from_env({k: v for k, v in environment.items() if isinstance(v, str)})
    assert (base.evaluation_days, base.label_delay_days, base.auto_promote) == (14, 7, True)
    chosen = with_overrides(base, {"evaluation_days": 0, "auto_promote": False})
    made = settings(chosen)
    assert made.promotion.evaluation_days == 0 and made.auto_promote is False
    with pytest.raises(ValueError, match="cannot change: model_bucket"):
        with_overrides(base, {"model_bucket": "elsewhere"})
    with pytest.raises(ValueError, match="min_frauds_to_train: expected a int"):
        with_overrides(base, {"min_frauds_to_train": "30"})
    with pytest.raises(ValueError, match="auto_promote: expected a bool"):
        with_overrides(base, {"auto_promote": 1})


class DrawnSource:
    """A training set built where the log is (the exported log's query, faked): every
    fraud, and the genuine drawn at ``share`` by a hash of their position."""

    def __init__(self, rows: list[LabelledDecision]) -> None:
        self.rows = rows
        self.asked: list[tuple[int, int, int, float]] = []

    def labelled_decisions(self, start_ms: int, end_ms: int) -> list[LabelledDecision]:
        raise AssertionError("a source that builds the set is never streamed row by row")

    def training_set(
        self, start_ms: int, end_ms: int, matured_ms: int, genuine_share: float
    ) -> list[TrainingRow]:
        self.asked.append((start_ms, end_ms, matured_ms, genuine_share))
        return [
            TrainingRow(
                row.timestamp_ms,
                row.features,
                row.label == "fraud",
                1.0 if row.label == "fraud" else 1 / genuine_share,
                row.label_by,
            )
            for n, row in enumerate(self.rows)
            if start_ms <= row.timestamp_ms < end_ms
            and (row.label is not None or row.timestamp_ms <= matured_ms)
            and (row.label == "fraud" or (n * 2654435761) % 1000 < genuine_share * 1000)
        ]


def test_a_set_drawn_where_the_log_is_is_fitted_calibrated_and_judged_by_its_weights() -> None:
    registry, source = DictModelRegistry(), DrawnSource(decision_log())
    settings = RetrainSettings(genuine_share=0.25)
    report = retrain(source, registry, settings, NOW)
    # the source is asked for the window, the label delay's edge and the share
    start, end, matured, share = source.asked[0]
    assert end == NOW_MS + 1 and matured == NOW_MS - 7 * DAY_MS and share == 0.25
    assert start == NOW_MS - int(91 * DAY_MS)
    assert report.outcome == "promoted", report.detail
    # the fit knows the genuine it saw are a quarter of them: its baseline says so
    artifact = json.loads(registry.artifact(str(report.version)))
    assert artifact["metadata"]["genuine_kept_share"] == pytest.approx(0.25)
    unshifted = retrain(DrawnSource(decision_log()), DictModelRegistry(), RetrainSettings(), NOW)
    assert unshifted.outcome == "promoted"


def test_weights_judge_a_model_as_the_rows_they_stand_for_would() -> None:
    from cardwatch.training.model_choice import challenge  # noqa: PLC0415
    from cardwatch.training.retraining import drawn_training_set  # noqa: PLC0415

    rng = np.random.default_rng(3)
    rows = []
    for n in range(400):
        fraud = n % 10 == 0
        values = {name: float(rng.normal()) for name in FEATURES}
        values[TELLING] = float(rng.normal(2 if fraud else 0))
        rows.append(TrainingRow(n, values, fraud, 1.0 if fraud else 4.0))
    data = drawn_training_set(rows, 0.25)
    assert data.genuine_share == 0.25 and data.w is not None
    assert list(data.timestamp_ms) == list(range(400))
    model, promotion = default_model(), Promotion()
    weighted = challenge(None, model, data.x, data.y, promotion, weights=data.w)
    # the same rows with each genuine there four times: the precision the weights give
    repeats = np.where(data.y == 1, 1, 4)
    expanded = challenge(
        None, model, np.repeat(data.x, repeats, axis=0), np.repeat(data.y, repeats), promotion
    )
    unweighted = challenge(None, model, data.x, data.y, promotion)
    assert weighted.challenger_ap == pytest.approx(expanded.challenger_ap)
    assert weighted.challenger_ap < unweighted.challenger_ap


def test_one_identity_posting_most_fraud_labels_holds_a_winner_in_shadow() -> None:
    registry = DictModelRegistry()
    report = retrain(ListHistory(decision_log(labellers=1)), registry, RetrainSettings(), NOW)
    assert report.outcome == "shadow" and "one identity posted 100%" in report.detail
    assert report.top_labeller_share == 1.0
    assert registry.pointer().challenger == report.version
    spread = retrain(
        ListHistory(decision_log(labellers=3)), DictModelRegistry(), RetrainSettings(), NOW
    )
    assert spread.outcome == "promoted" and spread.top_labeller_share is not None
    assert spread.top_labeller_share < 0.8


def test_labels_recorded_before_identities_hold_nothing_back() -> None:
    legacy = [replace(row, label_by=None) for row in decision_log()]
    report = retrain(ListHistory(legacy), DictModelRegistry(), RetrainSettings(), NOW)
    assert report.outcome == "promoted" and report.top_labeller_share == 0.0
