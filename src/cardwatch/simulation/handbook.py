"""A labelled card-transaction generator, after the published description of the
simulator in "Reproducible Machine Learning for Credit Card Fraud Detection - Practical
Handbook" (Le Borgne et al.), chapter "Transaction data simulator".

Customers and terminals sit on a 100 x 100 grid; a customer uses the terminals within
``radius`` of home; daily counts are Poisson, times of day normal around noon, amounts
normal around the customer's mean. Three fraud scenarios are layered on top:

1. every transaction above ``fraud_amount`` is fraud;
2. each day ``compromised_terminals_per_day`` terminals are drawn, and all their
   transactions in the next ``terminal_compromise_days`` are fraud;
3. each day ``compromised_customers_per_day`` customers are drawn, and a third of their
   transactions in the next ``customer_compromise_days`` have their amount multiplied by
   ``compromised_amount_factor`` and are fraud.

A fourth scenario, not in the handbook and off by default, is card testing: each day
``card_testing_per_day`` cards are probed with a burst of tiny amounts (cents to a few
units, a minute or so apart, at any terminal: the probes come from anywhere) and then
used for one or two large purchases; all of it is fraud.

These numbers belong to the generator only; the detection engine never reads them.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from cardwatch.simulation import DataError
from cardwatch.simulation.rich import RICH_COLUMNS, RichSettings, enrich

__all__ = ["SimulatedData", "SimulationSettings", "simulate", "write_csv"]

_DAY_SECONDS = 86_400


@dataclass(frozen=True, slots=True)
class SimulationSettings:
    customers: int = 5000
    terminals: int = 10000
    days: int = 183
    radius: float = 5.0
    seed: int = 0
    start: str = "2018-04-01"
    fraud_amount: float = 220.0
    compromised_terminals_per_day: int = 2
    terminal_compromise_days: int = 28
    compromised_customers_per_day: int = 3
    customer_compromise_days: int = 14
    compromised_amount_factor: float = 5.0
    card_testing_per_day: int = 0
    #: every amount times this (another currency, another market): 1 is the handbook's
    amount_scale: float = 1.0
    #: processor fields and the fraud that uses them (None: the handbook's columns only)
    rich: RichSettings | None = None


@dataclass(slots=True)
class SimulatedData:
    """Columns of the generated transactions, in time order."""

    seconds: NDArray[np.int64]  # since the start date
    customer: NDArray[np.int64]
    terminal: NDArray[np.int64]
    amount: NDArray[np.float64]
    fraud: NDArray[np.int8]
    scenario: NDArray[np.int8]
    start: str
    #: a rich world's processor fields, column by column (:mod:`.simulate_rich`)
    context: dict[str, NDArray[Any]] | None = None
    #: where the handbook placed its customers and terminals on the grid
    customer_xy: NDArray[np.float64] | None = None
    terminal_xy: NDArray[np.float64] | None = None

    def __len__(self) -> int:
        return len(self.seconds)


def _available_terminals(
    customer_xy: NDArray[np.float64], terminal_xy: NDArray[np.float64], radius: float
) -> list[NDArray[np.int64]]:
    available: list[NDArray[np.int64]] = []
    for chunk in np.array_split(customer_xy, max(1, len(customer_xy) // 500)):
        distance = np.sqrt(((chunk[:, None, :] - terminal_xy[None, :, :]) ** 2).sum(axis=2))
        available.extend(np.nonzero(row < radius)[0] for row in distance)
    return available


def _legitimate(settings: SimulationSettings, rng: np.random.Generator) -> SimulatedData:
    customer_xy = rng.uniform(0, 100, (settings.customers, 2))
    mean_amount = rng.uniform(5, 100, settings.customers) * settings.amount_scale
    mean_per_day = rng.uniform(0, 4, settings.customers)
    terminal_xy = rng.uniform(0, 100, (settings.terminals, 2))
    available = _available_terminals(customer_xy, terminal_xy, settings.radius)
    parts: list[tuple[NDArray[np.int64], ...]] = []
    amounts: list[NDArray[np.float64]] = []
    for customer, terminals in enumerate(available):
        if len(terminals) == 0:
            continue
        counts = rng.poisson(mean_per_day[customer], settings.days)
        day = np.repeat(np.arange(settings.days), counts)
        time_of_day = rng.normal(_DAY_SECONDS / 2, 20_000, len(day))
        keep = (time_of_day >= 0) & (time_of_day < _DAY_SECONDS)
        day, time_of_day = day[keep], time_of_day[keep]
        amount = rng.normal(mean_amount[customer], mean_amount[customer] / 2, len(day))
        negative = amount < 0
        amount[negative] = rng.uniform(0, 2 * mean_amount[customer], negative.sum())
        amount = np.maximum(np.round(amount, 2), 0.01)
        parts.append(
            (
                day * _DAY_SECONDS + time_of_day.astype(np.int64),
                np.full(len(day), customer, dtype=np.int64),
                rng.choice(terminals, len(day)),
            )
        )
        amounts.append(amount)
    if not parts:
        raise DataError(
            "no cardholder of this world has a terminal within reach: "
            "simulate more terminals or more customers"
        )
    seconds, customers, chosen = (np.concatenate(column) for column in zip(*parts, strict=True))
    order = np.argsort(seconds, kind="stable")
    size = len(order)
    return SimulatedData(
        seconds[order],
        customers[order],
        chosen[order],
        np.concatenate(amounts)[order],
        np.zeros(size, np.int8),
        np.zeros(size, np.int8),
        settings.start,
        customer_xy=customer_xy,
        terminal_xy=terminal_xy,
    )


def _add_fraud(data: SimulatedData, settings: SimulationSettings, rng: np.random.Generator) -> None:
    day = data.seconds // _DAY_SECONDS
    above = data.amount > settings.fraud_amount
    data.fraud[above], data.scenario[above] = 1, 1
    for first in range(settings.days):
        terminals = rng.choice(
            settings.terminals, settings.compromised_terminals_per_day, replace=False
        )
        hit = (
            (day >= first)
            & (day < first + settings.terminal_compromise_days)
            & np.isin(data.terminal, terminals)
        )
        data.fraud[hit] = 1
        data.scenario[hit & (data.scenario == 0)] = 2
    for first in range(settings.days):
        customers = rng.choice(
            settings.customers, settings.compromised_customers_per_day, replace=False
        )
        window = np.nonzero(
            (day >= first)
            & (day < first + settings.customer_compromise_days)
            & np.isin(data.customer, customers)
        )[0]
        chosen = rng.choice(window, len(window) // 3, replace=False)
        data.amount[chosen] = np.round(data.amount[chosen] * settings.compromised_amount_factor, 2)
        data.fraud[chosen] = 1
        data.scenario[chosen] = 3


def _with_card_testing(
    data: SimulatedData, settings: SimulationSettings, rng: np.random.Generator
) -> SimulatedData:
    seconds: list[int] = []
    customers: list[int] = []
    amounts: list[float] = []
    for day in range(settings.days):
        for card in rng.choice(settings.customers, settings.card_testing_per_day, replace=False):
            moment = day * _DAY_SECONDS + int(rng.integers(0, _DAY_SECONDS - 4 * 3600))
            probes = int(rng.integers(6, 13))
            for gap, amount in zip(
                rng.integers(20, 90, probes), rng.uniform(0.5, 2.5, probes), strict=True
            ):
                moment += int(gap)
                seconds.append(moment)
                amounts.append(round(float(amount), 2))
            for _ in range(int(rng.integers(1, 3))):
                moment += int(rng.integers(60, 1800))
                seconds.append(moment)
                amounts.append(round(float(rng.uniform(150, 600) * settings.amount_scale), 2))
            customers += [int(card)] * (len(seconds) - len(customers))
    added = len(seconds)
    order = np.argsort(np.concatenate([data.seconds, seconds]), kind="stable")

    def merged(column: NDArray[Any], extra: Any, kind: Any) -> NDArray[Any]:
        return np.concatenate([column, np.asarray(extra, dtype=kind)])[order]

    return SimulatedData(
        merged(data.seconds, seconds, np.int64),
        merged(data.customer, customers, np.int64),
        merged(data.terminal, rng.integers(0, settings.terminals, added), np.int64),
        merged(data.amount, amounts, np.float64),
        merged(data.fraud, np.ones(added), np.int8),
        merged(data.scenario, np.full(added, 4), np.int8),
        data.start,
        customer_xy=data.customer_xy,
        terminal_xy=data.terminal_xy,
    )


def simulate(settings: SimulationSettings) -> SimulatedData:
    rng = np.random.default_rng(settings.seed)
    data = _legitimate(settings, rng)
    _add_fraud(data, settings, rng)
    if settings.card_testing_per_day:
        data = _with_card_testing(data, settings, rng)
    if settings.rich is not None:
        data = enrich(data, settings, settings.rich)
    return data


def _offset_text(minutes: int) -> str:
    sign = "+" if minutes >= 0 else "-"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def _stamps(data: SimulatedData) -> list[str]:
    """UTC moments as ``...Z``; a rich world's in each place's local time and offset."""
    if data.context is None:
        return [
            f"{moment}Z" for moment in (np.datetime64(data.start, "s") + data.seconds).astype(str)
        ]
    offsets = data.context["utc_offset_minutes"]
    local = (np.datetime64(data.start, "s") + data.seconds + offsets * 60).astype(str)
    return [
        moment + (_offset_text(int(offset)) if offset else "Z")
        for moment, offset in zip(local, offsets.tolist(), strict=True)
    ]


def _cells(column: NDArray[Any]) -> list[str]:
    if column.dtype.kind == "f":
        return [
            "" if value != value else f"{value:.5f}".rstrip("0").rstrip(".")
            for value in column.tolist()
        ]
    return [str(value) for value in column.tolist()]


def write_csv(data: SimulatedData, path: Path) -> int:
    """Write ``transaction_id,timestamp,user_id,terminal_id,amount,is_fraud`` (+ scenario),
    and a rich world's processor fields after them."""
    decimals = (
        np.full(len(data), 2)
        if data.context is None
        else np.where(data.context["currency"] == "JPY", 0, 2)
    )
    amounts = [
        f"{amount:.{places}f}"
        for amount, places in zip(data.amount.tolist(), decimals.tolist(), strict=True)
    ]
    extra = [] if data.context is None else [_cells(data.context[name]) for name in RICH_COLUMNS]
    header = [
        "transaction_id",
        "timestamp",
        "user_id",
        "terminal_id",
        "amount",
        "is_fraud",
        "fraud_scenario",
        *(RICH_COLUMNS if data.context is not None else ()),
    ]
    with path.open("w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(header)
        writer.writerows(
            (
                f"tx-{index:08d}",
                moment,
                f"C{customer:05d}",
                f"T{terminal:05d}",
                amount,
                fraud,
                scenario,
                *(column[index] for column in extra),
            )
            for index, (moment, customer, terminal, amount, fraud, scenario) in enumerate(
                zip(
                    _stamps(data),
                    data.customer.tolist(),
                    data.terminal.tolist(),
                    amounts,
                    data.fraud.tolist(),
                    data.scenario.tolist(),
                    strict=True,
                )
            )
        )
    return len(data)
