"""Case work on fakes: a card's run is one case, a pattern opens its own, an analyst
labels a whole case in one action, notes and history keep their authors."""

from __future__ import annotations

import base64
import json
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from cardwatch.domain.cases.case import EPISODE_MS, CaseChangeRefused
from cardwatch.domain.engine.alerts import Finding
from cardwatch.domain.errors import InvalidTransaction, StoreBusy
from cardwatch.services.case_work import CaseNotFound, CaseWork
from cardwatch.services.notify import NotificationService, NotifyOutcome
from tests.fakes import DictCaseStore, DictCooldown, InMemoryAuditTrail, ListPublisher

T0 = 1_780_000_000_000
ANA = "arn:aws:sts::123456789012:assumed-role/cardwatch-analyst/ana"
BEN = "arn:aws:sts::123456789012:assumed-role/cardwatch-analyst/ben"


def _finding(n: int, card: str = "tok-a", decision: str = "review", at: int = T0) -> Finding:
    return Finding(
        kind="transaction",
        finding_id=f"tx-{card}-{n}",
        subject_key=card,
        masked_card="411111******1111",
        amount="1.00",
        currency="EUR",
        score=0.7,
        decision=decision,
        reasons=({"code": "c_count_1h", "detail": "c_count_1h = 4 (> 3.5) raised the score"},),
        detected_at="2026-12-06T00:00:00+00:00",
        terminal_id=f"term-{n % 3}",
        user_id="user-1",
        occurred_ms=at + n * 1000,
        merchant_id="shop-9",
    )


class _Labels:
    def __init__(self) -> None:
        self.calls: list[tuple[str, str, str]] = []

    def __call__(self, transaction_id: str, body: str, by: str) -> None:
        self.calls.append((transaction_id, json.loads(body)["label"], by))


def _work() -> tuple[CaseWork, DictCaseStore, _Labels, InMemoryAuditTrail]:
    store, labels, audit = DictCaseStore(), _Labels(), InMemoryAuditTrail()
    return CaseWork(store, label=labels, audit=audit), store, labels, audit


