"""A case: what an analyst works as one.

A card's flagged transactions join the card's open case while its episode lasts (the
last one joined less than :data:`EPISODE_MS` before); after that, or once the case is
closed, the next one opens a new case. A pattern that analyze finds in a window (a
terminal's spree, a card's testing run, a BIN's attack) opens a case of its own with
the window's transactions. A case's id is the id of what opened it, so a finding
delivered twice opens one case.

A case carries its status (open, assigned, closed with an outcome), its assignee, a
thread of notes and a history of what was done to it, each with its author (an IAM
principal) and time. Labels stay on the transactions (:mod:`cardwatch.domain.labels`);
the case's history says who labelled which, and how many.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from cardwatch.domain.digest import text_digest
from cardwatch.domain.engine.alerts import Finding
from cardwatch.domain.engine.state import DAY_MS
from cardwatch.domain.errors import FieldProblem, InvalidTransaction
from cardwatch.domain.transaction import strict_json

__all__ = [
    "EPISODE_MS",
    "MAX_HISTORY",
    "MAX_MEMBERS",
    "MAX_NOTES",
    "OUTCOMES",
    "STATUSES",
    "Case",
    "CaseAction",
    "CaseChangeRefused",
    "CaseEvent",
    "Joined",
    "Member",
    "Opening",
    "opening_of",
    "parse_action",
    "search_key",
    "shown",
]

#: A card's flagged transactions join its open case while the last one joined is newer
EPISODE_MS = DAY_MS
#: what a case holds at most: members (a larger run opens the next case), notes, events
MAX_MEMBERS = 500
#: notes and history share the case's item (DynamoDB's 400 KB): 100 notes of 500
#: characters of up to 4 bytes each, and 200 events of a few hundred bytes, fit
MAX_NOTES = 100
MAX_HISTORY = 200
STATUSES = ("open", "assigned", "closed")
OUTCOMES = ("fraud", "genuine", "mixed", "no_action")
#: how bad a case is: its worst member's decision
_DECISION_RANK = {"allow": 0, "review": 1, "block": 2}
#: what a search key names (a card by token, or by BIN and last four; a user; a terminal)
SEARCH_KINDS = ("token", "card", "user", "terminal", "merchant", "bin")


class CaseChangeRefused(Exception):
    """A change a case's state does not allow (closing a closed case, labelling a
    transaction not in it): a 409 naming the field."""

    def __init__(self, field_name: str, message: str) -> None:
        self.field = field_name
        super().__init__(f"{field_name}: {message}")


def search_key(kind: str, value: str) -> str:
    """The search index's key of ``value`` as a ``kind`` (``card`` is ``BIN:last4``)."""
    return f"{kind}:{value}"


@dataclass(frozen=True, slots=True)
class Member:
    """A transaction in a case, as the finding that brought it named it."""

    transaction_id: str
    timestamp_ms: int | None = None
    decision: str | None = None
    score: float | None = None
    amount: str | None = None
    currency: str | None = None
    terminal_id: str | None = None
    user_id: str | None = None
    merchant_id: str | None = None
    #: the reasons, each with its words (``detail``) as the alert says them
    reasons: tuple[dict[str, str], ...] = ()

    def to_record(self) -> dict[str, Any]:
        record = {
            "transaction_id": self.transaction_id,
            "timestamp_ms": self.timestamp_ms,
            "decision": self.decision,
            "score": self.score,
            "amount": self.amount,
            "currency": self.currency,
            "terminal_id": self.terminal_id,
            "user_id": self.user_id,
            "merchant_id": self.merchant_id,
            "reasons": [dict(reason) for reason in self.reasons],
        }
        return {key: value for key, value in record.items() if value not in (None, [])}

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> Member:
        score = record.get("score")
        stamp = record.get("timestamp_ms")
        return cls(
            str(record["transaction_id"]),
            None if stamp is None else int(stamp),
            record.get("decision"),
            None if score is None else float(score),
            record.get("amount"),
            record.get("currency"),
            record.get("terminal_id"),
            record.get("user_id"),
            record.get("merchant_id"),
            tuple(dict(reason) for reason in record.get("reasons", [])),
        )


