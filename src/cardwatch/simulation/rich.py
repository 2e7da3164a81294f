"""The simulator's processor fields and the fraud that uses them (off by default).

With :class:`RichSettings` the handbook world gains what a card processor sends and
five more kinds of fraud. The handbook's own columns and scenarios come first and are
drawn from the same random stream as without it; everything here draws from a second
stream, so a plain simulation is byte-identical whether this module exists or not.

The world: four cities in four countries (each with its currency, its price level and
its UTC offset). A customer lives in the city under its grid position and pays with
its card at nearby terminals (``pos`` or ``contactless``, with coordinates) or online
at one of the city's web shops (``ecommerce``, no coordinates) from one or two usual
devices and a home IP range. Genuine novelty is part of it: now and then a new phone,
a café's IP, a trip abroad of a few days.

The fraud (scenario codes after the handbook's 1-4):

5. **account takeover**: online purchases from a device never seen and an IP abroad,
   within a few hours;
6. **spread card testing**: one device and IP probe 20 to 60 cards with one to three
   tiny purchases each at a few web shops, then some of the cards are cashed out days
   later from another device;
7. **skimming**: a terminal copies the cards used there for a few days; each copied
   card is used days later, in person, in another city, for a few large purchases;
8. **lost or stolen contactless**: a run of small taps near home within two hours;
9. **friendly fraud**: a customer's own ordinary purchase, later disputed.

Every number below belongs to the generator; the engine never reads them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = ["CITIES", "RICH_COLUMNS", "RichSettings", "enrich"]

_DAY = 86_400
_KM_PER_DEGREE = 111.0


@dataclass(frozen=True, slots=True)
class City:
    country: str
    currency: str
    #: what a purchase worth 1 at home costs here, in the local currency
    price_level: float
    decimals: int
    utc_offset_minutes: int
    latitude: float
    longitude: float
    ip_prefix: int  # first octet of the city's address ranges


CITIES = (
    City("US", "USD", 1.0, 2, -300, 40.71, -74.01, 23),
    City("GB", "GBP", 0.8, 2, 0, 51.51, -0.13, 81),
    City("DE", "EUR", 0.93, 2, 60, 52.52, 13.40, 91),
    City("JP", "JPY", 150.0, 0, 540, 35.68, 139.69, 126),
)
#: the columns a rich world adds (the contract's field names)
RICH_COLUMNS = (
    "currency",
    "country",
    "channel",
    "merchant_category_code",
    "device_id",
    "ip_address",
    "latitude",
    "longitude",
)
_MCC_SHOPS = ("5411", "5812", "5541", "5912", "5311", "5651", "5732", "5944")
_MCC_WEB = ("5999", "5732", "4814", "5815", "5942", "7994")
_WEB_SHOPS_PER_CITY = 40
_IN_TRANSIT = -2
#: the handbook's scenario whose every transaction at a terminal is fraud
_AT_COMPROMISED_TERMINAL = 2


@dataclass(frozen=True, slots=True)
class RichSettings:
    online_share: tuple[float, float] = (0.1, 0.6)
    contactless_share: float = 0.5
    new_device_rate: float = 0.01
    other_ip_rate: float = 0.05
    trips_per_day: int = 2
    takeovers_per_day: int = 2
    spread_testing_per_week: int = 2
    skimmers_per_week: int = 3
    stolen_taps_per_day: int = 1
    friendly_fraud_per_day: int = 1


@dataclass(slots=True)
class _Rows:
    """Columns being built: one list per column."""

    seconds: list[int]
    customer: list[int]
    terminal: list[int]
    amount: list[float]
    scenario: list[int]
    city: list[int]
    channel: list[str]
    device: list[str]
    ip: list[str]

    @classmethod
    def empty(cls) -> _Rows:
        return cls([], [], [], [], [], [], [], [], [])

    def add(self, *values: Any) -> None:
        for column, value in zip(
            (
                self.seconds,
                self.customer,
                self.terminal,
                self.amount,
                self.scenario,
                self.city,
                self.channel,
                self.device,
                self.ip,
            ),
            values,
            strict=True,
        ):
            column.append(value)  # type: ignore[attr-defined]


@dataclass(frozen=True, slots=True)
class _World:
    """What every scenario draws on."""

    settings: Any
    rich: RichSettings
    rng: np.random.Generator
    home: NDArray[np.int64]
    terminal_city: NDArray[np.int64]
    terminal_xy: NDArray[np.float64]


def _ip(prefix: int, rng: np.random.Generator, net: int | None = None) -> str:
    net = int(rng.integers(0, 65_536)) if net is None else net
    return f"{prefix}.{net >> 8}.{net & 255}.{int(rng.integers(1, 255))}"


def enrich(data: Any, settings: Any, rich: RichSettings) -> Any:
    """The handbook world ``data`` with processor fields and the five rich scenarios."""
    rng = np.random.default_rng([settings.seed, 7])
    cities = len(CITIES)
    customers, terminals = settings.customers, settings.terminals
    # where everyone is: the grid's four quarters are the four cities (a grid unit is a
    # kilometre); a customer near a border whose terminal is across it pays online
    home = _quarter(data.customer_xy)
    terminal_city = _quarter(data.terminal_xy)
    terminal_xy = data.terminal_xy - 50 * (data.terminal_xy >= 50) - 25  # km from centre
    terminal_mcc = rng.choice(_MCC_SHOPS, terminals)
    web_base = terminals  # web shops are numbered after the card-present terminals
    web_mcc = rng.choice(_MCC_WEB, cities * _WEB_SHOPS_PER_CITY)
    online = rng.uniform(*rich.online_share, customers)
    devices = [[f"dv{c:05d}{k}" for k in range(int(rng.integers(1, 3)))] for c in range(customers)]
    home_net = rng.integers(0, 65_536, customers)

    rows = _Rows.empty()
    size = len(data.seconds)
    world = _World(settings, rich, rng, home, terminal_city, data.terminal_xy)
    travel = np.full(size, -1)
    trips = _trips(world, data.terminal_xy)
    for index, (customer, first, last, _city, _near) in enumerate(trips):
        mine = data.customer == customer
        moving = mine & (data.seconds >= first) & (data.seconds < last)
        travel[moving] = index
        # the journeys there and back take a day: bought online meanwhile
        for start in (first - _DAY, last):
            transit = mine & (data.seconds >= start) & (data.seconds < start + _DAY)
            travel[transit] = _IN_TRANSIT
    draws = rng.uniform(size=(size, 4))
    for row in range(size):
        customer = int(data.customer[row])
        trip = trips[travel[row]] if travel[row] >= 0 else None
        city = int(home[customer]) if trip is None else trip[3]
        terminal = int(data.terminal[row])
        u_online, u_tap, u_device, u_ip = draws[row]
        abroad = travel[row] >= 0
        # a compromised terminal's fraud is the terminal's: when the customer is at home
        # and the terminal in their city, it stays there, in person (moved online, it
        # would be a genuine-looking purchase labelled fraud)
        at_terminal = (
            data.scenario[row] == _AT_COMPROMISED_TERMINAL
            and travel[row] == -1
            and terminal_city[terminal] == city
        )
        if not at_terminal and (
            travel[row] == _IN_TRANSIT
            or (u_online < online[customer] and not abroad)
            or (terminal_city[terminal] != city and not abroad)
        ):
            shop = web_base + city * _WEB_SHOPS_PER_CITY + int(u_tap * _WEB_SHOPS_PER_CITY)
            device = devices[customer][int(u_device * len(devices[customer]))]
            if u_device < rich.new_device_rate:
                device = f"nd{row:08d}"  # a new phone
            net = int(home_net[customer]) if u_ip >= rich.other_ip_rate else None
            rows.add(
                int(data.seconds[row]),
                customer,
                shop,
                float(data.amount[row]),
                int(data.scenario[row]),
                city,
                "ecommerce",
                device,
                _ip(CITIES[city].ip_prefix, rng, net),
            )
            continue
        if trip is not None:  # a trip: the terminals near the hotel, in person
            terminal = int(rng.choice(trip[4]))
        channel = "contactless" if u_tap < rich.contactless_share else "pos"
        rows.add(
            int(data.seconds[row]),
            customer,
            terminal,
            float(data.amount[row]),
            int(data.scenario[row]),
            city,
            channel,
            "",
            "",
        )
    fraud = list(data.fraud.astype(int))
    for scenario in (_takeovers, _spread_testing, _skimming, _stolen_taps, _friendly):
        scenario(world, rows, fraud)
    return _assemble(data, rows, fraud, (terminal_xy, terminal_mcc, web_mcc))


def _quarter(xy: NDArray[np.float64]) -> NDArray[np.int64]:
    return ((xy[:, 0] >= 50).astype(np.int64) + 2 * (xy[:, 1] >= 50)) % len(CITIES)


def _trips(
    world: _World, terminal_xy: NDArray[np.float64]
) -> list[tuple[int, int, int, int, NDArray[np.int64]]]:
    """Trips abroad: (customer, first second, last second, city, the terminals near
    the hotel)."""
    settings, rng, home = world.settings, world.rng, world.home
    trips = []
    for day in range(settings.days):
        for customer in rng.choice(settings.customers, world.rich.trips_per_day, replace=False):
            away = (int(home[customer]) + int(rng.integers(1, len(CITIES)))) % len(CITIES)
            first = day * _DAY
            last = first + int(rng.integers(3, 8)) * _DAY
            near = _neighbourhood(away, world.terminal_city, terminal_xy, rng)
            trips.append((int(customer), first, last, away, near))
    return trips


def _neighbourhood(
    city: int,
    terminal_city: NDArray[np.int64],
    terminal_xy: NDArray[np.float64],
    rng: np.random.Generator,
) -> NDArray[np.int64]:
    """The few terminals of ``city`` nearest a random one of them: where a visitor, or
    a thief on foot, pays."""
    candidates = np.nonzero(terminal_city == city)[0]
    centre = terminal_xy[int(rng.choice(candidates))]
    distance = ((terminal_xy[candidates] - centre) ** 2).sum(axis=1)
    return np.asarray(candidates[np.argsort(distance)[:8]], dtype=np.int64)


def _local(amount: float, city: int) -> float:
    place = CITIES[city]
    return float(round(max(amount * place.price_level, 10**-place.decimals), place.decimals))


def _takeovers(world: _World, rows: _Rows, fraud: list[int]) -> None:
    settings, rich, rng = world.settings, world.rich, world.rng
    home = world.home
    for day in range(settings.days):
        for customer in rng.choice(settings.customers, rich.takeovers_per_day, replace=False):
            city = int(home[customer])
            abroad = (city + int(rng.integers(1, len(CITIES)))) % len(CITIES)
            moment = day * _DAY + int(rng.integers(0, _DAY - 6 * 3600))
            device = f"ato{day:04d}{customer:05d}"
            address = _ip(CITIES[abroad].ip_prefix, rng)
            for _ in range(int(rng.integers(1, 5))):
                moment += int(rng.integers(120, 5400))
                shop = (
                    settings.terminals
                    + city * _WEB_SHOPS_PER_CITY
                    + int(rng.integers(0, _WEB_SHOPS_PER_CITY))
                )
                rows.add(
                    moment,
                    int(customer),
                    shop,
                    float(rng.uniform(80, 900)),
                    5,
                    city,
                    "ecommerce",
                    device,
                    address,
                )
                fraud.append(1)


def _spread_testing(world: _World, rows: _Rows, fraud: list[int]) -> None:
    settings, rich, rng = world.settings, world.rich, world.rng
    home = world.home
    weeks = max(1, settings.days // 7)
    for attack in range(weeks * rich.spread_testing_per_week):
        day = int(rng.integers(0, settings.days))
        moment = day * _DAY + int(rng.integers(0, _DAY - 4 * 3600))
        device, address = f"bot{attack:05d}", _ip(int(rng.integers(150, 220)), rng)
        city = int(rng.integers(0, len(CITIES)))
        shops = (
            settings.terminals
            + city * _WEB_SHOPS_PER_CITY
            + rng.choice(_WEB_SHOPS_PER_CITY, 3, replace=False)
        )
        cards = rng.choice(settings.customers, int(rng.integers(20, 61)), replace=False)
        for card in cards:
            for _ in range(int(rng.integers(1, 4))):
                moment += int(rng.integers(5, 240))
                rows.add(
                    moment,
                    int(card),
                    int(rng.choice(shops)),
                    _local(float(rng.uniform(0.5, 3.0)), city),
                    6,
                    city,
                    "ecommerce",
                    device,
                    address,
                )
                fraud.append(1)
        for card in cards[: len(cards) // 5]:  # the cards that worked, cashed out later
            later = moment + int(rng.integers(1, 6)) * _DAY + int(rng.integers(0, _DAY // 2))
            own = int(home[card])
            rows.add(
                later,
                int(card),
                settings.terminals
                + own * _WEB_SHOPS_PER_CITY
                + int(rng.integers(0, _WEB_SHOPS_PER_CITY)),
                _local(float(rng.uniform(150, 700)), own),
                6,
                own,
                "ecommerce",
                f"cash{attack:05d}",
                _ip(int(rng.integers(150, 220)), rng),
            )
            fraud.append(1)


def _skimming(world: _World, rows: _Rows, fraud: list[int]) -> None:
    settings, rich, rng = world.settings, world.rich, world.rng
    home, terminal_city = world.home, world.terminal_city
    weeks = max(1, settings.days // 7)
    present = [i for i, channel in enumerate(rows.channel) if channel in {"pos", "contactless"}]
    if not present:
        return
    by_terminal: dict[int, list[int]] = {}
    for i in present:
        by_terminal.setdefault(rows.terminal[i], []).append(i)
    busy = [t for t, uses in by_terminal.items() if len(uses) >= 5]
    for _ in range(weeks * rich.skimmers_per_week):
        if not busy:
            return
        terminal = int(rng.choice(busy))
        start = int(rng.integers(0, settings.days)) * _DAY
        copied = {
            rows.customer[i]
            for i in by_terminal[terminal]
            if start <= rows.seconds[i] < start + 4 * _DAY
        }
        for card in sorted(copied):
            if rng.uniform() < 0.5:
                continue
            elsewhere = (int(home[card]) + int(rng.integers(1, len(CITIES)))) % len(CITIES)
            near = _neighbourhood(elsewhere, terminal_city, world.terminal_xy, rng)
            moment = start + int(rng.integers(2, 11)) * _DAY + int(rng.integers(0, _DAY // 2))
            for _ in range(int(rng.integers(2, 6))):
                moment += int(rng.integers(300, 3600))
                rows.add(
                    moment,
                    card,
                    int(rng.choice(near)),
                    _local(float(rng.uniform(150, 1200)), elsewhere),
                    7,
                    elsewhere,
                    "pos",
                    "",
                    "",
                )
                fraud.append(1)


def _stolen_taps(world: _World, rows: _Rows, fraud: list[int]) -> None:
    settings, rich, rng = world.settings, world.rich, world.rng
    home, terminal_city = world.home, world.terminal_city
    for day in range(settings.days):
        for card in rng.choice(settings.customers, rich.stolen_taps_per_day, replace=False):
            city = int(home[card])
            moment = day * _DAY + int(rng.integers(8 * 3600, _DAY - 3 * 3600))
            near = _neighbourhood(city, terminal_city, world.terminal_xy, rng)
            for _ in range(int(rng.integers(3, 9))):
                moment += int(rng.integers(120, 1200))
                rows.add(
                    moment,
                    int(card),
                    int(rng.choice(near)),
                    _local(float(rng.uniform(15, 50)), city),
                    8,
                    city,
                    "contactless",
                    "",
                    "",
                )
                fraud.append(1)


def _friendly(world: _World, rows: _Rows, fraud: list[int]) -> None:
    settings, rich, rng = world.settings, world.rich, world.rng
    genuine = [i for i, f in enumerate(fraud) if not f]
    chosen = rng.choice(
        genuine, min(len(genuine), settings.days * rich.friendly_fraud_per_day), replace=False
    )
    for i in chosen:
        fraud[int(i)] = 1
        rows.scenario[int(i)] = 9


def _assemble(data: Any, rows: _Rows, fraud: list[int], places: tuple[Any, Any, Any]) -> Any:
    terminal_xy, terminal_mcc, web_mcc = places
    seconds = np.asarray(rows.seconds, dtype=np.int64)
    # fraud that would fall after the simulated days (a clone used later) is left out
    inside = np.nonzero(seconds < data.seconds.max() + 1)[0]
    order = inside[np.argsort(seconds[inside], kind="stable")]
    terminals = len(terminal_xy)
    city = np.asarray(rows.city)[order]
    terminal = np.asarray(rows.terminal, dtype=np.int64)[order]
    channel = np.asarray(rows.channel)[order]
    amounts = np.asarray(rows.amount)[order]
    # home-made amounts are in the handbook's unit: priced in the city's currency here
    base = np.asarray([s in (0, 1, 2, 3, 4, 5, 9) for s in rows.scenario])[order]
    level = np.asarray([c.price_level for c in CITIES])[city]
    decimals = np.asarray([c.decimals for c in CITIES])[city]
    local = np.where(base, amounts * level, amounts)
    local = np.where(decimals == 0, np.maximum(np.round(local), 1), np.round(local, 2))
    present = terminal < terminals
    safe = np.where(present, terminal, 0)
    latitude = (
        np.asarray([c.latitude for c in CITIES])[city] + terminal_xy[safe, 1] / _KM_PER_DEGREE
    )
    cos = np.cos(np.radians(latitude))
    longitude = np.asarray([c.longitude for c in CITIES])[city] + terminal_xy[safe, 0] / (
        _KM_PER_DEGREE * cos
    )
    mcc = np.where(present, terminal_mcc[safe], web_mcc[np.maximum(terminal - terminals, 0)])
    return type(data)(
        np.asarray(rows.seconds, dtype=np.int64)[order],
        np.asarray(rows.customer, dtype=np.int64)[order],
        terminal,
        local,
        np.asarray(fraud, dtype=np.int8)[order],
        np.asarray(rows.scenario, dtype=np.int8)[order],
        data.start,
        {
            "currency": np.asarray([c.currency for c in CITIES])[city],
            "country": np.asarray([c.country for c in CITIES])[city],
            "channel": channel,
            "merchant_category_code": mcc,
            "device_id": np.asarray(rows.device)[order],
            "ip_address": np.asarray(rows.ip)[order],
            "latitude": np.where(present, np.round(latitude, 5), np.nan),
            "longitude": np.where(present, np.round(longitude, 5), np.nan),
            "utc_offset_minutes": np.asarray([c.utc_offset_minutes for c in CITIES])[city],
        },
    )
