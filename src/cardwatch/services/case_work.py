"""Case work: findings open and grow cases; analysts find, read and change them.

A transaction's finding joins its card's open episode (:data:`EPISODE_MS`), or opens a
case of its own that becomes the episode; a pattern's opens its own case. Each step is
one conditional write (:class:`~cardwatch.domain.ports.CaseStore`), so two findings of
one card at once, or one finding twice, leave one case with each transaction once.

An analyst's change is made to the version of the case they read, and made again on the
fresh case when another change landed first. A label of the case labels its
transactions through the label use case, each with the analyst as its author, then
records what was done in the case's history.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any

from cardwatch.domain.audit.record import AuditRecord
from cardwatch.domain.cases.case import (
    EPISODE_MS,
    STATUSES,
    Case,
    CaseAction,
    CaseChangeRefused,
    CaseQuery,
    Joined,
    Opening,
    opening_of,
    parse_action,
    search_key,
    shown,
)
from cardwatch.domain.cases.words import feature_view
from cardwatch.domain.engine.alerts import Finding
from cardwatch.domain.errors import FieldProblem, InvalidTransaction, StoreBusy
from cardwatch.domain.ports import AuditTrail, CaseStore
from cardwatch.domain.transaction.card_screen import holds_card_number
from cardwatch.services.query_terms import page_limit, time_range

__all__ = ["MAX_LABELLED", "CaseNotFound", "CaseWork", "case_query"]

_ATTEMPTS = 6
#: a case's action labels at most this many transactions (within the API's 29 s and
#: the function's 10 s: each label is a few DynamoDB calls), this many at once
MAX_LABELLED, _LABEL_THREADS = 100, 4
#: the members a case's page reads whole (their labels and features); the rest in brief
DETAILED_MEMBERS = 50


class CaseNotFound(LookupError):
    def __init__(self) -> None:
        super().__init__("case_id: no case has this id")


def _cursor(text: str, problems: list[FieldProblem]) -> tuple[int, str] | None:
    import base64  # noqa: PLC0415

    # an analyst's request only: notify, which opens cases, never loads the contract
    from cardwatch.domain.transaction.validation import check_path_id  # noqa: PLC0415

    try:
        if len(text) > 256:
            raise ValueError
        opened, case_id = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
        if type(opened) is not int or not isinstance(case_id, str):
            raise TypeError
        check_path_id(case_id, "cursor")
    except (ValueError, TypeError, RecursionError, InvalidTransaction):
        problems.append(FieldProblem("cursor", "must be a next_cursor this API returned"))
        return None
    return opened, case_id


def _encoded(position: tuple[int, str]) -> str:
    import base64  # noqa: PLC0415

    text = json.dumps(list(position), separators=(",", ":"))
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


#: the search parameters, each the search key kind it names
_KEYED = {
    "card": "card",
    "token": "token",
    "user": "user",
    "terminal": "terminal",
    "merchant": "merchant",
    "bin": "bin",
}


def _search_key(parameters: Mapping[str, str], problems: list[FieldProblem]) -> str | None:
    """The search key the parameters name (at most one of :data:`_KEYED`)."""
    named = [name for name in _KEYED if parameters.get(name)]
    if len(named) > 1:
        problems.append(FieldProblem(named[1], f"search by one of {', '.join(_KEYED)} at a time"))
    key = None
    if named:
        value = parameters[named[0]].strip()
        if named[0] == "card":
            digits = "".join(ch if ch.isdigit() else " " for ch in value).split()
            if len(digits) != 2 or not (6 <= len(digits[0]) <= 8 and len(digits[1]) == 4):
                problems.append(
                    FieldProblem(
                        "card", "must be a BIN (6 to 8 digits) and the last four, as BIN:last4"
                    )
                )
                return None
            value = f"{digits[0]}:{digits[1]}"
        if holds_card_number(value):
            problems.append(
                FieldProblem(named[0], "may hold a card number; search by BIN and last four")
            )
        elif len(value) > 128 or not value:
            problems.append(FieldProblem(named[0], "must be 1 to 128 characters"))
        key = search_key(_KEYED[named[0]], value)
    return key


def case_query(parameters: Mapping[str, str], now_ms: int) -> tuple[CaseQuery, str | None]:
    """A page of cases from a query string, and the decision to keep (or None): one of
    ``card`` (``BIN:last4``, or ``BIN...last4``), ``token``, ``user``, ``terminal``,
    ``merchant``, ``bin``, or else ``status`` (open by default); ``since``/``until`` (ISO 8601, when
    it opened; 30 days unless said), ``decision``, ``sort`` (newest or oldest),
    ``limit`` (1 to 100), ``cursor``. Problems name the parameter, never its value."""
    problems: list[FieldProblem] = []
    key = _search_key(parameters, problems)
    status = parameters.get("status")
    if status is not None and status not in STATUSES:
        problems.append(FieldProblem("status", f"must be one of: {', '.join(STATUSES)}"))
    decision = parameters.get("decision")
    if decision is not None and decision not in ("review", "block"):
        problems.append(FieldProblem("decision", "must be one of: review, block"))
    sort = parameters.get("sort", "newest")
    if sort not in ("newest", "oldest"):
        problems.append(FieldProblem("sort", "must be newest or oldest"))
    since, until = time_range(parameters, now_ms, problems)
    limit = page_limit(parameters, problems)
    after = _cursor(parameters["cursor"], problems) if "cursor" in parameters else None
    # DynamoDB refuses a page's start outside the range it reads
    if (
        after is not None
        and since is not None
        and until is not None
        and not since <= after[0] <= until
    ):
        problems.append(FieldProblem("cursor", "lies outside since and until"))
    if problems or since is None or until is None:
        raise InvalidTransaction(problems)
    if key is None and status is None:
        status = "open"
    query = CaseQuery(since, until, key, status, limit, sort == "oldest", after)
    return query, decision


class CaseWork:
    """Cases from findings; an analyst's search, read and change."""

    def __init__(
        self,
        store: CaseStore,
        *,
        transaction_case: Callable[[str], dict[str, Any]] | None = None,
        label: Callable[[str, str, str], Any] | None = None,
        audit: AuditTrail | None = None,
    ) -> None:
        """``transaction_case``: a transaction's own case view (labels, features), by
        id; ``label``: label a transaction (id, body, by) as an analyst."""
        self._store = store
        self._transaction_case = transaction_case
        self._label = label
        self._audit = audit

    # -- from findings ----------------------------------------------------------------
    def open(self, finding: Finding, now_ms: int) -> str:
        """The case ``finding`` opened or joined (the same one when it comes again)."""
        opening = opening_of(finding, now_ms)
        if not opening.episodic:
            case = Case.opened(opening, opening.case_id, opening.at_ms)
            self._store.create(case, opening.keys)
            for member in opening.members:
                self._patiently(
                    partial(self._store.join, opening.case_id, case.opened_ms, member, ())
                )
            return opening.case_id
        for attempt in range(_ATTEMPTS):
            try:
                case_id = self._episode(opening)
            except StoreBusy:  # the case's item was contended: again, a moment later
                time.sleep(min(0.05 * 2**attempt, 1.0) * random.random())  # noqa: S311
                continue
            if case_id is not None:
                return case_id
        raise StoreBusy("cases kept opening at once; the finding is retried")

    def _patiently(self, join: Callable[[], Joined]) -> Joined:
        """A join, retried a few times when the case's item is contended."""
        for attempt in range(_ATTEMPTS):
            try:
                return join()
            except StoreBusy:
                time.sleep(min(0.05 * 2**attempt, 1.0) * random.random())  # noqa: S311
        return join()

    def _episode(self, opening: Opening) -> str | None:
        """One try: the finding's case, or None when another finding moved the episode
        first (try again)."""
        member = opening.members[0]
        before = self._store.joined(member.transaction_id)
        if before is not None:
            return before  # delivered again: the case it joined
        at = member.timestamp_ms or opening.at_ms
        held = self._store.pointer(opening.entity)
        if held is not None:
            case = self._store.case(held[0])
            if case is None:
                # the claimer has not stored its case yet: store it for them
                self._store.create(Case.opened(opening, held[0], held[1]), opening.keys)
                return None
            if case.status != "closed" and at - held[1] <= EPISODE_MS:
                joined = self._store.join(case.case_id, case.opened_ms, member, opening.keys)
                if joined.case_id is not None:
                    self._store.extend(opening.entity, case.case_id, at)
                    return joined.case_id
                # closed or full since it was read: a new episode
        if not self._store.claim(
            opening.entity, opening.case_id, at, None if held is None else held[0]
        ):
            return None  # another finding opened the episode first: join it
        case = Case.opened(opening, opening.case_id, at)
        self._store.create(case, opening.keys)
        return self._store.join(case.case_id, case.opened_ms, member, opening.keys).case_id

    # -- an analyst's ---------------------------------------------------------------
    def search(self, parameters: Mapping[str, str], now_ms: int) -> dict[str, Any]:
        """A page of cases in brief, their total where it is a status's, and the next
        page's cursor."""
        query, decision = case_query(parameters, now_ms)
        cases, position = self._store.search(query)
        if decision is not None:
            cases = [case for case in cases if case.decision == decision]
        # the total of a working queue (open, assigned); closed cases only grow
        working = query.key is None and query.status in ("open", "assigned")
        total = self._store.count(query.status) if working and query.status else None
        return {
            "cases": [_brief(case) for case in cases],
            "total": total,
            "next_cursor": None if position is None else _encoded(position),
        }

    def case(self, case_id: str) -> dict[str, Any]:
        """The case whole: its members (the newest read whole: labels, features in
        words), notes, history."""
        case = self._found(case_id)
        members = self._store.members(case.case_id)
        detailed = {m.transaction_id for m in members[-DETAILED_MEMBERS:]}
        views = []
        for member in members:
            view: dict[str, Any] = {**member.to_record(), "reasons": list(member.reasons)}
            if member.transaction_id in detailed and self._transaction_case is not None:
                try:
                    whole = self._transaction_case(member.transaction_id)
                except LookupError:
                    whole = None
                if whole is not None:
                    view |= {
                        "transaction": whole["transaction"],
                        "decision": whole["decision"] or member.decision,
                        "score": whole["score"] if whole["score"] is not None else member.score,
                        "label": whole["label"],
                        "labels": whole["labels"],
                        "features": feature_view(whole["features"]),
                        "model_version": whole["model_version"],
                    }
                    if not member.reasons:
                        view["reasons"] = [{"code": c, "detail": c} for c in whole["reasons"]]
            views.append(view)
        return {
            **_brief(case),
            "notes": _events(case.notes),
            "history": _events(case.history),
            "transactions": views,
        }

    def _found(self, case_id: str) -> Case:
        """The case of this id, or the case the transaction of this id joined (an
        alert's link names a transaction when its case could not be written first)."""
        case = self._store.case(case_id)
        if case is None:
            joined = self._store.joined(case_id)
            case = None if joined is None else self._store.case(joined)
        if case is None:
            raise CaseNotFound
        return case

    def act(self, case_id: str, body: str | bytes, by: str, now_ms: int) -> dict[str, Any]:
        """Apply the action in ``body`` by ``by``; the case after it. With ``version``,
        only to that version of the case (409 when it changed since it was read);
        without, to the case as it is now. The case's state is checked before any
        transaction is labelled."""
        action = parse_action(body)
        if not by:
            raise CaseChangeRefused("caller", "a case is changed by a named identity only")
        case = self._found(case_id)
        if action.version is not None and action.version != case.version:
            raise CaseChangeRefused("version", "the case changed since it was read; read it again")
        case.applying(action, by, now_ms)  # refused here, before anything is labelled
        labelled = self._labelled(case, action, by) if action.action == "label" else 0
        for _attempt in range(_ATTEMPTS):
            changed = case.applying(action, by, now_ms, labelled)
            if self._store.change(changed):
                self._record(case, changed, action, by, now_ms)
                return self.case(case.case_id)
            case = self._found(case.case_id)
            if action.version is not None:
                raise CaseChangeRefused(
                    "version", "the case changed since it was read; read it again"
                )
        raise StoreBusy("the case kept changing; send the same action again")

    def _labelled(self, case: Case, action: CaseAction, by: str) -> int:
        if self._label is None:
            raise RuntimeError("this case work labels nothing")
        members = [m.transaction_id for m in self._store.members(case.case_id)]
        chosen = list(action.transaction_ids) if action.transaction_ids else members
        outside = set(chosen) - set(members)
        if outside:
            raise CaseChangeRefused(
                "transaction_ids", f"{len(outside)} of them are not in this case"
            )
        if len(chosen) > MAX_LABELLED:
            raise CaseChangeRefused(
                "transaction_ids",
                f"a case's action labels at most {MAX_LABELLED} transactions: choose them",
            )
        body = json.dumps({"label": action.label, "source": "analyst"})
        label = self._label
        # a few at a time (a bounded pool: each is a handful of DynamoDB calls); a
        # transaction's same label again is answered as the first time, so a resend
        # finishes what a failed action left undone
        with ThreadPoolExecutor(max_workers=_LABEL_THREADS) as pool:
            list(pool.map(lambda transaction_id: label(transaction_id, body, by), chosen))
        return len(chosen)

    def _record(self, before: Case, after: Case, action: CaseAction, by: str, now_ms: int) -> None:
        """The audit trail's record of a status change (labels record their own)."""
        if self._audit is None or action.action not in ("assign", "unassign", "close", "reopen"):
            return
        self._audit.record(
            AuditRecord(
                by,
                f"case.{action.action}",
                after.case_id,
                AuditRecord.moment(now_ms),
                f"{before.status}/{before.assignee or ''}/{before.outcome or ''}",
                f"{after.status}/{after.assignee or ''}/{after.outcome or ''}",
                {"version": after.version},
            )
        )


def _events(events: tuple[Any, ...]) -> list[dict[str, Any]]:
    return [event.to_record() for event in events]


def _brief(case: Case) -> dict[str, Any]:
    card = case.card
    return {
        "case_id": case.case_id,
        "kind": case.kind,
        "title": case.title,
        "card": None if card is None else {**card, "shown": shown(card)},
        "status": case.status,
        "assignee": case.assignee,
        "outcome": case.outcome,
        "decision": case.decision,
        "transaction_count": case.members,
        "opened_ms": case.opened_ms,
        "last_ms": case.last_ms,
        "version": case.version,
        "note_count": len(case.notes),
    }
