"""The history store as neutral specs: the decision log past DynamoDB. The bucket the
table's exports, Athena's results and the training sets go to (data-key-encrypted, each
kept as long as the blueprint says), the Glue table over the exports' lines, and the
Athena workgroup that builds training sets (its results encrypted with the data key, a
cap on each query's scan)."""

from __future__ import annotations

from functools import partial
from typing import Any

from cardwatch.blueprint import Blueprint, Handle, HistoryStoreSpec
from cardwatch.infra.common.buckets import lifecycle_rule, private_bucket
from cardwatch.infra.common.specs import ACCOUNT, KEY_ARN, Apply, Part, Ref, Resource, Text

__all__ = ["HistoryStoreResources", "glue_arns", "history_store"]


def glue_arns(history: HistoryStoreSpec, region: str, account: str) -> list[str]:
    """The catalog, the database and the table: Glue authorizes a table's calls on all
    three (``account``: a string, or a renderer's token for it)."""
    base = f"arn:aws:glue:{region}:{account}"
    return [
        f"{base}:catalog",
        f"{base}:database/{history.database}",
        f"{base}:table/{history.database}/{history.table}",
    ]


def _glue_arn(history: HistoryStoreSpec, region: str, n: int, account: str) -> str:
    return glue_arns(history, region, account)[n]


def _snake(name: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name).lstrip("_")


def _lower(document: dict[str, Any]) -> dict[str, Any]:
    """Glue's API names (``StorageDescriptor``, ``SerdeInfo``) as Terraform's inputs."""
    names = {"SerdeInfo": "ser_de_info"}
    lowered: dict[str, Any] = {}
    for key, value in document.items():
        name = names.get(key) or _snake(key)
        if isinstance(value, dict) and key != "Parameters":  # a map's keys are data
            lowered[name] = _lower(value)
        elif isinstance(value, list):
            lowered[name] = [_lower(v) if isinstance(v, dict) else v for v in value]
        else:
            lowered[name] = value
    return lowered


def history_store(blueprint: Blueprint) -> Part:
    history = blueprint.history_store
    rules = [
        lifecycle_rule(rule_id, f"{prefix}/", expiration={"days": days})
        for rule_id, prefix, days in (
            ("expire-exports", history.export_prefix, history.export_days),
            ("expire-query-results", history.results_prefix, history.results_days),
            ("expire-training-sets", history.training_prefix, history.training_days),
        )
    ]
    rules.append(
        lifecycle_rule(
            "abort-incomplete-uploads",
            "",
            abort_incomplete_multipart_upload={"days_after_initiation": history.abort_upload_days},
        )
    )
    table = _lower(history.glue_table_input())
    table.pop("name", None)
    bucket = Ref("history-bucket")
    region = blueprint.region
    return Part(
        (
            *private_bucket(history.bucket, rules, prefix="history-"),
            Resource("aws_glue_catalog_database", "database", {"name": history.database}),
            Resource(
                "aws_glue_catalog_table",
                "exports-table",
                {"name": history.table, "database_name": Ref("database", "name"), **table},
            ),
            Resource(
                "aws_athena_workgroup",
                "workgroup",
                {
                    "name": history.workgroup,
                    "force_destroy": True,
                    "configuration": {
                        "enforce_workgroup_configuration": True,
                        "publish_cloudwatch_metrics_enabled": True,
                        "bytes_scanned_cutoff_per_query": history.bytes_scanned_cutoff,
                        "engine_version": {"selected_engine_version": "Athena engine version 3"},
                        "result_configuration": {
                            "output_location": history.results_location,
                            "encryption_configuration": {
                                "encryption_option": "SSE_KMS",
                                "kms_key_arn": KEY_ARN,
                            },
                        },
                    },
                },
            ),
        ),
        arns={
            Handle.HISTORY_BUCKET: [bucket],
            Handle.HISTORY_EXPORTS: [Text((bucket, f"/{history.export_prefix}/*"))],
            Handle.HISTORY_RESULTS: [Text((bucket, f"/{history.results_prefix}/*"))],
            Handle.HISTORY_TRAINING: [Text((bucket, f"/{history.training_prefix}/*"))],
            Handle.HISTORY_CATALOG: [
                Apply(partial(_glue_arn, history, region, n), ACCOUNT) for n in range(3)
            ],
            Handle.HISTORY_WORKGROUP: [Ref("workgroup")],
        },
        exposes={
            "bucket": "history-bucket",
            "database": "database",
            "table": "exports-table",
            "workgroup": "workgroup",
        },
    )


class HistoryStoreResources:
    """What the part's Construct or ComponentResource holds for the other parts: the
    rendered resources its :attr:`~cardwatch.infra.common.specs.Part.exposes` names."""

    bucket: Any
    database: Any
    table: Any
    workgroup: Any
