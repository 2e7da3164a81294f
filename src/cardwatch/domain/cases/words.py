"""What the scored features mean, in an analyst's words, grouped by what they compare:
the transaction itself, the card against its own usual, the terminal, the device and
network, the merchant. A case shows these names beside the values, so that
``c_count_30d = 6`` beside ``c_count_1h = 8`` reads as "transactions on the card in
the last 30 days (as far as the card's history goes)" and so on."""

from __future__ import annotations

from cardwatch.domain.engine.features import FEATURES

__all__ = ["FEATURE_GROUPS", "FEATURE_WORDS", "feature_view"]

FEATURE_WORDS: dict[str, str] = {
    "amount": "amount",
    "log_amount": "amount (log scale)",
    "hour": "hour of day, card holder's time",
    "is_weekend": "on a weekend",
    "is_night": "at night",
    "c_count_10m": "card's transactions, last 10 minutes",
    "c_count_1h": "card's transactions, last hour",
    "c_count_1d": "card's transactions, last day",
    "c_count_7d": "card's transactions, last 7 days",
    "c_count_30d": "card's transactions, last 30 days",
    "c_mean_1d": "card's mean amount, last day",
    "c_mean_7d": "card's mean amount, last 7 days",
    "c_mean_30d": "card's mean amount, last 30 days",
    "c_ratio_30d": "amount / card's 30-day mean",
    "c_ratio_history": "amount / card's mean over its history",
    "c_zscore": "amount's z-score against the card's history",
    "c_log_seconds_since_last": "time since the card's last transaction (log seconds)",
    "c_distinct_terminals_1d": "distinct terminals the card used, last day",
    "c_small_count_1h": "card's small transactions, last hour",
    "c_known_fraud_30d": "card's confirmed frauds, last 30 days",
    "c_history_count": "card's transactions ever seen",
    "c_geo_speed_kmh": "speed from the card's last place (km/h)",
    "t_count_1h": "terminal's transactions, last hour",
    "t_count_1d": "terminal's transactions, last day",
    "t_count_7d": "terminal's transactions, last 7 days",
    "t_count_30d": "terminal's transactions, last 30 days",
    "t_distinct_cards_1h": "distinct cards at the terminal, last hour",
    "t_distinct_cards_1d": "distinct cards at the terminal, last day",
    "t_mean_30d": "terminal's mean amount, last 30 days",
    "t_ratio_30d": "amount / terminal's 30-day mean",
    "t_fraud_known_last_7d": "terminal had a confirmed fraud, last 7 days",
    "t_known_fraud_28d": "terminal's confirmed frauds, last 28 days",
    "t_labelled_28d": "terminal's labelled transactions, last 28 days",
    "t_fraud_rate_28d": "terminal's fraud rate, last 28 days",
    "c_new_device": "a device new to the card",
    "c_devices_seen": "devices the card has used",
    "c_new_network": "a network new to the card",
    "c_new_country": "a country new to the card",
    "c_new_place_km": "distance from the card's usual places (km)",
    "card_not_present": "card not present",
    "contactless": "contactless",
    "dv_cards_1h": "cards on this device, last hour",
    "dv_cards_1d": "cards on this device, last day",
    "ip_cards_1h": "cards from this address range, last hour",
    "ip_cards_1d": "cards from this address range, last day",
    "bin_cards_1h": "cards of this BIN, last hour",
    "bin_cards_1d": "cards of this BIN, last day",
    "m_labelled_28d": "merchant category's labelled transactions, last 28 days",
    "m_fraud_rate_28d": "merchant category's fraud rate, last 28 days",
    "c_pace_1h": "card's transactions last hour / its usual hourly pace",
    "c_pace_1d": "card's transactions today / its usual daily pace",
    "c_taps_1h": "card's contactless taps, last hour",
    "c_distinct_terminals_1h": "distinct terminals the card used, last hour",
    "c_new_terminal": "a terminal new to the card",
}

#: the groups a case shows, in order, by the features' prefixes
FEATURE_GROUPS = (
    ("transaction", ("amount", "log_amount", "hour", "is_weekend", "is_night")),
    ("card", ("c_",)),
    ("terminal", ("t_",)),
    ("device and network", ("dv_", "ip_", "bin_", "card_not_present", "contactless")),
    ("merchant", ("m_",)),
)


def _group(name: str) -> str:
    for group, prefixes in FEATURE_GROUPS:
        if any(name == p or (p.endswith("_") and name.startswith(p)) for p in prefixes):
            return group
    return "other"


def feature_view(features: dict[str, float | None]) -> list[dict[str, object]]:
    """The features as a case shows them: plain name, group, value; in the engine's
    order (so a card's windows read short to long)."""
    order = {name: i for i, name in enumerate(FEATURES)}
    return [
        {
            "name": name,
            "words": FEATURE_WORDS.get(name, name.replace("_", " ")),
            "group": _group(name),
            "value": value,
        }
        for name, value in sorted(features.items(), key=lambda kv: order.get(kv[0], len(order)))
    ]
