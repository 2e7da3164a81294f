"""``HistoryStore``: the decision log past DynamoDB. The bucket the table's exports,
Athena's results and the training sets go to (CMK-encrypted, each kept as long as the
blueprint says), the Glue table over the exports' lines, and the Athena workgroup that
builds training sets (its results encrypted with the CMK, a cap on each query's scan)."""

from __future__ import annotations

from cdktf_cdktf_provider_aws.athena_workgroup import (
    AthenaWorkgroup,
    AthenaWorkgroupConfiguration,
    AthenaWorkgroupConfigurationEngineVersion,
    AthenaWorkgroupConfigurationResultConfiguration,
    AthenaWorkgroupConfigurationResultConfigurationEncryptionConfiguration,
)
from cdktf_cdktf_provider_aws.glue_catalog_database import GlueCatalogDatabase
from cdktf_cdktf_provider_aws.glue_catalog_table import (
    GlueCatalogTable,
    GlueCatalogTablePartitionKeys,
    GlueCatalogTableStorageDescriptor,
    GlueCatalogTableStorageDescriptorColumns,
    GlueCatalogTableStorageDescriptorSerDeInfo,
)
from cdktf_cdktf_provider_aws.s3_bucket_lifecycle_configuration import (
    S3BucketLifecycleConfigurationRule,
    S3BucketLifecycleConfigurationRuleAbortIncompleteMultipartUpload,
    S3BucketLifecycleConfigurationRuleExpiration,
    S3BucketLifecycleConfigurationRuleFilter,
)
from constructs import Construct

from cardwatch.blueprint import Handle
from cardwatch.infra.cdktf.buckets import private_bucket
from cardwatch.infra.cdktf.context import StackContext
from cardwatch.infra.common.history import glue_arns, kept_for


class HistoryStore(Construct):
    def __init__(self, scope: Construct, id_: str, ctx: StackContext) -> None:
        super().__init__(scope, id_)
        history = ctx.blueprint.history_store
        self.bucket = private_bucket(
            self,
            ctx,
            history.bucket,
            [
                S3BucketLifecycleConfigurationRule(
                    id=rule_id,
                    status="Enabled",
                    filter=[S3BucketLifecycleConfigurationRuleFilter(prefix=f"{prefix}/")],
                    expiration=[S3BucketLifecycleConfigurationRuleExpiration(days=days)],
                )
                for rule_id, prefix, days in kept_for(history)
            ]
            + [
                S3BucketLifecycleConfigurationRule(
                    id="abort-incomplete-uploads",
                    status="Enabled",
                    filter=[S3BucketLifecycleConfigurationRuleFilter(prefix="")],
                    abort_incomplete_multipart_upload=[
                        S3BucketLifecycleConfigurationRuleAbortIncompleteMultipartUpload(
                            days_after_initiation=history.abort_upload_days
                        )
                    ],
                )
            ],
            prefix="history-",
        )
        self.database = GlueCatalogDatabase(self, "database", name=history.database)
        table = history.glue_table_input()
        storage = table["StorageDescriptor"]
        self.table = GlueCatalogTable(
            self,
            "exports-table",
            name=history.table,
            database_name=self.database.name,
            table_type=table["TableType"],
            parameters=table["Parameters"],
            partition_keys=[
                GlueCatalogTablePartitionKeys(name=k["Name"], type=k["Type"])
                for k in table["PartitionKeys"]
            ],
            storage_descriptor=GlueCatalogTableStorageDescriptor(
                location=storage["Location"],
                input_format=storage["InputFormat"],
                output_format=storage["OutputFormat"],
                compressed=storage["Compressed"],
                columns=[
                    GlueCatalogTableStorageDescriptorColumns(name=c["Name"], type=c["Type"])
                    for c in storage["Columns"]
                ],
                ser_de_info=GlueCatalogTableStorageDescriptorSerDeInfo(
                    serialization_library=storage["SerdeInfo"]["SerializationLibrary"],
                    parameters=storage["SerdeInfo"]["Parameters"],
                ),
            ),
        )
        self.workgroup = AthenaWorkgroup(
            self,
            "workgroup",
            name=history.workgroup,
            force_destroy=True,
            configuration=AthenaWorkgroupConfiguration(
                enforce_workgroup_configuration=True,
                publish_cloudwatch_metrics_enabled=True,
                bytes_scanned_cutoff_per_query=history.bytes_scanned_cutoff,
                engine_version=AthenaWorkgroupConfigurationEngineVersion(
                    selected_engine_version="Athena engine version 3"
                ),
                result_configuration=AthenaWorkgroupConfigurationResultConfiguration(
                    output_location=history.results_location,
                    encryption_configuration=AthenaWorkgroupConfigurationResultConfigurationEncryptionConfiguration(
                        encryption_option="SSE_KMS", kms_key_arn=ctx.key_arn
                    ),
                ),
            ),
        )
        arn = self.bucket.arn
        ctx.arns[Handle.HISTORY_BUCKET] = [arn]
        ctx.arns[Handle.HISTORY_EXPORTS] = [f"{arn}/{history.export_prefix}/*"]
        ctx.arns[Handle.HISTORY_RESULTS] = [f"{arn}/{history.results_prefix}/*"]
        ctx.arns[Handle.HISTORY_TRAINING] = [f"{arn}/{history.training_prefix}/*"]
        ctx.arns[Handle.HISTORY_CATALOG] = glue_arns(
            history, ctx.partition, ctx.blueprint.region, ctx.account_id
        )
        ctx.arns[Handle.HISTORY_WORKGROUP] = [self.workgroup.arn]
