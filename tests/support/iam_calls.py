"""IAM proven by the calls the functions make: every AWS call a function makes on the
local stack, recorded, turned into the IAM actions and resources AWS authorizes it by
(the calls AWS makes in the caller's name included), and evaluated against the
function's own role policy as both renderings write it (moto's IAM policy evaluator,
conditions included).

The emulator enforces no IAM, so without this a missing permission shows only on a real
account. What a call needs, beyond its own action on its own resource:

- a SecureString read or write: KMS Decrypt or Encrypt under the parameter's ARN as
  encryption context (Parameter Store calls KMS in the caller's name);
- a send to, or a receive from, an SSE-KMS queue: GenerateDataKey, Decrypt;
- a publish to an SSE-KMS topic: GenerateDataKey and Decrypt;
- an object written to or read from an SSE-KMS bucket: GenerateDataKey, Decrypt;
- an export to S3: the object writes DynamoDB makes with the caller's rights;
- an Athena query: the catalog's database, table and partitions, the files it reads,
  and the objects it writes, with the caller's rights;
- what Lambda does with the role for a function: poll its queue or stream (an event
  source mapping) and send its failure records to the on-failure destination.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from botocore.client import BaseClient
from moto.iam.access_control import IAMPolicy, PermissionResult

from cardwatch.blueprint import Blueprint, FunctionSpec, Handle
from cardwatch.infra.common.history import glue_arns
from cardwatch.infra.common.policies import function_policy
from cardwatch.local.runtime import lambda_runtime
from cardwatch.local.runtime.lambda_runtime import running_function

__all__ = ["Call", "Need", "Resolver", "evaluate", "needs_of", "recording"]


@dataclass(frozen=True, slots=True)
class Call:
    function: str
    service: str
    operation: str
    params: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Need:
    """One authorization AWS makes for a call: an action on a resource, in a context."""

    action: str
    resource: str
    why: str
    context: tuple[tuple[str, str], ...] = ()


@contextlib.contextmanager
def recording() -> Iterator[list[Call]]:
    """Record every call made while a local function runs (its pools' threads too)."""
    calls: list[Call] = []
    lock = threading.Lock()
    original_call = BaseClient._make_api_call
    original_submit = ThreadPoolExecutor.submit

    def record(self: Any, operation: str, params: dict[str, Any]) -> Any:
        key = running_function()
        if key is not None:
            with lock:
                calls.append(Call(key, self.meta.service_model.service_name, operation, params))
        return original_call(self, operation, params)

    def submit(self: Any, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
        key = running_function()

        def carried(*a: Any, **k: Any) -> Any:
            before = getattr(lambda_runtime._running, "key", None)
            lambda_runtime._running.key = key
            try:
                return fn(*a, **k)
            finally:
                lambda_runtime._running.key = before

        return original_submit(self, carried, *args, **kwargs)

    saved = os.environ.get("FOLD_THREADS")
    BaseClient._make_api_call = record  # type: ignore[method-assign]
    ThreadPoolExecutor.submit = submit  # type: ignore[method-assign]
    try:
        yield calls
    finally:
        BaseClient._make_api_call = original_call  # type: ignore[method-assign]
        ThreadPoolExecutor.submit = original_submit  # type: ignore[method-assign]
        if saved is not None:
            os.environ["FOLD_THREADS"] = saved


@dataclass
class Resolver:
    """The local stack's resources as ARNs: each blueprint handle's, and lookups."""

    blueprint: Blueprint
    session: Any
    account: str = ""
    handles: dict[Handle, list[str]] = field(default_factory=dict)
    key_arns: dict[str, str] = field(default_factory=dict)
    queue_arns: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        bp, s = self.blueprint, self.session
        region = bp.region
        self.account = s.client("sts").get_caller_identity()["Account"]
        kms = s.client("kms")
        for alias in (bp.key_alias, bp.card_token_key_alias):
            self.key_arns[alias] = kms.describe_key(KeyId=alias)["KeyMetadata"]["Arn"]
        key, token_key = self.key_arns[bp.key_alias], self.key_arns[bp.card_token_key_alias]
        self.key_arns[key] = self.key_arns[key.rsplit("/", 1)[-1]] = key
        ddb = s.client("dynamodb")
        table = ddb.describe_table(TableName=bp.table_name)["Table"]
        profiles = ddb.describe_table(TableName=bp.profile_table_name)["Table"]
        sqs = s.client("sqs")
        for spec in bp.queues:
            url = sqs.get_queue_url(QueueName=spec.name)["QueueUrl"]
            arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
                "QueueArn"
            ]
            self.queue_arns[url] = arn
        queue = {
            spec.name: arn
            for arn in self.queue_arns.values()
            for spec in bp.queues
            if arn.endswith(f":{spec.name}")
        }
        history, models = bp.history_store, bp.model_store
        parameter = f"arn:aws:ssm:{region}:{self.account}:parameter"
        self.handles = {
            Handle.KEY: [key],
            Handle.CARD_TOKEN_KEY: [token_key],
            Handle.TABLE: [table["TableArn"]],
            Handle.TABLE_TIME_BUCKET_INDEX: [
                f"{table['TableArn']}/index/{bp.time_bucket_index_name}"
            ],
            Handle.TABLE_REVIEW_INDEX: [f"{table['TableArn']}/index/{bp.review_index_name}"],
            Handle.TABLE_STREAM: [table["LatestStreamArn"]],
            Handle.TABLE_EXPORTS: [f"{table['TableArn']}/export/*"],
            Handle.PROFILE_TABLE: [profiles["TableArn"]],
            Handle.AUDIT_TABLE: [
                f"arn:aws:dynamodb:{region}:{self.account}:table/{bp.audit_table_name}"
            ],
            Handle.CASE_TABLE: [
                f"arn:aws:dynamodb:{region}:{self.account}:table/{bp.case_table_name}"
            ],
            Handle.CASE_TABLE_INDEXES: [
                f"arn:aws:dynamodb:{region}:{self.account}:table/{bp.case_table_name}/index/*"
            ],
            Handle.PROFILE_TABLE_STREAM: [profiles["LatestStreamArn"]],
            Handle.SUSPICIOUS_QUEUE: [queue[bp.suspicious_queue.name]],
            Handle.ALERTS_QUEUE: [queue[bp.alerts_queue.name]],
            Handle.SUSPICIOUS_DLQ: [queue[bp.suspicious_dlq.name]],
            Handle.ALERTS_DLQ: [queue[bp.alerts_dlq.name]],
            Handle.FAILURES_DLQ: [queue[bp.failures_dlq.name]],
            Handle.ALERT_TOPIC: [f"arn:aws:sns:{region}:{self.account}:{bp.alert_topic_name}"],
            Handle.OPS_TOPIC: [f"arn:aws:sns:{region}:{self.account}:{bp.ops_topic_name}"],
            Handle.RULES_PARAMETER: [f"{parameter}{bp.rules_parameter}"],
            Handle.RATES_PARAMETER: [f"{parameter}{bp.rates_parameter}"],
            Handle.MODEL_PARAMETER: [f"{parameter}{bp.model_parameter}"],
            Handle.MODEL_BUCKET: [f"arn:aws:s3:::{models.bucket}"],
            Handle.MODEL_OBJECTS: [f"arn:aws:s3:::{models.bucket}/{models.artifact_prefix}*"],
            Handle.ANALYST_API_KEY: [f"arn:aws:apigateway:{region}::/apikeys/*"],
            Handle.HISTORY_BUCKET: [f"arn:aws:s3:::{history.bucket}"],
            Handle.HISTORY_EXPORTS: [f"arn:aws:s3:::{history.bucket}/{history.export_prefix}/*"],
            Handle.HISTORY_RESULTS: [f"arn:aws:s3:::{history.bucket}/{history.results_prefix}/*"],
            Handle.HISTORY_TRAINING: [f"arn:aws:s3:::{history.bucket}/{history.training_prefix}/*"],
            Handle.HISTORY_CATALOG: glue_arns(history, region, self.account),
            Handle.HISTORY_WORKGROUP: [
                f"arn:aws:athena:{region}:{self.account}:workgroup/{history.workgroup}"
            ],
        }

    def policy(self, spec: FunctionSpec) -> dict[str, Any]:
        """The function's role policy as the renderings write it, with these ARNs."""
        group = f"arn:aws:logs:{self.blueprint.region}:{self.account}:log-group:{spec.log_group}"
        return function_policy(
            self.blueprint, spec, self.handles.__getitem__, [group, f"{group}:*"]
        )

    def table(self, name: str) -> str:
        return f"arn:aws:dynamodb:{self.blueprint.region}:{self.account}:table/{name}"

    def parameter(self, name: str) -> str:
        return f"arn:aws:ssm:{self.blueprint.region}:{self.account}:parameter{name}"

    def key(self, key_id: str) -> str:
        return self.key_arns.get(key_id, key_id)


_S3_WRITE = ("s3:PutObject",)
_DYNAMODB_TRANSACT = {
    "Put": "PutItem",
    "Update": "UpdateItem",
    "Delete": "DeleteItem",
    "ConditionCheck": "ConditionCheckItem",
}


def _key_needs(
    resolver: Resolver, actions: tuple[str, ...], why: str, **context: str
) -> list[Need]:
    key = resolver.handles[Handle.KEY][0]
    pairs = tuple((f"kms:EncryptionContext:{k}", v) for k, v in context.items())
    return [Need(action, key, why, pairs) for action in actions]


def _dynamodb(call: Call, r: Resolver) -> list[Need]:
    p, op = call.params, call.operation
    if op == "TransactWriteItems":
        return [
            Need(
                f"dynamodb:{_DYNAMODB_TRANSACT[kind]}",
                r.table(part["TableName"]),
                "a part of a transaction",
            )
            for item in p["TransactItems"]
            for kind, part in [next(iter(item.items()))]
        ]
    if op == "BatchWriteItem":
        return [Need("dynamodb:BatchWriteItem", r.table(name), op) for name in p["RequestItems"]]
    if op == "BatchGetItem":
        return [Need("dynamodb:BatchGetItem", r.table(name), op) for name in p["RequestItems"]]
    if op == "DescribeExport":
        return [Need("dynamodb:DescribeExport", p["ExportArn"], op)]
    if op == "ExportTableToPointInTime":
        bucket, prefix = p["S3Bucket"], p.get("S3Prefix", "")
        objects = f"arn:aws:s3:::{bucket}/{prefix}/AWSDynamoDB/export"
        return [
            Need("dynamodb:ExportTableToPointInTime", p["TableArn"], op),
            *(
                Need(a, objects, "DynamoDB writes the export with the caller's rights")
                for a in ("s3:PutObject", "s3:AbortMultipartUpload", "s3:PutObjectAcl")
            ),
            *_key_needs(
                r, ("kms:GenerateDataKey", "kms:Decrypt"), "the export's multipart objects"
            ),
        ]
    table = r.table(p["TableName"])
    resource = f"{table}/index/{p['IndexName']}" if p.get("IndexName") else table
    return [Need(f"dynamodb:{op}", resource, op)]


def _s3(call: Call, r: Resolver) -> list[Need]:
    p, op = call.params, call.operation
    bucket = f"arn:aws:s3:::{p['Bucket']}"
    if op in {"ListObjectsV2", "ListObjects"}:
        return [Need("s3:ListBucket", bucket, op)]
    obj = f"{bucket}/{p['Key']}"
    if op in {"GetObject", "HeadObject"}:
        return [
            Need("s3:GetObject", obj, op),
            *_key_needs(r, ("kms:Decrypt",), "an SSE-KMS object"),
        ]
    if op == "PutObject":
        return [
            Need("s3:PutObject", obj, op),
            *_key_needs(r, ("kms:GenerateDataKey",), "an SSE-KMS object"),
        ]
    return [Need(f"s3:{op}", obj, op)]


def _ssm(call: Call, r: Resolver) -> list[Need]:
    p, op = call.params, call.operation
    arn = r.parameter(p["Name"])
    needs = [Need(f"ssm:{op}", arn, op)]
    if op == "GetParameter" and p.get("WithDecryption"):
        needs += _key_needs(r, ("kms:Decrypt",), "a SecureString read", PARAMETER_ARN=arn)
    if op == "PutParameter" and p.get("Type", "SecureString") == "SecureString":
        needs += _key_needs(r, ("kms:Encrypt",), "a SecureString write", PARAMETER_ARN=arn)
    return needs


def _sqs(call: Call, r: Resolver) -> list[Need]:
    p, op = call.params, call.operation
    action = "sqs:SendMessage" if op == "SendMessageBatch" else f"sqs:{op}"
    needs = [Need(action, r.queue_arns[p["QueueUrl"]], op)]
    if action == "sqs:SendMessage":
        needs += _key_needs(r, ("kms:GenerateDataKey", "kms:Decrypt"), "an SSE-KMS queue")
    return needs


def _sns(call: Call, r: Resolver) -> list[Need]:
    return [
        Need(f"sns:{call.operation}", call.params["TopicArn"], call.operation),
        *_key_needs(r, ("kms:GenerateDataKey", "kms:Decrypt"), "an SSE-KMS topic"),
    ]


def _kms(call: Call, r: Resolver) -> list[Need]:
    return [Need(f"kms:{call.operation}", r.key(call.params["KeyId"]), call.operation)]


def _glue(call: Call, r: Resolver) -> list[Need]:
    history = r.blueprint.history_store
    return [
        Need(f"glue:{call.operation}", arn, call.operation)
        for arn in glue_arns(history, r.blueprint.region, r.account)
    ]


_UNLOAD_TO = re.compile(r"TO 's3://([^/']+)/([^']*)'")


def _athena(call: Call, r: Resolver) -> list[Need]:
    history, bp = r.blueprint.history_store, r.blueprint
    workgroup = r.handles[Handle.HISTORY_WORKGROUP][0]
    needs = [Need(f"athena:{call.operation}", workgroup, call.operation)]
    if call.operation != "StartQueryExecution":
        return needs
    caller = "Athena runs the query with the caller's rights"
    needs += [
        Need(a, arn, caller)
        for a in ("glue:GetDatabase", "glue:GetTable", "glue:GetPartitions")
        for arn in glue_arns(history, bp.region, r.account)
    ]
    bucket = f"arn:aws:s3:::{history.bucket}"
    needs += [
        Need("s3:GetBucketLocation", bucket, caller),
        Need("s3:ListBucket", bucket, caller),
        Need(
            "s3:GetObject",
            f"{bucket}/{history.export_prefix}/AWSDynamoDB/export/data/part.json.gz",
            caller,
        ),
        Need("s3:PutObject", f"{bucket}/{history.results_prefix}/query.csv", caller),
    ]
    target = _UNLOAD_TO.search(call.params["QueryString"])
    if target:
        needs.append(Need("s3:PutObject", f"arn:aws:s3:::{target[1]}/{target[2]}part", caller))
    return needs + _key_needs(r, ("kms:GenerateDataKey", "kms:Decrypt"), "results under the CMK")


_SERVICES: dict[str, Callable[[Call, Resolver], list[Need]]] = {
    "dynamodb": _dynamodb,
    "s3": _s3,
    "ssm": _ssm,
    "sqs": _sqs,
    "sns": _sns,
    "kms": _kms,
    "glue": _glue,
    "athena": _athena,
}


def needs_of(call: Call, resolver: Resolver) -> list[Need]:
    return _SERVICES[call.service](call, resolver)


def lambdas_needs(spec: FunctionSpec, resolver: Resolver) -> list[Need]:
    """What Lambda does with the function's role: polling its event source, sending its
    failure records to the on-failure destination."""
    h = resolver.handles
    why = "Lambda, with the function's role"
    needs: list[Need] = []
    if spec.key == "notify":
        needs += [
            Need(a, h[Handle.SUSPICIOUS_QUEUE][0], f"{why}: the queue's mapping")
            for a in (
                "sqs:ReceiveMessage",
                "sqs:DeleteMessage",
                "sqs:GetQueueAttributes",
                "sqs:ChangeMessageVisibility",
            )
        ]
        needs += _key_needs(resolver, ("kms:Decrypt",), "an SSE-KMS queue")
    if spec.key == "aggregate":
        needs += [
            Need(a, h[Handle.PROFILE_TABLE_STREAM][0], f"{why}: the stream's mapping")
            for a in ("dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator")
        ]
    if spec.asynchronous or spec.key == "aggregate":
        needs.append(
            Need("sqs:SendMessage", h[Handle.FAILURES_DLQ][0], f"{why}: the on-failure destination")
        )
        needs += _key_needs(resolver, ("kms:GenerateDataKey", "kms:Decrypt"), "an SSE-KMS queue")
    return needs


def evaluate(
    calls: list[Call], resolver: Resolver
) -> tuple[dict[str, list[Need]], dict[str, set[str]]]:
    """Per function: the needs its role's policy does not allow, and the granted actions
    no need used."""
    missing: dict[str, list[Need]] = {}
    unused: dict[str, set[str]] = {}
    for key, spec in resolver.blueprint.functions.items():
        policy = IAMPolicy(json.dumps(resolver.policy(spec)))
        needs = [n for c in calls if c.function == key for n in needs_of(c, resolver)]
        needs += lambdas_needs(spec, resolver)
        denied = [
            n
            for n in dict.fromkeys(needs)
            if policy.is_action_permitted(
                n.action, n.resource, incoming_condition_values=dict(n.context) or None
            )
            is not PermissionResult.PERMITTED
        ]
        if denied:
            missing[key] = denied
        granted = {a for s in resolver.policy(spec)["Statement"] for a in s["Action"]}
        used = {n.action for n in needs}
        unused[key] = granted - used
    return missing, unused
