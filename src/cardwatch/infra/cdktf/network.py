"""``PrivateNetwork``: a VPC with private subnets only, and the VPC endpoints the
functions need instead of a NAT gateway (used when the settings put functions in a VPC)."""

from __future__ import annotations

from cdktf_cdktf_provider_aws.cloudwatch_log_group import CloudwatchLogGroup
from cdktf_cdktf_provider_aws.default_security_group import DefaultSecurityGroup
from cdktf_cdktf_provider_aws.flow_log import FlowLog
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from cdktf_cdktf_provider_aws.route_table import RouteTable
from cdktf_cdktf_provider_aws.route_table_association import RouteTableAssociation
from cdktf_cdktf_provider_aws.security_group import SecurityGroup
from cdktf_cdktf_provider_aws.subnet import Subnet
from cdktf_cdktf_provider_aws.vpc import Vpc
from cdktf_cdktf_provider_aws.vpc_endpoint import VpcEndpoint
from cdktf_cdktf_provider_aws.vpc_security_group_egress_rule import VpcSecurityGroupEgressRule
from cdktf_cdktf_provider_aws.vpc_security_group_ingress_rule import (
    VpcSecurityGroupIngressRule,
)
from constructs import Construct

from cardwatch.infra.cdktf.context import StackContext, policy_json
from cardwatch.infra.common.network_plan import NETWORK
from cardwatch.infra.common.policies import assume_role_policy, flow_logs_policy


class PrivateNetwork(Construct):
    def __init__(self, scope: Construct, id_: str, ctx: StackContext) -> None:
        super().__init__(scope, id_)
        blueprint = ctx.blueprint
        self.vpc = Vpc(
            self,
            "vpc",
            cidr_block=NETWORK.cidr,
            enable_dns_hostnames=True,
            enable_dns_support=True,
            tags={"Name": blueprint.name("cardwatch-vpc")},
        )
        DefaultSecurityGroup(self, "default-sg-closed", vpc_id=self.vpc.id)
        self.subnets = [
            Subnet(
                self,
                f"private-{n}",
                vpc_id=self.vpc.id,
                cidr_block=cidr,
                availability_zone_id=zone,
                map_public_ip_on_launch=False,
                tags={"Name": blueprint.name(f"cardwatch-private-{zone}")},
            )
            for n, (zone, cidr) in enumerate(NETWORK.subnets)
        ]
        routes = RouteTable(self, "private-routes", vpc_id=self.vpc.id)
        for n, subnet in enumerate(self.subnets):
            RouteTableAssociation(
                self, f"private-routes-{n}", subnet_id=subnet.id, route_table_id=routes.id
            )
        # Every rule a resource of its own: the provider does not support inline rules
        # beside standalone ones (each apply would revoke what the other added).
        self.security_group = SecurityGroup(
            self,
            "functions-sg",
            name=blueprint.name("cardwatch-functions"),
            vpc_id=self.vpc.id,
            description="Functions and the VPC endpoints they call: HTTPS inside the VPC only",
        )
        gateways = {
            service: VpcEndpoint(
                self,
                f"{service}-endpoint",
                vpc_id=self.vpc.id,
                vpc_endpoint_type="Gateway",
                service_name=f"com.amazonaws.{blueprint.region}.{service}",
                route_table_ids=[routes.id],
            )
            for service in NETWORK.gateway_endpoints
        }
        for rule in NETWORK.rules:
            in_vpc = rule.peer == "vpc"
            (VpcSecurityGroupIngressRule if rule.ingress else VpcSecurityGroupEgressRule)(
                self,
                rule.name,
                security_group_id=self.security_group.id,
                description=rule.description,
                ip_protocol=rule.protocol,
                from_port=rule.port,
                to_port=rule.port,
                cidr_ipv4=NETWORK.cidr if in_vpc else None,
                prefix_list_id=None if in_vpc else gateways[rule.peer].prefix_list_id,
            )
        for service in NETWORK.interface_endpoints:
            VpcEndpoint(
                self,
                f"{service}-endpoint",
                vpc_id=self.vpc.id,
                vpc_endpoint_type="Interface",
                private_dns_enabled=True,
                service_name=f"com.amazonaws.{blueprint.region}.{service}",
                subnet_ids=[s.id for s in self.subnets],
                security_group_ids=[self.security_group.id],
            )
        self._flow_logs(ctx)

    def _flow_logs(self, ctx: StackContext) -> None:
        blueprint = ctx.blueprint
        group_name = f"/cardwatch/{blueprint.environment_suffix}/vpc-flow-logs"
        group = CloudwatchLogGroup(
            self,
            "flow-logs",
            name=group_name,
            kms_key_id=ctx.key_arn,
            retention_in_days=blueprint.settings.log_retention_days,
        )
        role = IamRole(
            self,
            "flow-logs-role",
            name=blueprint.name("vpc-flow-logs"),
            assume_role_policy=policy_json(
                assume_role_policy("vpc-flow-logs.amazonaws.com", ctx.account_id)
            ),
        )
        IamRolePolicy(
            self,
            "flow-logs-policy",
            role=role.id,
            name="write-flow-logs",
            policy=policy_json(flow_logs_policy([group.arn, f"{group.arn}:*"])),
        )
        FlowLog(
            self,
            "flow-log",
            vpc_id=self.vpc.id,
            traffic_type="ALL",
            log_destination=group.arn,
            iam_role_arn=role.arn,
        )