def test_a_card_testing_run_is_one_case_even_when_its_findings_race() -> None:
    work, store, _, _ = _work()
    findings = [_finding(n) for n in range(25)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        opened = set(pool.map(lambda f: work.open(f, T0), findings + findings))
    assert len(opened) == 1
    (case_id,) = opened
    case = store.case(case_id)
    assert case is not None and case.members == 25
    assert len(store.members(case_id)) == 25


def test_a_block_raises_the_case_and_the_episode_ends_after_a_quiet_day() -> None:
    work, store, _, _ = _work()
    first = work.open(_finding(0), T0)
    assert work.open(_finding(1, decision="block"), T0) == first
    assert store.case(first).decision == "block"  # type: ignore[union-attr]
    later = work.open(_finding(2, at=T0 + EPISODE_MS + 60_000), T0)
    assert later != first


def test_a_closed_case_takes_no_more_transactions() -> None:
    work, _, _, _ = _work()
    first = work.open(_finding(0), T0)
    work.act(first, '{"action": "close", "outcome": "genuine"}', ANA, T0)
    assert work.open(_finding(1), T0) != first


def test_a_pattern_opens_its_own_case_with_the_windows_transactions() -> None:
    work, store, _, _ = _work()
    pattern = Finding(
        kind="pattern",
        finding_id="TERMINAL_SPREE#term-9#202612060000",
        subject_key="terminal_spree:term-9",
        masked_card=None,
        amount=None,
        currency=None,
        score=0.8,
        decision="review",
        reasons=({"code": "TERMINAL_SPREE", "detail": "40 distinct cards at terminal"},),
        detected_at="2026-12-06T00:00:00+00:00",
        terminal_id="term-9",
        details={"transaction_ids": [f"tx-{n}" for n in range(40)]},
    )
    case_id = work.open(pattern, T0)
    assert work.open(pattern, T0) == case_id
    assert store.case(case_id).kind == "terminal"  # type: ignore[union-attr]
    assert len(store.members(case_id)) == 40
    found = work.search({"terminal": "term-9"}, T0 + 1)
    assert [c["case_id"] for c in found["cases"]] == [case_id]


def test_one_action_labels_the_whole_case_with_its_author_and_closes_it() -> None:
    work, _, labels, _ = _work()
    case_id = {work.open(_finding(n), T0) for n in range(25)}.pop()
    answer = work.act(
        case_id, '{"action": "label", "label": "fraud", "close": true, "note": "run"}', ANA, T0
    )
    assert len(labels.calls) == 25 and {by for _, _, by in labels.calls} == {ANA}
    assert answer["status"] == "closed" and answer["outcome"] == "fraud"
    assert answer["notes"][0]["by"] == ANA and answer["notes"][0]["detail"]["text"] == "run"
    assert answer["history"][-1]["detail"]["transactions"] == 25


def test_chosen_transactions_only_and_never_ones_outside_the_case() -> None:
    work, _, labels, _ = _work()
    case_id = {work.open(_finding(n), T0) for n in range(3)}.pop()
    work.act(
        case_id,
        '{"action": "label", "label": "genuine", "transaction_ids": ["tx-tok-a-1"]}',
        BEN,
        T0,
    )
    assert labels.calls == [("tx-tok-a-1", "genuine", BEN)]
    with pytest.raises(CaseChangeRefused, match="transaction_ids"):
        work.act(
            case_id, '{"action": "label", "label": "fraud", "transaction_ids": ["tx-x"]}', BEN, T0
        )


def test_two_analysts_notes_assignment_and_audit_keep_who_did_what() -> None:
    work, _, _, audit = _work()
    case_id = work.open(_finding(0), T0)
    work.act(case_id, '{"action": "assign"}', ANA, T0)
    work.act(case_id, '{"action": "note", "note": "called the card holder"}', ANA, T0 + 1)
    answer = work.act(case_id, '{"action": "note", "note": "agreed"}', BEN, T0 + 2)
    assert answer["assignee"] == ANA and answer["status"] == "assigned"
    assert [n["by"] for n in answer["notes"]] == [ANA, BEN]
    assert [r.actor for r in audit.between("2000", "2100")] == [ANA]


def test_concurrent_changes_all_land() -> None:
    work, store, _, _ = _work()
    case_id = work.open(_finding(0), T0)
    with ThreadPoolExecutor(max_workers=6) as pool:
        list(
            pool.map(
                lambda n: work.act(
                    case_id, json.dumps({"action": "note", "note": f"n{'x' * n}"}), ANA, T0
                ),
                range(12),
            )
        )
    assert len(store.case(case_id).notes) == 12  # type: ignore[union-attr]


def test_search_by_card_user_and_terminal_and_refusals_name_the_field() -> None:
    work, _, _, _ = _work()
    case_id = work.open(_finding(0), T0)
    for parameters in (
        {"card": "411111...1111"},
        {"user": "user-1"},
        {"terminal": "term-0"},
        {"token": "tok-a"},
        {"merchant": "shop-9"},
    ):
        assert [c["case_id"] for c in work.search(parameters, T0 + 1)["cases"]] == [case_id]
    assert work.search({}, T0 + 1)["total"] == 1
    for bad, field in (
        ({"card": "4111111111111111"}, "card"),
        ({"user": "4111 1111 1111 1111"}, "user"),
        ({"status": "x"}, "status"),
        ({"user": "a", "terminal": "b"}, "terminal"),
    ):
        with pytest.raises(InvalidTransaction) as refused:
            work.search(bad, T0)
        assert [p.field for p in refused.value.problems] == [field]
        assert "4111" not in str(refused.value)


def test_actions_are_checked_and_a_missing_case_is_not_found() -> None:
    work, _, _, _ = _work()
    case_id = work.open(_finding(0), T0)
    for body in (
        '{"action": "close"}',
        '{"action": "note", "note": "4111 1111 1111 1111"}',
        '{"action": "note", "note": "x", "label": "fraud"}',
        '{"action": "wipe"}',
    ):
        with pytest.raises(InvalidTransaction):
            work.act(case_id, body, ANA, T0)
    with pytest.raises(CaseChangeRefused):
        work.act(case_id, '{"action": "reopen"}', ANA, T0)
    with pytest.raises(CaseNotFound):
        work.act("nope", '{"action": "assign"}', ANA, T0)


class _Throttled(DictCaseStore):
    """A case store whose joins are throttled ``times`` times, then work."""

    def __init__(self, times: int) -> None:
        super().__init__()
        self.left = times

    def join(self, *args: Any, **kwargs: Any) -> Any:
        if self.left > 0:
            self.left -= 1
            raise StoreBusy("ThrottlingError")
        return super().join(*args, **kwargs)


def test_a_throttled_case_is_retried_and_never_holds_back_its_alert() -> None:
    # GIVEN a case table that throttles every join of the first delivery
    store = _Throttled(times=6 * 2 + 1)
    publisher = ListPublisher()
    service = NotificationService(
        publisher, DictCooldown(), 3600, "http://localhost:8090", CaseWork(store)
    )
    finding = _finding(0)
    # WHEN the finding is notified: the alert goes out, and the failure is raised (SQS
    # receives the finding again)
    with pytest.raises(StoreBusy):
        service.notify(finding, T0)
    assert len(publisher.published) == 1
    assert store.joined(finding.finding_id) is None
    assert f"#case={finding.finding_id}" in publisher.published[0].body
    # AND its second delivery writes the case, quietly (the cooldown holds the alert)
    store.left = 0
    assert service.notify(finding, T0 + 1) is NotifyOutcome.SUPPRESSED
    assert store.joined(finding.finding_id) is not None
    assert len(publisher.published) == 1


def test_a_retried_join_after_contention_lands_once() -> None:
    store = _Throttled(times=3)
    work = CaseWork(store)
    case_id = work.open(_finding(0), T0)
    assert store.case(case_id).members == 1  # type: ignore[union-attr]


def test_an_action_on_a_case_that_changed_since_it_was_read_is_refused() -> None:
    work, _, labels, _ = _work()
    case_id = {work.open(_finding(n), T0) for n in range(3)}.pop()
    read = work.case(case_id)["version"]
    work.act(case_id, '{"action": "note", "note": "first"}', BEN, T0)
    stale = json.dumps({"action": "label", "label": "genuine", "version": read})
    with pytest.raises(CaseChangeRefused, match="version"):
        work.act(case_id, stale, ANA, T0)
    assert labels.calls == []  # nothing labelled on a stale read
    fresh = json.dumps({"action": "label", "label": "fraud", "version": read + 1})
    assert work.act(case_id, fresh, ANA, T0)["version"] == read + 2


def test_a_refused_change_labels_nothing_and_a_huge_label_is_chosen_in_parts() -> None:
    work, store, labels, _ = _work()
    case_id = {work.open(_finding(n), T0) for n in range(3)}.pop()
    work.act(case_id, '{"action": "close", "outcome": "genuine"}', ANA, T0)
    with pytest.raises(CaseChangeRefused):
        work.act(case_id, '{"action": "label", "label": "fraud", "close": true}', ANA, T0)
    assert labels.calls == []
    big = work.open(_finding(0, card="tok-big"), T0)
    for n in range(1, 101):
        work.open(_finding(n, card="tok-big"), T0)
    assert store.case(big).members == 101  # type: ignore[union-attr]
    with pytest.raises(CaseChangeRefused, match="at most 100"):
        work.act(big, '{"action": "label", "label": "fraud"}', ANA, T0)


def test_a_transactions_id_finds_the_case_it_joined() -> None:
    work, _, _, _ = _work()
    case_id = {work.open(_finding(n), T0) for n in range(3)}.pop()
    assert work.case("tx-tok-a-2")["case_id"] == case_id


def test_a_forged_cursor_is_a_400_naming_it() -> None:
    work, _, _, _ = _work()
    work.open(_finding(0), T0)
    for raw in (b"[" * 1300, b'[0, ""]', b'[1e40, "x"]', b'[5, "a b"]'):
        cursor = base64.urlsafe_b64encode(raw).decode()
        with pytest.raises(InvalidTransaction) as refused:
            work.search({"cursor": cursor}, T0)
        assert [p.field for p in refused.value.problems] == ["cursor"]
    outside = base64.urlsafe_b64encode(b'[10, "c1"]').decode()
    with pytest.raises(InvalidTransaction):
        work.search({"cursor": outside}, T0)
