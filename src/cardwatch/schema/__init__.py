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

__all__ = [
    "SCHEMA_FILES",
    "contract_schema",
    "gateway_model",
    "gateway_model_text",
    "label_schema",
    "schema_text",
    "transaction_schema",
]

SCHEMA_FILES = {
    "transaction": "transaction.schema.json",
    "label": "label.schema.json",
    "case_action": "case_action.schema.json",
}


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


def contract_schema(name: str) -> dict[str, Any]:
    """A fresh copy of the contract file ``name`` (a key of :data:`SCHEMA_FILES`)."""
    return copy.deepcopy(_parsed(name))


#: What API Gateway's model may check: only the rules whose failure message names
#: schema text (field names, JSON types). API Gateway writes the rejected value into its
#: validation message for ``pattern``, ``enum``, bounds and unknown field names, and that
#: value may be a card number; the function checks those, naming the field only.
_GATEWAY_KEYWORDS = frozenset({"$schema", "id", "title", "type", "required", "properties"})


def gateway_model(name: str) -> dict[str, Any]:
    """The contract ``name`` as API Gateway's request model: its shape (which fields are
    required, each field's JSON type, exactly one of card_number or card_token), never a
    rule whose message would echo the value."""
    contract = _parsed(name)
    model = {key: copy.deepcopy(contract[key]) for key in contract if key in _GATEWAY_KEYWORDS}
    model["properties"] = {
        field: {"type": rule["type"]} for field, rule in contract["properties"].items()
    }
    if "oneOf" in contract:
        model["oneOf"] = copy.deepcopy(contract["oneOf"])
    return model


def gateway_model_text(name: str) -> str:
    """:func:`gateway_model` as the text both deployments give API Gateway."""
    return json.dumps(gateway_model(name), indent=2, sort_keys=True)
