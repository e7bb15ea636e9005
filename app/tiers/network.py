"""Network tier: a three-tier VPC (public, private application, private data) with endpoints.

No bastion host: operators reach tasks through SSM Session Manager, which needs no inbound port
and logs every session.
"""

from __future__ import annotations

import ipaddress
import json

from cdktn_provider_aws.cloudwatch_log_group import CloudwatchLogGroup
from cdktn_provider_aws.default_security_group import DefaultSecurityGroup
from cdktn_provider_aws.eip import Eip
from cdktn_provider_aws.flow_log import FlowLog
from cdktn_provider_aws.internet_gateway import InternetGateway
from cdktn_provider_aws.nat_gateway import NatGateway
from cdktn_provider_aws.network_acl import NetworkAcl
from cdktn_provider_aws.route import Route
from cdktn_provider_aws.route_table import RouteTable
from cdktn_provider_aws.route_table_association import RouteTableAssociation
from cdktn_provider_aws.security_group import SecurityGroup
from cdktn_provider_aws.subnet import Subnet
from cdktn_provider_aws.vpc import Vpc
from cdktn_provider_aws.vpc_endpoint import VpcEndpoint
from constructs import Construct

from app.core import names
from app.core.blocks import blocks
from app.settings import Settings

TIERS = ("public", "app", "data")
INTERFACE_ENDPOINTS = (
    "kms",
    "secretsmanager",
    "sqs",
    "sts",
    "ecr.api",
    "ecr.dkr",
    "logs",
    "ssm",
    "ssmmessages",
    "events",
    "xray",
)
ANY = "0.0.0.0/0"


def subnet_cidrs(vpc_cidr: str, az_count: int) -> dict[str, list[str]]:
    """Sixteen equal blocks: public in 0-3, application in 4-7, data in 8-11, the rest spare."""
    blocks = list(ipaddress.IPv4Network(vpc_cidr).subnets(prefixlen_diff=4))
    return {tier: [str(blocks[4 * t + az]) for az in range(az_count)] for t, tier in enumerate(TIERS)}


