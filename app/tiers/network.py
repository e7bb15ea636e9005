"""Network tier: subnets, routes, endpoints and the egress firewall inside the foundation's VPC.

Five kinds of subnet per zone: public (NAT gateways), private application (every workload but the
FinCEN worker, the load balancers and the interface endpoints), private data (the database), firewall
(AWS Network Firewall's endpoints) and egress (the FinCEN worker). Only the egress subnets have a route
out of the VPC, and it goes through the firewall, which passes TLS only to the FinCEN hosts of the
settings (SNI allow-list); the application and data subnets have no route out at all, so everything else
reaches AWS through the VPC endpoints, whose policies admit only the platform's workloads.

No bastion host: operators reach tasks through SSM Session Manager, which needs no inbound port
and logs every session.
"""

from __future__ import annotations

import ipaddress
import json

from cdktn_provider_aws.cloudwatch_log_group import CloudwatchLogGroup
from cdktn_provider_aws.ec2_managed_prefix_list import Ec2ManagedPrefixList, Ec2ManagedPrefixListEntry
from cdktn_provider_aws.eip import Eip
from cdktn_provider_aws.internet_gateway import InternetGateway
from cdktn_provider_aws.nat_gateway import NatGateway
from cdktn_provider_aws.network_acl import NetworkAcl
from cdktn_provider_aws.networkfirewall_firewall import NetworkfirewallFirewall, NetworkfirewallFirewallSubnetMapping
from cdktn_provider_aws.networkfirewall_firewall_policy import (
    NetworkfirewallFirewallPolicy,
    NetworkfirewallFirewallPolicyFirewallPolicyStatefulRuleGroupReference,
)
from cdktn_provider_aws.networkfirewall_logging_configuration import (
    NetworkfirewallLoggingConfiguration,
    NetworkfirewallLoggingConfigurationLoggingConfigurationLogDestinationConfig,
)
from cdktn_provider_aws.networkfirewall_rule_group import NetworkfirewallRuleGroup
from cdktn_provider_aws.route import Route
from cdktn_provider_aws.route_table import RouteTable
from cdktn_provider_aws.route_table_association import RouteTableAssociation
from cdktn_provider_aws.security_group import SecurityGroup
from cdktn_provider_aws.subnet import Subnet
from cdktn_provider_aws.vpc_endpoint import VpcEndpoint
from constructs import Construct

from app.core import names
from app.core.blocks import blocks
from app.settings import Settings
from app.settings.endpoints import GATEWAY_ENDPOINTS, INTERFACE_ENDPOINTS, iam_prefix

TIERS = ("public", "app", "data", "firewall", "egress")
ANY = "0.0.0.0/0"
# What the FinCEN worker's security group may reach on 443 besides the endpoints: public IPv4 only. Every
# range a VPC (this one or a peer) can use is left out, so the worker cannot reach the load balancers or
# any other address inside AWS networks; the firewall then narrows the public internet to the FinCEN hosts.
NOT_PUBLIC = ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "169.254.0.0/16")
FIREWALL_CAPACITY = 100


def subnet_cidrs(vpc_cidr: str, az_count: int) -> dict[str, list[str]]:
    """Sixteen equal blocks: public in 0-3, application in 4-7, data in 8-11; block 12 split four ways for
    the firewall endpoints and block 13 for the egress subnets; 14-15 spare."""
    blocks_ = list(ipaddress.IPv4Network(vpc_cidr).subnets(prefixlen_diff=4))
    out = {tier: [str(blocks_[4 * t + az]) for az in range(az_count)] for t, tier in enumerate(TIERS[:3])}
    for tier, block in (("firewall", 12), ("egress", 13)):
        out[tier] = [str(n) for n in list(blocks_[block].subnets(prefixlen_diff=2))[:az_count]]
    return out


def public_ipv4(vpc_cidr: str) -> list[str]:
    """IPv4 space minus the private, shared and link-local ranges (and the VPC itself)."""
    nets = [ipaddress.IPv4Network(ANY)]
    for excluded in (*NOT_PUBLIC, vpc_cidr):
        cut = ipaddress.IPv4Network(excluded)
        kept = []
        for net in nets:
            if cut.subnet_of(net):
                kept += list(net.address_exclude(cut))
            elif not net.subnet_of(cut):
                kept.append(net)
        nets = kept
    return [str(n) for n in ipaddress.collapse_addresses(nets)]


