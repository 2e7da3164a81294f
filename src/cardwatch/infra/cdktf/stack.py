"""``CardwatchStack``: the Constructs, wired in the order their references need."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from cdktf import LocalBackend, S3Backend, TerraformOutput, TerraformStack
from cdktf_cdktf_provider_aws.data_aws_caller_identity import DataAwsCallerIdentity
from cdktf_cdktf_provider_aws.provider import AwsProvider, AwsProviderDefaultTags
from constructs import Construct

from cardwatch.blueprint import Blueprint
from cardwatch.infra.cdktf.api import TransactionApi
from cardwatch.infra.cdktf.archive import LogArchive
from cardwatch.infra.cdktf.context import StackContext
from cardwatch.infra.cdktf.events import EventRouting
from cardwatch.infra.cdktf.functions import DetectionFunctions
from cardwatch.infra.cdktf.history import HistoryStore
from cardwatch.infra.cdktf.messaging import AlertChannel
from cardwatch.infra.cdktf.models import ModelStore
from cardwatch.infra.cdktf.monitoring import Monitoring
from cardwatch.infra.cdktf.network import PrivateNetwork
from cardwatch.infra.cdktf.security import Security
from cardwatch.infra.cdktf.storage import TransactionStore
from cardwatch.infra.common.outputs import outputs
from cardwatch.infra.common.packaging import build_lambda_package, build_training_package

#: The AWS provider release the stack is written for (the mirror's, for offline init).
AWS_PROVIDER_VERSION = "5.100.0"


@dataclass(frozen=True, slots=True)
class StateBucket:
    """Terraform's state in S3, for a team: encrypted (under ``kms_key_id`` when given),
    locked by a lock file beside it (S3's conditional writes, Terraform 1.10 and later),
    one key per environment. The bucket is made once, outside the stack, with
    versioning on (a state it holds can be rolled back)."""

    bucket: str
    region: str = "us-east-1"
    kms_key_id: str | None = None

    def key(self, blueprint: Blueprint) -> str:
        return f"cardwatch/{blueprint.environment_suffix}/terraform.tfstate"


class CardwatchStack(TerraformStack):
    def __init__(
        self,
        scope: Construct,
        id_: str,
        blueprint: Blueprint,
        build_dir: Path,
        state: StateBucket | None = None,
    ) -> None:
        super().__init__(scope, id_)
        AwsProvider(
            self,
            "aws",
            region=blueprint.region,
            default_tags=[AwsProviderDefaultTags(tags=blueprint.tags)],
        )
        self.add_override("terraform.required_providers.aws.version", AWS_PROVIDER_VERSION)
        if state is None:  # for trying it out: beside wherever terraform runs, unlocked
            LocalBackend(self, path="terraform.tfstate")
        else:
            S3Backend(
                self,
                bucket=state.bucket,
                key=state.key(blueprint),
                region=state.region,
                encrypt=True,
                kms_key_id=state.kms_key_id,
            )
            # locking by a lock file in the bucket (no DynamoDB table to make and pay for)
            self.add_override("terraform.backend.s3.use_lockfile", True)
        identity = DataAwsCallerIdentity(self, "account")
        # the buckets' names are global: the account's id makes them unique
        blueprint = blueprint.with_account(identity.account_id)
        ctx = StackContext(blueprint, identity.account_id)
        security = Security(self, "Security", ctx)
        TransactionStore(self, "TransactionStore", ctx)
        LogArchive(self, "LogArchive", ctx)
        models = ModelStore(
            self, "ModelStore", ctx, build_training_package(build_dir, blueprint.python)
        )
        history = HistoryStore(self, "HistoryStore", ctx)
        channel = AlertChannel(self, "AlertChannel", ctx)
        network = (
            PrivateNetwork(self, "PrivateNetwork", ctx)
            if blueprint.settings.vpc_functions
            else None
        )
        vpc = ([s.id for s in network.subnets], [network.security_group.id]) if network else None
        functions = DetectionFunctions(
            self,
            "DetectionFunctions",
            ctx,
            build_lambda_package(build_dir, blueprint.python),
            training=models,
            vpc=vpc,
        )
        api = TransactionApi(self, "TransactionApi", ctx, functions.functions)
        EventRouting(self, "EventRouting", ctx, functions.functions, channel.queues["failures_dlq"])
        Monitoring(self, "Monitoring", ctx)
        parts = {
            "TransactionApi": api,
            "Security": security,
            "AlertChannel": channel,
            "ModelStore": models,
            "HistoryStore": history,
        }
        for name, value in outputs(parts, lambda value, tail: f"{value}{tail}").items():
            TerraformOutput(self, name, value=value)
