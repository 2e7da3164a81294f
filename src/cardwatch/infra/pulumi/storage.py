"""``TransactionStore``: the transaction table and the detection-profile table."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from cardwatch.blueprint import Handle
from cardwatch.infra.pulumi.base import Context


class TransactionStore(pulumi.ComponentResource):
    def __init__(self, name: str, ctx: Context, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("cardwatch:index:TransactionStore", name, None, opts)
        bp = ctx.blueprint
        encryption = {"enabled": True, "kms_key_arn": ctx.key_arn}
        self.table = aws.dynamodb.Table(
            "transactions",
            name=bp.table_name,
            billing_mode="PAY_PER_REQUEST",
            hash_key=bp.table_partition_key,
            range_key=bp.table_sort_key,
            attributes=[{"name": n, "type": t} for n, t in bp.table_attributes],
            global_secondary_indexes=[
                {
                    "name": i.name,
                    "hash_key": i.partition_key,
                    "range_key": i.sort_key,
                    "projection_type": i.projection,
                    "non_key_attributes": list(i.included) or None,
                }
                for i in bp.table_indexes
            ],
            ttl={"enabled": True, "attribute_name": bp.transaction_ttl_attribute},
            stream_enabled=True,
            stream_view_type=bp.stream_view_type,
            point_in_time_recovery={"enabled": True},
            server_side_encryption=encryption,
            deletion_protection_enabled=False,
            opts=ctx.child(self),
        )
        self.profiles = aws.dynamodb.Table(
            "profiles",
            name=bp.profile_table_name,
            billing_mode="PAY_PER_REQUEST",
            hash_key=bp.profile_table_key,
            range_key=bp.profile_table_sort_key,
            attributes=[
                {"name": bp.profile_table_key, "type": "S"},
                {"name": bp.profile_table_sort_key, "type": "S"},
            ],
            ttl={"enabled": True, "attribute_name": bp.profile_ttl_attribute},
            stream_enabled=True,
            stream_view_type=bp.profile_stream_view_type,
            point_in_time_recovery={"enabled": True},
            server_side_encryption=encryption,
            deletion_protection_enabled=False,
            opts=ctx.child(self),
        )
        ctx.arns[Handle.TABLE] = [self.table.arn]
        ctx.urls[Handle.TABLE] = self.table.arn
        ctx.arns[Handle.TABLE_EXPORTS] = [self.table.arn.apply(lambda arn: f"{arn}/export/*")]
        ctx.arns[Handle.TABLE_TIME_BUCKET_INDEX] = [
            self.table.arn.apply(lambda arn: f"{arn}/index/{bp.time_bucket_index_name}")
        ]
        ctx.arns[Handle.TABLE_REVIEW_INDEX] = [
            self.table.arn.apply(lambda arn: f"{arn}/index/{bp.review_index_name}")
        ]
        ctx.arns[Handle.PROFILE_TABLE] = [self.profiles.arn]
        ctx.arns[Handle.TABLE_STREAM] = [self.table.stream_arn]
        ctx.arns[Handle.PROFILE_TABLE_STREAM] = [self.profiles.stream_arn]
        ctx.urls[Handle.PROFILE_TABLE_STREAM] = self.profiles.stream_arn
        self.register_outputs({"table": self.table.name})
