"""The synthesized CDKTF stack's Terraform JSON, read as the infrastructure tests read it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from cardwatch.blueprint import Blueprint


class Synthesized:
    """The Terraform JSON, with helpers to find resources and read their settings."""

    def __init__(self, path: Path, blueprint: Blueprint) -> None:
        self.path = path
        self.blueprint = blueprint
        self.document: dict[str, Any] = json.loads(path.read_text())

    def resources(self, kind: str) -> dict[str, dict[str, Any]]:
        found: dict[str, dict[str, Any]] = self.document.get("resource", {}).get(kind, {})
        return found

    def one(self, kind: str) -> dict[str, Any]:
        (only,) = self.resources(kind).values()
        return only

    def named(self, kind: str, name: str, key: str = "name") -> dict[str, Any]:
        matches = [r for r in self.resources(kind).values() if r.get(key) == name]
        assert len(matches) == 1, f"{kind} {name}: {len(matches)} found"
        return matches[0]

    def data_key(self) -> dict[str, Any]:
        """The customer-managed key that encrypts data (not the card-token HMAC key)."""
        (key,) = [
            k for k in self.resources("aws_kms_key").values() if "customer_master_key_spec" not in k
        ]
        return key

    def function(self, key: str) -> dict[str, Any]:
        return self.named(
            "aws_lambda_function", self.blueprint.functions[key].name, "function_name"
        )

    def all_resources(self) -> Iterator[tuple[str, str, dict[str, Any]]]:
        for kind, group in self.document.get("resource", {}).items():
            for logical, config in group.items():
                yield kind, logical, config


def policy(text: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(text)
    return loaded
