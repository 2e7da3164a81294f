"""``TransactionStore``: the transaction table and the detection-profile table."""

from __future__ import annotations

from cdktf_cdktf_provider_aws.dynamodb_table import (
    DynamodbTable,
    DynamodbTableAttribute,
    DynamodbTableGlobalSecondaryIndex,
    DynamodbTablePointInTimeRecovery,
    DynamodbTableServerSideEncryption,
    DynamodbTableTtl,
)
from constructs import Construct

from cardwatch.blueprint import Handle
from cardwatch.infra.cdktf.context import StackContext


class TransactionStore(Construct):
    def __init__(self, scope: Construct, id_: str, ctx: StackContext) -> None:
        super().__init__(scope, id_)
        blueprint = ctx.blueprint
        encryption = DynamodbTableServerSideEncryption(enabled=True, kms_key_arn=ctx.key_arn)
        self.table = DynamodbTable(
            self,
            "transactions",
            name=blueprint.table_name,
            billing_mode="PAY_PER_REQUEST",
            hash_key=blueprint.table_partition_key,
            range_key=blueprint.table_sort_key,
            attribute=[
                DynamodbTableAttribute(name=name, type=kind)
                for name, kind in blueprint.table_attributes
            ],
            global_secondary_index=[
                DynamodbTableGlobalSecondaryIndex(
                    name=index.name,
                    hash_key=index.partition_key,
                    range_key=index.sort_key,
                    projection_type=index.projection,
                    non_key_attributes=list(index.included) or None,
                )
                for index in blueprint.table_indexes
            ],
            ttl=DynamodbTableTtl(enabled=True, attribute_name=blueprint.transaction_ttl_attribute),
            stream_enabled=True,
            stream_view_type=blueprint.stream_view_type,
            point_in_time_recovery=DynamodbTablePointInTimeRecovery(enabled=True),
            server_side_encryption=encryption,
            deletion_protection_enabled=False,
        )
        self.profiles = DynamodbTable(
            self,
            "profiles",
            name=blueprint.profile_table_name,
            billing_mode="PAY_PER_REQUEST",
            hash_key=blueprint.profile_table_key,
            range_key=blueprint.profile_table_sort_key,
            attribute=[
                DynamodbTableAttribute(name=blueprint.profile_table_key, type="S"),
                DynamodbTableAttribute(name=blueprint.profile_table_sort_key, type="S"),
            ],
            ttl=DynamodbTableTtl(enabled=True, attribute_name=blueprint.profile_ttl_attribute),
            stream_enabled=True,
            stream_view_type=blueprint.profile_stream_view_type,
            point_in_time_recovery=DynamodbTablePointInTimeRecovery(enabled=True),
            server_side_encryption=encryption,
            deletion_protection_enabled=False,
        )
        ctx.arns[Handle.TABLE] = [self.table.arn]
        ctx.urls[Handle.TABLE] = self.table.arn
        ctx.arns[Handle.TABLE_EXPORTS] = [f"{self.table.arn}/export/*"]
        ctx.arns[Handle.TABLE_TIME_BUCKET_INDEX] = [
            f"{self.table.arn}/index/{blueprint.time_bucket_index_name}"
        ]
        ctx.arns[Handle.TABLE_REVIEW_INDEX] = [
            f"{self.table.arn}/index/{blueprint.review_index_name}"
        ]
        ctx.arns[Handle.PROFILE_TABLE] = [self.profiles.arn]
        ctx.arns[Handle.TABLE_STREAM] = [self.table.stream_arn]
        ctx.arns[Handle.PROFILE_TABLE_STREAM] = [self.profiles.stream_arn]
        ctx.urls[Handle.PROFILE_TABLE_STREAM] = self.profiles.stream_arn
