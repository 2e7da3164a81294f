"""The private network both deployments build when functions run in a VPC."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cardwatch.blueprint import Blueprint
from cardwatch.infra.common.policies import assume_role_policy, flow_logs_policy
from cardwatch.infra.common.specs import ACCOUNT, KEY_ARN, Json, Part, Ref, Resource, Text

__all__ = [
    "NETWORK",
    "NetworkPlan",
    "PrivateNetworkResources",
    "SecurityRule",
    "private_network",
]


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


def private_network(blueprint: Blueprint) -> Part:
    """A VPC with private subnets only, and the VPC endpoints the functions need instead of
    a NAT gateway (made when the settings put functions in a VPC), with its flow logs."""
    vpc, routes, group = Ref("vpc", "id"), Ref("private-routes", "id"), Ref("functions-sg", "id")
    subnets = [f"private-{n}" for n in range(len(NETWORK.subnets))]
    made = [
        Resource(
            "aws_vpc",
            "vpc",
            {
                "cidr_block": NETWORK.cidr,
                "enable_dns_hostnames": True,
                "enable_dns_support": True,
                "tags": {"Name": blueprint.name("cardwatch-vpc")},
            },
        ),
        Resource("aws_default_security_group", "default-sg-closed", {"vpc_id": vpc}),
        *(
            Resource(
                "aws_subnet",
                logical,
                {
                    "vpc_id": vpc,
                    "cidr_block": cidr,
                    "availability_zone_id": zone,
                    "map_public_ip_on_launch": False,
                    "tags": {"Name": blueprint.name(f"cardwatch-private-{zone}")},
                },
            )
            for logical, (zone, cidr) in zip(subnets, NETWORK.subnets, strict=True)
        ),
        Resource("aws_route_table", "private-routes", {"vpc_id": vpc}),
        *(
            Resource(
                "aws_route_table_association",
                f"private-routes-{n}",
                {"subnet_id": Ref(logical, "id"), "route_table_id": routes},
            )
            for n, logical in enumerate(subnets)
        ),
        # every rule a resource of its own: the provider does not support inline rules
        # beside standalone ones (each apply would revoke what the other added)
        Resource(
            "aws_security_group",
            "functions-sg",
            {
                "name": blueprint.name("cardwatch-functions"),
                "vpc_id": vpc,
                "description": "Functions and the VPC endpoints they call: HTTPS inside the "
                "VPC only",
            },
        ),
        *(
            Resource(
                "aws_vpc_endpoint",
                f"{service}-endpoint",
                {
                    "vpc_id": vpc,
                    "vpc_endpoint_type": "Gateway",
                    "service_name": f"com.amazonaws.{blueprint.region}.{service}",
                    "route_table_ids": [routes],
                },
            )
            for service in NETWORK.gateway_endpoints
        ),
        *(
            Resource(
                "aws_vpc_security_group_ingress_rule"
                if rule.ingress
                else "aws_vpc_security_group_egress_rule",
                rule.name,
                {
                    "security_group_id": group,
                    "description": rule.description,
                    "ip_protocol": rule.protocol,
                    "from_port": rule.port,
                    "to_port": rule.port,
                    "cidr_ipv4": NETWORK.cidr if rule.peer == "vpc" else None,
                    "prefix_list_id": None
                    if rule.peer == "vpc"
                    else Ref(f"{rule.peer}-endpoint", "prefix_list_id"),
                },
            )
            for rule in NETWORK.rules
        ),
        *(
            Resource(
                "aws_vpc_endpoint",
                f"{service}-endpoint",
                {
                    "vpc_id": vpc,
                    "vpc_endpoint_type": "Interface",
                    "private_dns_enabled": True,
                    "service_name": f"com.amazonaws.{blueprint.region}.{service}",
                    "subnet_ids": [Ref(logical, "id") for logical in subnets],
                    "security_group_ids": [group],
                },
            )
            for service in NETWORK.interface_endpoints
        ),
    ]
    return Part(
        (*made, *_flow_logs(blueprint)),
        exposes={"vpc": "vpc", "security_group": "functions-sg", "subnets": subnets},
    )


def _flow_logs(blueprint: Blueprint) -> list[Resource]:
    logs = Ref("flow-logs")
    return [
        Resource(
            "aws_cloudwatch_log_group",
            "flow-logs",
            {
                "name": f"/cardwatch/{blueprint.environment_suffix}/vpc-flow-logs",
                "kms_key_id": KEY_ARN,
                "retention_in_days": blueprint.settings.log_retention_days,
            },
        ),
        Resource(
            "aws_iam_role",
            "flow-logs-role",
            {
                "name": blueprint.name("vpc-flow-logs"),
                "assume_role_policy": Json(
                    assume_role_policy("vpc-flow-logs.amazonaws.com", ACCOUNT)
                ),
            },
        ),
        Resource(
            "aws_iam_role_policy",
            "flow-logs-policy",
            {
                "role": Ref("flow-logs-role", "id"),
                "name": "write-flow-logs",
                "policy": Json(flow_logs_policy([logs, Text((logs, ":*"))])),
            },
        ),
        Resource(
            "aws_flow_log",
            "flow-log",
            {
                "vpc_id": Ref("vpc", "id"),
                "traffic_type": "ALL",
                "log_destination": logs,
                "iam_role_arn": Ref("flow-logs-role"),
            },
        ),
    ]


class PrivateNetworkResources:
    """What the part's Construct or ComponentResource holds for the other parts: the
    rendered resources its :attr:`~cardwatch.infra.common.specs.Part.exposes` names."""

    vpc: Any
    security_group: Any
    subnets: list[Any]
