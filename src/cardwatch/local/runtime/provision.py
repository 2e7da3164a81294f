"""Create a blueprint's resources on an AWS endpoint (the local emulator, in practice).

The third rendering of the blueprint, beside the CDKTF and the Pulumi one: the same
names, keys, indexes, streams, redrive policies and subscriptions.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import boto3

from cardwatch.blueprint import Blueprint, Handle, IndexSpec, QueueSpec
from cardwatch.domain.engine.model_pointer import ModelPointer
from cardwatch.domain.engine.rules import rules_text
from cardwatch.domain.transaction.currency import rates_text

__all__ = ["Provisioned", "provision"]


@dataclass(slots=True)
class Provisioned:
    """What was created: names and the identifiers AWS gave them."""

    key_id: str = ""
    key_arn: str = ""
    table_arn: str = ""
    table_stream_arn: str = ""
    profile_stream_arn: str = ""
    queue_urls: dict[str, str] = field(default_factory=dict)
    queue_arns: dict[str, str] = field(default_factory=dict)
    topic_arn: str = ""
    #: API key value -> its id, as API Gateway holds them (the processor's, the analysts')
    api_keys: dict[str, str] = field(default_factory=dict)
    analyst_api_key_id: str = ""
    feed_api_key_id: str = ""
    #: the log archive: the delivery stream each log group is subscribed to, and the
    #: role CloudWatch Logs takes to feed it
    log_archive_stream_arn: str = ""
    log_archive_role_arn: str = ""
    #: Local only: stands for Lambda's asynchronous invocation queue of detect.
    detect_invocation_queue_url: str = ""
    #: ... and of aggregate (a stream batch redriven from the failures DLQ).
    aggregate_invocation_queue_url: str = ""

    def environment(self, blueprint: Blueprint, function_key: str) -> dict[str, str]:
        """A function's environment variables, as a deployment would render them."""
        outputs = {
            Handle.SUSPICIOUS_QUEUE: self.queue_urls[blueprint.suspicious_queue.name],
            Handle.ALERT_TOPIC: self.topic_arn,
            Handle.ANALYST_API_KEY: self.analyst_api_key_id,
            Handle.FEED_API_KEY: self.feed_api_key_id,
            Handle.PROFILE_TABLE_STREAM: self.profile_stream_arn,
            Handle.TABLE: self.table_arn,
            Handle.KEY: self.key_arn,
        }
        spec = blueprint.functions[function_key]
        return {
            name: outputs[value] if isinstance(value, Handle) else value
            for name, value in spec.environment.items()
        }

    def as_dict(self) -> dict[str, Any]:
        return {
            "key_id": self.key_id,
            "table_stream_arn": self.table_stream_arn,
            "profile_stream_arn": self.profile_stream_arn,
            "queue_urls": self.queue_urls,
            "queue_arns": self.queue_arns,
            "topic_arn": self.topic_arn,
        }


def _tags(blueprint: Blueprint, key: str = "Key", value: str = "Value") -> list[dict[str, str]]:
    return [{key: k, value: v} for k, v in blueprint.tags.items()]


def _key(blueprint: Blueprint, kms: Any) -> str:
    key_id: str = kms.create_key(
        Description=f"cardwatch data key ({blueprint.environment_suffix})",
        Tags=_tags(blueprint, "TagKey", "TagValue"),
    )["KeyMetadata"]["KeyId"]
    kms.enable_key_rotation(KeyId=key_id)
    kms.create_alias(AliasName=blueprint.key_alias, TargetKeyId=key_id)
    return key_id


def _token_key(blueprint: Blueprint, kms: Any) -> None:
    """The card-token HMAC key, as both deployments make it (the emulator's KMS holds
    its material, as AWS's would)."""
    key_id = kms.create_key(
        Description=f"cardwatch card-token HMAC key ({blueprint.environment_suffix})",
        KeySpec="HMAC_256",
        KeyUsage="GENERATE_VERIFY_MAC",
        Tags=_tags(blueprint, "TagKey", "TagValue"),
    )["KeyMetadata"]["KeyId"]
    kms.create_alias(AliasName=blueprint.card_token_key_alias, TargetKeyId=key_id)


def _model_bucket(blueprint: Blueprint, s3: Any, key_id: str) -> None:
    """Model artifacts: versioned, encrypted with the CMK by default, never public."""
    name = blueprint.model_bucket_name
    _private_bucket(blueprint, s3, name, key_id)
    s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})


