"""The transaction contract: one JSON Schema file (draft-04) that every reader loads.

API Gateway models in both deployments, the local gateway, the ingest handler, the
OpenAPI document and the tests all come through :func:`transaction_schema`.
"""

from __future__ import annotations

import copy
import json
from functools import cache
from importlib import resources
from typing import Any

__all__ = ["SCHEMA_FILES", "label_schema", "schema_text", "transaction_schema"]

SCHEMA_FILES = {"transaction": "transaction.schema.json", "label": "label.schema.json"}


def schema_text(name: str = "transaction") -> str:
    """The schema file's text, exactly as shipped (API Gateway models take it verbatim)."""
    return resources.files(__package__).joinpath(SCHEMA_FILES[name]).read_text("utf-8")


@cache
def _parsed(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(schema_text(name))
    return loaded


def transaction_schema() -> dict[str, Any]:
    """A fresh copy of the transaction schema (callers may not mutate the cached one)."""
    return copy.deepcopy(_parsed("transaction"))


def label_schema() -> dict[str, Any]:
    """A fresh copy of the label schema."""
    return copy.deepcopy(_parsed("label"))
