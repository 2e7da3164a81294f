"""A model reason is a claim about the transaction, and the claim is true.

Each reason the engine gives is checked here against the raw history the test itself
generated (means, counts, distances and labels recomputed from the transactions, not
read from the engine's features): not one may contradict it. A reason is also never
given for a feature that pushed the score down or had no value.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cardwatch.adapters.memory import InMemoryState
from cardwatch.domain.engine.detection import Decision, Detector, Label
from cardwatch.domain.engine.features import FEATURES, Observation
from cardwatch.domain.engine.model import TreeModel
from cardwatch.domain.engine.model_store import default_model
from cardwatch.domain.engine.reasons import CLAIMS, explain
from cardwatch.domain.engine.rules import Policy
from cardwatch.domain.engine.state import DAY_MS, HOUR_MS, MINUTE_MS

T0 = 1_700_000_000_000
MODEL = default_model()
#: every score is worth explaining here, so every transaction gets its reasons
EXPLAIN_ALL = Policy.from_document({"rules": [], "thresholds": {"review": 1e-12, "block": 1.0}})


@dataclass(frozen=True)
class Sent:
    obs: Observation
    is_fraud: bool


def _km(a: Observation, b: Observation) -> float:
    assert a.latitude is not None and a.longitude is not None
    assert b.latitude is not None and b.longitude is not None
    p1, p2 = math.radians(a.latitude), math.radians(b.latitude)
    dp, dl = p2 - p1, math.radians(b.longitude - a.longitude)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(min(1.0, h)))


def _mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else math.nan


class History:
    """What came before a transaction, from the test's own records."""

    def __init__(
        self, before: list[Sent], now: Observation, labels_known: list[Sent], delay: int = 0
    ) -> None:
        self.now = now
        self.all = [s.obs for s in before]
        self.card = [s.obs for s in before if s.obs.card_key == now.card_key]
        self.terminal = [s.obs for s in before if s.obs.terminal_id == now.terminal_id]
        self.known_frauds = [s.obs for s in labels_known if s.is_fraud]
        self.known_fraud_times = [(o, o.timestamp_ms + delay) for o in self.known_frauds]

    def within(self, events: list[Observation], ms: int) -> list[Observation]:
        return [e for e in events if 0 <= self.now.timestamp_ms - e.timestamp_ms < ms]

    def card_mean(self) -> float:
        return _mean([e.amount for e in self.card])

    def card_mean_30d(self) -> float:
        return _mean([e.amount for e in self.within(self.card, 30 * DAY_MS)])

    def terminal_mean_30d(self) -> float:
        return _mean([e.amount for e in self.within(self.terminal, 30 * DAY_MS)])


_NEW_VALUE = {"NEW_DEVICE": "device_id", "NEW_COUNTRY": "country"}
_SPREAD = {
    "DEVICE_USED_BY_MANY_CARDS": "device_id",
    "ADDRESS_RANGE_USED_BY_MANY_CARDS": "ip_address",
    "CARD_RANGE_PROBED": "card_bin",
}


def _net(address: str | None) -> str:
    return ".".join((address or "").split(".")[:3])


def _key(field: str, e: Observation) -> str | None:
    value = getattr(e, field)
    return _net(value) if field == "ip_address" else value


def _below_norm(amount: float, mean: float) -> bool:
    return mean == mean and amount < mean


def _above_norm(amount: float, mean: float) -> bool:
    return mean == mean and amount > mean