@dataclass(frozen=True, slots=True)
class Opening:
    """What a finding asks of the cases: join ``entity``'s open case (``episodic``), or
    open ``case_id`` for itself; ``members`` join it; ``keys`` find it."""

    case_id: str
    kind: str  # card, terminal, bin
    entity: str
    title: str
    episodic: bool
    at_ms: int
    decision: str
    members: tuple[Member, ...]
    keys: frozenset[str]
    card: dict[str, str] | None = None


@dataclass(frozen=True, slots=True)
class CaseEvent:
    """One thing done to a case, by whom and when (a note is one too)."""

    action: str  # open, join, assign, unassign, close, reopen, label, note
    by: str
    at_ms: int
    detail: dict[str, Any] = field(default_factory=dict)

    def to_record(self) -> dict[str, Any]:
        return {"action": self.action, "by": self.by, "at_ms": self.at_ms, "detail": self.detail}

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> CaseEvent:
        return cls(
            str(record["action"]),
            str(record["by"]),
            int(record["at_ms"]),
            dict(record.get("detail", {})),
        )


@dataclass(frozen=True, slots=True)
class Case:
    case_id: str
    kind: str
    entity: str
    title: str
    opened_ms: int
    last_ms: int
    decision: str
    members: int
    status: str = "open"
    assignee: str | None = None
    outcome: str | None = None
    card: dict[str, str] | None = None
    notes: tuple[CaseEvent, ...] = ()
    history: tuple[CaseEvent, ...] = ()
    #: the number of changes made to it (a change is made to the version it read)
    version: int = 0

    @classmethod
    def opened(cls, opening: Opening, case_id: str, opened_ms: int) -> Case:
        return cls(
            case_id,
            opening.kind,
            opening.entity,
            opening.title,
            opened_ms,
            opened_ms,
            opening.decision,
            0,
            card=opening.card,
        )

    def to_record(self) -> dict[str, Any]:
        return {
            "case_id": self.case_id,
            "kind": self.kind,
            "entity": self.entity,
            "title": self.title,
            "opened_ms": self.opened_ms,
            "last_ms": self.last_ms,
            "decision": self.decision,
            "members": self.members,
            "status": self.status,
            "assignee": self.assignee,
            "outcome": self.outcome,
            "card": self.card,
            "notes": [note.to_record() for note in self.notes],
            "history": [event.to_record() for event in self.history],
            "version": self.version,
        }

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> Case:
        return cls(
            str(record["case_id"]),
            str(record["kind"]),
            str(record["entity"]),
            str(record["title"]),
            int(record["opened_ms"]),
            int(record["last_ms"]),
            str(record["decision"]),
            int(record["members"]),
            str(record.get("status", "open")),
            record.get("assignee"),
            record.get("outcome"),
            None if record.get("card") is None else dict(record["card"]),
            tuple(CaseEvent.from_record(dict(note)) for note in record.get("notes", [])),
            tuple(CaseEvent.from_record(dict(event)) for event in record.get("history", [])),
            int(record.get("version", 0)),
        )

    @property
    def queue(self) -> str:
        """The status queue it is listed in."""
        return self.status

    def worse(self, decision: str) -> str:
        """The case's decision once a member decided ``decision`` joins."""
        ranked = max((self.decision, decision), key=lambda d: _DECISION_RANK.get(d, 0))
        return ranked

    def applying(self, action: CaseAction, by: str, at_ms: int, labelled: int = 0) -> Case:
        """The case after ``action`` by ``by`` (a label's transactions are labelled by
        the caller; ``labelled`` says how many)."""
        event = CaseEvent(action.action, by, at_ms, action.detail(labelled))
        if action.action in ("note", "label"):
            changed = self._noted(action, by, at_ms)
        else:
            changed = self._moved(action, by)
            if action.note:  # a close's reason, in the thread
                if len(self.notes) >= MAX_NOTES:
                    raise CaseChangeRefused("note", f"a case holds at most {MAX_NOTES} notes")
                note = CaseEvent("note", by, at_ms, {"text": action.note})
                changed = replace(changed, notes=(*changed.notes, note))
            if action.action == "assign":
                event = replace(event, detail={"assignee": changed.assignee})
        history = changed.history[1:] if len(changed.history) >= MAX_HISTORY else changed.history
        return replace(changed, history=(*history, event), version=self.version + 1)

    def _noted(self, action: CaseAction, by: str, at_ms: int) -> Case:
        """A note, or a label (its note in the thread; closing when it says so)."""
        if action.action == "label" and action.close and self.status == "closed":
            raise CaseChangeRefused("close", "the case is closed already")
        changed = self
        text = action.note
        if text:
            if len(self.notes) >= MAX_NOTES:
                raise CaseChangeRefused("note", f"a case holds at most {MAX_NOTES} notes")
            changed = replace(
                self, notes=(*self.notes, CaseEvent("note", by, at_ms, {"text": text}))
            )
        if action.action == "label" and action.close:
            changed = replace(changed, status="closed", outcome=action.label)
        return changed

    def _moved(self, action: CaseAction, by: str) -> Case:
        """An assignment or a status change, where the status allows it."""
        closed = self.status == "closed"
        if action.action == "reopen":
            if not closed:
                raise CaseChangeRefused("action", "only a closed case is reopened")
            return replace(self, status="open", outcome=None, assignee=None)
        if closed:
            raise CaseChangeRefused("action", "the case is closed; reopen it first")
        if action.action == "assign":
            assignee = by if action.assignee in (None, "me") else action.assignee
            return replace(self, status="assigned", assignee=assignee)
        if action.action == "unassign":
            return replace(self, status="open", assignee=None)
        return replace(self, status="closed", outcome=action.outcome)