def endpoint_policy(s: Settings, endpoint: str) -> dict:
    """Only the platform's workloads, only this service's API, only this account's resources."""
    workloads = names.platform_roles_pattern(s)
    service = iam_prefix(endpoint)
    if service == "cognito-idp":
        # Token verification reads the user pool's signing keys without credentials: no principal to name,
        # so the endpoint is limited to this account's user pools.
        return {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "PlatformUserPoolsOnly",
                    "Effect": "Allow",
                    "Principal": "*",
                    "Action": "cognito-idp:*",
                    "Resource": f"arn:aws:cognito-idp:{s.region}:{s.account_id}:userpool/*",
                }
            ],
        }
    statements = [
        {
            "Sid": "PlatformWorkloadsOnly",
            "Effect": "Allow",
            "Principal": "*",
            "Action": f"{service}:*",
            "Resource": "*",
            "Condition": {
                "ArnLike": {"aws:PrincipalArn": workloads},
                "StringEqualsIfExists": {"aws:ResourceAccount": s.account_id},
            },
        }
    ]
    if service == "s3":
        # ECR keeps image layers in an AWS-owned bucket; Fargate pulls them through this endpoint.
        statements.append(
            {
                "Sid": "EcrImageLayers",
                "Effect": "Allow",
                "Principal": "*",
                "Action": "s3:GetObject",
                "Resource": f"arn:aws:s3:::prod-{s.region}-starport-layer-bucket/*",
                "Condition": {"ArnLike": {"aws:PrincipalArn": workloads}},
            }
        )
    return {"Version": "2012-10-17", "Statement": statements}


def _zones(s: Settings) -> list[str]:
    # Zones are named, not looked up, so the subnets never move when AWS adds a zone.
    return [f"{s.region}{letter}" for letter in "abc"][: s.network.az_count]


