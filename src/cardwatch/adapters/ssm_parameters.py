"""Secrets and settings from SSM Parameter Store, through Powertools (cached)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.parameters import SSMProvider

__all__ = ["ParameterReader"]

DEFAULT_MAX_AGE_SECONDS = 300


class ParameterReader:
    """Reads parameters with decryption, cached for ``max_age`` seconds."""

    def __init__(self, client: Any | None = None, max_age: int = DEFAULT_MAX_AGE_SECONDS) -> None:
        self._provider = SSMProvider(boto3_client=client) if client else SSMProvider()
        self._max_age = max_age

    def secret(self, name: str) -> str:
        value = self._provider.get(name, decrypt=True, max_age=self._max_age)
        return str(value)

    def text(self, name: str, max_age: int | None = None) -> str:
        """A plain parameter, cached for ``max_age`` seconds (rules: a short TTL)."""
        value = self._provider.get(
            name, decrypt=True, max_age=self._max_age if max_age is None else max_age
        )
        return str(value)