def true_of(code: str, feature: str, h: History) -> bool:  # noqa: C901
    """Whether the claim ``code`` holds of the transaction, recomputed from raw data."""
    now, amount = h.now, h.now.amount
    if code == "HIGH_AMOUNT":
        terminal = h.within(h.terminal, 30 * DAY_MS)
        if not h.card and not terminal:
            return False
        above_card = not h.card or amount > h.card_mean()
        return above_card and (not terminal or amount > h.terminal_mean_30d())
    if code == "SMALL_AMOUNT":
        return amount < h.card_mean() if h.card else _below_norm(amount, h.terminal_mean_30d())
    if code in ("AMOUNT_ABOVE_CARD_NORM", "AMOUNT_BELOW_CARD_NORM"):
        mean = h.card_mean_30d() if feature == "c_ratio_30d" else h.card_mean()
        if feature == "c_zscore":
            mean = h.card_mean()
        above = code == "AMOUNT_ABOVE_CARD_NORM"
        return _above_norm(amount, mean) if above else _below_norm(amount, mean)
    if code == "AMOUNT_ABOVE_TERMINAL_NORM":
        return _above_norm(amount, h.terminal_mean_30d())
    if code == "NEW_CARD":
        return len(h.card) < 10
    if code == "CARD_VELOCITY":
        return len(h.within(h.card, DAY_MS)) >= 2
    if code == "QUICK_SUCCESSION":
        return bool(h.within(h.card, 10 * MINUTE_MS + 1))
    if code == "MANY_TERMINALS":
        return len({e.terminal_id for e in h.within(h.card, DAY_MS)}) >= 3
    if code == "TAP_RUN":
        return sum(e.channel == "contactless" for e in h.within(h.card, HOUR_MS)) >= 2
    if code == "NEW_TERMINAL":
        return bool(h.card) and now.terminal_id not in {e.terminal_id for e in h.card}
    if code == "CARD_TESTING":
        small = h.card_mean() / 4
        return sum(e.amount < small for e in h.within(h.card, HOUR_MS)) >= 2
    if code in ("IMPOSSIBLE_TRAVEL", "FAST_TRAVEL"):
        located = [e for e in h.card if e.latitude is not None]
        if now.latitude is None or not located:
            return False
        last = max(located, key=lambda e: e.timestamp_ms)
        hours = max(now.timestamp_ms - last.timestamp_ms, MINUTE_MS) / HOUR_MS
        return _km(last, now) / hours > (900 if code == "IMPOSSIBLE_TRAVEL" else 150)
    if code == "TERMINAL_WITH_CONFIRMED_FRAUD":
        return any(e.terminal_id == now.terminal_id for e in h.known_frauds)
    if code == "CARD_WITH_CONFIRMED_FRAUD":
        return any(e.card_key == now.card_key for e in h.known_frauds)
    if code == "TERMINAL_HIT_BY_MANY_CARDS":
        return len({e.card_key for e in h.within(h.terminal, DAY_MS)}) >= 10
    if code == "NIGHT_TIME":
        return ((now.timestamp_ms + now.utc_offset_minutes * MINUTE_MS) % DAY_MS) < 6 * HOUR_MS
    if code in _NEW_VALUE:
        field = _NEW_VALUE[code]
        value = getattr(now, field)
        return value is not None and value not in {getattr(e, field) for e in h.card}
    if code == "NEW_IP_NETWORK":
        if now.ip_address is None:
            return False
        return _net(now.ip_address) not in {_net(e.ip_address) for e in h.card if e.ip_address}
    if code == "NEW_PLACE":
        located = [e for e in h.card if e.latitude is not None]
        return (
            now.latitude is not None and all(_km(e, now) > 100 for e in located) and bool(located)
        )
    if code == "CARD_NOT_PRESENT":
        return now.channel in {"ecommerce", "moto", "recurring"}
    if code == "CONTACTLESS":
        return now.channel == "contactless"
    if code in _SPREAD:
        # an hour's (a day's) count of cards on their first use that calendar day: a
        # card counts at most once a day, so N of them are at least N/2 distinct cards
        # within two hours (two days)
        field = _SPREAD[code]
        value = getattr(now, field)
        if value is None:
            return False
        same = [
            e for e in h.all if getattr(e, field) is not None and _key(field, e) == _key(field, now)
        ]
        return len({e.card_key for e in h.within(same, 2 * DAY_MS)}) >= 2
    if code == "RISKY_MERCHANT_CATEGORY":
        today = now.timestamp_ms // DAY_MS
        return any(
            e.merchant_category_code == now.merchant_category_code
            and today - known_ms // DAY_MS < 28
            for e, known_ms in h.known_fraud_times
        )
    raise AssertionError(f"no independent check for reason {code}")


def test_every_claim_the_engine_can_make_has_an_independent_check() -> None:
    codes = {claim.code for claims in CLAIMS.values() for claim in claims}
    history = History([], Observation("x", T0, "c", "t", 1.0), [])
    for code in codes:
        true_of(code, "amount", history)  # raises for a code the test cannot check


place = st.sampled_from([(48.8566, 2.3522), (48.86, 2.35), (40.7128, -74.006), (35.68, 139.69)])


