"""Where adapters are built and handed to the domain.

One module per function (:mod:`.ingest`, :mod:`.detect`, :mod:`.analyze`,
:mod:`.notify`), so a function imports only the adapters and domain services it uses
(detect never loads the ingest contract's validator, for one); what they share lives
here. Clients and parsed configuration live as long as the Lambda environment; anything
that holds per-invocation state (the profile store's loaded versions) is built per event.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar, cast

from cardwatch.adapters.clients import client, forget_clients
from cardwatch.adapters.messaging import SqsFindingQueue

if TYPE_CHECKING:
    from cardwatch.adapters.ssm_parameters import ParameterReader
    from cardwatch.domain.engine.rules import Policy

__all__ = ["cached", "dynamodb", "forgotten_on_reset", "parameters", "policy", "queue", "reset"]

P = ParamSpec("P")
T = TypeVar("T")
_CACHES: list[Any] = []
#: what a process keeps between invocations besides caches (the last good rules and
#: models): each has ``forget()``
_KEPT: list[Any] = []


def forgotten_on_reset(kept: T) -> T:
    """Register ``kept`` (with a ``forget()``) to be forgotten by :func:`reset`."""
    _KEPT.append(kept)
    return kept


def cached(factory: Callable[P, T]) -> Callable[P, T]:
    """``functools.cache``, and forgotten by :func:`reset`."""
    wrapped = cache(factory)
    _CACHES.append(wrapped)
    return cast(Callable[P, T], wrapped)


def dynamodb() -> Any:
    return client("dynamodb")


@cached
def parameters() -> ParameterReader:
    # imported here: Powertools' parameters is detect's alone (its wiring imports the
    # package with the function; ingest, analyze and notify never load it)
    from cardwatch.adapters.ssm_parameters import ParameterReader  # noqa: PLC0415

    return ParameterReader()


@cached
def policy(text: str) -> Policy:
    from cardwatch.domain.engine.rules import Policy  # noqa: PLC0415 - detect's only: not notify's

    return Policy.from_json(text)


@cached
def queue(url: str) -> SqsFindingQueue:
    return SqsFindingQueue(url)


def reset() -> None:
    """Forget every cached client and service (tests, and local mode between stacks)."""
    forget_clients()
    for wrapped in _CACHES:
        wrapped.cache_clear()
    for kept in _KEPT:  # a new stack starts from what ships, not the last stack's models
        kept.forget()
