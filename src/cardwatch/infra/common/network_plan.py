"""The private network both deployments build when functions run in a VPC."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["NETWORK", "NetworkPlan", "SecurityRule"]


@dataclass(frozen=True, slots=True)
class SecurityRule:
    """One rule of the functions' security group (each a resource of its own)."""

    name: str
    ingress: bool
    description: str
    #: ``vpc``: the VPC's CIDR; else a gateway endpoint's service: its prefix list
    peer: str
    port: int = 443
    protocol: str = "tcp"


@dataclass(frozen=True, slots=True)
class NetworkPlan:
    cidr: str
    #: (availability-zone ID, CIDR): zone IDs name the same zone in every account (zone
    #: letters map to different zones in each), and Lambda runs in these ones (it does
    #: not in every zone: use1-az3, for one)
    subnets: tuple[tuple[str, str], ...]
    #: What the functions in the VPC call, reached without a NAT gateway (kms: ingest's
    #: GenerateMac at a cold start; their logs go through the Lambda service, not the
    #: VPC: no logs endpoint).
    interface_endpoints: tuple[str, ...]
    #: Reached through gateway endpoints on the private route table (no charge): the
    #: tables, and the model artifacts detect reads from S3.
    gateway_endpoints: tuple[str, ...]
    #: The functions' security group: HTTPS inside the VPC only.
    rules: tuple[SecurityRule, ...]


NETWORK = NetworkPlan(
    cidr="10.40.0.0/16",
    subnets=(("use1-az1", "10.40.1.0/24"), ("use1-az2", "10.40.2.0/24")),
    interface_endpoints=("sqs", "ssm", "kms", "xray"),
    gateway_endpoints=("dynamodb", "s3"),
    rules=(
        SecurityRule("https-from-vpc", True, "HTTPS from inside the VPC", "vpc"),
        SecurityRule("https-to-endpoints", False, "HTTPS to the VPC endpoints", "vpc"),
        SecurityRule(
            "to-dynamodb", False, "HTTPS to DynamoDB through its gateway endpoint", "dynamodb"
        ),
        SecurityRule("to-s3", False, "HTTPS to S3 (model artifacts) through its gateway", "s3"),
    ),
)
