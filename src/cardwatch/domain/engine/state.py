"""What the engine knows of each card and each terminal, as small commutative pieces.

Nothing here is ever read, changed and written back whole. A transaction *adds* to
its card's and its terminal's state (:class:`StateChange`), and a label adds to the
label counts (:class:`LabelChange`): every piece is a counter that only grows (a sum
over a time bucket) or an item written once (a card event, a first-visit marker), so
concurrent changes commute and none is lost. Each change carries the transaction's id,
and a store applies it whole or not at all, once: a redelivered event changes nothing
twice, and a change that failed half-way is simply applied again.

The pieces, per card (``card#<token>``):

- its last :data:`RECENT_EVENTS` events (time, amount, terminal, coordinates), one item
  each, for the short windows, distinct terminals and the last location;
- a bucket per day (count, amount sum, frauds that became known that day);
- all-time totals (count, amount sum, sum of squares) for its norm.

Per terminal (``terminal#<id>``):

- a bucket per hour with a count per minute (so a one-hour window is exact to the
  minute) and the number of cards whose first visit of their calendar day fell in
  that minute (exact distinct counts, through a first-visit marker per card and day);
- a bucket per day (count, amount sum, labels by transaction day, frauds by the day
  they became known).

Amounts are kept in thousandths of a major unit (integers), so every sum is exact in
memory and in DynamoDB alike, and features computed from either are identical.

Per *spread* entity (``device#<id>``, ``ip#<network>``, ``bin#<first digits>``), the
same hour buckets and first-visit markers as a terminal's: how many distinct cards a
device, an address range or a card range saw in the last hour and day (card testing
spread over many cards). Per merchant category (``mcc#<code>``), day buckets of labels:
its fraud rate as the visible labels tell it.

**Concurrent transactions see each other.** Before it reads, a transaction registers:
its card event is written (so an invocation scoring the same card at the same moment
sees it in the card's short windows) and it claims the first-visit marker if no other
transaction of the card at that terminal and day has. The counters are added after
scoring, once.

**Event time.** A transaction counts in the buckets of its own timestamp. One that
arrives more than ``max_lateness_ms`` after it happened changes nothing (it is scored
against the state as it is, and reported); no bucket's lifetime depends on a late
event, so nothing old can expire or rewrite history.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from operator import attrgetter
from typing import Any, NamedTuple, Protocol

from cardwatch.domain.labels.history import Verdict
from cardwatch.domain.transaction.record import DAY_MS, HOUR_MS, MINUTE_MS

__all__ = [
    "CARD_FRAUD_DAYS",
    "CARD_SUMS",
    "DAY_MS",
    "DEFAULT_MAX_LATENESS_MS",
    "EVENT_RETENTION_DAYS",
    "FRAUD_KNOWN_DAYS",
    "HISTORY_DAYS",
    "HOUR_BUCKETS",
    "HOUR_MS",
    "LABEL_DAYS",
    "MINUTE_MS",
    "NO_KEYS",
    "RECENT_EVENTS",
    "TERMINAL_SUMS",
    "CardDay",
    "CardEvent",
    "CardState",
    "Keys",
    "LabelChange",
    "LabelDelta",
    "Snapshot",
    "StateChange",
    "TerminalDay",
    "TerminalHour",
    "TerminalState",
    "Verdict",
    "fold_past",
    "milli",
    "past_sums",
    "terminal_entity",
]

#: Day buckets kept (the longest window is 30 days).
HISTORY_DAYS = 30
#: A store drops a day bucket once it is more than ``HISTORY_DAYS + BUCKET_GRACE_DAYS``
#: days older than the newest change (the table by its time to live): a day that has
#: just left a window is still there to be taken out of a kept sum.
BUCKET_GRACE_DAYS = 2
#: Hour buckets read for a terminal: the one-day window, exact to the minute.
HOUR_BUCKETS = 25
#: A card's most recent events read for its short windows. A card with more in one day
#: reads as having this many (its count features saturate there, far past any norm);
#: the read stays bounded however busy the card is.
RECENT_EVENTS = 100
#: How far back labels count for a terminal, and how recent a known fraud is "recent".
LABEL_DAYS = 28
FRAUD_KNOWN_DAYS = 7
#: How long a card's confirmed fraud counts against it: it is read from the day buckets.
CARD_FRAUD_DAYS = HISTORY_DAYS
#: A card event is kept this long after it happened (its item's time to live): the
#: last-seen time and place of a card that comes back after weeks.
EVENT_RETENTION_DAYS = 90
#: Default: how late (after its timestamp) an event may arrive and still change state.
DEFAULT_MAX_LATENESS_MS = 2 * DAY_MS


def milli(amount: float) -> int:
    """An amount in thousandths of a major unit, the integer every sum is kept in."""
    return round(amount * 1000)


def terminal_entity(terminal_id: str) -> str:
    """A terminal's name among the entities that count distinct cards."""
    return f"terminal#{terminal_id}"


