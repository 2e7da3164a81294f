"""The profile table's small ports, CooldownStore and ScoreLog: their in-memory fakes
(the use-case tests', the backtest's score log) and DynamoDB."""

from __future__ import annotations

import pytest

from cardwatch.adapters.dynamodb_state import DynamoCooldown, DynamoScoreLog
from cardwatch.adapters.memory import InMemoryScoreLog
from cardwatch.blueprint import Blueprint
from cardwatch.domain.engine.budget import bin_of
from cardwatch.domain.engine.state import DAY_MS
from cardwatch.domain.ports import CooldownStore, ScoreLog
from tests.fakes import DictCooldown

DAY = 20_412  # 2025-11-20


@pytest.fixture(params=["memory", "dynamodb"])
def cooldown(request: pytest.FixtureRequest, blueprint: Blueprint) -> CooldownStore:
    if request.param == "memory":
        return DictCooldown()
    request.getfixturevalue("provisioned")
    return DynamoCooldown(blueprint.profile_table_name)


@pytest.fixture(params=["memory", "dynamodb"])
def score_log(request: pytest.FixtureRequest, blueprint: Blueprint) -> ScoreLog:
    if request.param == "memory":
        return InMemoryScoreLog()
    request.getfixturevalue("provisioned")
    return DynamoScoreLog(blueprint.profile_table_name)


def test_a_cooldown_is_active_until_its_end_and_only_for_its_key(cooldown: CooldownStore) -> None:
    assert cooldown.active("card#1|R001", 1_000) is False
    cooldown.start("card#1|R001", 5_000)
    assert cooldown.active("card#1|R001", 4_999) is True
    assert cooldown.active("card#1|R001", 5_000) is False
    assert cooldown.active("card#2|R001", 1_000) is False


def test_a_later_start_moves_the_end(cooldown: CooldownStore) -> None:
    cooldown.start("k", 5_000)
    cooldown.start("k", 9_000)
    assert cooldown.active("k", 8_000) is True


def test_a_window_is_folded_once_and_counted_on_its_day(score_log: ScoreLog) -> None:
    window = DAY * DAY_MS + 300_000
    scores = [0.01, 0.01, 0.5, 0.97]
    assert score_log.fold(window, scores) is True
    assert score_log.fold(window, scores) is False  # a redelivered schedule: counted once
    assert score_log.fold(window + 300_000, [0.97]) is True
    counts = dict(score_log.counts(DAY, DAY + 1))
    assert counts == {bin_of(0.01): 2, bin_of(0.5): 1, bin_of(0.97): 2}
    assert dict(score_log.counts(DAY + 1, DAY + 2)) == {}


def test_counts_add_up_the_days_asked_for_only(score_log: ScoreLog) -> None:
    score_log.fold((DAY - 1) * DAY_MS, [0.2])
    score_log.fold(DAY * DAY_MS, [0.2, 0.3])
    score_log.fold((DAY + 1) * DAY_MS, [0.3])
    counts = dict(score_log.counts(DAY - 1, DAY + 1))
    assert counts == {bin_of(0.2): 2, bin_of(0.3): 1}
    # and by day, each day its own (the alert budget cuts each day on its own)
    days = {day: dict(found) for day, found in score_log.daily_counts(DAY - 1, DAY + 2).items()}
    assert days == {
        DAY - 1: {bin_of(0.2): 1},
        DAY: {bin_of(0.2): 1, bin_of(0.3): 1},
        DAY + 1: {bin_of(0.3): 1},
    }
    assert dict(score_log.daily_counts(DAY + 2, DAY + 3)) == {}


def test_an_empty_window_still_counts_as_folded(score_log: ScoreLog) -> None:
    assert score_log.fold(DAY * DAY_MS, []) is True
    assert score_log.fold(DAY * DAY_MS, []) is False
