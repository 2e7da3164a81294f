"""CaseStore: the in-memory fake and the cases table, held to the same behaviour:
conditional claims, one member per transaction, versioned changes, search by key and
status with pages, counts."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

import boto3
import pytest

from cardwatch.adapters.dynamodb_cases import DynamoCaseStore
from cardwatch.blueprint import Blueprint
from cardwatch.domain.cases.case import Case, CaseQuery, Member
from cardwatch.domain.ports import CaseStore
from tests.fakes import DictCaseStore

T0 = 1_780_000_000_000


@pytest.fixture(params=["memory", "dynamodb"])
def store(request: pytest.FixtureRequest, blueprint: Blueprint) -> CaseStore:
    if request.param == "memory":
        return DictCaseStore()
    request.getfixturevalue("provisioned")
    return DynamoCaseStore.of(blueprint, boto3.client("dynamodb"))


def _case(case_id: str, opened: int = T0) -> Case:
    return Case(
        case_id,
        "card",
        "card:tok",
        "card 411111******1111",
        opened,
        opened,
        "review",
        0,
        card={"bin": "411111", "last4": "1111"},
    )


def test_a_claim_holds_against_a_stale_replacement(store: CaseStore) -> None:
    assert store.pointer("card:tok") is None
    assert store.claim("card:tok", "c1", T0, None) is True
    assert store.claim("card:tok", "c2", T0, None) is False
    store.extend("card:tok", "c1", T0 + 5)
    store.extend("card:tok", "c1", T0 + 1)  # earlier: nothing
    assert store.pointer("card:tok") == ("c1", T0 + 5)
    assert store.claim("card:tok", "c3", T0, "c2") is False
    assert store.claim("card:tok", "c3", T0, "c1") is True


def test_members_join_once_and_raise_the_case(store: CaseStore) -> None:
    assert store.create(_case("c1"), {"token:tok", "user:u1"}) is True
    assert store.create(_case("c1"), ()) is False
    member = Member(
        "tx-1",
        T0 + 10,
        "block",
        0.91,
        "1.00",
        "EUR",
        "t1",
        "u1",
        "shop-1",
        ({"code": "X", "detail": "x"},),
    )
    with ThreadPoolExecutor(max_workers=4) as pool:
        joined = list(pool.map(lambda _: store.join("c1", T0, member, {"terminal:t1"}), range(6)))
    assert [j.joined for j in joined].count(True) == 1
    assert {j.case_id for j in joined} == {"c1"}
    assert store.joined("tx-1") == "c1"
    store.join("c1", T0, Member("tx-0", T0 + 5, "review"), ())
    case = store.case("c1")
    assert case is not None and (case.members, case.decision, case.last_ms) == (2, "block", T0 + 10)
    assert [m.transaction_id for m in store.members("c1")] == ["tx-0", "tx-1"]
    assert store.members("c1")[1] == member


def test_a_change_lands_on_the_version_it_read_only(store: CaseStore) -> None:
    store.create(_case("c1"), ())
    case = store.case("c1")
    assert case is not None
    assert store.change(replace(case, status="assigned", assignee="arn:a", version=1)) is True
    assert store.change(replace(case, status="closed", version=1)) is False
    held = store.case("c1")
    assert held is not None and (held.status, held.assignee, held.version) == (
        "assigned",
        "arn:a",
        1,
    )


def test_search_by_key_and_status_in_pages(store: CaseStore) -> None:
    for n in range(5):
        store.create(_case(f"c{n}", T0 + n), {"user:u1"} if n % 2 == 0 else {"user:u2"})
    first = store.case("c4")
    assert first is not None
    store.change(replace(first, status="closed", version=1))
    page, after = store.search(CaseQuery(T0, T0 + 10, key="user:u1", limit=2))
    assert [c.case_id for c in page] == ["c4", "c2"] and after is not None
    rest, after = store.search(CaseQuery(T0, T0 + 10, key="user:u1", limit=2, after=after))
    assert [c.case_id for c in rest] == ["c0"] and after is None
    opened, _ = store.search(CaseQuery(T0, T0 + 10, status="open", oldest_first=True))
    assert [c.case_id for c in opened] == ["c0", "c1", "c2", "c3"]
    assert (store.count("open"), store.count("closed")) == (4, 1)
    window, _ = store.search(CaseQuery(T0 + 1, T0 + 2, status="open"))
    assert [c.case_id for c in window] == ["c2", "c1"]


def test_a_closed_case_takes_no_member_and_a_finding_joins_one_case(store: CaseStore) -> None:
    store.create(_case("c1"), ())
    store.create(_case("c2"), ())
    assert store.join("c1", T0, Member("tx-1", T0), ()).case_id == "c1"
    # the same finding again, even towards another case: the case it joined
    again = store.join("c2", T0, Member("tx-1", T0), ())
    assert (again.case_id, again.joined) == ("c1", False)
    closed = store.case("c2")
    assert closed is not None
    store.change(replace(closed, status="closed", version=1))
    refused = store.join("c2", T0, Member("tx-2", T0), ())
    assert (refused.case_id, refused.joined) == (None, False)
    assert store.members("c2") == [] and store.joined("tx-2") is None
