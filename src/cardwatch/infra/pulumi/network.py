"""``PrivateNetwork``: private subnets and VPC endpoints (no NAT) for functions in a VPC."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from cardwatch.infra.common.network_plan import NETWORK
from cardwatch.infra.common.policies import assume_role_policy, flow_logs_policy
from cardwatch.infra.pulumi.base import Context, policy_output


class PrivateNetwork(pulumi.ComponentResource):
    def __init__(self, name: str, ctx: Context, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("cardwatch:index:PrivateNetwork", name, None, opts)
        bp, child = ctx.blueprint, ctx.child(self)
        self.vpc = aws.ec2.Vpc(
            "vpc",
            cidr_block=NETWORK.cidr,
            enable_dns_hostnames=True,
            enable_dns_support=True,
            tags={"Name": bp.name("cardwatch-vpc")},
            opts=child,
        )
        aws.ec2.DefaultSecurityGroup("default-sg-closed", vpc_id=self.vpc.id, opts=child)
        self.subnets = [
            aws.ec2.Subnet(
                f"private-{n}",
                vpc_id=self.vpc.id,
                cidr_block=cidr,
                availability_zone_id=zone,
                map_public_ip_on_launch=False,
                tags={"Name": bp.name(f"cardwatch-private-{zone}")},
                opts=child,
            )
            for n, (zone, cidr) in enumerate(NETWORK.subnets)
        ]
        routes = aws.ec2.RouteTable("private-routes", vpc_id=self.vpc.id, opts=child)
        for n, subnet in enumerate(self.subnets):
            aws.ec2.RouteTableAssociation(
                f"private-routes-{n}", subnet_id=subnet.id, route_table_id=routes.id, opts=child
            )
        # Every rule a resource of its own: the provider does not support inline rules
        # beside standalone ones (each apply would revoke what the other added).
        self.security_group = aws.ec2.SecurityGroup(
            "functions-sg",
            name=bp.name("cardwatch-functions"),
            vpc_id=self.vpc.id,
            description="Functions and the VPC endpoints they call: HTTPS inside the VPC only",
            opts=child,
        )
        gateways = {
            service: aws.ec2.VpcEndpoint(
                f"{service}-endpoint",
                vpc_id=self.vpc.id,
                vpc_endpoint_type="Gateway",
                service_name=f"com.amazonaws.{bp.region}.{service}",
                route_table_ids=[routes.id],
                opts=child,
            )
            for service in NETWORK.gateway_endpoints
        }
        for rule in NETWORK.rules:
            in_vpc = rule.peer == "vpc"
            kind = (
                aws.vpc.SecurityGroupIngressRule
                if rule.ingress
                else aws.vpc.SecurityGroupEgressRule
            )
            kind(
                rule.name,
                security_group_id=self.security_group.id,
                description=rule.description,
                ip_protocol=rule.protocol,
                from_port=rule.port,
                to_port=rule.port,
                opts=child,
                cidr_ipv4=NETWORK.cidr if in_vpc else None,
                prefix_list_id=None if in_vpc else gateways[rule.peer].prefix_list_id,
            )
        for service in NETWORK.interface_endpoints:
            aws.ec2.VpcEndpoint(
                f"{service}-endpoint",
                vpc_id=self.vpc.id,
                vpc_endpoint_type="Interface",
                private_dns_enabled=True,
                service_name=f"com.amazonaws.{bp.region}.{service}",
                subnet_ids=[s.id for s in self.subnets],
                security_group_ids=[self.security_group.id],
                opts=child,
            )
        group = aws.cloudwatch.LogGroup(
            "flow-logs",
            name=f"/cardwatch/{bp.environment_suffix}/vpc-flow-logs",
            kms_key_id=ctx.key_arn,
            retention_in_days=bp.settings.log_retention_days,
            opts=child,
        )
        role = aws.iam.Role(
            "flow-logs-role",
            name=bp.name("vpc-flow-logs"),
            assume_role_policy=policy_output(
                ctx.account_id.apply(lambda a: assume_role_policy("vpc-flow-logs.amazonaws.com", a))
            ),
            opts=child,
        )
        aws.iam.RolePolicy(
            "flow-logs-policy",
            role=role.id,
            name="write-flow-logs",
            policy=policy_output(
                flow_logs_policy([group.arn, group.arn.apply(lambda a: f"{a}:*")])
            ),
            opts=child,
        )
        aws.ec2.FlowLog(
            "flow-log",
            vpc_id=self.vpc.id,
            traffic_type="ALL",
            log_destination=group.arn,
            iam_role_arn=role.arn,
            opts=child,
        )
        self.register_outputs({"vpc_id": self.vpc.id})