class Network(Construct):
    def __init__(self, scope: Construct, id: str, *, settings: Settings, vpc, logs_key) -> None:
        super().__init__(scope, id)
        s = self.settings = settings
        self.cidr = s.network.vpc_cidr
        self.vpc = vpc
        zones = _zones(s)
        self.cidrs = cidrs = subnet_cidrs(self.cidr, s.network.az_count)
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
        self.firewall: NetworkfirewallFirewall | None = None
        if not s.skips("network_firewall"):
            self._firewall(s, logs_key)
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
        entries = public_ipv4(self.cidr)
        self.public_internet = Ec2ManagedPrefixList(
            self,
            "public_ipv4",
            name=f"{s.prefix}-public-ipv4",
            address_family="IPv4",
            max_entries=len(entries),
            entry=[Ec2ManagedPrefixListEntry(cidr=cidr, description="public IPv4") for cidr in entries],
            tags={"Name": f"{s.prefix}-public-ipv4"},
        )

    def subnet_ids(self, tier: str) -> list[str]:
        return [subnet.id for subnet in self.subnets[tier]]

    def endpoint_ids(self, services: list[str]) -> list[str]:
        """The IDs of the platform's own endpoints for these services (the settings name only those)."""
        return [self.endpoints[name].id for name in services]

    # ---- routes ---------------------------------------------------------------------------------------

    def _firewall_endpoint(self, zone: str) -> str:
        """The firewall's endpoint in one zone (Network Firewall reports them per zone, unordered)."""
        address = f"{self.firewall.terraform_resource_type}.{self.firewall.friendly_unique_id}"
        return (
            f"${{[for state in {address}.firewall_status[0].sync_states : state.attachment[0].endpoint_id "
            f'if state.availability_zone == "{zone}"][0]}}'
        )

    def _routes(self, s: Settings) -> None:
        zones = _zones(s)
        igw = InternetGateway(self, "igw", vpc_id=self.vpc.id, tags={"Name": f"{s.prefix}-igw"})
        # Route tables the gateway endpoints (S3, DynamoDB) are attached to.
        self.private_route_tables: list[RouteTable] = []
        for az, zone in enumerate(zones):
            # One public route table per zone: the replies to the egress subnet go back through the same
            # zone's firewall endpoint (symmetric routing, so the firewall sees both directions).
            public_rt = RouteTable(
                self, f"public_rt_{az}", vpc_id=self.vpc.id, tags={"Name": f"{s.prefix}-public-{az}"}
            )
            Route(
                self, f"public_default_{az}", route_table_id=public_rt.id, destination_cidr_block=ANY, gateway_id=igw.id
            )
            RouteTableAssociation(
                self, f"public_rta_{az}", subnet_id=self.subnets["public"][az].id, route_table_id=public_rt.id
            )
            eip = Eip(self, f"nat_eip_{az}", domain="vpc", tags={"Name": f"{s.prefix}-nat-{az}"})
            nat = NatGateway(
                self,
                f"nat_{az}",
                allocation_id=eip.id,
                subnet_id=self.subnets["public"][az].id,
                tags={"Name": f"{s.prefix}-nat-{az}"},
            )
            firewall_rt = RouteTable(
                self, f"firewall_rt_{az}", vpc_id=self.vpc.id, tags={"Name": f"{s.prefix}-firewall-{az}"}
            )
            Route(
                self,
                f"firewall_default_{az}",
                route_table_id=firewall_rt.id,
                destination_cidr_block=ANY,
                nat_gateway_id=nat.id,
            )
            RouteTableAssociation(
                self, f"firewall_rta_{az}", subnet_id=self.subnets["firewall"][az].id, route_table_id=firewall_rt.id
            )
            # The FinCEN worker's subnets: out only through the firewall (none at all without it).
            egress_rt = RouteTable(
                self, f"egress_rt_{az}", vpc_id=self.vpc.id, tags={"Name": f"{s.prefix}-egress-{az}"}
            )
            RouteTableAssociation(
                self, f"egress_rta_{az}", subnet_id=self.subnets["egress"][az].id, route_table_id=egress_rt.id
            )
            if self.firewall is not None:
                endpoint = self._firewall_endpoint(zone)
                Route(
                    self,
                    f"egress_default_{az}",
                    route_table_id=egress_rt.id,
                    destination_cidr_block=ANY,
                    vpc_endpoint_id=endpoint,
                )
                Route(
                    self,
                    f"public_to_egress_{az}",
                    route_table_id=public_rt.id,
                    destination_cidr_block=self.cidrs["egress"][az],
                    vpc_endpoint_id=endpoint,
                )
            # Application subnets: no route out of the VPC; AWS APIs through the endpoints only.
            app_rt = RouteTable(self, f"app_rt_{az}", vpc_id=self.vpc.id, tags={"Name": f"{s.prefix}-app-{az}"})
            RouteTableAssociation(self, f"app_rta_{az}", subnet_id=self.subnets["app"][az].id, route_table_id=app_rt.id)
            self.private_route_tables += [app_rt, egress_rt]
        # The data tier has no route out of the VPC at all.
        data_rt = RouteTable(self, "data_rt", vpc_id=self.vpc.id, tags={"Name": f"{s.prefix}-data"})
        for az, subnet in enumerate(self.subnets["data"]):
            RouteTableAssociation(self, f"data_rta_{az}", subnet_id=subnet.id, route_table_id=data_rt.id)
        self.private_route_tables.append(data_rt)

    # ---- egress firewall ----------------------------------------------------------------------------

    def _firewall(self, s: Settings, logs_key) -> None:
        """AWS Network Firewall on the worker's only way out: TLS passes to the FinCEN hosts (SNI), every
        other flow is dropped once established (strict rule order, so the SNI can be read first)."""
        domains = s.fincen.firewall_domains
        self.rule_group = NetworkfirewallRuleGroup(
            self,
            "fincen_domains",
            name=f"{s.prefix}-fincen-egress",
            type="STATEFUL",
            capacity=FIREWALL_CAPACITY,
            description=f"TLS to the FinCEN hosts only ({s.fincen.environment}): {', '.join(domains)}",
            rule_group={
                "rules_source": {
                    "rules_source_list": {
                        "generated_rules_type": "ALLOWLIST",
                        "target_types": ["TLS_SNI"],
                        "targets": domains,
                    }
                },
                "stateful_rule_options": {"rule_order": "STRICT_ORDER"},
            },
            tags={"Name": f"{s.prefix}-fincen-egress"},
        )
        policy = NetworkfirewallFirewallPolicy(
            self,
            "egress_policy",
            name=f"{s.prefix}-egress",
            description="FinCEN hosts over TLS; everything else dropped",
            firewall_policy={
                "stateless_default_actions": ["aws:forward_to_sfe"],
                "stateless_fragment_default_actions": ["aws:forward_to_sfe"],
                "stateful_engine_options": {"rule_order": "STRICT_ORDER"},
                "stateful_default_actions": ["aws:drop_established", "aws:alert_established"],
                "stateful_rule_group_reference": [
                    NetworkfirewallFirewallPolicyFirewallPolicyStatefulRuleGroupReference(
                        resource_arn=self.rule_group.arn, priority=1
                    )
                ],
            },
            tags={"Name": f"{s.prefix}-egress"},
        )
        keep = s.keys.prevent_destroy
        self.firewall = NetworkfirewallFirewall(
            self,
            "firewall",
            name=f"{s.prefix}-egress",
            description="The FinCEN worker's only way out of the VPC",
            vpc_id=self.vpc.id,
            firewall_policy_arn=policy.arn,
            subnet_mapping=[
                NetworkfirewallFirewallSubnetMapping(subnet_id=subnet.id) for subnet in self.subnets["firewall"]
            ],
            delete_protection=keep,
            firewall_policy_change_protection=keep,
            subnet_change_protection=keep,
            tags={"Name": f"{s.prefix}-egress"},
        )
        configs = []
        for kind in ("ALERT", "FLOW"):
            group = CloudwatchLogGroup(
                self,
                f"firewall_{kind.lower()}_logs",
                name=f"{names.log_group_prefix(s)}/network-firewall/{kind.lower()}",
                retention_in_days=s.retention.log_days,
                kms_key_id=logs_key.arn,
            )
            configs.append(
                NetworkfirewallLoggingConfigurationLoggingConfigurationLogDestinationConfig(
                    log_destination={"logGroup": group.name}, log_destination_type="CloudWatchLogs", log_type=kind
                )
            )
        NetworkfirewallLoggingConfiguration(
            self,
            "firewall_logging",
            firewall_arn=self.firewall.arn,
            logging_configuration={"log_destination_config": configs},
        )

    # ---- ACLs ---------------------------------------------------------------------------------------

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

        vpc, app, data, egress = self.cidr, cidrs["app"], cidrs["data"], cidrs["egress"]
        clients = app + egress  # what reaches the database
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
            "egress": (
                [*ephemeral(100, ANY)],
                [rule(100, "allow", ANY, 443, 443)]
                + [rule(110 + i, "allow", c, 5432, 5432) for i, c in enumerate(data)],
            ),
            "data": (
                [rule(100 + i, "allow", c, 5432, 5432) for i, c in enumerate(clients)],
                [rule(100 + i, "allow", c, 1024, 65535) for i, c in enumerate(clients)],
            ),
        }
        for tier, (ingress, egress_rules) in rules.items():
            NetworkAcl(
                self,
                f"{tier}_acl",
                vpc_id=self.vpc.id,
                subnet_ids=self.subnet_ids(tier),
                ingress=blocks(ingress),
                egress=blocks(egress_rules),
                tags={"Name": f"{self.node.id}-{tier}"},
            )

    # ---- endpoints ----------------------------------------------------------------------------------

    def _endpoints(self, s: Settings) -> None:
        route_tables = [rt.id for rt in self.private_route_tables]
        self.endpoints: dict[str, VpcEndpoint] = {}
        for service in GATEWAY_ENDPOINTS:
            self.endpoints[service] = VpcEndpoint(
                self,
                f"{service}_endpoint",
                vpc_id=self.vpc.id,
                service_name=f"com.amazonaws.{s.region}.{service}",
                vpc_endpoint_type="Gateway",
                route_table_ids=route_tables,
                policy=json.dumps(endpoint_policy(s, service)),
                tags={"Name": f"{s.prefix}-{service}"},
            )
        for service in INTERFACE_ENDPOINTS:
            self.endpoints[service] = VpcEndpoint(
                self,
                f"{service.replace('.', '_').replace('-', '_')}_endpoint",
                vpc_id=self.vpc.id,
                service_name=f"com.amazonaws.{s.region}.{service}",
                vpc_endpoint_type="Interface",
                private_dns_enabled=True,
                subnet_ids=self.subnet_ids("app"),
                security_group_ids=[self.endpoint_sg.id],
                policy=json.dumps(endpoint_policy(s, service)),
                tags={"Name": f"{s.prefix}-{service}"},
            )


