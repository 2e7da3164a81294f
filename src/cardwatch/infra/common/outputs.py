"""The deployment's outputs, written once: each a path of attributes from one part
(by its name in both renderings) and a literal tail."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["OUTPUTS", "outputs"]

#: output -> (part, attributes to follow from it, tail)
OUTPUTS: dict[str, tuple[str, tuple[str, ...], str]] = {
    "api_url": ("TransactionApi", ("url",), "/transactions"),
    "api_key_id": ("TransactionApi", ("key", "id"), ""),
    "analyst_api_key_id": ("Security", ("analyst_api_key", "id"), ""),
    "feed_api_key_id": ("Security", ("feed_api_key", "id"), ""),
    "alert_topic_arn": ("AlertChannel", ("topic", "arn"), ""),
    "kms_key_arn": ("Security", ("key", "arn"), ""),
    "model_bucket": ("ModelStore", ("bucket", "id"), ""),
    "history_bucket": ("HistoryStore", ("bucket", "id"), ""),
    # the roles people take at the console (grant them through Identity Center)
    "console_viewer_role_arn": ("TransactionApi", ("console_roles", "viewer", "arn"), ""),
    "console_analyst_role_arn": ("TransactionApi", ("console_roles", "analyst", "arn"), ""),
    "console_lead_role_arn": ("TransactionApi", ("console_roles", "lead", "arn"), ""),
}


def outputs(parts: Mapping[str, Any], join: Callable[[Any, str], Any]) -> dict[str, Any]:
    """Each output's value from the rendered ``parts``; ``join``: the tool's way of
    adding a literal tail to a value it knows only at deploy time."""
    found = {}
    for name, (part, path, tail) in OUTPUTS.items():
        value = parts[part]
        for attribute in path:
            value = value[attribute] if isinstance(value, Mapping) else getattr(value, attribute)
        found[name] = join(value, tail) if tail else value
    return found