class Keys(NamedTuple):
    """The entities a transaction touches besides its card and its terminal."""

    #: entities that count distinct cards, as a terminal does: ``device#..``, ``ip#..``
    spread: tuple[str, ...] = ()
    #: the merchant category whose label counts it reads and adds to: ``mcc#<code>``
    category: str | None = None


#: no entities besides the card and the terminal
NO_KEYS = Keys()


class CardEvent(NamedTuple):
    transaction_id: str
    timestamp_ms: int
    amount_milli: int
    terminal_id: str
    latitude: float | None = None
    longitude: float | None = None
    device: str | None = None
    network: str | None = None  # the IP address's network (/24, /48)
    country: str | None = None
    channel: str | None = None


@dataclass(slots=True)
class CardDay:
    count: int = 0
    amount_milli: int = 0
    frauds_known: int = 0  # frauds on this card that became known on this day


@dataclass(slots=True)
class TerminalHour:
    count: int = 0
    #: Minute of the hour -> transactions, and cards on their first visit of the day.
    minutes: dict[int, int] = field(default_factory=dict)
    new_cards: dict[int, int] = field(default_factory=dict)


@dataclass(slots=True)
class TerminalDay:
    count: int = 0
    amount_milli: int = 0
    labelled: int = 0  # labels on transactions made this day
    frauds: int = 0  # ... of which fraud
    frauds_known: int = 0  # frauds at this terminal that became known this day


#: The sums over a state's finished days that the features read, in the order they
#: keep them: (counter, days) sums the counter over the days 1 to ``days - 1`` days old.
CARD_SUMS: tuple[tuple[str, int], ...] = (
    ("count", 7),
    ("amount_milli", 7),
    ("count", HISTORY_DAYS),
    ("amount_milli", HISTORY_DAYS),
    ("frauds_known", CARD_FRAUD_DAYS),
)
TERMINAL_SUMS: tuple[tuple[str, int], ...] = (
    ("count", 7),
    ("count", HISTORY_DAYS),
    ("amount_milli", HISTORY_DAYS),
    ("frauds_known", FRAUD_KNOWN_DAYS),
    ("frauds", LABEL_DAYS),
    ("labelled", LABEL_DAYS),
)
_LONGEST_SUM = max(days for _counter, days in CARD_SUMS + TERMINAL_SUMS)


#: how many days a kept :func:`past_sums` may be moved forward instead of summed afresh:
#: the buckets leaving its windows are then at most ``HISTORY_DAYS + BUCKET_GRACE_DAYS``
#: days old, still kept (and fewer than any window is long: a test holds both)
ADVANCE_DAYS = BUCKET_GRACE_DAYS + 1


def past_sums(
    days: dict[int, CardDay] | dict[int, TerminalDay],
    today: int,
    sums: tuple[tuple[str, int], ...],
    kept: tuple[float, ...] | None = None,
) -> tuple[float, ...]:
    """``today``, then each of ``sums`` over the day buckets before ``today`` (floats of
    integer sums: exact, whatever the order they are added in).

    ``kept``, the sums of a few days before (with every later change to their days
    folded in, :func:`fold_past`), is moved forward: the days that entered each window
    added, the days that left it taken away; a card read once a day reads two buckets
    per sum, not thirty.
    """
    if kept is not None and 0 < today - kept[0] <= ADVANCE_DAYS:
        return _advance(days, today, sums, kept)
    totals = [0.0] * len(sums)
    for day, bucket in days.items():
        age = today - day
        if 0 < age < _LONGEST_SUM:
            for i, (counter, window) in enumerate(sums):
                if age < window:
                    totals[i] += getattr(bucket, counter)
    return (float(today), *totals)


_Getter = Callable[[Any], tuple[int, ...]]


def _getter(counters: Sequence[str]) -> _Getter:
    """One call that reads ``counters`` of a bucket, always as a tuple."""
    if len(counters) == 1:
        one = attrgetter(counters[0])
        return lambda bucket: (one(bucket),)
    return attrgetter(*counters)


