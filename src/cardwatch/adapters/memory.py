""":class:`~cardwatch.domain.engine.state.StateStore` in memory: the backtest's, and the tests'.

Same pieces and the same rules as the profile table (a test streams one history through
both and compares every feature vector): recent events per card, day buckets, terminal
hours with per-minute counts, first-visit markers, one application per transaction id
and per label, and nothing older than the lateness limit changes anything. A read hands
out the live state (the features skip what is later than the transaction), so a
backtest copies nothing per transaction.
"""

from __future__ import annotations

import bisect
import heapq
from collections import Counter, deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from cardwatch.domain.engine.budget import count_bins
from cardwatch.domain.engine.model_pointer import (
    ModelPointer,
    PointerError,
    VersionTaken,
    valid_version,
)
from cardwatch.domain.engine.state import (
    BUCKET_GRACE_DAYS,
    CARD_SUMS,
    DAY_MS,
    DEFAULT_MAX_LATENESS_MS,
    EVENT_RETENTION_DAYS,
    HISTORY_DAYS,
    HOUR_BUCKETS,
    HOUR_MS,
    NO_KEYS,
    RECENT_EVENTS,
    TERMINAL_SUMS,
    CardDay,
    CardEvent,
    CardState,
    Keys,
    LabelChange,
    Snapshot,
    StateChange,
    TerminalDay,
    TerminalHour,
    TerminalState,
    fold_past,
    terminal_entity,
)

__all__ = ["InFlight", "InFlightState", "InMemoryState"]

_PRUNE_EVERY = 50_000
#: Buckets past their window are dropped in batches of about this many (amortized).
_SLACK = 8


def _forget(buckets: dict[int, Any], oldest_kept: int) -> None:
    """Drop the buckets older than ``oldest_kept`` once a few have piled up."""
    if len(buckets) > _SLACK and next(iter(buckets)) < oldest_kept - _SLACK:
        for old in [key for key in buckets if key < oldest_kept]:
            del buckets[old]


@dataclass(slots=True)
class _Terminal:
    state: TerminalState = field(default_factory=TerminalState)
    #: day -> card -> the transaction that claimed its first visit (the markers)
    visits: dict[int, dict[str, str]] = field(default_factory=dict)
    latest_hour: int = 0


