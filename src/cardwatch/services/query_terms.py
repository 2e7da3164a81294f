"""What the analysts' listing routes read alike from a query string: a time range and a
page size, each problem naming its parameter, never the value sent."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

from cardwatch.domain.engine.state import DAY_MS
from cardwatch.domain.errors import FieldProblem
from cardwatch.domain.labels.review_queue import DEFAULT_LOOKBACK_DAYS, DEFAULT_PAGE, MAX_PAGE

__all__ = ["page_limit", "time_range"]


def _moment_ms(text: str, name: str, problems: list[FieldProblem]) -> int | None:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        problems.append(FieldProblem(name, "must be an ISO 8601 date and time"))
        return None
    if moment.tzinfo is None:  # as the contract's timestamps: no zone is UTC
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp() * 1000)


def time_range(
    parameters: Mapping[str, str], now_ms: int, problems: list[FieldProblem]
) -> tuple[int | None, int | None]:
    """``since`` and ``until`` (ISO 8601; the last 30 days unless said), each problem
    naming its parameter."""
    until = _moment_ms(parameters["until"], "until", problems) if "until" in parameters else now_ms
    since = (
        _moment_ms(parameters["since"], "since", problems)
        if "since" in parameters
        else (until or now_ms) - DEFAULT_LOOKBACK_DAYS * DAY_MS
    )
    if since is not None and until is not None and since > until:
        problems.append(FieldProblem("since", "must not be later than until"))
    return since, until


def page_limit(parameters: Mapping[str, str], problems: list[FieldProblem]) -> int:
    """``limit``: 1 to 100, 25 unless said."""
    if "limit" not in parameters:
        return DEFAULT_PAGE
    text = parameters["limit"]
    if not (text.isascii() and text.isdigit() and 1 <= int(text) <= MAX_PAGE):
        problems.append(FieldProblem("limit", f"must be a whole number from 1 to {MAX_PAGE}"))
        return DEFAULT_PAGE
    return int(text)
