"""Why the model scored a transaction high, in words that hold for that transaction.

The model's :meth:`~cardwatch.domain.engine.model.TreeModel.explain` says which features pushed
the score up and on which side of their splits. A split is only a threshold learnt from
data; a reason is a *claim* about the transaction ("the amount is above the card's
mean"). So each (feature, side) lists the claims it may support, each with the test that
makes it true of the feature vector; a push becomes a reason only through a claim that
holds. A push down, or through a missing value, is never a reason.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from cardwatch.domain.engine.model import Push

__all__ = ["CLAIMS", "Claim", "Explanation", "explain"]

Facts = Mapping[str, float]
_AIRLINER_KMH = 900.0
_FAST_KMH = 150.0
_NEW_CARD_HISTORY = 10
_QUICK_SECONDS = 600


def _known(value: float) -> bool:
    return value == value


def _money(value: float) -> str:
    return "unknown" if not _known(value) else f"{value:,.2f}"


@dataclass(frozen=True, slots=True)
class Claim:
    code: str
    holds: Callable[[Facts], bool]
    #: what the value was compared with, in words, from the facts
    compared: Callable[[Facts], str]


def _card_mean(f: Facts) -> str:
    return f"the card's 30-day mean amount {_money(f['c_mean_30d'])}"


def _card_history_mean(f: Facts) -> str:
    ratio = f["c_ratio_history"]
    mean = f["amount"] / ratio if _known(ratio) and ratio > 0 else math.nan
    return f"the card's mean amount {_money(mean)}"


def _terminal_mean(f: Facts) -> str:
    return f"the terminal's 30-day mean amount {_money(f['t_mean_30d'])}"


def _above(name: str, limit: float) -> Callable[[Facts], bool]:
    return lambda f: f[name] > limit


def _at_least(name: str, limit: float) -> Callable[[Facts], bool]:
    return lambda f: f[name] >= limit


def _below(name: str, limit: float) -> Callable[[Facts], bool]:
    return lambda f: f[name] < limit


def _amount_high(f: Facts) -> bool:
    card, terminal = f["c_ratio_history"], f["t_ratio_30d"]
    above_card = card > 1 if _known(card) else True
    above_terminal = terminal > 1 if _known(terminal) else _known(card)
    return above_card and above_terminal


def _amount_small(f: Facts) -> bool:
    card = f["c_ratio_history"]
    return card < 1 if _known(card) else f["t_ratio_30d"] < 1


def _text(words: str) -> Callable[[Facts], str]:
    return lambda _f: words


_HIGH_AMOUNT = Claim(
    "HIGH_AMOUNT",
    _amount_high,
    lambda f: f"{_card_history_mean(f)}, {_terminal_mean(f)}",
)
_SMALL_AMOUNT = Claim(
    "SMALL_AMOUNT",
    _amount_small,
    lambda f: f"{_card_history_mean(f)}, {_terminal_mean(f)}",
)
_VELOCITY = "CARD_VELOCITY"
#: times the card's usual pace that makes a run "fast"
_PACE = 4.0
_NEW_PLACE_KM = 100.0
#: cards first seen that day in an hour, and in a day, that make a spread entity "many"
SPREAD_MANY = (3, 5)


def _spread_claims(prefix: str, code: str, what: str) -> dict[tuple[str, bool], tuple[Claim, ...]]:
    hour, day = SPREAD_MANY
    return {
        (f"{prefix}_cards_1h", True): (
            Claim(
                code, _at_least(f"{prefix}_cards_1h", hour), _text(f"cards at {what} in an hour")
            ),
        ),
        (f"{prefix}_cards_1d", True): (
            Claim(code, _at_least(f"{prefix}_cards_1d", day), _text(f"cards at {what} in a day")),
        ),
    }


_TERMINAL_FRAUD = "TERMINAL_WITH_CONFIRMED_FRAUD"

#: (feature, above its splits?) -> the claims such a push may support, first that holds.
CLAIMS: dict[tuple[str, bool], tuple[Claim, ...]] = {
    ("amount", True): (_HIGH_AMOUNT,),
    ("log_amount", True): (_HIGH_AMOUNT,),
    ("amount", False): (_SMALL_AMOUNT,),
    ("log_amount", False): (_SMALL_AMOUNT,),
    ("is_night", True): (Claim("NIGHT_TIME", _above("is_night", 0.5), _text("06:00 local time")),),
    ("hour", False): (Claim("NIGHT_TIME", _above("is_night", 0.5), _text("06:00 local time")),),
    ("c_ratio_30d", True): (Claim("AMOUNT_ABOVE_CARD_NORM", _above("c_ratio_30d", 1), _card_mean),),
    ("c_ratio_30d", False): (
        Claim("AMOUNT_BELOW_CARD_NORM", _below("c_ratio_30d", 1), _card_mean),
    ),
    ("c_ratio_history", True): (
        Claim("AMOUNT_ABOVE_CARD_NORM", _above("c_ratio_history", 1), _card_history_mean),
    ),
    ("c_ratio_history", False): (
        Claim("AMOUNT_BELOW_CARD_NORM", _below("c_ratio_history", 1), _card_history_mean),
    ),
    ("c_zscore", True): (
        Claim("AMOUNT_ABOVE_CARD_NORM", _above("c_zscore", 0), _card_history_mean),
    ),
    ("c_zscore", False): (
        Claim("AMOUNT_BELOW_CARD_NORM", _below("c_zscore", 0), _card_history_mean),
    ),
    ("c_count_10m", True): (
        Claim(_VELOCITY, _at_least("c_count_10m", 2), _text("earlier uses in 10 minutes")),
    ),
    ("c_count_1h", True): (
        Claim(_VELOCITY, _at_least("c_count_1h", 3), _text("earlier uses in an hour")),
    ),
    ("c_count_1d", True): (
        Claim(_VELOCITY, _at_least("c_count_1d", 6), _text("earlier uses in a day")),
    ),
    ("c_pace_1h", True): (
        Claim(
            _VELOCITY,
            lambda f: f["c_pace_1h"] >= _PACE and f["c_count_1h"] >= 2,
            _text("the card's usual transactions an hour"),
        ),
    ),
    ("c_pace_1d", True): (
        Claim(
            _VELOCITY,
            lambda f: f["c_pace_1d"] >= _PACE and f["c_count_1d"] >= 2,
            _text("the card's usual transactions a day"),
        ),
    ),
    ("c_taps_1h", True): (
        Claim("TAP_RUN", _at_least("c_taps_1h", 2), _text("earlier contactless taps in an hour")),
    ),
    ("c_distinct_terminals_1h", True): (
        Claim(
            "MANY_TERMINALS",
            _at_least("c_distinct_terminals_1h", 3),
            _text("distinct terminals in an hour"),
        ),
    ),
    ("c_new_terminal", True): (
        Claim(
            "NEW_TERMINAL",
            _above("c_new_terminal", 0.5),
            _text("terminals of the card's recent uses"),
        ),
    ),
    ("c_log_seconds_since_last", False): (
        Claim(
            "QUICK_SUCCESSION",
            _below("c_log_seconds_since_last", math.log1p(_QUICK_SECONDS)),
            _text("log(1 + seconds) since the card's last use"),
        ),
    ),
    ("c_distinct_terminals_1d", True): (
        Claim(
            "MANY_TERMINALS",
            _at_least("c_distinct_terminals_1d", 3),
            _text("terminals the card used in a day"),
        ),
    ),
    ("c_small_count_1h", True): (
        Claim(
            "CARD_TESTING",
            _at_least("c_small_count_1h", 2),
            _text("amounts under a quarter of the card's mean in an hour"),
        ),
    ),
    ("c_known_fraud_30d", True): (
        Claim(
            "CARD_WITH_CONFIRMED_FRAUD",
            _at_least("c_known_fraud_30d", 1),
            _text("frauds confirmed on the card in 30 days"),
        ),
    ),
    ("c_history_count", False): (
        Claim(
            "NEW_CARD",
            _below("c_history_count", _NEW_CARD_HISTORY),
            _text("transactions the card made before"),
        ),
    ),
    ("c_geo_speed_kmh", True): (
        Claim(
            "IMPOSSIBLE_TRAVEL",
            _above("c_geo_speed_kmh", _AIRLINER_KMH),
            _text("km/h from the card's last located use (an airliner flies 900)"),
        ),
        Claim(
            "FAST_TRAVEL",
            _above("c_geo_speed_kmh", _FAST_KMH),
            _text("km/h from the card's last located use"),
        ),
    ),
    ("t_ratio_30d", True): (
        Claim("AMOUNT_ABOVE_TERMINAL_NORM", _above("t_ratio_30d", 1), _terminal_mean),
    ),
    ("t_distinct_cards_1h", True): (
        Claim(
            "TERMINAL_HIT_BY_MANY_CARDS",
            _at_least("t_distinct_cards_1h", 10),
            _text("new cards at the terminal in an hour"),
        ),
    ),
    ("t_distinct_cards_1d", True): (
        Claim(
            "TERMINAL_HIT_BY_MANY_CARDS",
            _at_least("t_distinct_cards_1d", 50),
            _text("new cards at the terminal in a day"),
        ),
    ),
    ("t_fraud_known_last_7d", True): (
        Claim(
            _TERMINAL_FRAUD,
            _at_least("t_fraud_known_last_7d", 1),
            _text("frauds at the terminal confirmed in 7 days"),
        ),
    ),
    ("t_known_fraud_28d", True): (
        Claim(
            _TERMINAL_FRAUD,
            _at_least("t_known_fraud_28d", 1),
            _text("frauds known at the terminal in 28 days"),
        ),
    ),
    ("t_fraud_rate_28d", True): (
        Claim(
            _TERMINAL_FRAUD,
            _above("t_fraud_rate_28d", 0),
            _text("share of the terminal's labelled transactions that were fraud"),
        ),
    ),
    ("c_new_device", True): (
        Claim("NEW_DEVICE", _above("c_new_device", 0.5), _text("devices the card used before")),
    ),
    ("c_new_network", True): (
        Claim(
            "NEW_IP_NETWORK",
            _above("c_new_network", 0.5),
            _text("address ranges the card used before"),
        ),
    ),
    ("c_new_country", True): (
        Claim("NEW_COUNTRY", _above("c_new_country", 0.5), _text("countries the card used before")),
    ),
    ("c_new_place_km", True): (
        Claim(
            "NEW_PLACE",
            _above("c_new_place_km", _NEW_PLACE_KM),
            _text("km from the nearest place the card was used in person before"),
        ),
    ),
    ("card_not_present", True): (
        Claim("CARD_NOT_PRESENT", _above("card_not_present", 0.5), _text("channel")),
    ),
    ("contactless", True): (Claim("CONTACTLESS", _above("contactless", 0.5), _text("channel")),),
    **_spread_claims("dv", "DEVICE_USED_BY_MANY_CARDS", "the device"),
    **_spread_claims("ip", "ADDRESS_RANGE_USED_BY_MANY_CARDS", "the address range"),
    **_spread_claims("bin", "CARD_RANGE_PROBED", "the card range (BIN)"),
    ("m_fraud_rate_28d", True): (
        Claim(
            "RISKY_MERCHANT_CATEGORY",
            _above("m_fraud_rate_28d", 0),
            _text("share of the category's labels made known in 28 days that were fraud"),
        ),
    ),
}


@dataclass(frozen=True, slots=True)
class Explanation:
    """One reason the model gives: a claim that holds, and the push behind it."""

    code: str
    feature: str
    value: float
    above: bool
    bound: float
    credit: float
    compared_with: str

    @property
    def detail(self) -> str:
        side = ">" if self.above else "<="
        return (
            f"{self.feature} = {self.value:.4g} ({side} {self.bound:.4g}) raised the score "
            f"by {self.credit:.2f} log-odds; compared with {self.compared_with}"
        )


def explain(pushes: list[Push], facts: Facts, skip: set[str], limit: int) -> list[Explanation]:
    """Up to ``limit`` reasons, strongest push first, one per code, none in ``skip``."""
    reasons: list[Explanation] = []
    codes = set(skip)
    for push in sorted(pushes, key=lambda p: -p.credit):
        if push.credit <= 0 or len(reasons) >= limit:
            break
        value = facts[push.feature]
        if not _known(value):
            continue
        for claim in CLAIMS.get((push.feature, push.above), ()):
            if claim.holds(facts):
                if claim.code not in codes:
                    codes.add(claim.code)
                    reasons.append(
                        Explanation(
                            claim.code,
                            push.feature,
                            value,
                            push.above,
                            push.bound,
                            push.credit,
                            claim.compared(facts),
                        )
                    )
                break
    return reasons