def _history(blueprint: Blueprint, session: Any, key_id: str) -> None:
    """The decision log's exports: the bucket, the Glue table over them, the workgroup."""
    history = blueprint.history_store
    _private_bucket(blueprint, session.client("s3"), history.bucket, key_id)
    glue = session.client("glue")
    glue.create_database(DatabaseInput={"Name": history.database})
    glue.create_table(DatabaseName=history.database, TableInput=history.glue_table_input())
    session.client("athena").create_work_group(
        Name=history.workgroup,
        Configuration={
            "ResultConfiguration": {
                "OutputLocation": history.results_location,
                "EncryptionConfiguration": {"EncryptionOption": "SSE_KMS", "KmsKey": key_id},
            },
            "EnforceWorkGroupConfiguration": True,
            "BytesScannedCutoffPerQuery": history.bytes_scanned_cutoff,
            "EngineVersion": {"SelectedEngineVersion": "Athena engine version 3"},
        },
        Tags=_tags(blueprint),
    )


def _private_bucket(blueprint: Blueprint, s3: Any, name: str, key_id: str) -> None:
    """A bucket encrypted with the CMK by default, never public."""
    s3.create_bucket(Bucket=name)
    s3.put_bucket_encryption(
        Bucket=name,
        ServerSideEncryptionConfiguration={
            "Rules": [
                {
                    "ApplyServerSideEncryptionByDefault": {
                        "SSEAlgorithm": "aws:kms",
                        "KMSMasterKeyID": key_id,
                    },
                    "BucketKeyEnabled": True,
                }
            ]
        },
    )
    s3.put_public_access_block(
        Bucket=name,
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": True,
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": True,
            "RestrictPublicBuckets": True,
        },
    )
    s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": _tags(blueprint)})


def _index(index: IndexSpec) -> dict[str, Any]:
    """A global secondary index as CreateTable takes it."""
    return {
        "IndexName": index.name,
        "KeySchema": [
            {"AttributeName": index.partition_key, "KeyType": "HASH"},
            {"AttributeName": index.sort_key, "KeyType": "RANGE"},
        ],
        "Projection": {
            "ProjectionType": index.projection,
            **({"NonKeyAttributes": list(index.included)} if index.included else {}),
        },
    }


def _table(blueprint: Blueprint, dynamodb: Any, key_id: str) -> str:
    pk, sk = blueprint.table_partition_key, blueprint.table_sort_key
    response = dynamodb.create_table(
        TableName=blueprint.table_name,
        AttributeDefinitions=[
            {"AttributeName": name, "AttributeType": kind}
            for name, kind in blueprint.table_attributes
        ],
        KeySchema=[
            {"AttributeName": pk, "KeyType": "HASH"},
            {"AttributeName": sk, "KeyType": "RANGE"},
        ],
        GlobalSecondaryIndexes=[_index(index) for index in blueprint.table_indexes],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": blueprint.stream_view_type},
        SSESpecification={"Enabled": True, "SSEType": "KMS", "KMSMasterKeyId": key_id},
        DeletionProtectionEnabled=False,
        Tags=_tags(blueprint),
    )
    dynamodb.update_continuous_backups(
        TableName=blueprint.table_name,
        PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True},
    )
    dynamodb.update_time_to_live(
        TableName=blueprint.table_name,
        TimeToLiveSpecification={
            "Enabled": True,
            "AttributeName": blueprint.transaction_ttl_attribute,
        },
    )
    return str(response["TableDescription"]["LatestStreamArn"])


def _keyed_table(
    blueprint: Blueprint,
    dynamodb: Any,
    key_id: str,
    *,
    name: str,
    keys: tuple[str, str],
    ttl: str | None,
    stream: str | None = None,
    attributes: tuple[tuple[str, str], ...] = (),
    indexes: tuple[IndexSpec, ...] = (),
) -> str | None:
    """A table of two string keys as the deployments make it: on demand, the CMK,
    time to live on ``ttl``, point-in-time recovery, a stream of ``stream``'s view when
    given (its ARN is returned)."""
    response = dynamodb.create_table(
        TableName=name,
        AttributeDefinitions=[
            {"AttributeName": key, "AttributeType": kind}
            for key, kind in (attributes or tuple((key, "S") for key in keys))
        ],
        KeySchema=[
            {"AttributeName": keys[0], "KeyType": "HASH"},
            {"AttributeName": keys[1], "KeyType": "RANGE"},
        ],
        BillingMode="PAY_PER_REQUEST",
        **({"GlobalSecondaryIndexes": [_index(index) for index in indexes]} if indexes else {}),
        **(
            {"StreamSpecification": {"StreamEnabled": True, "StreamViewType": stream}}
            if stream
            else {}
        ),
        SSESpecification={"Enabled": True, "SSEType": "KMS", "KMSMasterKeyId": key_id},
        DeletionProtectionEnabled=False,
        Tags=_tags(blueprint),
    )
    if ttl is not None:
        dynamodb.update_time_to_live(
            TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": ttl}
        )
    dynamodb.update_continuous_backups(
        TableName=name, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}
    )
    arn = response["TableDescription"].get("LatestStreamArn")
    return None if arn is None else str(arn)


