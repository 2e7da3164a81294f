"""Run the Pulumi program under ``pulumi.runtime.set_mocks`` and keep every resource's
inputs: what the tests, the policy checks and the parity test read."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pulumi

ACCOUNT = "123456789012"


@dataclass
class Recorded:
    kind: str
    name: str
    inputs: dict[str, Any]


@dataclass
class Recorder(pulumi.runtime.Mocks):
    resources: list[Recorded] = field(default_factory=list)

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        self.resources.append(Recorded(args.typ, args.name, dict(args.inputs)))
        name = args.inputs.get("name") or args.name
        outputs = dict(args.inputs)
        outputs.setdefault("arn", f"arn:aws:mock:us-east-1:{ACCOUNT}:{args.typ}/{name}")
        outputs.setdefault("url", f"https://sqs.us-east-1.amazonaws.com/{ACCOUNT}/{name}")
        outputs.setdefault("invokeArn", f"arn:aws:apigateway:us-east-1:lambda:path/{name}")
        outputs.setdefault("executionArn", f"arn:aws:execute-api:us-east-1:{ACCOUNT}:{name}")
        outputs.setdefault(
            "streamArn", f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/{name}/stream/x"
        )
        outputs.setdefault("rootResourceId", "root")
        outputs.setdefault("keyId", f"key-{name}")
        outputs.setdefault("invokeUrl", f"https://{name}.execute-api.us-east-1.amazonaws.com/v1")
        outputs.setdefault("prefixListId", "pl-1234")
        return f"{name}-id", outputs

    def call(self, args: pulumi.runtime.MockCallArgs) -> dict[str, Any]:
        if args.token == "aws:index/getCallerIdentity:getCallerIdentity":
            return {
                "accountId": ACCOUNT,
                "arn": f"arn:aws:iam::{ACCOUNT}:user/test",
                "userId": "test",
                "id": ACCOUNT,
            }
        return {}

    def of(self, kind: str) -> list[Recorded]:
        return [r for r in self.resources if r.kind == kind]

    def one(self, kind: str) -> Recorded:
        (only,) = self.of(kind)
        return only

    def data_key(self) -> Recorded:
        """The customer-managed key that encrypts data (not the card-token HMAC key)."""
        (key,) = [k for k in self.of("aws:kms/key:Key") if "customerMasterKeySpec" not in k.inputs]
        return key

    def named(self, kind: str, name: str) -> Recorded:
        (match,) = [r for r in self.of(kind) if r.inputs.get("name") == name]
        return match
