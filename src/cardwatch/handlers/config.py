"""Each function's configuration, parsed once from its environment at the edge.

The variable names are the keys of :attr:`cardwatch.blueprint.FunctionSpec.environment`;
the domain receives values, never ``os.environ``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

__all__ = ["IngestConfig", "MissingSetting"]


class MissingSetting(RuntimeError):
    """A function was deployed without a variable it needs."""


def _required(env: Mapping[str, str], name: str) -> str:
    value = env.get(name, "").strip()
    if not value:
        raise MissingSetting(f"environment variable {name} is not set")
    return value


@dataclass(frozen=True, slots=True)
class IngestConfig:
    table_name: str
    card_token_key_parameter: str
    max_transaction_age: timedelta = timedelta(days=365)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> IngestConfig:
        env = os.environ if env is None else env
        return cls(
            table_name=_required(env, "TABLE_NAME"),
            card_token_key_parameter=_required(env, "CARD_TOKEN_KEY_PARAMETER"),
            max_transaction_age=timedelta(days=int(env.get("MAX_TRANSACTION_AGE_DAYS", "365"))),
        )