_Plan = tuple[_Getter, tuple[tuple[int, tuple[int, ...], _Getter], ...]]


def _plan(sums: tuple[tuple[str, int], ...]) -> _Plan:
    """How :func:`_advance` reads buckets for ``sums``: every counter at once, and each
    window's counters at once with their positions (once per table)."""
    windows: dict[int, list[int]] = {}
    for i, (_counter, window) in enumerate(sums):
        windows.setdefault(window, []).append(i)
    return _getter([counter for counter, _window in sums]), tuple(
        (window, tuple(members), _getter([sums[i][0] for i in members]))
        for window, members in windows.items()
    )


_PLANS = {id(sums): _plan(sums) for sums in (CARD_SUMS, TERMINAL_SUMS)}


def _advance(
    days: dict[int, CardDay] | dict[int, TerminalDay],
    today: int,
    sums: tuple[tuple[str, int], ...],
    kept: tuple[float, ...],
) -> tuple[float, ...]:
    """``kept`` moved forward to ``today`` (fewer days ahead than any window is long:
    every day since enters every window, and each window loses as many old days)."""
    before = int(kept[0])
    moved = list(kept[1:])
    every, windows = _PLANS.get(id(sums)) or _plan(sums)
    for day in range(before, today):
        bucket = days.get(day)
        if bucket is not None:
            for i, value in enumerate(every(bucket)):
                moved[i] += value
    for window, members, values in windows:
        for day in range(before - window + 1, today - window + 1):
            bucket = days.get(day)
            if bucket is not None:
                for i, value in zip(members, values(bucket), strict=True):
                    moved[i] -= value
    return (float(today), *moved)


def fold_past(
    past: tuple[float, ...] | None,
    sums: tuple[tuple[str, int], ...],
    day: int,
    counter: str,
    amount: int,
) -> tuple[float, ...] | None:
    """``past`` (from :func:`past_sums`) once ``counter`` of ``day`` moved by ``amount``:
    the same numbers :func:`past_sums` would give afresh, without reading every day."""
    if past is None or day >= past[0]:
        return past  # nothing kept, or a day that is read live
    age = int(past[0]) - day
    totals = list(past)
    for i, (name, window) in enumerate(sums, start=1):
        if name == counter and age < window:
            totals[i] += amount
    return tuple(totals)


@dataclass(slots=True)
class CardState:
    """A card's state as read: recent events in time order, day buckets, totals."""

    events: deque[CardEvent] = field(default_factory=deque)  # oldest first
    days: dict[int, CardDay] = field(default_factory=dict)
    count: int = 0
    amount_milli: int = 0
    squares: int = 0  # sum of squared amounts, in millionths
    #: :func:`past_sums` of :data:`CARD_SUMS` for one day, kept for the next read that
    #: day: a store that changes a bucket of an earlier day folds the change in
    #: (:func:`fold_past`)
    past: tuple[float, ...] | None = field(default=None, compare=False, repr=False)


@dataclass(slots=True)
class TerminalState:
    hours: dict[int, TerminalHour] = field(default_factory=dict)
    days: dict[int, TerminalDay] = field(default_factory=dict)
    #: as :attr:`CardState.past`, of :data:`TERMINAL_SUMS`
    past: tuple[float, ...] | None = field(default=None, compare=False, repr=False)


@dataclass(slots=True)
class Snapshot:
    """The state a transaction is scored against."""

    card: CardState
    terminal: TerminalState
    #: The transaction itself is already part of the state (an earlier attempt applied it).
    applied: bool = False
    #: each spread entity's hours (entity -> state), for those the transaction has
    spread: dict[str, TerminalState] = field(default_factory=dict)
    #: the merchant category's label days, when the transaction has one
    category: TerminalState | None = None


class StateChange(NamedTuple):
    """What one transaction adds to its card's, its terminal's and its spread entities'
    state.

    ``claimed``: the entities (``terminal#..``, ``device#..``, ...) whose first-visit
    marker for the card and day this transaction holds (:meth:`StateStore.register`), so
    it counts the card among their distinct cards.
    """

    card_key: str
    terminal_id: str
    event: CardEvent
    claimed: frozenset[str] = frozenset()
    keys: Keys = Keys()

    @property
    def first_visit_today(self) -> bool:
        return terminal_entity(self.terminal_id) in self.claimed

    @property
    def visited(self) -> tuple[str, ...]:
        """Every entity that counts the card's first visit: the terminal, then the rest."""
        return (terminal_entity(self.terminal_id), *self.keys.spread)

    @property
    def day(self) -> int:
        return self.event.timestamp_ms // DAY_MS

    @property
    def hour(self) -> int:
        return self.event.timestamp_ms // HOUR_MS

    @property
    def minute(self) -> int:
        return self.event.timestamp_ms // MINUTE_MS % 60


