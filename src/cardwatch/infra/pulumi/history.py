"""``HistoryStore``: the decision log past DynamoDB. The bucket the table's exports,
Athena's results and the training sets go to (CMK-encrypted, each kept as long as the
blueprint says), the Glue table over the exports' lines, and the Athena workgroup that
builds training sets (its results encrypted with the CMK, a cap on each query's scan)."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from cardwatch.blueprint import Handle
from cardwatch.infra.common.history import glue_arns, kept_for
from cardwatch.infra.pulumi.base import Context
from cardwatch.infra.pulumi.buckets import private_bucket


class HistoryStore(pulumi.ComponentResource):
    def __init__(self, name: str, ctx: Context, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("cardwatch:index:HistoryStore", name, None, opts)
        history, child = ctx.blueprint.history_store, ctx.child(self)
        self.bucket = private_bucket(
            ctx,
            history.bucket,
            [
                {
                    "id": rule_id,
                    "status": "Enabled",
                    "filter": {"prefix": f"{prefix}/"},
                    "expiration": {"days": days},
                }
                for rule_id, prefix, days in kept_for(history)
            ]
            + [
                {
                    "id": "abort-incomplete-uploads",
                    "status": "Enabled",
                    "filter": {"prefix": ""},
                    "abort_incomplete_multipart_upload": {
                        "days_after_initiation": history.abort_upload_days
                    },
                }
            ],
            child,
            prefix="history-",
        )
        self.database = aws.glue.CatalogDatabase("database", name=history.database, opts=child)
        table = history.glue_table_input()
        storage = table["StorageDescriptor"]
        self.table = aws.glue.CatalogTable(
            "exports-table",
            name=history.table,
            database_name=self.database.name,
            table_type=table["TableType"],
            parameters=table["Parameters"],
            partition_keys=[{"name": k["Name"], "type": k["Type"]} for k in table["PartitionKeys"]],
            storage_descriptor={
                "location": storage["Location"],
                "input_format": storage["InputFormat"],
                "output_format": storage["OutputFormat"],
                "compressed": storage["Compressed"],
                "columns": [{"name": c["Name"], "type": c["Type"]} for c in storage["Columns"]],
                "ser_de_info": {
                    "serialization_library": storage["SerdeInfo"]["SerializationLibrary"],
                    "parameters": storage["SerdeInfo"]["Parameters"],
                },
            },
            opts=child,
        )
        self.workgroup = aws.athena.Workgroup(
            "workgroup",
            name=history.workgroup,
            force_destroy=True,
            configuration={
                "enforce_workgroup_configuration": True,
                "publish_cloudwatch_metrics_enabled": True,
                "bytes_scanned_cutoff_per_query": history.bytes_scanned_cutoff,
                "engine_version": {"selected_engine_version": "Athena engine version 3"},
                "result_configuration": {
                    "output_location": history.results_location,
                    "encryption_configuration": {
                        "encryption_option": "SSE_KMS",
                        "kms_key_arn": ctx.key_arn,
                    },
                },
            },
            opts=child,
        )
        arn = self.bucket.arn

        def under(prefix: str) -> pulumi.Output[str]:
            return arn.apply(lambda bucket: f"{bucket}/{prefix}/*")

        ctx.arns[Handle.HISTORY_BUCKET] = [arn]
        ctx.arns[Handle.HISTORY_EXPORTS] = [under(history.export_prefix)]
        ctx.arns[Handle.HISTORY_RESULTS] = [under(history.results_prefix)]
        ctx.arns[Handle.HISTORY_TRAINING] = [under(history.training_prefix)]
        region = ctx.blueprint.region
        ctx.arns[Handle.HISTORY_CATALOG] = [
            ctx.account_id.apply(
                lambda account, i=i: glue_arns(history, ctx.partition, region, account)[i]
            )
            for i in range(3)
        ]
        ctx.arns[Handle.HISTORY_WORKGROUP] = [self.workgroup.arn]
        self.register_outputs({"bucket": self.bucket.id})