@dataclass(frozen=True, slots=True)
class CaseAction:
    """One change an analyst asks of a case (``POST /cases/{case_id}``)."""

    action: str  # note, assign, unassign, close, reopen, label
    note: str = ""
    assignee: str | None = None
    outcome: str | None = None
    label: str | None = None
    #: a label's transactions: the chosen ones, or None for the whole case
    transaction_ids: tuple[str, ...] | None = None
    #: a label that also closes the case, with the label as its outcome
    close: bool = False
    #: the case's version the analyst read (None: the case as it is now)
    version: int | None = None

    def detail(self, labelled: int = 0) -> dict[str, Any]:
        """What the history keeps of it: never a note's text beside a label (a note
        is in the thread), a digest instead."""
        if self.action == "note":
            return {}  # its text is in the thread, once
        if self.action == "close":
            return {"outcome": self.outcome}
        if self.action == "label":
            kept: dict[str, Any] = {"label": self.label, "transactions": labelled}
            if self.close:
                kept["closed"] = True
            if self.note:
                kept["note_sha256"] = text_digest(self.note)
            return kept
        return {}


#: what each action needs in its body, beyond ``action``
_NEEDS = {
    "note": ("note",),
    "assign": (),
    "unassign": (),
    "close": ("outcome",),
    "reopen": (),
    "label": ("label",),
}
#: what each action may carry
_TAKES = {
    "note": {"note", "version"},
    "assign": {"assignee", "version"},
    "unassign": {"version"},
    "close": {"outcome", "note", "version"},
    "reopen": {"version"},
    "label": {"label", "transaction_ids", "note", "close", "version"},
}


def parse_action(body: str | bytes) -> CaseAction:
    """A case action's body, checked against ``case_action.schema.json`` (card data and
    CVVs refused, as everywhere), then what its action needs and takes."""
    # the contract's checks load with the first action: the ports name this module,
    # and detect, which imports the ports, never reads a request's body
    from cardwatch.domain.transaction.validation import contract_problems  # noqa: PLC0415

    document = strict_json.loads(body)
    problems = contract_problems(document, "case_action")
    if problems:
        raise InvalidTransaction(problems)
    action = document["action"]
    problems = [
        FieldProblem(name, f"is required to {action} a case")
        for name in _NEEDS[action]
        if name not in document
    ] + [
        FieldProblem(name, f"is not taken by {action}")
        for name in sorted(document)
        if name != "action" and name not in _TAKES[action]
    ]
    if problems:
        raise InvalidTransaction(problems)
    chosen = document.get("transaction_ids")
    return CaseAction(
        action,
        document.get("note", ""),
        document.get("assignee"),
        document.get("outcome"),
        document.get("label"),
        None if chosen is None else tuple(chosen),
        bool(document.get("close", False)),
        document.get("version"),
    )