def protect(registry, s: Settings) -> None:
    base = f"{s.region}:{s.account_id}"
    # Who can re-route, open or re-write a path to the data can reach it: the network is the platform
    # deployer's alone. (Identifiers are generated, so every one of the account's is covered.)
    registry.protect(
        "network paths: security groups, routes, ACLs, endpoints, the egress firewall",
        "path",
        [
            ("ec2:security-group", f"arn:aws:ec2:{base}:security-group/*"),
            ("ec2:security-group-rule", f"arn:aws:ec2:{base}:security-group-rule/*"),
            ("ec2:route-table", f"arn:aws:ec2:{base}:route-table/*"),
            ("ec2:network-acl", f"arn:aws:ec2:{base}:network-acl/*"),
            ("ec2:vpc-endpoint", f"arn:aws:ec2:{base}:vpc-endpoint/*"),
            ("ec2:prefix-list", f"arn:aws:ec2:{base}:prefix-list/*"),
            ("network-firewall:Firewall", f"arn:aws:network-firewall:{base}:firewall/{s.prefix}-*"),
            ("network-firewall:FirewallPolicy", f"arn:aws:network-firewall:{base}:firewall-policy/{s.prefix}-*"),
            ("network-firewall:StatefulRuleGroup", f"arn:aws:network-firewall:{base}:stateful-rulegroup/{s.prefix}-*"),
        ],
        writers=(names.platform_roles_pattern(s),),
        managers=(names.role_arn(s, names.platform_deployer(s)),),
        reason="opening a security group, an endpoint policy or the egress firewall opens a path to PII",
    )
