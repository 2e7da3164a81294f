"""Detection profiles and alert cooldowns in the profile table.

A profile is one item (``profile_id`` = ``card#<token>`` or ``terminal#<id>``) holding
its state as compact JSON and a version; a save is conditional on the version it was
loaded at, so two concurrent detections never overwrite each other's update (the loser
fails and Lambda retries it). Cooldowns are items with a TTL.
"""

from __future__ import annotations

import json
from typing import Any

import boto3
from botocore.exceptions import ClientError

from cardwatch.domain.profiles import CardProfile, TerminalProfile

__all__ = ["ConcurrentProfileUpdate", "DynamoCooldown", "DynamoProfileStore"]

_PROFILE_DAYS = 90


class ConcurrentProfileUpdate(RuntimeError):
    """Another invocation saved the profile first; retrying the event is safe."""


class DynamoProfileStore:
    def __init__(self, table_name: str, client: Any | None = None) -> None:
        self._table = table_name
        self._client = client or boto3.client("dynamodb")
        self._loaded: dict[str, int] = {}

    def _get(self, profile_id: str) -> dict[str, Any] | None:
        item = self._client.get_item(
            TableName=self._table, ConsistentRead=True, Key={"profile_id": {"S": profile_id}}
        ).get("Item")
        if item is None:
            self._loaded[profile_id] = 0
            return None
        self._loaded[profile_id] = int(item["version"]["N"])
        state: dict[str, Any] = json.loads(item["state"]["S"])
        return state

    def load(self, card_key: str, terminal_id: str) -> tuple[CardProfile, TerminalProfile]:
        card = self._get(f"card#{card_key}")
        terminal = self._get(f"terminal#{terminal_id}")
        return (
            CardProfile.from_dict(card) if card else CardProfile(),
            TerminalProfile.from_dict(terminal) if terminal else TerminalProfile(),
        )

    def _put(self, profile_id: str, state: dict[str, Any], version: int, now_s: int) -> None:
        expected = self._loaded.get(profile_id, 0)
        try:
            self._client.put_item(
                TableName=self._table,
                Item={
                    "profile_id": {"S": profile_id},
                    "state": {"S": json.dumps(state, separators=(",", ":"))},
                    "version": {"N": str(version)},
                    "expires_at": {"N": str(now_s + _PROFILE_DAYS * 86_400)},
                },
                ConditionExpression="attribute_not_exists(profile_id) OR version = :expected",
                ExpressionAttributeValues={":expected": {"N": str(expected)}},
            )
        except ClientError as error:
            if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                raise ConcurrentProfileUpdate(profile_id) from error
            raise
        self._loaded[profile_id] = version

    def save(
        self, card_key: str, card: CardProfile, terminal_id: str, terminal: TerminalProfile
    ) -> None:
        now_s = (card.last_ms or 0) // 1000
        self._put(f"card#{card_key}", card.to_dict(), card.version, now_s)
        self._put(f"terminal#{terminal_id}", terminal.to_dict(), terminal.version, now_s)


class DynamoCooldown:
    """:class:`~cardwatch.domain.ports.CooldownStore` as TTL items."""

    def __init__(self, table_name: str, client: Any | None = None) -> None:
        self._table = table_name
        self._client = client or boto3.client("dynamodb")

    def active(self, key: str, now_ms: int) -> bool:
        item = self._client.get_item(
            TableName=self._table, ConsistentRead=True, Key={"profile_id": {"S": f"cooldown#{key}"}}
        ).get("Item")
        return item is not None and int(item["until_ms"]["N"]) > now_ms

    def start(self, key: str, until_ms: int) -> None:
        self._client.put_item(
            TableName=self._table,
            Item={
                "profile_id": {"S": f"cooldown#{key}"},
                "until_ms": {"N": str(until_ms)},
                "expires_at": {"N": str(until_ms // 1000 + 86_400)},
            },
        )