def _card_view(finding: Finding) -> dict[str, str] | None:
    """BIN and last four from the finding's masked card (``BIN******last4``)."""
    masked = finding.masked_card or ""
    if "*" not in masked:
        return None
    head, tail = masked.split("*", 1)[0], masked.rsplit("*", 1)[-1]
    return {"bin": head, "last4": tail}


def shown(card: dict[str, str]) -> str:
    """A card as people read it: BIN, three dots, last four."""
    return f"{card['bin']}\u2022\u2022\u2022{card['last4']}"


def _keys(
    members: Iterable[Member], card: dict[str, str] | None, token: str | None
) -> frozenset[str]:
    keys = set()
    if token:
        keys.add(search_key("token", token))
    if card:
        keys.add(search_key("card", f"{card['bin']}:{card['last4']}"))
        keys.add(search_key("bin", card["bin"]))
    for member in members:
        if member.user_id:
            keys.add(search_key("user", member.user_id))
        if member.terminal_id:
            keys.add(search_key("terminal", member.terminal_id))
        if member.merchant_id:
            keys.add(search_key("merchant", member.merchant_id))
    return frozenset(keys)


def opening_of(finding: Finding, at_ms: int) -> Opening:
    """The case a finding opens or joins. A transaction's joins its card's episode; a
    pattern's opens a case of its own, its members the window's transactions."""
    card = _card_view(finding)
    if finding.kind == "transaction":
        member = Member(
            finding.finding_id,
            finding.occurred_ms if finding.occurred_ms is not None else at_ms,
            finding.decision,
            finding.score,
            finding.amount,
            finding.currency,
            finding.terminal_id,
            finding.user_id,
            finding.merchant_id,
            finding.reasons,
        )
        chosen: tuple[Member, ...] = (member,)
        return Opening(
            finding.finding_id,
            "card",
            f"card:{finding.subject_key}",
            f"card {shown(card) if card else finding.masked_card}",
            episodic=True,
            at_ms=at_ms,
            decision=finding.decision,
            members=chosen,
            keys=_keys(chosen, card, finding.subject_key),
            card=card,
        )
    pattern = finding.reasons[0]["code"] if finding.reasons else "PATTERN"
    ids = (finding.details or {}).get("transaction_ids") or (finding.details or {}).get(
        "sample_transaction_ids", []
    )
    chosen = tuple(Member(str(each)) for each in ids[:MAX_MEMBERS])
    subject = finding.subject_key.split(":", 1)[-1]
    kind = {"TERMINAL_SPREE": "terminal", "BIN_ATTACK": "bin"}.get(pattern, "card")
    token = subject if kind == "card" else None
    keys = set(_keys(chosen, card, token))
    if kind == "terminal":
        keys.add(search_key("terminal", subject))
    if kind == "bin":
        keys.add(search_key("bin", subject))
    about = (shown(card) if card else None) or finding.terminal_id or subject
    return Opening(
        "pattern-" + text_digest(finding.finding_id)[:24],
        kind,
        f"{kind}:{subject}",
        f"{pattern} {about}",
        episodic=False,
        at_ms=at_ms,
        decision=finding.decision,
        members=chosen,
        keys=frozenset(keys),
        card=card,
    )


@dataclass(frozen=True, slots=True)
class Joined:
    """What a join did: ``case_id`` the case the member is in (None: the case closed or
    filled before it could join), and whether this join put it there."""

    case_id: str | None
    joined: bool


@dataclass(frozen=True, slots=True)
class CaseQuery:
    """A page of cases: those under one search key (``key``), or of one status
    (``status``), opened with ``since_ms <= opened <= until_ms``; newest first unless
    ``oldest_first``; after ``after`` (the last page's last case: opened, id)."""

    since_ms: int
    until_ms: int
    key: str | None = None
    status: str | None = None
    limit: int = 25
    oldest_first: bool = False
    after: tuple[int, str] | None = None
