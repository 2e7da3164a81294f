"""The transaction table, the detection-profile table, the audit trail's table and the
analysts' cases table, as
neutral specs (:mod:`cardwatch.infra.common.specs`): on demand, streams, TTL,
point-in-time recovery, the data key; nothing retained on destroy. The audit table has
no stream and no time to live (a record rewritten with a past expiry would otherwise be
deleted by DynamoDB itself), and deletion protection unless the settings turn it off."""

from __future__ import annotations

from typing import Any

from cardwatch.blueprint import Blueprint, Handle
from cardwatch.infra.common.specs import KEY_ARN, Part, Ref, Resource, Text

__all__ = ["TransactionStoreResources", "transaction_store"]


def _table(
    name: str, keys: tuple[str, str], attributes: list[tuple[str, str]], ttl: str, stream: str
) -> dict[str, Any]:
    return {
        "name": name,
        "billing_mode": "PAY_PER_REQUEST",
        "hash_key": keys[0],
        "range_key": keys[1],
        "attribute": [{"name": n, "type": t} for n, t in attributes],
        "ttl": {"enabled": True, "attribute_name": ttl},
        "stream_enabled": True,
        "stream_view_type": stream,
        "point_in_time_recovery": {"enabled": True},
        "server_side_encryption": {"enabled": True, "kms_key_arn": KEY_ARN},
        "deletion_protection_enabled": False,
    }


def transaction_store(blueprint: Blueprint) -> Part:
    transactions = _table(
        blueprint.table_name,
        (blueprint.table_partition_key, blueprint.table_sort_key),
        list(blueprint.table_attributes),
        blueprint.transaction_ttl_attribute,
        blueprint.stream_view_type,
    )
    transactions["global_secondary_index"] = [
        {
            "name": index.name,
            "hash_key": index.partition_key,
            "range_key": index.sort_key,
            "projection_type": index.projection,
            "non_key_attributes": list(index.included) or None,
        }
        for index in blueprint.table_indexes
    ]
    profile_keys = (blueprint.profile_table_key, blueprint.profile_table_sort_key)
    profiles = _table(
        blueprint.profile_table_name,
        profile_keys,
        [(key, "S") for key in profile_keys],
        blueprint.profile_ttl_attribute,
        blueprint.profile_stream_view_type,
    )
    audit_keys = (blueprint.audit_table_key, blueprint.audit_table_sort_key)
    audit = {
        "name": blueprint.audit_table_name,
        "billing_mode": "PAY_PER_REQUEST",
        "hash_key": audit_keys[0],
        "range_key": audit_keys[1],
        "attribute": [{"name": key, "type": "S"} for key in audit_keys],
        "point_in_time_recovery": {"enabled": True},
        "server_side_encryption": {"enabled": True, "kms_key_arn": KEY_ARN},
        "deletion_protection_enabled": blueprint.settings.audit_deletion_protection,
    }
    cases = {
        "name": blueprint.case_table_name,
        "billing_mode": "PAY_PER_REQUEST",
        "hash_key": blueprint.case_table_key,
        "range_key": blueprint.case_table_sort_key,
        "attribute": [{"name": n, "type": t} for n, t in blueprint.case_table_attributes],
        "global_secondary_index": [
            {
                "name": index.name,
                "hash_key": index.partition_key,
                "range_key": index.sort_key,
                "projection_type": index.projection,
            }
            for index in blueprint.case_indexes
        ],
        "point_in_time_recovery": {"enabled": True},
        "server_side_encryption": {"enabled": True, "kms_key_arn": KEY_ARN},
        "deletion_protection_enabled": False,
    }
    table, stream = Ref("transactions"), Ref("transactions", "stream_arn")
    profile_stream = Ref("profiles", "stream_arn")
    return Part(
        (
            Resource("aws_dynamodb_table", "transactions", transactions),
            Resource("aws_dynamodb_table", "profiles", profiles),
            Resource("aws_dynamodb_table", "audit", audit),
            Resource("aws_dynamodb_table", "cases", cases),
        ),
        arns={
            Handle.TABLE: [table],
            Handle.TABLE_EXPORTS: [Text((table, "/export/*"))],
            Handle.TABLE_TIME_BUCKET_INDEX: [
                Text((table, f"/index/{blueprint.time_bucket_index_name}"))
            ],
            Handle.TABLE_REVIEW_INDEX: [Text((table, f"/index/{blueprint.review_index_name}"))],
            Handle.PROFILE_TABLE: [Ref("profiles")],
            Handle.AUDIT_TABLE: [Ref("audit")],
            Handle.CASE_TABLE: [Ref("cases")],
            Handle.CASE_TABLE_INDEXES: [Text((Ref("cases"), "/index/*"))],
            Handle.TABLE_STREAM: [stream],
            Handle.PROFILE_TABLE_STREAM: [profile_stream],
        },
        urls={Handle.TABLE: table, Handle.PROFILE_TABLE_STREAM: profile_stream},
        exposes={
            "table": "transactions",
            "profiles": "profiles",
            "audit": "audit",
            "cases": "cases",
        },
    )


class TransactionStoreResources:
    """What the part's Construct or ComponentResource holds for the other parts: the
    rendered resources its :attr:`~cardwatch.infra.common.specs.Part.exposes` names."""

    table: Any
    profiles: Any
    audit: Any
    cases: Any
