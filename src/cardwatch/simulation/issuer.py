"""A second world, built apart from the handbook's: an issuer's card portfolio.

The handbook's generator (and the processor fields laid over it) puts customers and
terminals on a grid and lets each customer pay at random terminals within a radius.
This one shares none of that, so a detector tuned on those worlds meets mechanics it
has not seen:

- **Cardholders** live in one of five markets (their currency, UTC offset, a price
  level), each with a wealth factor, an activity rate, a handful of regular shops they
  return to (Zipf-weighted), an online share, one to three devices and a home network.
  Purchases follow the day (two peaks, local time) and the week (more at weekends).
- **Merchants** have a category, and the category decides the amount (log-normal per
  category, times the market's price level and the cardholder's wealth), the channel
  (in person, contactless, online) and the hours. Shops have coordinates; web shops none.
- **Genuine novelty**: trips to another market, a new phone, a new shop, a rare large
  purchase.

The fraud, with its own codes (after the handbook's 1-4 and the processor fields' 5-9):

10. **merchant breach**: a shop or web shop leaks the cards used there for some days;
    the cards are sold in dumps and used weeks later, spread over days, online, at
    resale-friendly categories, from a ring's few devices and proxy networks;
11. **enumeration**: a web shop is hit by hundreds of tiny authorisations on many cards
    within an hour, each from another network, no device; the cards that pass are used
    days later for larger purchases;
12. **synthetic bust-out**: cards opened during the period behave modestly for weeks,
    then max out in a day or two, in person and online;
13. **account takeover**: a new device on a network abroad buys online at once, more
    than the cardholder does;
14. **first-party fraud**: a few cardholders dispute their own online purchases again
    and again.

Every number here belongs to this generator; the engine never reads them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from cardwatch.simulation.handbook import SimulatedData

__all__ = ["ISSUER_SCENARIOS", "IssuerSettings", "simulate_issuer"]

_DAY = 86_400
_KM_PER_DEGREE = 111.0

#: the fraud this world makes, by scenario code
ISSUER_SCENARIOS = {
    10: "merchant breach, cards used weeks later",
    11: "enumeration at a web shop",
    12: "synthetic identity bust-out",
    13: "account takeover from abroad",
    14: "first-party fraud",
}


@dataclass(frozen=True, slots=True)
class _Market:
    country: str
    currency: str
    price_level: float
    utc_offset_minutes: int
    latitude: float
    longitude: float
    ip_prefix: int


_MARKETS = (
    _Market("CA", "CAD", 1.35, -300, 43.65, -79.38, 24),
    _Market("FR", "EUR", 0.92, 60, 48.86, 2.35, 88),
    _Market("AU", "AUD", 1.5, 600, -33.87, 151.21, 101),
    _Market("SE", "SEK", 10.5, 60, 59.33, 18.07, 78),
    _Market("MX", "MXN", 17.0, -360, 19.43, -99.13, 187),
)


@dataclass(frozen=True, slots=True)
class _Category:
    code: str
    #: log-normal amount in US-dollar terms: median e^mu
    mu: float
    sigma: float
    #: the share of its merchants that are web shops
    online: float
    #: the local hours it trades (from, to)
    hours: tuple[int, int]


_CATEGORIES = (
    _Category("5411", 3.4, 0.6, 0.1, (7, 22)),  # groceries
    _Category("5812", 3.3, 0.5, 0.05, (11, 23)),  # restaurants
    _Category("5814", 2.3, 0.4, 0.05, (6, 22)),  # fast food
    _Category("5541", 3.7, 0.3, 0.0, (5, 23)),  # fuel
    _Category("5912", 3.0, 0.6, 0.2, (8, 21)),  # pharmacy
    _Category("5651", 4.2, 0.6, 0.5, (9, 21)),  # clothing
    _Category("5732", 5.2, 0.8, 0.6, (9, 21)),  # electronics
    _Category("5815", 2.4, 0.7, 1.0, (0, 24)),  # digital goods
    _Category("4511", 5.8, 0.5, 0.9, (0, 24)),  # airlines
    _Category("5947", 3.9, 0.5, 0.7, (9, 21)),  # gifts, cards
)
_CATEGORY_CODES = tuple(category.code for category in _CATEGORIES)
#: where the resold cards are spent: electronics, digital goods, gifts
_RESALE = ("5732", "5815", "5947")


@dataclass(frozen=True, slots=True)
class IssuerSettings:
    cardholders: int = 1500
    days: int = 70
    seed: int = 0
    start: str = "2024-03-04"
    shops_per_market: int = 300
    web_shops_per_market: int = 120
    #: purchases a cardholder makes a day: gamma-distributed with this mean
    activity: float = 1.4
    trips_per_day: float = 1.0
    new_device_rate: float = 0.005
    breaches_per_week: float = 0.6
    breach_days: tuple[int, int] = (3, 15)
    breach_leak_share: float = 0.4
    #: days from a breach's end to the first use of its cards
    resale_delay_days: tuple[int, int] = (7, 35)
    enumerations_per_week: float = 0.5
    synthetic_share: float = 0.01
    takeovers_per_day: float = 0.8
    first_party_share: float = 0.01
    first_party_dispute_rate: float = 0.4
    #: market weights (None: even)
    market_mix: tuple[float, ...] | None = field(default=None)


@dataclass(frozen=True, slots=True)
class _Merchants:
    market: NDArray[np.int64]
    category: NDArray[np.int64]
    online: NDArray[np.bool_]
    latitude: NDArray[np.float64]
    longitude: NDArray[np.float64]

    def selling(self, market: int, category: int, online: bool) -> NDArray[np.int64]:
        """The market's merchants of ``category`` on that channel; of any category when
        the market has none."""
        shops = self.of(market, category, online)
        return shops if len(shops) else self.of(market, None, online)

    def of(self, market: int, category: int | None, online: bool | None) -> NDArray[np.int64]:
        chosen = self.market == market
        if category is not None:
            chosen &= self.category == category
        if online is not None:
            chosen &= self.online == online
        return np.flatnonzero(chosen)


class _Rows:
    """The transactions being made, column by column."""

    def __init__(self) -> None:
        self.columns: dict[str, list[Any]] = {
            name: []
            for name in (
                "seconds",
                "card",
                "merchant",
                "usd",
                "scenario",
                "market",
                "channel",
                "device",
                "ip",
            )
        }

    def add(self, **values: Any) -> None:
        for name, column in self.columns.items():
            column.append(values[name])

    def __len__(self) -> int:
        return len(self.columns["seconds"])


def _ip(prefix: int, network: int, rng: np.random.Generator) -> str:
    return f"{prefix}.{network >> 8}.{network & 255}.{int(rng.integers(1, 255))}"


def _merchants(settings: IssuerSettings, rng: np.random.Generator) -> _Merchants:
    markets, categories, online, lat, lon = [], [], [], [], []
    weights = np.asarray([1.0] * 6 + [0.6, 0.5, 0.3, 0.4])
    for index, market in enumerate(_MARKETS):
        for web, count in (
            (False, settings.shops_per_market),
            (True, settings.web_shops_per_market),
        ):
            share = np.asarray([c.online if web else 1 - c.online for c in _CATEGORIES])
            p = weights * share
            drawn = rng.choice(len(_CATEGORIES), count, p=p / p.sum())
            markets += [index] * count
            categories += drawn.tolist()
            online += [web] * count
            spread = rng.normal(0, 0.12, (count, 2))
            lat += (market.latitude + spread[:, 0]).tolist()
            lon += (market.longitude + spread[:, 1]).tolist()
    return _Merchants(
        np.asarray(markets),
        np.asarray(categories),
        np.asarray(online),
        np.asarray(lat),
        np.asarray(lon),
    )


def _hour(rng: np.random.Generator, size: int) -> NDArray[np.float64]:
    """Local hours of the day: a lunch peak and an evening peak, a quiet night."""
    peak = rng.choice([12.5, 18.5, 9.0], size, p=[0.35, 0.5, 0.15])
    return np.clip(rng.normal(peak, 2.2), 0, 23.99)


def _amount(category: int, wealth: float, rng: np.random.Generator) -> float:
    c = _CATEGORIES[category]
    return float(np.exp(rng.normal(c.mu, c.sigma)) * wealth)


@dataclass(slots=True)
class _Holder:
    market: int
    wealth: float
    rate: float
    online_share: float
    regulars: NDArray[np.int64]
    regular_weights: NDArray[np.float64]
    devices: list[str]
    network: int
    opened: int = 0  # day the card was opened


def _holders(
    settings: IssuerSettings, merchants: _Merchants, rng: np.random.Generator
) -> list[_Holder]:
    mix = settings.market_mix or (1.0,) * len(_MARKETS)
    p = np.asarray(mix[: len(_MARKETS)], dtype=float)
    holders = []
    for number in range(settings.cardholders):
        market = int(rng.choice(len(_MARKETS), p=p / p.sum()))
        shops = merchants.of(market, None, False)
        regulars = rng.choice(shops, int(rng.integers(4, 12)), replace=False)
        weights = 1.0 / np.arange(1, len(regulars) + 1)
        holders.append(
            _Holder(
                market,
                float(rng.lognormal(0, 0.45)),
                float(rng.gamma(2.0, settings.activity / 2.0)),
                float(rng.beta(2, 5)),
                regulars,
                weights / weights.sum(),
                [f"d{number:05d}{k}" for k in range(int(rng.integers(1, 4)))],
                int(rng.integers(0, 65_536)),
            )
        )
    return holders


def _genuine_day(
    holder: _Holder,
    card: int,
    day: int,
    merchants: _Merchants,
    rows: _Rows,
    *,
    rng: np.random.Generator,
    abroad: int | None,
    settings: IssuerSettings,
) -> None:
    weekend = (day + 0) % 7 >= 5  # the world starts on a Monday
    count = rng.poisson(holder.rate * (1.3 if weekend else 1.0))
    if not count:
        return
    hours = _hour(rng, count)
    market = holder.market if abroad is None else abroad
    offset = _MARKETS[market].utc_offset_minutes * 60
    for hour in hours:
        moment = day * _DAY + int(hour * 3600) - offset
        online = abroad is None and rng.random() < holder.online_share
        device, ip = "", ""
        if online:
            category = int(rng.choice(len(_CATEGORIES)))
            merchant = int(rng.choice(merchants.selling(market, category, True)))
            device = holder.devices[int(rng.integers(0, len(holder.devices)))]
            if rng.random() < settings.new_device_rate:
                device = f"n{card:05d}{day:03d}"
                holder.devices.append(device)
            network = holder.network if rng.random() > 0.07 else int(rng.integers(0, 65_536))
            ip = _ip(_MARKETS[market].ip_prefix, network, rng)
            channel = "ecommerce"
        else:
            if abroad is None and rng.random() < 0.85:
                merchant = int(rng.choice(holder.regulars, p=holder.regular_weights))
            else:  # a new shop nearby, or anywhere on a trip
                merchant = int(rng.choice(merchants.of(market, None, False)))
            channel = "contactless" if rng.random() < 0.55 else "pos"
        amount = _amount(int(merchants.category[merchant]), holder.wealth, rng)
        if rng.random() < 0.003:  # a rare large purchase: a television, a trip
            amount *= float(rng.uniform(5, 15))
        if channel == "contactless" and amount > 100:
            channel = "pos"
        rows.add(
            seconds=moment,
            card=card,
            merchant=merchant,
            usd=amount,
            scenario=0,
            market=market,
            channel=channel,
            device=device,
            ip=ip,
        )


def _genuine(
    settings: IssuerSettings,
    holders: list[_Holder],
    merchants: _Merchants,
    rows: _Rows,
    rng: np.random.Generator,
) -> None:
    travelling: dict[int, tuple[int, int, int]] = {}  # card -> (market, first, last day)
    for day in range(settings.days):
        for card in rng.choice(len(holders), rng.poisson(settings.trips_per_day)):
            away = (holders[card].market + int(rng.integers(1, len(_MARKETS)))) % len(_MARKETS)
            travelling[int(card)] = (away, day, day + int(rng.integers(2, 11)))
        for card, holder in enumerate(holders):
            if day < holder.opened:
                continue
            trip = travelling.get(card)
            if trip and trip[1] == day:
                continue  # the flight out: a day without a purchase
            abroad = trip[0] if trip and trip[2] >= day else None
            _genuine_day(
                holder, card, day, merchants, rows, rng=rng, abroad=abroad, settings=settings
            )


def _weeks(settings: IssuerSettings) -> float:
    return settings.days / 7


def _breaches(
    settings: IssuerSettings,
    holders: list[_Holder],
    merchants: _Merchants,
    rows: _Rows,
    rng: np.random.Generator,
) -> None:
    seconds = np.asarray(rows.columns["seconds"])
    used = np.asarray(rows.columns["merchant"])
    cards = np.asarray(rows.columns["card"])
    for ring in range(rng.poisson(settings.breaches_per_week * _weeks(settings))):
        merchant = int(rng.choice(np.unique(used)))
        first = int(rng.integers(0, max(1, settings.days - 20))) * _DAY
        last = first + int(rng.integers(*settings.breach_days)) * _DAY
        leaked = np.unique(cards[(used == merchant) & (seconds >= first) & (seconds < last)])
        leaked = leaked[rng.random(len(leaked)) < settings.breach_leak_share]
        if not len(leaked):
            continue
        market = int(rng.integers(0, len(_MARKETS)))
        devices = [f"r{ring:03d}x{k}" for k in range(int(rng.integers(2, 8)))]
        networks = rng.integers(0, 65_536, int(rng.integers(2, 6)))
        proxy = int(rng.integers(150, 220))
        sold = last + int(rng.integers(*settings.resale_delay_days)) * _DAY
        spread = int(rng.integers(3, 21)) * _DAY
        for card in leaked.tolist():
            moment = sold + int(rng.integers(0, spread))
            category = _CATEGORY_CODES.index(str(rng.choice(_RESALE)))
            shops = merchants.selling(market, category, True)
            for _ in range(int(rng.integers(1, 5))):
                moment += int(rng.integers(60, 4 * 3600))
                rows.add(
                    seconds=moment,
                    card=card,
                    merchant=int(rng.choice(shops)),
                    usd=float(rng.lognormal(5.3, 0.5)),
                    scenario=10,
                    market=market,
                    channel="ecommerce",
                    device=str(rng.choice(devices)),
                    ip=_ip(proxy, int(rng.choice(networks)), rng),
                )


def _enumerations(
    settings: IssuerSettings,
    holders: list[_Holder],
    merchants: _Merchants,
    rows: _Rows,
    rng: np.random.Generator,
) -> None:
    for _ in range(rng.poisson(settings.enumerations_per_week * _weeks(settings))):
        market = int(rng.integers(0, len(_MARKETS)))
        merchant = int(rng.choice(merchants.of(market, None, True)))
        moment = int(rng.integers(0, settings.days * _DAY - 3600))
        hit = rng.choice(len(holders), min(len(holders), int(rng.integers(60, 300))), replace=False)
        for card in hit.tolist():
            moment += int(rng.integers(2, 25))
            rows.add(
                seconds=moment,
                card=card,
                merchant=merchant,
                usd=float(rng.uniform(0.3, 2.0)),
                scenario=11,
                market=market,
                channel="ecommerce",
                device="",
                ip=_ip(int(rng.integers(150, 220)), int(rng.integers(0, 65_536)), rng),
            )
        for card in hit[rng.random(len(hit)) < 0.15].tolist():  # the ones that passed
            later = moment + int(rng.integers(1, 8)) * _DAY + int(rng.integers(0, _DAY))
            own = holders[card].market
            rows.add(
                seconds=later,
                card=card,
                merchant=int(rng.choice(merchants.of(own, None, True))),
                usd=float(rng.lognormal(5.0, 0.6)),
                scenario=11,
                market=own,
                channel="ecommerce",
                device=f"e{card:05d}",
                ip=_ip(int(rng.integers(150, 220)), int(rng.integers(0, 65_536)), rng),
            )


def _synthetic(
    settings: IssuerSettings,
    holders: list[_Holder],
    merchants: _Merchants,
    rows: _Rows,
    rng: np.random.Generator,
) -> None:
    """Cards opened late behave modestly (added as cardholders before the genuine days
    are made), then bust out: called after, on the cards marked synthetic."""
    for card, holder in enumerate(holders):
        if holder.opened <= 0:
            continue
        bust = holder.opened + int(rng.integers(20, 60))
        if bust >= settings.days:
            continue
        moment = bust * _DAY + int(rng.integers(8 * 3600, 14 * 3600))
        for _ in range(int(rng.integers(4, 14))):
            moment += int(rng.integers(600, 3 * 3600))
            online = rng.random() < 0.5
            category = _CATEGORY_CODES.index(str(rng.choice(_RESALE)))
            shops = merchants.selling(holder.market, category, online)
            rows.add(
                seconds=moment,
                card=card,
                merchant=int(rng.choice(shops)),
                usd=float(rng.lognormal(5.8, 0.5)),
                scenario=12,
                market=holder.market,
                channel="ecommerce" if online else "pos",
                device=holder.devices[0] if online else "",
                ip=_ip(_MARKETS[holder.market].ip_prefix, holder.network, rng) if online else "",
            )


def _takeovers(
    settings: IssuerSettings,
    holders: list[_Holder],
    merchants: _Merchants,
    rows: _Rows,
    rng: np.random.Generator,
) -> None:
    for day in range(settings.days):
        for card in rng.choice(len(holders), rng.poisson(settings.takeovers_per_day)).tolist():
            holder = holders[card]
            if day < holder.opened:
                continue
            abroad = (holder.market + int(rng.integers(1, len(_MARKETS)))) % len(_MARKETS)
            moment = day * _DAY + int(rng.integers(0, _DAY))
            device = f"t{card:05d}{day:03d}"
            network = int(rng.integers(0, 65_536))
            for _ in range(int(rng.integers(2, 7))):
                moment += int(rng.integers(120, 2 * 3600))
                category = int(rng.choice(len(_CATEGORIES)))
                shops = merchants.selling(holder.market, category, True)
                rows.add(
                    seconds=moment,
                    card=card,
                    merchant=int(rng.choice(shops)),
                    usd=_amount(category, holder.wealth, rng) * float(rng.uniform(1.5, 5)),
                    scenario=13,
                    market=holder.market,
                    channel="ecommerce",
                    device=device,
                    ip=_ip(_MARKETS[abroad].ip_prefix, network, rng),
                )


def _first_party(
    settings: IssuerSettings, holders: list[_Holder], rows: _Rows, rng: np.random.Generator
) -> None:
    """The abusers' online purchases over a small sum, disputed now and then."""
    abusers = set(
        rng.choice(
            len(holders), round(settings.first_party_share * len(holders)), replace=False
        ).tolist()
    )
    columns = rows.columns
    for index in range(len(rows)):
        if (
            columns["scenario"][index] == 0
            and columns["card"][index] in abusers
            and columns["channel"][index] == "ecommerce"
            and columns["usd"][index] > 40
            and rng.random() < settings.first_party_dispute_rate
        ):
            columns["scenario"][index] = 14


