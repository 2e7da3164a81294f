"""The one description of a cardwatch deployment: every name and number.

The CDKTF constructs, the Pulumi components and the local mode all render a
:class:`Blueprint`; none of them invents a name or a number of its own. Where the two
requirement documents disagree, :data:`TARGET_DEFAULTS` holds each deployment's own
number, and every one of them is a setting a user can override.
No provider SDK is imported here.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field, replace
from typing import Any

from cardwatch.domain.audit.record import KEPT_DAYS
from cardwatch.domain.engine.model_pointer import ARTIFACT_PREFIX
from cardwatch.domain.transaction.record import OPTIONAL_FIELDS

__all__ = [
    "FUNCTION_KEYS",
    "PARTITION_READ_UNITS",
    "PARTITION_WRITE_UNITS",
    "TARGET_DEFAULTS",
    "AnalystRole",
    "ApiLogging",
    "Blueprint",
    "FunctionSpec",
    "HistoryStoreSpec",
    "IndexSpec",
    "ModelStoreSpec",
    "QueueSpec",
    "ScheduleSpec",
    "Target",
    "TargetSettings",
    "blueprint_for",
]

PROJECT = "cardwatch"
REGION = "us-east-1"
#: The Lambda runtime both requirement documents ask for; Lambda deprecates it on
#: 2027-06-30, so the runtime is a setting with its successors (every one tested).
RUNTIME = "python3.11"
RUNTIMES = ("python3.11", "python3.12", "python3.13")
ARCHITECTURE = "arm64"
#: DynamoDB's limits per partition key value of a table or an index, units a second: what
#: the design must hold at the modelled load, and what the emulator enforces
PARTITION_WRITE_UNITS, PARTITION_READ_UNITS = 1_000.0, 3_000.0


class ApiLogging(enum.StrEnum):
    """Who provides API Gateway's CloudWatch role, which the stage's logs need."""

    OWN = "own"
    ACCOUNT = "account"
    OFF = "off"

    @property
    def logs(self) -> bool:
        return self is not ApiLogging.OFF


class Target(enum.StrEnum):
    CDKTF = "cdktf"
    PULUMI = "pulumi"
    LOCAL = "local"


@dataclass(frozen=True, slots=True)
class TargetSettings:
    """The settings on which the two requirement documents differ (DESIGN.md's table)."""

    log_retention_days: int
    #: Reserved concurrency per function (:data:`FUNCTION_KEYS`).
    reserved_concurrency: dict[str, int]
    #: API requests a day per key; ``None`` means no daily quota.
    api_quota_per_day: int | None
    api_rate_limit_per_second: int
    api_burst_limit: int
    #: Functions placed in a VPC (private subnets, VPC endpoints, no NAT).
    vpc_functions: frozenset[str]
    email_subscription: bool
    alert_email: str | None = None
    #: Subscribed (e-mail) to the operators' topic, where the alarms go.
    ops_email: str | None = None
    #: The stage's access and execution logs, which need API Gateway's CloudWatch role (one
    #: per account and region): ``own`` points the account at this environment's role
    #: (what a fresh account needs), ``account`` uses the role the account already has
    #: (every further environment), ``off`` writes no API logs; ``cardwatch preflight``
    #: says which one the account needs.
    api_logging: ApiLogging = ApiLogging.OWN
    #: The share of the genuine a training set draws (every fraud is kept): all of them
    #: at a small deployment's volume, 1 % at millions a day (the set must fit the
    #: retrain function's memory and 15 minutes).
    genuine_share: float = 1.0
    #: The functions' Lambda runtime, one of :data:`RUNTIMES`; the packages are built
    #: for its Python.
    runtime: str = RUNTIME
    #: The audit table refuses to be deleted (``terraform destroy`` or ``pulumi destroy``
    #: included) while this is on: the trail outlives an environment. Off by default,
    #: since both requirement documents ask that every resource can be destroyed; a
    #: production environment turns it on.
    audit_deletion_protection: bool = False
    #: What ``POST /decisions`` answers when the detection state cannot be read:
    #: ``fail-open`` (approve, and score it afterwards) or ``fail-closed`` (decline). Open
    #: by default: an outage of the fraud engine should not decline every cardholder; the
    #: answer says ``"degraded": true`` and the policy, so a processor can apply its own
    #: stand-in rules, and every such payment is scored after the fact.
    decision_degraded_policy: str = "fail-open"


#: The functions, by key.
FUNCTION_KEYS = (
    "ingest",
    "decide",
    "detect",
    "aggregate",
    "analyze",
    "notify",
    "retrain",
    "export",
)


def _each(value: int) -> dict[str, int]:
    return dict.fromkeys(FUNCTION_KEYS, value)


TARGET_DEFAULTS: dict[Target, TargetSettings] = {
    # Seed 000: 30-day logs, reserved concurrency 1-5, quota 1000/day with per-key throttle.
    Target.CDKTF: TargetSettings(
        log_retention_days=30,
        reserved_concurrency={
            "ingest": 5,
            "decide": 5,
            "detect": 5,
            "aggregate": 2,
            "analyze": 1,
            "notify": 2,
            "retrain": 1,
            "export": 1,
        },
        api_quota_per_day=1000,
        api_rate_limit_per_second=10,
        api_burst_limit=20,
        vpc_functions=frozenset(),
        email_subscription=False,
    ),
    # Seed 003: 7-day logs, concurrency >= 100, throttle exactly 1000 req/s, VPC.
    Target.PULUMI: TargetSettings(
        log_retention_days=7,
        reserved_concurrency=_each(100),
        api_quota_per_day=None,
        api_rate_limit_per_second=1000,
        api_burst_limit=2000,
        vpc_functions=frozenset({"ingest", "decide", "detect"}),
        email_subscription=True,
        alert_email="security-team@example.com",
        genuine_share=0.01,
    ),
    # Local mode: the Pulumi throttle and no daily quota, so demo and benchmarks run.
    Target.LOCAL: TargetSettings(
        log_retention_days=7,
        reserved_concurrency=_each(1),
        api_quota_per_day=None,
        api_rate_limit_per_second=1000,
        api_burst_limit=2000,
        vpc_functions=frozenset(),
        email_subscription=False,
    ),
}


@dataclass(frozen=True, slots=True)
class IndexSpec:
    """A global secondary index and what it projects: ``ALL`` attributes, the keys only
    (``KEYS_ONLY``), or the keys and ``included`` (``INCLUDE``). An update that changes
    no projected attribute writes nothing to the index, and an index item costs units
    by its projected size: lean projections keep detect's decision record (54 features,
    about 1.3 KB) out of the indexes that do not need it."""

    name: str
    partition_key: str
    sort_key: str
    projection: str = "ALL"
    included: tuple[str, ...] = ()


class Handle(enum.StrEnum):
    """A resource both deployments (and local mode) create, as functions name it: in a
    grant (its ARNs) or in an environment variable (its URL, ARN or id, which only
    exists once the resource does). Each renderer registers a handle's values as it
    creates the resource; asking before that is an error naming the handle."""

    KEY = "key"
    CARD_TOKEN_KEY = "card_token_key"  # noqa: S105 (a resource handle, not a secret)
    TABLE = "table"
    TABLE_TIME_BUCKET_INDEX = "table_time_bucket_index"
    TABLE_REVIEW_INDEX = "table_review_index"
    TABLE_STREAM = "table_stream"
    PROFILE_TABLE = "profile_table"
    PROFILE_TABLE_STREAM = "profile_table_stream"
    SUSPICIOUS_QUEUE = "suspicious_queue"
    ALERTS_QUEUE = "alerts_queue"
    SUSPICIOUS_DLQ = "suspicious_dlq"
    ALERTS_DLQ = "alerts_dlq"
    FAILURES_DLQ = "failures_dlq"
    ALERT_TOPIC = "alert_topic"
    OPS_TOPIC = "ops_topic"
    RULES_PARAMETER = "rules_parameter"
    RATES_PARAMETER = "rates_parameter"
    MODEL_PARAMETER = "model_parameter"
    MODEL_BUCKET = "model_bucket"
    MODEL_OBJECTS = "model_objects"
    #: the transactions table's exports (DescribeExport), the history bucket, its parts
    TABLE_EXPORTS = "table_exports"
    HISTORY_BUCKET = "history_bucket"
    HISTORY_EXPORTS = "history_exports"
    HISTORY_RESULTS = "history_results"
    HISTORY_TRAINING = "history_training"
    #: the Glue catalog, database and table of the exports; the Athena workgroup
    HISTORY_CATALOG = "history_catalog"
    HISTORY_WORKGROUP = "history_workgroup"
    ANALYST_API_KEY = "analyst_api_key"
    AUDIT_TABLE = "audit_table"
    #: the log archive: the delivery stream the log groups' subscriptions feed, the role
    #: CloudWatch Logs takes to put into it, and its bucket
    LOG_ARCHIVE_STREAM = "log_archive_stream"
    LOG_ARCHIVE_ROLE = "log_archive_role"
    LOG_ARCHIVE_BUCKET = "log_archive_bucket"
    FEED_API_KEY = "feed_api_key"
    #: the analysts' cases, and their two indexes (search keys, status queues)
    CASE_TABLE = "case_table"
    CASE_TABLE_INDEXES = "case_table_indexes"


@dataclass(frozen=True, slots=True)
class AnalystRole:
    """A console role: its IAM role's name, the API routes it may invoke (method, path
    under the stage, ``*`` a path segment) and what else it may do, by resource."""

    role_name: str
    routes: tuple[tuple[str, str], ...]
    grants: tuple[tuple[Handle, tuple[str, ...]], ...]


@dataclass(frozen=True, slots=True)
class MetricAlarmSpec:
    """An alarm on any count of one of the functions' own metrics in a period."""

    key: str
    name: str
    description: str
    metric_name: str
    service: str  # the Powertools service that emits it (its ``service`` dimension)


@dataclass(frozen=True, slots=True)
class QueueSpec:
    name: str
    visibility_timeout_seconds: int
    retention_seconds: int
    #: The queue's own dead-letter queue, with the receive count that moves a message.
    dead_letter: QueueSpec | None = None
    max_receive_count: int = 3


@dataclass(frozen=True, slots=True)
class FunctionSpec:
    """One Lambda function: its role in the pipeline and what it may touch."""

    key: str
    name: str
    handler: str
    description: str
    memory_mb: int
    timeout_seconds: int
    reserved_concurrency: int
    in_vpc: bool
    #: Invoked asynchronously (EventBridge, Scheduler): failures go to a destination DLQ.
    asynchronous: bool
    #: Which package it runs from: "functions" (the small one every function shares) or
    #: "training" (the retrain function's, with scikit-learn; uploaded to the bucket).
    package: str
    #: Environment variable name -> its value, or the resource whose URL, ARN or id it
    #: takes once that exists.
    environment: dict[str, str | Handle]
    #: (resource, actions) pairs: the function role's whole policy.
    grants: tuple[tuple[Handle, tuple[str, ...]], ...]
    #: SecureString parameters it writes: Parameter Store encrypts each value with the
    #: CMK in the caller's name (kms:Encrypt, granted for those parameters' encryption
    #: context only).
    writes_secure: tuple[Handle, ...] = ()

    @property
    def log_group(self) -> str:
        return f"/aws/lambda/{self.name}"

    #: ``{resource-type}-{suffix}`` like every other name.
    role_name: str = ""
    error_alarm_name: str = ""


@dataclass(frozen=True, slots=True)
class ScheduleSpec:
    """An EventBridge Scheduler schedule that invokes one function (with its own role)."""

    key: str
    function: str
    name: str
    expression: str
    role_name: str
    policy_name: str
    statement_id: str
    #: the renderers' resource ids start with it ("" for the first: ids unchanged)
    id_prefix: str = ""


@dataclass(frozen=True, slots=True)
class ModelStoreSpec:
    """The model bucket: what it holds where, and how long overwritten data stays."""

    bucket: str
    artifact_prefix: str = ARTIFACT_PREFIX
    package_prefix: str = "packages/"
    #: an overwritten or deleted object's old version is kept this long (an artifact is
    #: never overwritten: this is for accidents)
    noncurrent_days: int = 365
    abort_upload_days: int = 7

    def package_key(self, sha256: str) -> str:
        """Where the retrain function's package of digest ``sha256`` is uploaded."""
        return f"{self.package_prefix}training-{sha256[:16]}.zip"


@dataclass(frozen=True, slots=True)
class HistoryStoreSpec:
    """The decision log past DynamoDB, in one bucket encrypted with the CMK: the table's
    exports (``export_prefix``), the Glue table over their lines, the Athena workgroup
    that builds training sets (its results under ``results_prefix``, the sets under
    ``training_prefix``), and how long each is kept."""

    bucket: str
    database: str
    workgroup: str
    table: str = "decision_exports"
    export_prefix: str = "exports"
    results_prefix: str = "athena-results"
    training_prefix: str = "training-sets"
    #: the exports' files: the table's retention and a label window beyond it
    export_days: int = 400
    results_days: int = 7
    training_days: int = 30
    abort_upload_days: int = 7
    #: the most one query may scan (Athena cancels it past this): 1 TB, USD 5
    bytes_scanned_cutoff: int = 1_000_000_000_000
    #: a new incremental export once the last is this old (15 minutes to a day)
    export_interval_hours: float = 24.0
    #: the Glue table: text, one string column (a line: one JSON document; \x01 never
    #: occurs in JSON), one partition per export
    column: str = "line"
    partition_key: str = "exported_micros"
    serde: str = "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe"
    input_format: str = "org.apache.hadoop.mapred.TextInputFormat"
    output_format: str = "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat"
    field_delimiter: str = "\x01"

    @property
    def source(self) -> str:
        """The table as the query names it."""
        return f'"{self.database}"."{self.table}"'

    @property
    def exports_location(self) -> str:
        return f"s3://{self.bucket}/{self.export_prefix}/AWSDynamoDB/"

    @property
    def results_location(self) -> str:
        return f"s3://{self.bucket}/{self.results_prefix}/"

    def glue_table_input(self) -> dict[str, Any]:
        """The Glue table, as Glue's TableInput spells it (both renderers map it)."""
        return {
            "Name": self.table,
            "TableType": "EXTERNAL_TABLE",
            "Parameters": {"EXTERNAL": "TRUE", "classification": "text"},
            "PartitionKeys": [{"Name": self.partition_key, "Type": "bigint"}],
            "StorageDescriptor": {
                "Columns": [{"Name": self.column, "Type": "string"}],
                "Location": self.exports_location,
                "InputFormat": self.input_format,
                "OutputFormat": self.output_format,
                "Compressed": True,
                "SerdeInfo": {
                    "SerializationLibrary": self.serde,
                    "Parameters": {"field.delim": self.field_delimiter},
                },
            },
        }


_DAY = 86_400
#: Every queue's visibility timeout: six minutes, as the high-volume requirements ask of
#: every queue, and six times the notify function's timeout (its queue's consumer), as
#: an SQS event source needs.
QUEUE_VISIBILITY = 360

TABLE_READ = ("dynamodb:GetItem", "dynamodb:Query")
TABLE_WRITE = ("dynamodb:PutItem", "dynamodb:UpdateItem")
#: Detection state: each change is one TransactWriteItems of puts and updates (IAM
#: authorizes a transaction's parts by their own actions); reads are queries and gets.
STATE_WRITE = TABLE_WRITE
STATE_READ_WRITE = (*TABLE_READ, *TABLE_WRITE)
QUEUE_SEND = ("sqs:SendMessage",)
QUEUE_CONSUME = (
    "sqs:ReceiveMessage",
    "sqs:DeleteMessage",
    "sqs:GetQueueAttributes",
    "sqs:ChangeMessageVisibility",
)
KEY_USE = ("kms:Decrypt", "kms:GenerateDataKey")
TOKEN_KEY_USE = ("kms:GenerateMac",)
#: The audit trail takes new items only: no update, no delete, no batch (a PutItem
#: conditional on a new key; see :mod:`cardwatch.adapters.dynamodb_audit`).
AUDIT_APPEND = ("dynamodb:PutItem",)
PARAMETER_READ = ("ssm:GetParameter",)
TOPIC_PUBLISH = ("sns:Publish",)


@dataclass(frozen=True, slots=True)
class Blueprint:
    """Every name and number of one deployment of cardwatch."""

    environment_suffix: str
    target: Target
    settings: TargetSettings
    region: str = REGION
    cost_center: str = "fraud-operations"
    extra_tags: dict[str, str] = field(default_factory=dict)
    #: The account deployed to, where a name must be unique across accounts (S3's
    #: buckets): a renderer's token for it, or the id; None where no account is known
    #: (local mode, whose emulator is one account).
    account_id: str | None = None

    @property
    def python(self) -> tuple[int, int]:
        """The functions' Python, from the runtime (``python3.12`` -> (3, 12))."""
        if self.settings.runtime not in RUNTIMES:
            raise ValueError(f"runtime: one of {', '.join(RUNTIMES)}")
        major, minor = self.settings.runtime.removeprefix("python").split(".")
        return int(major), int(minor)

    # -- naming -------------------------------------------------------------------
    def name(self, resource_type: str) -> str:
        """``{resource-type}-{environment_suffix}``, the naming rule for everything."""
        return f"{resource_type}-{self.environment_suffix}"

    @property
    def tags(self) -> dict[str, str]:
        return {
            "Environment": self.environment_suffix,
            "Project": PROJECT,
            "CostCenter": self.cost_center,
            **self.extra_tags,
        }

    # -- storage ----------------------------------------------------------------
    @property
    def table_name(self) -> str:
        return self.name("transactions")

    table_partition_key = "transaction_id"
    table_sort_key = "timestamp"
    user_index_name = "user_id-timestamp-index"
    #: Five-minute buckets of transaction time: the analyzer reads a window, no scan.
    time_bucket_index_name = "time_bucket-timestamp-index"
    time_bucket_seconds = 300
    #: The open review queue: a sparse index of the flagged transactions no label has
    #: settled yet (``review_queue`` is set with a review or block decision and removed
    #: by the first label), newest first by transaction time.
    review_index_name = "review_queue-timestamp-index"
    review_queue_attribute = "review_queue"
    stream_view_type = "NEW_IMAGE"

    #: Key and index attributes of the transaction table, with their DynamoDB types.
    table_attributes = (
        ("transaction_id", "S"),
        ("timestamp", "N"),
        ("user_id", "S"),
        ("time_bucket", "S"),
        ("review_queue", "S"),
    )

    #: What the time-bucket index carries: the transaction (analyze rebuilds it from
    #: the index) and the decision's score, decision and model (the alert budget, the
    #: console's rates); not the features, reasons or labels, which only retraining
    #: and a case's page read, from the table.
    time_bucket_included = (
        "occurred_at",
        "user_id",
        "amount",
        "currency",
        "terminal_id",
        "card_token",
        "card_bin",
        "card_last4",
        "utc_offset_minutes",
        *OPTIONAL_FIELDS,
        "score",
        "decision",
        "model_version",
    )

    @property
    def table_indexes(self) -> tuple[IndexSpec, ...]:
        return (
            # a card holder's transactions by time: the keys, read then fetched
            IndexSpec(self.user_index_name, "user_id", self.table_sort_key, "KEYS_ONLY"),
            IndexSpec(
                self.time_bucket_index_name,
                "time_bucket",
                self.table_sort_key,
                "INCLUDE",
                self.time_bucket_included,
            ),
            # sparse (open cases only), read whole by the console's queue
            IndexSpec(self.review_index_name, self.review_queue_attribute, self.table_sort_key),
        )

    @property
    def audit_table_name(self) -> str:
        """The audit trail: one item per privileged act, appended once (PCI DSS 10.2)."""
        return self.name("fraud-audit")

    audit_table_key = "month"
    audit_table_sort_key = "entry"

    @property
    def case_table_name(self) -> str:
        """The analysts' cases: a case item, its member transactions and its search
        keys under one partition key (the case), an episode pointer per card."""
        return self.name("fraud-cases")

    case_table_key = "case_id"
    case_table_sort_key = "item"
    #: every search key of a case (card token, BIN and last four, user, terminal), its
    #: cases by the time they opened
    case_search_index_name = "search_key-opened_at-index"
    #: the cases of one status (open, assigned, closed) by the time they opened
    case_queue_index_name = "queue-opened_at-index"
    case_table_attributes = (
        ("case_id", "S"),
        ("item", "S"),
        ("search_key", "S"),
        ("queue", "S"),
        ("opened_at", "N"),
    )

    @property
    def case_environment(self) -> dict[str, str]:
        """What a function that opens or reads cases is told of them."""
        return {
            "CASE_TABLE_NAME": self.case_table_name,
            "CASE_SEARCH_INDEX": self.case_search_index_name,
            "CASE_QUEUE_INDEX": self.case_queue_index_name,
        }

    @property
    def case_indexes(self) -> tuple[IndexSpec, ...]:
        # keys only: a page of cases is read whole from the table, by key, afterwards
        return (
            IndexSpec(self.case_search_index_name, "search_key", "opened_at", "KEYS_ONLY"),
            IndexSpec(self.case_queue_index_name, "queue", "opened_at", "KEYS_ONLY"),
        )

    @property
    def profile_table_name(self) -> str:
        """Card and terminal profiles of the detection engine, and alert cooldowns."""
        return self.name("fraud-profiles")

    #: The state's entity (``card#...``, ``terminal#...``) and the slot within it.
    profile_table_key = "entity"
    profile_table_sort_key = "slot"
    profile_ttl_attribute = "expires_at"
    #: Transactions, their decisions and labels are kept online this long after they
    #: happened (13 months: a year of history and a chargeback's window), then
    #: DynamoDB's time to live deletes them; the decision log's copy in S3 is kept
    #: longer, under the bucket's lifecycle rules.
    transaction_ttl_attribute = "expires_at"
    transaction_retention_days = 396
    #: The profile table's stream carries each applied card event to aggregate.
    profile_stream_view_type = "NEW_IMAGE"

    # -- security ---------------------------------------------------------------
    @property
    def key_alias(self) -> str:
        return f"alias/{self.name('cardwatch-data')}"

    @property
    def card_token_key_alias(self) -> str:
        """A KMS HMAC key (HMAC_256): ingest derives its card-token key from it with
        GenerateMac at a cold start; the key material never leaves KMS and no deployment
        output, state or parameter holds a key."""
        return f"alias/{self.name('cardwatch-card-token')}"

    @property
    def rules_parameter(self) -> str:
        """The detection rule set (JSON), changeable without a redeploy."""
        return f"/{PROJECT}/{self.environment_suffix}/detection-rules"

    @property
    def rates_parameter(self) -> str:
        """The currency rates table (JSON) amounts are scored in, changeable without a
        redeploy."""
        return f"/{PROJECT}/{self.environment_suffix}/currency-rates"

    @property
    def model_parameter(self) -> str:
        """The model pointer (JSON): the champion, the challenger in shadow and the
        champions before them (:mod:`cardwatch.domain.engine.model_pointer`). Written by the
        retrain function and ``cardwatch model``; detect reads it like the rules."""
        return f"/{PROJECT}/{self.environment_suffix}/model-pointer"

    @property
    def log_archive_bucket_name(self) -> str:
        """Every log line of the functions and the API, kept 13 months (PCI DSS 10.5.1
        asks for 12, 3 at hand: the log groups keep the days the requirements ask for,
        the archive the rest), under the data key."""
        return self.global_name("cardwatch-log-archive")

    @property
    def log_archive_stream_name(self) -> str:
        return self.name("fraud-log-archive")

    @property
    def log_archive_role_names(self) -> tuple[str, str]:
        """(the role CloudWatch Logs takes to feed the stream, the stream's own role)."""
        return self.name("log-archive-feed"), self.name("log-archive-delivery")

    #: How long the archive keeps a log line: as long as the audit trail keeps a record.
    log_archive_days = KEPT_DAYS

    @property
    def model_bucket_name(self) -> str:
        return self.model_store.bucket

    @property
    def model_store(self) -> ModelStoreSpec:
        """Versioned model artifacts (``models/<version>.json``), encrypted with the CMK;
        and the retrain function's package, too large to upload to Lambda directly."""
        return ModelStoreSpec(self.global_name("cardwatch-models"))

    @property
    def history_store(self) -> HistoryStoreSpec:
        """The decision log's exports and the engine that builds training sets."""
        return HistoryStoreSpec(
            bucket=self.global_name("cardwatch-history"),
            database=f"cardwatch_{self.environment_suffix.replace('-', '_').lower()}",
            workgroup=self.name("cardwatch-history"),
        )

    #: How often the deployment retrains (EventBridge Scheduler) and what a run reads:
    #: the decision log of the last ``retrain_history_days``; an unlabelled decision
    #: counts as genuine once ``label_delay_days`` old; the latest
    #: ``promotion_evaluation_days`` of labelled decisions judge champion and challenger,
    #: and the challenger is promoted when its average precision is higher by
    #: ``promotion_margin`` (with ``auto_promote``; else it waits in shadow).
    retrain_schedule_expression = "rate(7 days)"
    retrain_history_days = 91
    label_delay_days = 7
    min_frauds_to_train = 30
    promotion_margin = 0.01
    promotion_evaluation_days = 14
    promotion_min_frauds = 10
    auto_promote = True

    @property
    def schedules(self) -> tuple[ScheduleSpec, ...]:
        """The five-minute analysis, the retraining and the decision log's exports."""
        return (
            ScheduleSpec(
                "analyze",
                "analyze",
                self.schedule_name,
                self.schedule_expression,
                self.name("pattern-analysis-schedule"),
                "invoke-analyzer",
                "InvokeAnalyzer",
            ),
            ScheduleSpec(
                "retrain",
                "retrain",
                self.name("model-retraining"),
                self.retrain_schedule_expression,
                self.name("model-retraining-schedule"),
                "invoke-retrainer",
                "InvokeRetrainer",
                id_prefix="retrain-",
            ),
            ScheduleSpec(
                "export",
                "export",
                self.name("decision-export"),
                self.export_schedule_expression,
                self.name("decision-export-schedule"),
                "invoke-exporter",
                "InvokeExporter",
                id_prefix="export-",
            ),
        )

    #: How often the export function looks (it starts an export once one is due: see
    #: ``HistoryStoreSpec.export_interval_hours``; a run that fell behind catches up a
    #: day per run)
    export_schedule_expression = "rate(6 hours)"

    # -- messaging --------------------------------------------------------------
    @property
    def suspicious_dlq(self) -> QueueSpec:
        return QueueSpec(self.name("suspicious-transactions-dlq"), QUEUE_VISIBILITY, 14 * _DAY)

    @property
    def suspicious_queue(self) -> QueueSpec:
        return QueueSpec(
            self.name("suspicious-transactions"),
            QUEUE_VISIBILITY,
            14 * _DAY,
            dead_letter=self.suspicious_dlq,
            max_receive_count=3,
        )

    @property
    def alerts_dlq(self) -> QueueSpec:
        return QueueSpec(self.name("alert-processing-dlq"), QUEUE_VISIBILITY, 14 * _DAY)

    @property
    def alerts_queue(self) -> QueueSpec:
        """Subscribed to the alert topic, for downstream tools."""
        return QueueSpec(self.name("alert-processing"), QUEUE_VISIBILITY, 14 * _DAY)

    @property
    def failures_dlq(self) -> QueueSpec:
        """On-failure destination of asynchronous invocations, and the DLQ of the Pipe,
        the rule target and the schedule."""
        return QueueSpec(self.name("lambda-failures-dlq"), QUEUE_VISIBILITY, 14 * _DAY)

    #: The queue attributes, dead-letter queues before the queues that redrive to them.
    queue_attributes = (
        "suspicious_dlq",
        "suspicious_queue",
        "alerts_dlq",
        "alerts_queue",
        "failures_dlq",
    )

    @property
    def queues(self) -> tuple[QueueSpec, ...]:
        return (
            self.suspicious_dlq,
            self.suspicious_queue,
            self.alerts_dlq,
            self.alerts_queue,
            self.failures_dlq,
        )

    #: The dead-letter queues: each has an alarm on its depth.
    dead_letter_attributes = ("suspicious_dlq", "alerts_dlq", "failures_dlq")

    @property
    def alert_topic_name(self) -> str:
        return self.name("fraud-alerts")

    @property
    def ops_topic_name(self) -> str:
        """The operators' topic: the alarms (function errors, dead letters) go here, never
        to the security team's fraud alerts."""
        return self.name("cardwatch-operations")

    @property
    def metric_alarms(self) -> tuple[MetricAlarmSpec, ...]:
        """Alarms on the functions' own metrics (EMF, dimension ``service``)."""
        return (
            MetricAlarmSpec(
                key="rules-refused",
                name=self.name("detection-rules-refused"),
                description="detect refused the published rules document and keeps the "
                "last good rules: fix and publish it again (cardwatch rules validate)",
                metric_name="RulesDocumentRefused",
                service=f"{self.service_name}-detect",
            ),
            MetricAlarmSpec(
                key="model-load-failed",
                name=self.name("model-load-failed"),
                description="detect could not read the model pointer or a model it names "
                "and keeps the last good models: check cardwatch model status",
                metric_name="ModelLoadFailed",
                service=f"{self.service_name}-detect",
            ),
            MetricAlarmSpec(
                key="decisions-degraded",
                name=self.name("decisions-degraded"),
                description="POST /decisions could not read the detection state and "
                "answered by its degraded policy (the answers say degraded: true): check "
                "the profile table's throttling and the decide function's log",
                metric_name="DecisionsDegraded",
                service=f"{self.service_name}-decide",
            ),
        )

    def dead_letter_alarm_name(self, queue: QueueSpec) -> str:
        """``{queue-type}-not-empty-{suffix}``, by the naming rule."""
        return self.name(f"{queue.name.removesuffix('-' + self.environment_suffix)}-not-empty")

    # -- API --------------------------------------------------------------------
    @property
    def api_name(self) -> str:
        return self.name("fraud-detection-api")

    api_stage = "v1"
    api_key_header = "x-api-key"
    #: AWS's managed policy for API Gateway's account role: the role serves every API
    #: of the account and region (and API Gateway checks it by writing a log group of
    #: its own), so it cannot be narrowed to this API's groups
    api_logs_managed_policy = (
        "arn:aws:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs"
    )

    @property
    def api_logs_role_name(self) -> str:
        """The role the account's API Gateway writes logs with, when this environment
        provides it (``api_logging=own``)."""
        return self.name("api-gateway-logs")

    @property
    def api_access_log_group(self) -> str:
        return f"/aws/apigateway/{self.api_name}"

    def api_execution_log_group(self, rest_api_id: str) -> str:
        """The group API Gateway writes the stage's execution logs to: created here,
        with its retention and the key, before API Gateway would create it with
        neither."""
        return f"API-Gateway-Execution-Logs_{rest_api_id}/{self.api_stage}"

    @property
    def api_key_name(self) -> str:
        """The processor's key: POST /transactions."""
        return self.name("fraud-detection-key")

    @property
    def analyst_api_key_name(self) -> str:
        """The verdict import's key, in a usage plan of its own: a machine integration
        (another case tool's verdicts, posted as analyst labels by a system), never a
        person's: people sign their requests with their own AWS identity
        (:attr:`analyst_roles`). The processor's key gets 403 on labels."""
        return self.name("fraud-analyst-key")

    @property
    def analyst_usage_plan_name(self) -> str:
        return self.name("fraud-analyst-usage-plan")

    @property
    def analyst_roles(self) -> dict[str, AnalystRole]:
        """The roles a person takes to work at the console, each a role the deployment
        defines (take it through IAM Identity Center's permission set or a profile's
        ``role_arn``; the session's name is the person, and every act records it):

        - ``viewer`` reads the queue, cases and the console's overview;
        - ``analyst`` also changes cases (labels, notes, assignment, status);
        - ``lead`` also publishes rules and models and redrives dead letters.
        """
        reads = (
            ("GET", "reviews"),
            ("GET", "transactions/*"),
            ("GET", "cases"),
            ("GET", "cases/*"),
        )
        overview = (
            (Handle.RULES_PARAMETER, ("ssm:GetParameter",)),
            (Handle.KEY, ("kms:Decrypt",)),
            (Handle.TABLE_TIME_BUCKET_INDEX, ("dynamodb:Query",)),
            (Handle.SUSPICIOUS_DLQ, ("sqs:GetQueueUrl", "sqs:GetQueueAttributes")),
            (Handle.ALERTS_DLQ, ("sqs:GetQueueUrl", "sqs:GetQueueAttributes")),
            (Handle.FAILURES_DLQ, ("sqs:GetQueueUrl", "sqs:GetQueueAttributes")),
        )
        dead_letters = ("sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility")
        lead = (
            (Handle.RULES_PARAMETER, ("ssm:PutParameter", "ssm:GetParameterHistory")),
            (Handle.MODEL_PARAMETER, ("ssm:GetParameter", "ssm:PutParameter")),
            (Handle.MODEL_BUCKET, ("s3:ListBucket",)),
            (Handle.MODEL_OBJECTS, ("s3:GetObject", "s3:PutObject")),
            (Handle.KEY, ("kms:Encrypt", "kms:GenerateDataKey")),
            (Handle.SUSPICIOUS_DLQ, dead_letters),
            (Handle.ALERTS_DLQ, dead_letters),
            (Handle.FAILURES_DLQ, dead_letters),
            (Handle.SUSPICIOUS_QUEUE, ("sqs:SendMessage", "sqs:GetQueueUrl")),
            (Handle.ALERTS_QUEUE, ("sqs:SendMessage", "sqs:GetQueueUrl")),
            (Handle.AUDIT_TABLE, ("dynamodb:PutItem", "dynamodb:Query")),
        )
        changes = (("POST", "cases/*"),)
        return {
            "viewer": AnalystRole(self.name("fraud-console-viewer"), reads, overview),
            "analyst": AnalystRole(self.name("fraud-console-analyst"), reads + changes, overview),
            "lead": AnalystRole(self.name("fraud-console-lead"), reads + changes, overview + lead),
        }

    #: the API's routes people call with their own identity (API Gateway's AWS_IAM)
    signed_routes = ("get-transaction", "get-reviews", "get-cases", "get-case", "post-case")

    @property
    def feed_api_key_name(self) -> str:
        """The disputes feed's key: the chargebacks and issuer verdicts a card scheme's
        or an issuer's system posts. Only a label sent with it is a chargeback's or an
        issuer's; an analyst's key cannot claim either."""
        return self.name("fraud-disputes-feed-key")

    @property
    def feed_usage_plan_name(self) -> str:
        return self.name("fraud-disputes-feed-usage-plan")

    api_key_description = "cardwatch: the card processor's key (POST /transactions)"
    analyst_api_key_description = (
        "cardwatch: the verdict import's key (a system's analyst labels; people sign in)"
    )
    feed_api_key_description = "cardwatch: the disputes feed's key (chargeback and issuer labels)"

    #: The analysts' plan: people at a console, not a processor's traffic, with a day's
    #: quota far above a team's work, reads of cases and the queue included (a console
    #: polls the queue every few seconds); a key that asks for more is a script or a leak.
    analyst_rate_limit_per_second = 10
    analyst_burst_limit = 20
    analyst_quota_per_day = 50_000
    #: The disputes feed's plan: a system's batches, bounded by a day's disputes.
    feed_rate_limit_per_second = 20
    feed_burst_limit = 40
    feed_quota_per_day = 50_000

    def label_limits(self, channel: str) -> tuple[int, int, int]:
        """A label channel's usage plan (``analyst`` or ``feed``): rate per second, burst
        and the day's quota."""
        prefix = {"analyst": "analyst", "feed": "feed"}[channel]
        return (
            getattr(self, f"{prefix}_rate_limit_per_second"),
            getattr(self, f"{prefix}_burst_limit"),
            getattr(self, f"{prefix}_quota_per_day"),
        )

    max_body_bytes = 16 * 1024

    # -- functions --------------------------------------------------------------
    @property
    def functions(self) -> dict[str, FunctionSpec]:
        """The seven functions: their settings, environment and grants."""
        concurrency = self.settings.reserved_concurrency
        history = self.history_store
        common_env = {
            "POWERTOOLS_METRICS_NAMESPACE": self.metrics_namespace,
        }

        # what scoring reads, alike in detect and decide: the state, the rules, rates and
        # models, the alert budget
        scoring_env: dict[str, str | Handle] = {
            "PROFILE_TABLE_NAME": self.profile_table_name,
            "RULES_PARAMETER": self.rules_parameter,
            "RATES_PARAMETER": self.rates_parameter,
            "STATE_MAX_LATENESS_SECONDS": str(self.state_max_lateness_seconds),
            "ALERT_REVIEW_SHARE": str(self.alert_review_share),
            "ALERT_BLOCK_SHARE": str(self.alert_block_share),
            "ALERT_BUDGET_DAYS": str(self.alert_budget_days),
            "SPREAD_BY_BIN": str(self.spread_by_bin),
            "MODEL_BUCKET": self.model_bucket_name,
            "MODEL_PARAMETER": self.model_parameter,
        }
        scoring_grants: tuple[tuple[Handle, tuple[str, ...]], ...] = (
            (Handle.RULES_PARAMETER, PARAMETER_READ),
            (Handle.RATES_PARAMETER, PARAMETER_READ),
            (Handle.MODEL_PARAMETER, PARAMETER_READ),
            (Handle.MODEL_OBJECTS, ("s3:GetObject",)),
        )

        def spec(key: str, resource_type: str, description: str, **kwargs: Any) -> FunctionSpec:
            return FunctionSpec(
                key=key,
                name=self.name(resource_type),
                role_name=self.name(f"{resource_type}-role"),
                error_alarm_name=self.name(f"{resource_type}-error-rate"),
                handler=f"cardwatch.handlers.{key}.handler",
                description=description,
                reserved_concurrency=concurrency[key],
                in_vpc=key in self.settings.vpc_functions,
                package=kwargs.pop("package", "functions"),
                environment={**common_env, **kwargs.pop("environment")},
                **kwargs,
            )

        return {
            "ingest": spec(
                "ingest",
                "transaction-ingest",
                "Validates, tokenizes and stores transactions; takes labels",
                memory_mb=512,
                timeout_seconds=10,
                asynchronous=False,
                environment={
                    "TABLE_NAME": self.table_name,
                    "PROFILE_TABLE_NAME": self.profile_table_name,
                    "CARD_TOKEN_KEY_ID": self.card_token_key_alias,
                    "REVIEW_INDEX": self.review_index_name,
                    # the label keys' ids (not their values): a label's source is
                    # the key's channel, never the body's word
                    "ANALYST_API_KEY_ID": Handle.ANALYST_API_KEY,
                    "FEED_API_KEY_ID": Handle.FEED_API_KEY,
                    "AUDIT_TABLE_NAME": self.audit_table_name,
                    "LABEL_SOURCE_RANKS": self.label_source_ranks,
                    "TRANSACTION_RETENTION_DAYS": str(self.transaction_retention_days),
                    **self.case_environment,
                    # whose sessions are people at the console (their roles' names)
                    "CONSOLE_ROLES": ",".join(
                        role.role_name for role in self.analyst_roles.values()
                    ),
                },
                grants=(
                    (
                        Handle.TABLE,
                        (
                            "dynamodb:PutItem",
                            "dynamodb:GetItem",
                            "dynamodb:UpdateItem",
                            # a late completion's transaction checks the id's guard
                            "dynamodb:ConditionCheckItem",
                        ),
                    ),
                    (Handle.TABLE_REVIEW_INDEX, ("dynamodb:Query",)),
                    # the analysts' case routes: search, read, change
                    (
                        Handle.CASE_TABLE,
                        (
                            "dynamodb:GetItem",
                            "dynamodb:UpdateItem",
                            "dynamodb:Query",
                            "dynamodb:BatchGetItem",
                        ),
                    ),
                    (Handle.CASE_TABLE_INDEXES, ("dynamodb:Query",)),
                    (Handle.PROFILE_TABLE, STATE_WRITE),
                    (Handle.AUDIT_TABLE, AUDIT_APPEND),
                    (Handle.CARD_TOKEN_KEY, TOKEN_KEY_USE),
                    (Handle.KEY, KEY_USE),
                ),
            ),
            "decide": spec(
                "decide",
                "fraud-decide",
                "Answers POST /decisions: scores a transaction as it is authorized",
                # a second of CPU per 1,769 MB: scoring is the answer's only CPU work
                memory_mb=1024,
                timeout_seconds=10,
                asynchronous=False,
                environment={
                    "TABLE_NAME": self.table_name,
                    **scoring_env,
                    "CARD_TOKEN_KEY_ID": self.card_token_key_alias,
                    "TRANSACTION_RETENTION_DAYS": str(self.transaction_retention_days),
                    "DEGRADED_POLICY": self.settings.decision_degraded_policy,
                    "STATE_TIMEOUT_SECONDS": str(self.decision_state_timeout_seconds),
                    "STATE_ATTEMPTS": str(self.decision_state_attempts),
                    "DECISION_DEADLINE_SECONDS": str(self.decision_deadline_seconds),
                    "STORE_TIMEOUT_SECONDS": str(self.decision_store_timeout_seconds),
                },
                grants=(
                    # the id's guard and the item with its decision (a late completion
                    # is a transaction with a condition check on the guard)
                    (
                        Handle.TABLE,
                        ("dynamodb:PutItem", "dynamodb:GetItem", "dynamodb:ConditionCheckItem"),
                    ),
                    # register (the event, first-visit claims) and read; never apply:
                    # the change is detect's, once
                    (
                        Handle.PROFILE_TABLE,
                        ("dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query"),
                    ),
                    *scoring_grants,
                    (Handle.CARD_TOKEN_KEY, TOKEN_KEY_USE),
                    (Handle.KEY, KEY_USE),
                ),
            ),
            "detect": spec(
                "detect",
                "fraud-detect",
                "Scores each new transaction as it lands",
                memory_mb=512,
                timeout_seconds=30,
                asynchronous=True,
                environment={
                    "TABLE_NAME": self.table_name,
                    "SUSPICIOUS_QUEUE_URL": Handle.SUSPICIOUS_QUEUE,
                    **scoring_env,
                    # the stream aggregate folds detect's applied events from: naming it
                    # orders a deployment's update of detect after the stream exists
                    # (detect no longer adds to the shared buckets itself; an event it
                    # applied before the stream would be counted nowhere)
                    "PROFILE_STREAM_ARN": Handle.PROFILE_TABLE_STREAM,
                },
                grants=(
                    (Handle.TABLE, ("dynamodb:UpdateItem",)),
                    (Handle.PROFILE_TABLE, STATE_READ_WRITE),
                    (Handle.SUSPICIOUS_QUEUE, QUEUE_SEND),
                    *scoring_grants,
                    (Handle.FAILURES_DLQ, QUEUE_SEND),
                    (Handle.KEY, KEY_USE),
                ),
            ),
            "aggregate": spec(
                "aggregate",
                "entity-aggregate",
                "Folds applied transactions into their terminals' and devices' counters",
                memory_mb=512,
                timeout_seconds=60,
                # the mapping invokes it synchronously; a batch redriven from the failures
                # DLQ is an asynchronous invocation, whose failure goes back there (the
                # role's DeadLetters statement serves the mapping's destination too)
                asynchronous=True,
                environment={
                    "PROFILE_TABLE_NAME": self.profile_table_name,
                    "FOLD_THREADS": str(self.aggregate_fold_threads),
                },
                grants=(
                    (Handle.PROFILE_TABLE, ("dynamodb:UpdateItem",)),
                    (
                        Handle.PROFILE_TABLE_STREAM,
                        (
                            "dynamodb:DescribeStream",
                            "dynamodb:GetRecords",
                            "dynamodb:GetShardIterator",
                        ),
                    ),
                    # the mapping's on-failure destination: Lambda sends with the role
                    (Handle.FAILURES_DLQ, QUEUE_SEND),
                    (Handle.KEY, KEY_USE),
                ),
            ),
            "analyze": spec(
                "analyze",
                "pattern-analyze",
                "Every five minutes: patterns across cards and terminals in the last window",
                memory_mb=1024,
                timeout_seconds=60,
                asynchronous=True,
                environment={
                    "TABLE_NAME": self.table_name,
                    "TIME_BUCKET_INDEX": self.time_bucket_index_name,
                    "SUSPICIOUS_QUEUE_URL": Handle.SUSPICIOUS_QUEUE,
                    "ANALYSIS_WINDOW_SECONDS": str(self.analysis_window_seconds),
                    "PROFILE_TABLE_NAME": self.profile_table_name,
                },
                grants=(
                    (Handle.TABLE_TIME_BUCKET_INDEX, ("dynamodb:Query",)),
                    (Handle.PROFILE_TABLE, STATE_WRITE),  # the alert budget's score counts
                    (Handle.SUSPICIOUS_QUEUE, QUEUE_SEND),
                    (Handle.FAILURES_DLQ, QUEUE_SEND),
                    (Handle.KEY, KEY_USE),
                ),
            ),
            "notify": spec(
                "notify",
                "alert-notify",
                "Turns suspicious transactions and patterns into alerts for people",
                memory_mb=256,
                timeout_seconds=60,
                asynchronous=False,
                environment={
                    "ALERT_TOPIC_ARN": Handle.ALERT_TOPIC,
                    "PROFILE_TABLE_NAME": self.profile_table_name,
                    "ALERT_COOLDOWN_SECONDS": str(self.alert_cooldown_seconds),
                    "CONSOLE_URL": self.console_url,
                    **self.case_environment,
                },
                grants=(
                    (Handle.SUSPICIOUS_QUEUE, QUEUE_CONSUME),
                    (Handle.ALERT_TOPIC, TOPIC_PUBLISH),
                    (Handle.PROFILE_TABLE, ("dynamodb:GetItem", "dynamodb:PutItem")),
                    # a finding opens or grows its case: conditional puts and updates
                    (
                        Handle.CASE_TABLE,
                        ("dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"),
                    ),
                    (Handle.KEY, KEY_USE),
                ),
            ),
            "retrain": spec(
                "retrain",
                "model-retrain",
                "Fits a challenger on the training set Athena builds, judges it, publishes it",
                package="training",
                # scikit-learn's fit of 100,000 rows takes about a minute on one core;
                # memory buys cores (1,769 MB is one vCPU), the training set is the rest
                memory_mb=3008,
                timeout_seconds=900,
                asynchronous=True,
                environment={
                    "MODEL_BUCKET": self.model_bucket_name,
                    "MODEL_PARAMETER": self.model_parameter,
                    "DATA_KEY_ID": self.key_alias,
                    "HISTORY_BUCKET": history.bucket,
                    "TRAINING_PREFIX": history.training_prefix,
                    "ATHENA_WORKGROUP": history.workgroup,
                    "HISTORY_SOURCE": history.source,
                    "GENUINE_SHARE": str(self.settings.genuine_share),
                    "RETRAIN_HISTORY_DAYS": str(self.retrain_history_days),
                    "LABEL_DELAY_DAYS": str(self.label_delay_days),
                    "MIN_FRAUDS_TO_TRAIN": str(self.min_frauds_to_train),
                    "PROMOTION_MARGIN": str(self.promotion_margin),
                    "EVALUATION_DAYS": str(self.promotion_evaluation_days),
                    "MIN_JUDGED_FRAUDS": str(self.promotion_min_frauds),
                    "AUTO_PROMOTE": str(self.auto_promote),
                    "AUDIT_TABLE_NAME": self.audit_table_name,
                    "CARDWATCH_THREADS": "2",
                },
                grants=(
                    # Athena runs the query as the caller: the caller's rights to the
                    # catalog, the exports it reads and the places it writes
                    (
                        Handle.HISTORY_WORKGROUP,
                        (
                            "athena:StartQueryExecution",
                            "athena:GetQueryExecution",
                            "athena:StopQueryExecution",
                        ),
                    ),
                    (
                        Handle.HISTORY_CATALOG,
                        ("glue:GetDatabase", "glue:GetTable", "glue:GetPartitions"),
                    ),
                    (
                        Handle.HISTORY_BUCKET,
                        (
                            "s3:GetBucketLocation",
                            "s3:ListBucket",
                            "s3:ListBucketMultipartUploads",
                        ),
                    ),
                    (Handle.HISTORY_EXPORTS, ("s3:GetObject",)),
                    (
                        Handle.HISTORY_RESULTS,
                        (
                            "s3:AbortMultipartUpload",
                            "s3:GetObject",
                            "s3:ListMultipartUploadParts",
                            "s3:PutObject",
                        ),
                    ),
                    (
                        Handle.HISTORY_TRAINING,
                        (
                            "s3:AbortMultipartUpload",
                            "s3:GetObject",
                            "s3:ListMultipartUploadParts",
                            "s3:PutObject",
                        ),
                    ),
                    (Handle.MODEL_OBJECTS, ("s3:GetObject", "s3:PutObject")),
                    (Handle.MODEL_BUCKET, ("s3:ListBucket",)),
                    (Handle.MODEL_PARAMETER, ("ssm:GetParameter", "ssm:PutParameter")),
                    (Handle.AUDIT_TABLE, AUDIT_APPEND),
                    (Handle.FAILURES_DLQ, QUEUE_SEND),
                    (Handle.KEY, KEY_USE),
                ),
                writes_secure=(Handle.MODEL_PARAMETER,),
            ),
            "export": spec(
                "export",
                "decision-export",
                "Exports the transactions table to S3 and catalogs each export for Athena",
                memory_mb=256,
                timeout_seconds=60,
                asynchronous=True,
                environment={
                    "TABLE_ARN": Handle.TABLE,
                    "HISTORY_BUCKET": history.bucket,
                    "EXPORT_PREFIX": history.export_prefix,
                    "EXPORT_KEY_ARN": Handle.KEY,
                    "HISTORY_DATABASE": history.database,
                    "HISTORY_TABLE": history.table,
                    "EXPORT_INTERVAL_HOURS": str(history.export_interval_hours),
                },
                grants=(
                    (Handle.TABLE, ("dynamodb:ExportTableToPointInTime",)),
                    (Handle.TABLE_EXPORTS, ("dynamodb:DescribeExport",)),
                    (Handle.HISTORY_BUCKET, ("s3:ListBucket",)),
                    # DynamoDB writes the export with the caller's rights
                    (
                        Handle.HISTORY_EXPORTS,
                        ("s3:AbortMultipartUpload", "s3:PutObject", "s3:PutObjectAcl"),
                    ),
                    (
                        Handle.HISTORY_CATALOG,
                        ("glue:BatchCreatePartition", "glue:GetPartitions", "glue:GetTable"),
                    ),
                    (Handle.FAILURES_DLQ, QUEUE_SEND),
                    (Handle.KEY, KEY_USE),
                ),
            ),
        }

    # -- events -------------------------------------------------------------------
    @property
    def event_bus_name(self) -> str:
        return self.name("transaction-events")

    @property
    def pipe_name(self) -> str:
        return self.name("transaction-stream")

    @property
    def rule_name(self) -> str:
        return self.name("transaction-inserted")

    @property
    def schedule_name(self) -> str:
        return self.name("pattern-analysis")

    event_source = "cardwatch.transactions"
    event_detail_type = "TransactionInserted"
    schedule_expression = "rate(5 minutes)"
    analysis_window_seconds = 300
    alert_cooldown_seconds = 3600
    #: Where an alert's case opens: the analyst console, which each analyst runs on
    #: their own machine (``cardwatch console``, port 8090) for local mode and every
    #: deployment alike.
    console_url = "http://localhost:8090"
    #: The alert budget: the share of traffic that may go to review and to block, cut
    #: from the last days' scores (never below the rule document's thresholds).
    alert_review_share = 0.005
    #: Whose label the engine follows (source -> rank, JSON): the latest label of the
    #: highest-ranked source; a chargeback outranks an analyst, an analyst a customer.
    label_source_ranks = '{"chargeback": 3, "issuer": 3, "analyst": 2, "customer": 1}'
    alert_block_share = 0.001
    alert_budget_days = 7
    #: Count distinct cards per BIN (card range) too, for enumeration attacks. Off by
    #: default: every transaction of a BIN writes that BIN's hour bucket, so for an
    #: issuer whose cards share a few BINs it is one hot key (about 500 transactions a
    #: second per BIN in DynamoDB); an acquirer or processor seeing many BINs turns it on.
    spread_by_bin = False
    #: How late (after its timestamp) a transaction may reach detect and still count in
    #: the card's and terminal's state: async retries (max_event_age_seconds) and a
    #: next-day redrive of the failures DLQ fit inside it.
    state_max_lateness_seconds = 2 * 86_400
    #: How long an answer waits on the state store: botocore's timeout per try and its
    #: tries. DynamoDB answers in single-digit milliseconds; a try that takes half a
    #: second is an outage, and the policy answers.
    decision_state_timeout_seconds = 0.5
    decision_state_attempts = 2
    #: The longest an answer waits for the state (registration, read, scoring): two
    #: rounds of single-digit milliseconds, so a quarter second is an outage's answer.
    decision_deadline_seconds = 0.25
    #: A try of the transaction's own write (three tries, then 503 and the client's
    #: retry): an answer within API Gateway's 29 seconds and the function's 10.
    decision_store_timeout_seconds = 1.0
    #: Async invocations: retries before the on-failure destination takes the event.
    async_retry_attempts = 2
    max_event_age_seconds = 3600
    #: The Pipe from the table's stream to the bus. Each record stays its own event (the
    #: rule invokes detect once per transaction); the Pipe sends up to 10 in one PutEvents
    #: (the call's limit) and reads each stream shard in 10 lanes at once (records of one
    #: item stay in order; the detection state needs no order across items: its updates
    #: commute and event time decides the window). One lane in series, one PutEvents a
    #: record, carries a few tens of records a second; 10 lanes of batches of 10 carry
    #: over 1,000 a second on one shard. No batching window: a batch is what the poll
    #: finds, so a quiet stream adds no wait. A failed batch is split to find the record
    #: that fails; the retries before a record goes to the failures DLQ.
    pipe_batch_size = 10
    pipe_parallelization_factor = 10
    pipe_batching_window_seconds = 0
    pipe_partial_batch_failure = "AUTOMATIC_BISECT"
    pipe_retry_attempts = 10
    #: The profile table's stream -> aggregate mapping. Batches of up to 1,000 applied
    #: events, gathered for at most a second: a busy terminal's hour takes one write per
    #: batch. One batch per shard at a time (parallelization 1), so two batches of one
    #: shard never cancel each other on a busy bucket; folding is idempotent per
    #: transaction, so the order it keeps is not what makes it correct. A failing batch is
    #: split to find what fails, retried, and after its retries its record (shard and
    #: sequence numbers) goes to the failures DLQ, whence a redrive folds it again.
    aggregate_batch_size = 1000
    aggregate_batching_window_seconds = 1
    aggregate_parallelization_factor = 1
    aggregate_retry_attempts = 10
    aggregate_max_record_age_seconds = 6 * 3600
    aggregate_fold_threads = 4
    #: The fold's lag alarm: the mapping's IteratorAge (the age of the last record it
    #: read) over this, five minutes running, means the terminals' counts run late.
    aggregate_max_lag_seconds = 60

    @property
    def aggregate_lag_alarm_name(self) -> str:
        return self.name("entity-aggregate-lag")

    @property
    def aggregate_filter(self) -> dict[str, Any]:
        """The aggregate mapping's filter: card events detect marked applied, not yet
        folded (the fold's own marker is a change too)."""
        return {
            "eventName": ["MODIFY"],
            "dynamodb": {
                "NewImage": {
                    "slot": {"S": [{"prefix": "e#"}]},
                    "applied": {"N": ["1"]},
                    "folded": {"N": [{"exists": False}]},
                }
            },
        }

    #: How long SQS reuses a data key from the CMK (fewer KMS calls; 60 to 86,400 s).
    queue_data_key_reuse_seconds = 300
    #: The share (%) of successful deliveries to SQS that SNS logs.
    topic_success_sample_percent = 100
    #: The suspicious queue's event source mapping.
    notify_batch_size = 10
    notify_batching_window_seconds = 1

    @property
    def notify_max_concurrency(self) -> int:
        """The suspicious queue's mapping invokes notify at most this many times at once.

        SQS pollers do not honour reserved concurrency: they start at five concurrent
        batches, and a throttled invocation returns its messages to the queue, where the
        receive counts toward maxReceiveCount and sends findings to the DLQ. The
        mapping's own maximum concurrency (2 to 1,000) keeps them within notify's share.
        """
        reserved = self.functions["notify"].reserved_concurrency
        if reserved < 2:
            raise ValueError("notify needs a reserved concurrency of at least 2 (SQS mapping)")
        return min(reserved, 1000)

    @property
    def pipe_filter(self) -> dict[str, Any]:
        """The Pipe's filter on stream records: inserted transactions, not guard items."""
        return {
            "eventName": ["INSERT"],
            "dynamodb": {"NewImage": {"record_type": {"S": ["transaction"]}}},
        }

    @property
    def rule_pattern(self) -> dict[str, Any]:
        """The event bus rule's pattern: what the Pipe put on the bus, inserts only."""
        return {
            "source": [self.event_source],
            "detail-type": [self.event_detail_type],
            "detail": self.pipe_filter,
        }

    # -- observability ------------------------------------------------------------
    service_name = PROJECT
    metrics_namespace = "Cardwatch"
    error_rate_threshold_percent = 1
    error_rate_period_seconds = 300

    def with_account(self, account_id: str) -> Blueprint:
        """A copy that names its global resources for ``account_id``."""
        return replace(self, account_id=account_id)

    def global_name(self, resource_type: str) -> str:
        """A name unique across accounts (S3's bucket names are global: another team's
        ``cardwatch-models-dev`` would fail the first apply):
        ``{resource-type}-{environment_suffix}-{account}-{region}``."""
        base = self.name(resource_type)
        if self.account_id is None:
            return base
        name = f"{base}-{self.account_id}-{self.region}"
        if self.account_id.isdigit() and len(name) > 63:
            raise ValueError(
                f"{name}: longer than S3's 63 characters: shorten the environment suffix"
            )
        return name

    def with_settings(self, **changes: Any) -> Blueprint:
        """A copy with some target settings overridden (``pulumi.Config``, CLI flags)."""
        return replace(self, settings=replace(self.settings, **changes))


def blueprint_for(
    target: Target | str, environment_suffix: str = "dev", **overrides: Any
) -> Blueprint:
    """The blueprint of ``target`` with its own defaults, some of them overridden."""
    chosen = Target(target)
    if not environment_suffix.replace("-", "").isalnum():
        raise ValueError("environment_suffix may hold only letters, digits and hyphens")
    blueprint = Blueprint(
        environment_suffix=environment_suffix, target=chosen, settings=TARGET_DEFAULTS[chosen]
    )
    return blueprint.with_settings(**overrides) if overrides else blueprint