def _profile_table(blueprint: Blueprint, dynamodb: Any, key_id: str) -> str:
    arn = _keyed_table(
        blueprint,
        dynamodb,
        key_id,
        name=blueprint.profile_table_name,
        keys=(blueprint.profile_table_key, blueprint.profile_table_sort_key),
        ttl=blueprint.profile_ttl_attribute,
        stream=blueprint.profile_stream_view_type,
    )
    assert arn is not None
    return arn


def _log_archive(blueprint: Blueprint, session: Any, made: Provisioned) -> None:
    """The archive bucket and the delivery stream the log groups' subscriptions feed
    (the roles as both deployments make them; the emulator does not enforce them)."""
    bucket = blueprint.log_archive_bucket_name
    s3 = session.client("s3")
    _private_bucket(blueprint, s3, bucket, made.key_id)
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    days = blueprint.log_archive_days
    s3.put_bucket_lifecycle_configuration(
        Bucket=bucket,
        LifecycleConfiguration={
            "Rules": [
                {
                    "ID": "expire-after-13-months",
                    "Status": "Enabled",
                    "Filter": {"Prefix": ""},
                    "Expiration": {"Days": days},
                    "NoncurrentVersionExpiration": {"NoncurrentDays": days},
                    "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 7},
                }
            ]
        },
    )
    iam = session.client("iam")
    feed_role, delivery_role = blueprint.log_archive_role_names
    roles = {}
    for name, service in (
        (feed_role, f"logs.{blueprint.region}.amazonaws.com"),
        (delivery_role, "firehose.amazonaws.com"),
    ):
        trust = {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}
            ],
        }
        roles[name] = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))[
            "Role"
        ]["Arn"]
    made.log_archive_role_arn = roles[feed_role]
    made.log_archive_stream_arn = session.client("firehose").create_delivery_stream(
        DeliveryStreamName=blueprint.log_archive_stream_name,
        DeliveryStreamType="DirectPut",
        DeliveryStreamEncryptionConfigurationInput={
            "KeyType": "CUSTOMER_MANAGED_CMK",
            "KeyARN": made.key_arn,
        },
        ExtendedS3DestinationConfiguration={
            "RoleARN": roles[delivery_role],
            "BucketARN": f"arn:aws:s3:::{bucket}",
            "Prefix": "logs/",
            "ErrorOutputPrefix": "failed/",
            "BufferingHints": {"IntervalInSeconds": 300, "SizeInMBs": 5},
            "CompressionFormat": "UNCOMPRESSED",
            "EncryptionConfiguration": {"KMSEncryptionConfig": {"AWSKMSKeyARN": made.key_arn}},
        },
        Tags=[{"Key": k, "Value": v} for k, v in blueprint.tags.items()],
    )["DeliveryStreamARN"]


def _case_table(blueprint: Blueprint, dynamodb: Any, key_id: str) -> None:
    _keyed_table(
        blueprint,
        dynamodb,
        key_id,
        name=blueprint.case_table_name,
        keys=(blueprint.case_table_key, blueprint.case_table_sort_key),
        ttl=None,
        attributes=blueprint.case_table_attributes,
        indexes=blueprint.case_indexes,
    )


def _audit_table(blueprint: Blueprint, dynamodb: Any, key_id: str) -> None:
    _keyed_table(
        blueprint,
        dynamodb,
        key_id,
        name=blueprint.audit_table_name,
        keys=(blueprint.audit_table_key, blueprint.audit_table_sort_key),
        ttl=None,
    )


def _queue(spec: QueueSpec, sqs: Any, key_id: str, made: Provisioned, blueprint: Blueprint) -> None:
    attributes = {
        "VisibilityTimeout": str(spec.visibility_timeout_seconds),
        "MessageRetentionPeriod": str(spec.retention_seconds),
        "KmsMasterKeyId": key_id,
    }
    if spec.dead_letter is not None:
        attributes["RedrivePolicy"] = json.dumps(
            {
                "deadLetterTargetArn": made.queue_arns[spec.dead_letter.name],
                "maxReceiveCount": spec.max_receive_count,
            }
        )
    url = sqs.create_queue(QueueName=spec.name, Attributes=attributes, tags=blueprint.tags)[
        "QueueUrl"
    ]
    made.queue_urls[spec.name] = url
    made.queue_arns[spec.name] = sqs.get_queue_attributes(
        QueueUrl=url, AttributeNames=["QueueArn"]
    )["Attributes"]["QueueArn"]