@st.composite
def histories(draw: st.DrawFn) -> list[Sent]:
    sent: list[Sent] = []
    at = T0
    for n in range(draw(st.integers(1, 40))):
        at += draw(
            st.sampled_from([1_000, 30_000, 5 * MINUTE_MS, HOUR_MS, 7 * HOUR_MS, 2 * DAY_MS])
        )
        where = draw(st.one_of(st.none(), place))
        sent.append(
            Sent(
                Observation(
                    f"tx-{n}",
                    at,
                    draw(st.sampled_from(["card-a", "card-b", "card-c"])),
                    draw(st.sampled_from(["term-1", "term-2", "term-3"])),
                    draw(st.sampled_from([0.1, 1.0, 2.5, 12.0, 45.0, 80.0, 230.0, 900.0, 5000.0])),
                    None if where is None else where[0],
                    None if where is None else where[1],
                    draw(st.sampled_from([0, 0, 540, -300, 330])),
                    draw(st.sampled_from([None, "dev-1", "dev-2", "dev-3"])),
                    draw(st.sampled_from([None, "10.0.0.1", "10.0.0.9", "10.0.1.1", "192.0.2.7"])),
                    draw(st.sampled_from([None, "US", "GB", "JP"])),
                    draw(st.sampled_from([None, "pos", "contactless", "ecommerce", "atm"])),
                    draw(st.sampled_from([None, "5411", "5732"])),
                    draw(st.sampled_from([None, "411111", "550000"])),
                ),
                draw(st.booleans()),
            )
        )
    return sent


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sent=histories(), label_delay=st.sampled_from([0, HOUR_MS, DAY_MS]))
def test_no_model_reason_contradicts_the_transactions_history(
    sent: list[Sent], label_delay: int
) -> None:
    detector = Detector(InMemoryState(), EXPLAIN_ALL, MODEL)
    known: list[Sent] = []
    for index, item in enumerate(sent):
        now = item.obs.timestamp_ms
        for earlier in sent[:index]:  # labels known by now, taught once each
            if earlier not in known and earlier.obs.timestamp_ms + label_delay <= now:
                known.append(earlier)
                o = earlier.obs
                detector.learn(
                    Label(
                        o.transaction_id,
                        o.timestamp_ms,
                        o.card_key,
                        o.terminal_id,
                        earlier.is_fraud,
                        o.timestamp_ms + label_delay,
                        o.merchant_category_code,
                    )
                )
        assessment = detector.assess(item.obs)
        assert assessment is not None and assessment.decision is not Decision.APPROVE
        history = History(sent[:index], item.obs, known, label_delay)
        pushes = {(p.feature, p.above): p.credit for p in MODEL.explain(assessment.features)}
        for reason in assessment.reasons:
            assert reason.source == "model" and reason.feature is not None
            value = assessment.feature(reason.feature)
            assert value == value, f"{reason.code} given for a missing {reason.feature}"
            assert reason.value == value
            credit = max(
                pushes.get((reason.feature, True), -1.0), pushes.get((reason.feature, False), -1.0)
            )
            assert credit > 0, f"{reason.code}: {reason.feature} did not raise the score"
            assert true_of(reason.code, reason.feature, history), (
                f"{reason.code} contradicts the history: {reason.detail}"
            )


def stump(feature: str, threshold: float, missing_left: bool, low: float, high: float) -> TreeModel:
    return TreeModel.from_artifact(
        {
            "format": "cardwatch-gbt/1",
            "features": list(FEATURES),
            "baseline": 0.0,
            "trees": [
                {
                    "feature": [FEATURES.index(feature), -1, -1],
                    "threshold": [threshold, 0, 0],
                    "missing_left": [int(missing_left), 0, 0],
                    "left": [1, 0, 0],
                    "right": [2, 0, 0],
                    "value": [0.0, low, high],
                }
            ],
        }
    )


vectors = st.lists(
    st.one_of(st.floats(-10, 1e4, allow_nan=False), st.just(math.nan)),
    min_size=len(FEATURES),
    max_size=len(FEATURES),
)


@settings(max_examples=300, deadline=None)
@given(x=vectors)
def test_a_reason_needs_a_value_that_raised_the_score(x: list[float]) -> None:
    facts = dict(zip(FEATURES, x, strict=True))
    for why in explain(MODEL.explain(x), facts, set(), limit=5):
        assert why.value == why.value and why.credit > 0
        assert any(claim.holds(facts) for claim in CLAIMS[(why.feature, why.above)])


def test_a_low_amount_that_raises_the_score_is_not_called_high() -> None:
    # GIVEN a model for which tiny amounts are the risky ones (probes)
    detector = Detector(InMemoryState(), EXPLAIN_ALL, stump("amount", 3.0, False, 4.0, -4.0))
    detector.assess(Observation("a", T0, "card", "term", 60.0))
    # WHEN a 0.50 probe arrives
    probe = detector.assess(Observation("b", T0 + 60_000, "card", "term", 0.5))
    # THEN the reason says small, never high
    assert probe is not None
    assert [r.code for r in probe.reasons] == ["SMALL_AMOUNT"]


def test_a_missing_value_is_never_a_reason() -> None:
    # GIVEN a model whose missing speed branch carries the risk
    detector = Detector(InMemoryState(), EXPLAIN_ALL, stump("c_geo_speed_kmh", 500, True, 5, -5))
    # WHEN an online purchase (no coordinates, so no speed) is scored
    online = detector.assess(Observation("a", T0, "card", "term", 60.0))
    # THEN it scores high, and no travel reason is made up for it
    assert online is not None and online.score > 0.9
    assert online.reasons == ()
