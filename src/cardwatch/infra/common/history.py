"""What both renderers make of the history store the same way: its lifecycle rules and
the Glue ARNs its grants name."""

from __future__ import annotations

from typing import Any

from cardwatch.blueprint import HistoryStoreSpec

__all__ = ["glue_arns", "kept_for"]


def kept_for(history: HistoryStoreSpec) -> list[tuple[str, str, int]]:
    """(rule id, prefix, days) for each part of the bucket."""
    return [
        ("expire-exports", history.export_prefix, history.export_days),
        ("expire-query-results", history.results_prefix, history.results_days),
        ("expire-training-sets", history.training_prefix, history.training_days),
    ]


def glue_arns(history: HistoryStoreSpec, partition: str, region: str, account: Any) -> list[Any]:
    """The catalog, the database and the table (Glue authorizes a table's calls on all
    three); ``account``: the renderer's token or string for the account id."""
    base = f"arn:{partition}:glue:{region}:{account}"
    return [
        f"{base}:catalog",
        f"{base}:database/{history.database}",
        f"{base}:table/{history.database}/{history.table}",
    ]
