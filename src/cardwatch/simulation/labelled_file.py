"""The one reader of labelled transaction files (backtest, training, local replay).

Columns are the API contract's field names plus ``is_fraud``; values are held to the
contract: a string field to its pattern or its list, the amount to a positive decimal,
coordinates to their range, the timestamp to ISO 8601. A value outside it is refused
naming the line and the column, never the value. Other columns are ignored.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from cardwatch.domain.engine.state import DAY_MS
from cardwatch.domain.transaction.currency import Rates
from cardwatch.domain.transaction.record import OPTIONAL_FIELDS
from cardwatch.schema import transaction_schema
from cardwatch.simulation import DataError

__all__ = ["OPTIONAL_COLUMNS", "REQUIRED_COLUMNS", "LabelledHistory", "load_history"]

REQUIRED_COLUMNS = ("transaction_id", "timestamp", "user_id", "terminal_id", "amount", "is_fraud")
_COORDINATES = ("latitude", "longitude")
#: Contract fields a file may carry and the engine or local mode passes on as written.
OPTIONAL_COLUMNS = ("currency", *(name for name in OPTIONAL_FIELDS if name not in _COORDINATES))


@dataclass(slots=True)
class LabelledHistory:
    """A labelled transaction file, column by column, in file order."""

    transaction_ids: list[str]
    timestamp_ms: NDArray[np.int64]
    users: list[str]
    terminals: list[str]
    amounts: list[float]
    labels: NDArray[np.int8]
    #: Terminal coordinates, when the file has ``latitude`` and ``longitude`` columns
    #: (the API contract's names); a blank cell is a transaction without them.
    latitudes: list[float | None] | None = None
    longitudes: list[float | None] | None = None
    #: the offset each timestamp was written in (minutes east of UTC), when any is not UTC
    utc_offsets: list[int] | None = None
    #: the optional contract columns the file has (blank cells are empty strings)
    extras: dict[str, list[str]] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.transaction_ids)

    def reference_amounts(self, rates: Rates) -> list[float]:
        """Each amount in the rates table's reference currency (as written when the
        file has no currency column)."""
        currencies = self.extras.get("currency")
        if not currencies:
            return self.amounts
        convert = rates.to_reference
        return [
            convert(amount, currency or None)
            for amount, currency in zip(self.amounts, currencies, strict=True)
        ]

    @property
    def days(self) -> NDArray[np.int64]:
        return self.timestamp_ms // DAY_MS


_UTC_SUFFIXES = ("Z", "+00:00")
_ZONED = re.compile(r"(Z|[+-]\d\d:?\d\d)$")
_LABELS = {"0": 0, "1": 1, "0.0": 0, "1.0": 1, "false": 0, "true": 1}
_AMOUNT = re.compile(r"[0-9]+(\.[0-9]+)?")


class _Refused(ValueError):
    """A cell outside the contract: its row (0-based, among data rows) and column."""

    def __init__(self, row: int, column: str, problem: str) -> None:
        super().__init__(problem)
        self.row, self.column, self.problem = row, column, problem


def _epoch_ms(text: str) -> int:
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:  # a timestamp without a zone is UTC, as the columns say
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp() * 1000)


def _first_bad(texts: list[str], column: str, good: Callable[[str], bool], problem: str) -> None:
    for row, text in enumerate(texts):
        if not good(text):
            raise _Refused(row, column, problem)


def _parses(text: str) -> bool:
    try:
        datetime.fromisoformat(text)
    except ValueError:
        return False
    return True


def _epoch_ms_all(texts: list[str]) -> NDArray[np.int64]:
    """Epoch milliseconds of ISO 8601 timestamps (a missing zone means UTC); vectorized
    when every one is in UTC, written with "Z", "+00:00" or no zone at all."""
    try:
        for suffix in _UTC_SUFFIXES:
            if texts and all(text.endswith(suffix) for text in texts):
                bare = [text[: -len(suffix)] for text in texts]
                break
        else:
            if any(_ZONED.search(text) for text in texts):
                return np.array([_epoch_ms(text) for text in texts], dtype=np.int64)
            bare = texts
        return np.array(bare, dtype="datetime64[ms]").astype(np.int64)
    except ValueError:
        _first_bad(texts, "timestamp", _parses, "is not an ISO 8601 date and time")
        raise


def _offsets(texts: list[str]) -> list[int] | None:
    """The offset of each timestamp that names one other than UTC (None: all UTC)."""
    if not any(_ZONED.search(text) and not text.endswith(_UTC_SUFFIXES) for text in texts):
        return None
    offsets = []
    for text in texts:
        offset = datetime.fromisoformat(text).utcoffset()
        offsets.append(0 if offset is None else int(offset.total_seconds() // 60))
    return offsets


def _labels(texts: list[str]) -> NDArray[np.int8]:
    """0/1 labels, also written 0.0/1.0 or false/true (any case)."""
    try:
        return np.array([_LABELS[text.strip().lower()] for text in texts], dtype=np.int8)
    except KeyError:
        _first_bad(texts, "is_fraud", lambda t: t.strip().lower() in _LABELS, "must be 0 or 1")
        raise


def _amounts(texts: list[str]) -> list[float]:
    _first_bad(
        texts,
        "amount",
        lambda t: _AMOUNT.fullmatch(t) is not None and float(t) > 0,
        "must be a positive decimal number",
    )
    return [float(text) for text in texts]


def _coordinates(texts: list[str], column: str, limit: float) -> list[float | None]:
    def good(text: str) -> bool:
        if not text.strip():
            return True
        try:
            return -limit <= float(text) <= limit
        except ValueError:
            return False

    _first_bad(texts, column, good, f"must be a number within +-{limit:g} (or blank)")
    return [float(text) if text.strip() else None for text in texts]


@cache
def _contract_check(column: str) -> Callable[[str], bool]:
    """The contract's test for a string field: its pattern, or its list of values."""
    spec = transaction_schema()["properties"][column]
    if "enum" in spec:
        allowed = frozenset(spec["enum"])
        return lambda text: text in allowed
    pattern = re.compile(spec["pattern"])
    return lambda text: pattern.fullmatch(text) is not None