def _topic(blueprint: Blueprint, sns: Any, key_id: str, made: Provisioned) -> str:
    arn: str = sns.create_topic(
        Name=blueprint.alert_topic_name,
        Attributes={"KmsMasterKeyId": key_id},
        Tags=_tags(blueprint),
    )["TopicArn"]
    sns.subscribe(
        TopicArn=arn,
        Protocol="sqs",
        Endpoint=made.queue_arns[blueprint.alerts_queue.name],
        Attributes={
            "RawMessageDelivery": "false",
            "RedrivePolicy": json.dumps(
                {"deadLetterTargetArn": made.queue_arns[blueprint.alerts_dlq.name]}
            ),
        },
    )
    return arn


def _events(blueprint: Blueprint, session: Any, made: Provisioned) -> None:
    """The bus and the rule (with its pattern); the rule's target is local-only."""
    sqs, events = session.client("sqs"), session.client("events")
    name = blueprint.name("detect-invocations")
    made.detect_invocation_queue_url = sqs.create_queue(QueueName=name)["QueueUrl"]
    made.aggregate_invocation_queue_url = sqs.create_queue(
        QueueName=blueprint.name("aggregate-invocations")
    )["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(
        QueueUrl=made.detect_invocation_queue_url, AttributeNames=["QueueArn"]
    )["Attributes"]["QueueArn"]
    events.create_event_bus(Name=blueprint.event_bus_name, Tags=_tags(blueprint))
    events.put_rule(
        Name=blueprint.rule_name,
        EventBusName=blueprint.event_bus_name,
        EventPattern=json.dumps(blueprint.rule_pattern),
        State="ENABLED",
        Tags=_tags(blueprint),
    )
    events.put_targets(
        Rule=blueprint.rule_name,
        EventBusName=blueprint.event_bus_name,
        Targets=[{"Id": "detect", "Arn": queue_arn}],
    )


def api_keys(blueprint: Blueprint, session: Any, made: Provisioned, *keys: str) -> None:
    """The three API keys in the emulator's API Gateway, as both deployments make them
    (each deployment generates its values; local mode chooses them): ``keys`` are the
    processor's, the analysts' and the disputes feed's values."""
    ingest_key, analyst_key, feed_key = keys
    apigateway = session.client("apigateway")
    for name, value in (
        (blueprint.api_key_name, ingest_key),
        (blueprint.analyst_api_key_name, analyst_key),
        (blueprint.feed_api_key_name, feed_key),
    ):
        made.api_keys[value] = apigateway.create_api_key(name=name, value=value, enabled=True)["id"]
    made.analyst_api_key_id = made.api_keys[analyst_key]
    made.feed_api_key_id = made.api_keys[feed_key]


def provision(blueprint: Blueprint, session: Any | None = None) -> Provisioned:
    """Create every resource of ``blueprint`` that the emulator can hold."""
    session = session or boto3.session.Session(region_name=blueprint.region)
    made = Provisioned()
    kms = session.client("kms")
    made.key_id = _key(blueprint, kms)
    _token_key(blueprint, kms)
    ssm = session.client("ssm")
    ssm.put_parameter(
        Name=blueprint.rules_parameter,
        Type="SecureString",
        KeyId=made.key_id,
        Value=rules_text(),
        Description="Detection rules and decision thresholds (JSON)",
    )
    ssm.put_parameter(
        Name=blueprint.rates_parameter,
        Type="SecureString",
        KeyId=made.key_id,
        Value=rates_text(),
        Description="Currency rates amounts are scored in (JSON)",
    )
    ssm.put_parameter(
        Name=blueprint.model_parameter,
        Type="SecureString",
        KeyId=made.key_id,
        Value=ModelPointer().to_json(),
        Description="The model pointer: champion, challenger in shadow, earlier champions",
    )
    _model_bucket(blueprint, session.client("s3"), made.key_id)
    dynamodb = session.client("dynamodb")
    made.table_stream_arn = _table(blueprint, dynamodb, made.key_id)
    made.table_arn = made.table_stream_arn.split("/stream/", 1)[0]
    made.key_arn = kms.describe_key(KeyId=made.key_id)["KeyMetadata"]["Arn"]
    _history(blueprint, session, made.key_id)
    made.profile_stream_arn = _profile_table(blueprint, dynamodb, made.key_id)
    _audit_table(blueprint, dynamodb, made.key_id)
    _case_table(blueprint, dynamodb, made.key_id)
    _log_archive(blueprint, session, made)
    sqs = session.client("sqs")
    for spec in blueprint.queues:
        _queue(spec, sqs, made.key_id, made, blueprint)
    made.topic_arn = _topic(blueprint, session.client("sns"), made.key_id, made)
    _events(blueprint, session, made)
    return made