class Network(Construct):
    def __init__(self, scope: Construct, id: str, *, settings: Settings, logs_key) -> None:
        super().__init__(scope, id)
        s = settings
        self.cidr = s.network.vpc_cidr
        self.vpc = Vpc(
            self,
            "vpc",
            cidr_block=self.cidr,
            enable_dns_hostnames=True,
            enable_dns_support=True,
            tags={"Name": f"{s.prefix}-vpc"},
        )
        # The default security group is left with no rules, so nothing can use it by accident.
        DefaultSecurityGroup(self, "default_sg", vpc_id=self.vpc.id, ingress=[], egress=[])
        # Zones are named, not looked up, so the subnets never move when AWS adds a zone.
        zones = [f"{s.region}{letter}" for letter in "abc"]
        cidrs = subnet_cidrs(self.cidr, s.network.az_count)
        self.subnets: dict[str, list[Subnet]] = {tier: [] for tier in TIERS}
        for tier in TIERS:
            for az, cidr in enumerate(cidrs[tier]):
                self.subnets[tier].append(
                    Subnet(
                        self,
                        f"{tier}_{az}",
                        vpc_id=self.vpc.id,
                        cidr_block=cidr,
                        availability_zone=zones[az],
                        map_public_ip_on_launch=False,
                        tags={"Name": f"{s.prefix}-{tier}-{az}", "tier": tier},
                    )
                )
        self._routes(s)
        self._acls(cidrs)
        self.endpoint_sg = SecurityGroup(
            self,
            "endpoints_sg",
            name=f"{s.prefix}-endpoints",
            vpc_id=self.vpc.id,
            description="Interface endpoints: HTTPS from inside the VPC only",
            ingress=blocks(
                [
                    {
                        "description": "HTTPS from the VPC",
                        "from_port": 443,
                        "to_port": 443,
                        "protocol": "tcp",
                        "cidr_blocks": [self.cidr],
                    }
                ]
            ),
            egress=blocks(
                [
                    {
                        "description": "Replies stay in the VPC",
                        "from_port": 443,
                        "to_port": 443,
                        "protocol": "tcp",
                        "cidr_blocks": [self.cidr],
                    }
                ]
            ),
        )
        self._endpoints(s)
        self._flow_logs(s, logs_key)

    def subnet_ids(self, tier: str) -> list[str]:
        return [subnet.id for subnet in self.subnets[tier]]

    def _routes(self, s: Settings) -> None:
        igw = InternetGateway(self, "igw", vpc_id=self.vpc.id, tags={"Name": f"{s.prefix}-igw"})
        public_rt = RouteTable(self, "public_rt", vpc_id=self.vpc.id, tags={"Name": f"{s.prefix}-public"})
        Route(self, "public_default", route_table_id=public_rt.id, destination_cidr_block=ANY, gateway_id=igw.id)
        self.private_route_tables: list[RouteTable] = []
        for az, subnet in enumerate(self.subnets["public"]):
            RouteTableAssociation(self, f"public_rta_{az}", subnet_id=subnet.id, route_table_id=public_rt.id)
            eip = Eip(self, f"nat_eip_{az}", domain="vpc", tags={"Name": f"{s.prefix}-nat-{az}"})
            nat = NatGateway(
                self, f"nat_{az}", allocation_id=eip.id, subnet_id=subnet.id, tags={"Name": f"{s.prefix}-nat-{az}"}
            )
            app_rt = RouteTable(self, f"app_rt_{az}", vpc_id=self.vpc.id, tags={"Name": f"{s.prefix}-app-{az}"})
            Route(
                self, f"app_default_{az}", route_table_id=app_rt.id, destination_cidr_block=ANY, nat_gateway_id=nat.id
            )
            RouteTableAssociation(self, f"app_rta_{az}", subnet_id=self.subnets["app"][az].id, route_table_id=app_rt.id)
            self.private_route_tables.append(app_rt)
        # The data tier has no route out of the VPC at all.
        data_rt = RouteTable(self, "data_rt", vpc_id=self.vpc.id, tags={"Name": f"{s.prefix}-data"})
        for az, subnet in enumerate(self.subnets["data"]):
            RouteTableAssociation(self, f"data_rta_{az}", subnet_id=subnet.id, route_table_id=data_rt.id)
        self.private_route_tables.append(data_rt)

    def _acls(self, cidrs: dict[str, list[str]]) -> None:
        def rule(n, action, cidr, lo, hi, proto="6"):
            return {
                "rule_no": n,
                "action": action,
                "cidr_block": cidr,
                "from_port": lo,
                "to_port": hi,
                "protocol": proto,
            }

        def ephemeral(n, cidr):
            # Return traffic from the internet, minus RDP (3389): no remote-admin port is ever open.
            return [rule(n, "allow", cidr, 1024, 3388), rule(n + 1, "allow", cidr, 3390, 65535)]

        vpc, app, data = self.cidr, cidrs["app"], cidrs["data"]
        rules = {
            "public": (
                [rule(100, "allow", ANY, 443, 443), *ephemeral(110, ANY)],
                [rule(100, "allow", ANY, 443, 443), rule(110, "allow", ANY, 1024, 65535)],
            ),
            "app": (
                [rule(100, "allow", vpc, 443, 443), rule(110, "allow", vpc, 8080, 8080), *ephemeral(120, ANY)],
                [rule(100, "allow", ANY, 443, 443)]
                + [rule(110 + i, "allow", c, 5432, 5432) for i, c in enumerate(data)]
                + [rule(130, "allow", vpc, 1024, 65535)],
            ),
            "data": (
                [rule(100 + i, "allow", c, 5432, 5432) for i, c in enumerate(app)],
                [rule(100 + i, "allow", c, 1024, 65535) for i, c in enumerate(app)],
            ),
        }
        for tier, (ingress, egress) in rules.items():
            NetworkAcl(
                self,
                f"{tier}_acl",
                vpc_id=self.vpc.id,
                subnet_ids=self.subnet_ids(tier),
                ingress=blocks(ingress),
                egress=blocks(egress),
                tags={"Name": f"{self.node.id}-{tier}"},
            )

    def _endpoints(self, s: Settings) -> None:
        own_account = {"StringEquals": {"aws:PrincipalAccount": s.account_id}}
        policy = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "OnlyThisAccount",
                    "Effect": "Allow",
                    "Principal": "*",
                    "Action": "*",
                    "Resource": "*",
                    "Condition": own_account,
                }
            ],
        }
        s3_policy = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "PlatformBuckets",
                    "Effect": "Allow",
                    "Principal": "*",
                    "Action": "*",
                    "Resource": [f"arn:aws:s3:::{s.prefix}-*", f"arn:aws:s3:::{s.prefix}-*/*"],
                    "Condition": own_account,
                },
                # ECR keeps image layers in an AWS-owned bucket; Fargate pulls through this endpoint.
                {
                    "Sid": "EcrImageLayers",
                    "Effect": "Allow",
                    "Principal": "*",
                    "Action": "s3:GetObject",
                    "Resource": f"arn:aws:s3:::prod-{s.region}-starport-layer-bucket/*",
                },
            ],
        }
        route_tables = [rt.id for rt in self.private_route_tables]
        self.endpoints: dict[str, VpcEndpoint] = {}
        for service, doc in (("s3", s3_policy), ("dynamodb", policy)):
            self.endpoints[service] = VpcEndpoint(
                self,
                f"{service}_endpoint",
                vpc_id=self.vpc.id,
                service_name=f"com.amazonaws.{s.region}.{service}",
                vpc_endpoint_type="Gateway",
                route_table_ids=route_tables,
                policy=json.dumps(doc),
                tags={"Name": f"{s.prefix}-{service}"},
            )
        for service in INTERFACE_ENDPOINTS:
            self.endpoints[service] = VpcEndpoint(
                self,
                f"{service.replace('.', '_')}_endpoint",
                vpc_id=self.vpc.id,
                service_name=f"com.amazonaws.{s.region}.{service}",
                vpc_endpoint_type="Interface",
                private_dns_enabled=True,
                subnet_ids=self.subnet_ids("app"),
                security_group_ids=[self.endpoint_sg.id],
                policy=json.dumps(policy),
                tags={"Name": f"{s.prefix}-{service}"},
            )

    def _flow_logs(self, s: Settings, logs_key) -> None:
        group = CloudwatchLogGroup(
            self,
            "flow_logs",
            name=names.flow_log_group(s),
            retention_in_days=s.retention.log_days,
            kms_key_id=logs_key.arn,
        )
        FlowLog(
            self,
            "flow_log",
            vpc_id=self.vpc.id,
            traffic_type="ALL",
            log_destination=group.arn,
            log_destination_type="cloud-watch-logs",
            iam_role_arn=names.service_role_arn(s, "vpc-flow-logs"),
            max_aggregation_interval=60,
        )


def protect(registry, s: Settings) -> None:
    base = f"{s.region}:{s.account_id}"
    # Who can re-route, open or re-write a path to the data can reach it: the network is the platform
    # deployer's alone. (Identifiers are generated, so every one of the account's is covered.)
    registry.protect(
        "network paths: security groups, routes, ACLs, endpoints",
        "path",
        [
            ("ec2:security-group", f"arn:aws:ec2:{base}:security-group/*"),
            ("ec2:security-group-rule", f"arn:aws:ec2:{base}:security-group-rule/*"),
            ("ec2:route-table", f"arn:aws:ec2:{base}:route-table/*"),
            ("ec2:network-acl", f"arn:aws:ec2:{base}:network-acl/*"),
            ("ec2:vpc-endpoint", f"arn:aws:ec2:{base}:vpc-endpoint/*"),
        ],
        writers=(names.platform_roles_pattern(s),),
        managers=(names.role_arn(s, names.platform_deployer(s)),),
        reason="opening a security group or an endpoint policy opens a path to PII",
    )