def _check_strings(column: str, texts: list[str], blank_allowed: bool) -> None:
    test = _contract_check(column)
    seen: set[str] = set()
    for row, text in enumerate(texts):
        if text in seen:
            continue
        if not (test(text) or (blank_allowed and text == "")):
            raise _Refused(row, column, "is outside the contract (see /openapi.json)")
        seen.add(text)


def _read_columns(path: Path) -> dict[str, list[str]]:
    with path.open(newline="") as file:
        reader = csv.reader(file)
        header = next(reader, [])
        missing = [name for name in REQUIRED_COLUMNS if name not in header]
        if missing:
            raise DataError(f"{path.name}: no column {', '.join(missing)}")
        names = [
            *REQUIRED_COLUMNS,
            *(_COORDINATES if set(_COORDINATES) <= set(header) else ()),
            *(name for name in OPTIONAL_COLUMNS if name in header),
        ]
        picks = [header.index(name) for name in names]
        columns: list[list[str]] = [[] for _ in names]
        for line, row in enumerate(reader, start=2):
            try:
                for column, index in zip(columns, picks, strict=True):
                    column.append(row[index])
            except IndexError:
                raise DataError(f"{path.name}, line {line}: too few fields") from None
    return dict(zip(names, columns, strict=True))


def load_history(path: Path) -> LabelledHistory:
    """Read a labelled file: the required columns, coordinates when both are there, and
    whichever optional contract columns it has."""
    columns = _read_columns(path)
    try:
        for name in ("transaction_id", "user_id", "terminal_id"):
            _check_strings(name, columns[name], blank_allowed=False)
        extras = {name: columns[name] for name in OPTIONAL_COLUMNS if name in columns}
        for name, texts in extras.items():
            _check_strings(name, texts, blank_allowed=True)  # blank: not given
        latitudes = longitudes = None
        if "latitude" in columns:
            latitudes = _coordinates(columns["latitude"], "latitude", 90)
            longitudes = _coordinates(columns["longitude"], "longitude", 180)
        stamps = columns["timestamp"]
        return LabelledHistory(
            columns["transaction_id"],
            _epoch_ms_all(stamps),
            columns["user_id"],
            columns["terminal_id"],
            _amounts(columns["amount"]),
            _labels(columns["is_fraud"]),
            latitudes,
            longitudes,
            _offsets(stamps),
            extras,
        )
    except _Refused as refused:
        line = refused.row + 2  # the header is line 1
        raise DataError(
            f"{path.name}, line {line}, column {refused.column}: {refused.problem}"
        ) from None