#: A label's change to one counter: (entity kind, entity key, day, counter, amount).
#: Kinds: ``card`` (its day's ``frauds_known``), ``terminal`` (``labelled``, ``frauds``,
#: ``frauds_known``) and ``place`` (a merchant category: ``labelled``, ``frauds``).
LabelDelta = tuple[str, str, int, str, int]


@dataclass(frozen=True, slots=True)
class LabelChange:
    """What a confirmed label adds: counts by the transaction's day and the day known.

    A correction (``previous`` set) takes the earlier verdict's counts away and adds the
    new one's, so whatever order the changes of one transaction are applied in, the
    state holds its latest verdict once. Each change is applied once per
    (``transaction_id``, ``version``)."""

    transaction_id: str
    card_key: str
    terminal_id: str
    transaction_ms: int
    is_fraud: bool
    known_ms: int
    category: str | None = None  # ``mcc#<code>``: its label counts learn it too
    #: the verdict this one replaces (None: the transaction's first)
    previous: Verdict | None = None
    #: which of the transaction's verdicts this is (1: the first)
    version: int = 1

    @property
    def transaction_day(self) -> int:
        return self.transaction_ms // DAY_MS

    @property
    def known_day(self) -> int:
        return self.known_ms // DAY_MS

    @property
    def applied_key(self) -> str:
        """What marks this change applied: the transaction, and the version after 1."""
        suffix = "" if self.version == 1 else f"#v{self.version}"
        return f"{self.transaction_id}{suffix}"

    def deltas(self) -> list[LabelDelta]:
        """Every counter this change moves, and by how much (both stores apply these).

        A replaced verdict's counts on a day past the history window have already left
        every read; they are not taken from a bucket that no longer exists."""
        made = self.transaction_day
        moves: list[LabelDelta] = []

        def verdict(sign: int, fraud: bool, known: int) -> None:
            if fraud:
                moves.append(("card", self.card_key, known, "frauds_known", sign))
                moves.append(("terminal", self.terminal_id, known, "frauds_known", sign))
            moves.append(("terminal", self.terminal_id, made, "labelled", sign))
            moves.append(("terminal", self.terminal_id, made, "frauds", sign * fraud))
            if self.category is not None:  # by the day it became known, as read
                moves.append(("place", self.category, known, "labelled", sign))
                moves.append(("place", self.category, known, "frauds", sign * fraud))

        if self.previous is None:  # one verdict: each counter moves at most once
            verdict(1, self.is_fraud, self.known_day)
            return [move for move in moves if move[4]]
        if self.previous.known_day > self.known_day - HISTORY_DAYS:
            verdict(-1, self.previous.is_fraud, self.previous.known_day)
        verdict(1, self.is_fraud, self.known_day)
        summed: dict[tuple[str, str, int, str], int] = {}
        for kind, key, day, counter, amount in moves:
            summed[(kind, key, day, counter)] = summed.get((kind, key, day, counter), 0) + amount
        return [(*where, amount) for where, amount in summed.items() if amount]


class StateStore(Protocol):
    """Where card and terminal state lives (in memory, or the profile table)."""

    def read(
        self, card_key: str, terminal_id: str, transaction_id: str, at_ms: int, keys: Keys = ...
    ) -> Snapshot:
        """The state before ``at_ms``: what a transaction at that moment is scored on,
        with the spread entities and the merchant category ``keys`` names."""
        ...

    def register(self, change: StateChange) -> frozenset[str]:
        """Make the transaction's card event visible to every later read, and claim the
        card's first visit that day at the terminal and at each spread entity; the
        entities whose claim this transaction holds (it may have made them on an
        earlier attempt). Idempotent."""
        ...

    def apply(self, change: StateChange) -> bool:
        """Add ``change`` (registered before), whole, once; False when it was applied
        before."""
        ...

    def apply_label(self, change: LabelChange) -> bool:
        """Add a label, whole, once per transaction; False when it was applied before."""
        ...