def simulate_issuer(settings: IssuerSettings) -> SimulatedData:
    """The issuer's world: its transactions in time order, with the processor fields."""
    rng = np.random.default_rng([settings.seed, 11])
    merchants = _merchants(settings, rng)
    holders = _holders(settings, merchants, rng)
    for holder in holders:  # synthetic identities: opened during the period
        if rng.random() < settings.synthetic_share:
            holder.opened = int(rng.integers(1, max(2, settings.days - 20)))
            holder.rate = min(holder.rate, 0.6)
            holder.wealth *= 0.6
    rows = _Rows()
    _genuine(settings, holders, merchants, rows, rng)
    _first_party(settings, holders, rows, rng)
    for fraud in (_breaches, _enumerations, _synthetic, _takeovers):
        fraud(settings, holders, merchants, rows, rng)
    return _assemble(settings, rows, merchants)


def _assemble(settings: IssuerSettings, rows: _Rows, merchants: _Merchants) -> SimulatedData:
    columns = {name: np.asarray(values) for name, values in rows.columns.items()}
    seconds = columns["seconds"].astype(np.int64)
    inside = np.flatnonzero((seconds >= 0) & (seconds < settings.days * _DAY))
    order = inside[np.argsort(seconds[inside], kind="stable")]
    market = columns["market"][order].astype(np.int64)
    merchant = columns["merchant"][order].astype(np.int64)
    level = np.asarray([m.price_level for m in _MARKETS])[market]
    amount = np.maximum(np.round(columns["usd"][order].astype(float) * level, 2), 0.01)
    scenario = columns["scenario"][order].astype(np.int8)
    present = ~merchants.online[merchant]
    return SimulatedData(
        seconds[order],
        columns["card"][order].astype(np.int64),
        merchant,
        amount,
        (scenario > 0).astype(np.int8),
        scenario,
        settings.start,
        {
            "currency": np.asarray([m.currency for m in _MARKETS])[market],
            "country": np.asarray([m.country for m in _MARKETS])[market],
            "channel": columns["channel"][order],
            "merchant_category_code": np.asarray(_CATEGORY_CODES)[merchants.category[merchant]],
            "device_id": columns["device"][order],
            "ip_address": columns["ip"][order],
            "latitude": np.where(present, np.round(merchants.latitude[merchant], 5), np.nan),
            "longitude": np.where(present, np.round(merchants.longitude[merchant], 5), np.nan),
            "utc_offset_minutes": np.asarray([m.utc_offset_minutes for m in _MARKETS])[market],
        },
    )