class InMemoryState:
    def __init__(self, max_lateness_ms: int = DEFAULT_MAX_LATENESS_MS) -> None:
        self.max_lateness_ms = max_lateness_ms
        self.cards: dict[str, CardState] = {}
        self.terminals: dict[str, _Terminal] = {}
        #: spread entities and merchant categories, by entity name
        self.places: dict[str, _Terminal] = {}
        #: transaction id -> its timestamp, for every change applied within the lateness
        #: limit of the newest (an older one cannot be applied again anyway)
        self._applied: dict[str, int] = {}
        self._labelled: set[str] = set()
        #: transactions whose card event was written (registered)
        self._registered: set[str] = set()
        self._newest_ms = 0
        self._since_prune = 0

    # -- reads ----------------------------------------------------------------------
    def read(
        self,
        card_key: str,
        terminal_id: str,
        transaction_id: str,
        at_ms: int,
        keys: Keys = NO_KEYS,
    ) -> Snapshot:
        card, terminal = self._card(card_key), self._terminal(terminal_id)
        return Snapshot(
            card,
            terminal.state,
            applied=transaction_id in self._applied,
            spread={key: self._place(key).state for key in keys.spread},
            category=None if keys.category is None else self._place(keys.category).state,
        )

    def _place(self, key: str) -> _Terminal:
        place = self.places.get(key)
        if place is None:
            place = self.places[key] = _Terminal()
        return place

    def _card(self, key: str) -> CardState:
        card = self.cards.get(key)
        if card is None:
            card = self.cards[key] = CardState(events=deque(maxlen=RECENT_EVENTS))
        return card

    def _terminal(self, key: str) -> _Terminal:
        terminal = self.terminals.get(key)
        if terminal is None:
            terminal = self.terminals[key] = _Terminal()
        return terminal

    def register(self, change: StateChange) -> frozenset[str]:
        self._register_event(change)
        claimed = []
        if self._claim(self._terminal(change.terminal_id), change):
            claimed.append(terminal_entity(change.terminal_id))
        for key in change.keys.spread:
            if self._claim(self._place(key), change):
                claimed.append(key)
        return frozenset(claimed)

    def _claim(self, place: _Terminal, change: StateChange) -> bool:
        owner, day = change.event.transaction_id, change.day
        owners = place.visits.get(day)
        if owners is None:
            owners = place.visits[day] = {}
            _forget(place.visits, day - self._lateness_days() - 1)
        return owners.setdefault(change.card_key, owner) == owner

    # -- changes --------------------------------------------------------------------
    def apply(self, change: StateChange) -> bool:
        event = change.event
        if event.transaction_id in self._applied:
            return False
        self._applied[event.transaction_id] = event.timestamp_ms
        self._newest_ms = max(self._newest_ms, event.timestamp_ms)
        self._take_effect(change)
        return True

    def _take_effect(self, change: StateChange) -> None:
        """The applied change's counters, the card's and the shared entities', now."""
        self._add_card(change)
        self._add_terminal(change)
        self._count_applied()

    def _count_applied(self) -> None:
        self._since_prune += 1
        if self._since_prune >= _PRUNE_EVERY:
            self._prune()

    def _add_card(self, change: StateChange) -> None:
        event = change.event
        card = self._register_event(change)  # a no-op when registered, as it should be
        bucket = self._card_day(card, change.day)
        amount = event.amount_milli
        bucket.count += 1
        bucket.amount_milli += amount
        if card.past is not None and change.day < card.past[0]:  # a late event
            card.past = fold_past(card.past, CARD_SUMS, change.day, "count", 1)
            card.past = fold_past(card.past, CARD_SUMS, change.day, "amount_milli", amount)
        card.count += 1
        card.amount_milli += amount
        card.squares += amount * amount

    def _register_event(self, change: StateChange) -> CardState:
        """The card, with the change's event among its events (once)."""
        card, event = self._card(change.card_key), change.event
        if event.transaction_id not in self._registered:
            self._registered.add(event.transaction_id)
            self._add_event(card, event)
        return card

    @staticmethod
    def _card_day(card: CardState, day: int) -> CardDay:
        """The card's bucket of ``day``, made if it is new."""
        bucket = card.days.get(day)
        if bucket is None:
            bucket = card.days[day] = CardDay()
            _forget(card.days, day - HISTORY_DAYS - BUCKET_GRACE_DAYS)
        return bucket

    @staticmethod
    def _add_event(card: CardState, event: CardEvent) -> None:
        events = card.events
        if not events or events[-1].timestamp_ms <= event.timestamp_ms:
            events.append(event)
        else:  # late: keep time order (the deque keeps the newest RECENT_EVENTS)
            ordered = list(events)
            bisect.insort(ordered, event, key=lambda e: e.timestamp_ms)
            events.clear()
            events.extend(ordered[-RECENT_EVENTS:])

    def _add_terminal(self, change: StateChange) -> None:
        terminal = self._terminal(change.terminal_id)
        self._add_hour(terminal, change, new_card=change.first_visit_today)
        for key in change.keys.spread:
            self._add_hour(self._place(key), change, new_card=key in change.claimed)
        state, day, amount = terminal.state, change.day, change.event.amount_milli
        daily = self._terminal_day(state, day)
        daily.count += 1
        daily.amount_milli += amount
        if state.past is not None and day < state.past[0]:  # a late event
            state.past = fold_past(state.past, TERMINAL_SUMS, day, "count", 1)
            state.past = fold_past(state.past, TERMINAL_SUMS, day, "amount_milli", amount)

    def _add_hour(self, place: _Terminal, change: StateChange, *, new_card: bool) -> None:
        state, hour, minute = place.state, change.hour, change.minute
        bucket = state.hours.get(hour)
        if bucket is None:
            bucket = state.hours[hour] = TerminalHour()
            if hour > place.latest_hour:
                place.latest_hour = hour
                _forget(state.hours, hour - HOUR_BUCKETS - self.max_lateness_ms // HOUR_MS - 1)
        bucket.count += 1
        bucket.minutes[minute] = bucket.minutes.get(minute, 0) + 1
        if new_card:
            bucket.new_cards[minute] = bucket.new_cards.get(minute, 0) + 1

    def _lateness_days(self) -> int:
        return self.max_lateness_ms // DAY_MS + 1

    @staticmethod
    def _terminal_day(state: TerminalState, day: int) -> TerminalDay:
        """As :meth:`_card_day`, for a terminal's or a category's day."""
        bucket = state.days.get(day)
        if bucket is None:
            bucket = state.days[day] = TerminalDay()
            _forget(state.days, day - HISTORY_DAYS - BUCKET_GRACE_DAYS)
        return bucket

    def apply_label(self, change: LabelChange) -> bool:
        if change.applied_key in self._labelled:
            return False
        self._labelled.add(change.applied_key)
        for kind, key, day, counter, amount in change.deltas():
            state: CardState | TerminalState
            if kind == "card":
                state = self._card(key)
                bucket: CardDay | TerminalDay = self._card_day(state, day)
                sums = CARD_SUMS
            else:
                place = self._terminal(key) if kind == "terminal" else self._place(key)
                state, sums = place.state, TERMINAL_SUMS
                bucket = self._terminal_day(state, day)
            setattr(bucket, counter, getattr(bucket, counter) + amount)
            state.past = fold_past(state.past, sums, day, counter, amount)
        return True

    def _prune(self) -> None:
        """Forget applied ids as the table forgets their events (their time to live).

        Ids are kept in the order they were applied, which is time order but for late
        events: the oldest are dropped from the front, up to the first one still kept
        (a late event's id is kept until the ids before it go, never dropped early)."""
        self._since_prune = 0
        horizon = self._newest_ms - EVENT_RETENTION_DAYS * DAY_MS
        expired = []
        for transaction_id, timestamp_ms in self._applied.items():
            if timestamp_ms >= horizon:
                break
            expired.append(transaction_id)
        for transaction_id in expired:
            del self._applied[transaction_id]
            self._registered.discard(transaction_id)


@dataclass(frozen=True, slots=True)
class InFlight:
    """How far behind the deployment's state a transaction's effects land, in event
    time: the card's counters once its detect invocation's transaction commits
    (``apply_ms`` after it arrives), the shared entities' once aggregate folds the
    profile stream's batch (``fold_ms``, its batching window and invocation)."""

    apply_ms: int = 25
    fold_ms: int = 1_000


class InFlightState(InMemoryState):
    """:class:`InMemoryState` as the deployment serves it under load: a transaction's
    event is registered at once (the card's recent events never lag), its card counters
    land ``apply_ms`` later and its terminal's and spread entities' ``fold_ms`` later,
    so a replay's rows are the rows detect serves, not a sequential ideal."""

    def __init__(self, in_flight: InFlight | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.in_flight = in_flight or InFlight()
        self._due: list[tuple[int, int, bool, StateChange]] = []
        self._sequence = 0

    def read(
        self,
        card_key: str,
        terminal_id: str,
        transaction_id: str,
        at_ms: int,
        keys: Keys = NO_KEYS,
    ) -> Snapshot:
        self._land(at_ms)
        return super().read(card_key, terminal_id, transaction_id, at_ms, keys)

    def _take_effect(self, change: StateChange) -> None:
        """The counters later: the card's when detect's transaction commits, the shared
        entities' when aggregate folds; the event is seen at once (registered)."""
        self._register_event(change)
        at = change.event.timestamp_ms
        for shared, delay in ((False, self.in_flight.apply_ms), (True, self.in_flight.fold_ms)):
            self._sequence += 1
            heapq.heappush(self._due, (at + delay, self._sequence, shared, change))

    def _land(self, now_ms: int) -> None:
        """Everything due by ``now_ms``, in the order it was due."""
        while self._due and self._due[0][0] <= now_ms:
            _, _, shared, change = heapq.heappop(self._due)
            if shared:
                self._add_terminal(change)
            else:
                self._add_card(change)
                self._count_applied()


class InMemoryModelRegistry:
    """:class:`~cardwatch.domain.ports.ModelRegistry` in a dictionary; each pointer written
    is kept (``pointers``)."""

    def __init__(self) -> None:
        self.artifacts: dict[str, str] = {}
        self.pointers: list[ModelPointer] = [ModelPointer()]

    def pointer(self) -> ModelPointer:
        return self.pointers[-1]

    def move(self, pointer: ModelPointer) -> None:
        self.pointers.append(pointer)

    def publish(self, version: str, artifact: str) -> None:
        if not valid_version(version):
            raise PointerError(f"not a model version name: {version[:100]!r}")
        if self.artifacts.setdefault(version, artifact) != artifact:
            raise VersionTaken(f"model version {version} is published already")

    def artifact(self, version: str) -> str:
        if not valid_version(version):
            raise PointerError(f"not a model version name: {version[:100]!r}")
        return self.artifacts[version]

    def versions(self) -> list[str]:
        return sorted(self.artifacts)  # a version starts with its UTC time: oldest first


class InMemoryScoreLog:
    """:class:`~cardwatch.domain.ports.ScoreLog` in memory: the backtest's, and the tests'."""

    def __init__(self) -> None:
        self.days: dict[int, Counter[int]] = {}
        self.windows: set[int] = set()

    def fold(self, window_start_ms: int, scores: Iterable[float]) -> bool:
        """Add a finished window's scores, once per window; False if it was folded."""
        if window_start_ms in self.windows:
            return False
        self.windows.add(window_start_ms)
        self.days.setdefault(window_start_ms // DAY_MS, Counter()).update(count_bins(scores))
        return True

    def counts(self, first_day: int, last_day: int) -> Counter[int]:
        """Counts of the days ``first_day <= day < last_day``, added up."""
        total: Counter[int] = Counter()
        for counts in self.daily_counts(first_day, last_day).values():
            total.update(counts)
        return total

    def daily_counts(self, first_day: int, last_day: int) -> dict[int, Counter[int]]:
        return {
            day: Counter(counts)
            for day, counts in sorted(self.days.items())
            if first_day <= day < last_day and counts
        }
