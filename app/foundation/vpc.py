"""The VPC itself, its closed default security group and its flow logs: in the foundation.

The network perimeter names the VPC: the key policies of the PII and documents keys and the workload
boundary deny workload credentials used anywhere but from inside it (aws:SourceVpc). Those policies
are the foundation's, and the foundation may not refer to platform resources (the platform reads the
foundation, never the other way round), so the VPC is created here and the platform builds its
subnets, routes, endpoints and firewall inside it (app/tiers/network.py).
"""

from __future__ import annotations

from cdktn_provider_aws.cloudwatch_log_group import CloudwatchLogGroup
from cdktn_provider_aws.default_security_group import DefaultSecurityGroup
from cdktn_provider_aws.flow_log import FlowLog
from cdktn_provider_aws.vpc import Vpc
from constructs import Construct

from app.core import names
from app.settings import Settings


class FoundationNetwork(Construct):
    def __init__(self, scope: Construct, id: str, *, settings: Settings, logs_key, flow_log_role) -> None:
        super().__init__(scope, id)
        s = settings
        self.vpc = Vpc(
            self,
            "vpc",
            cidr_block=s.network.vpc_cidr,
            enable_dns_hostnames=True,
            enable_dns_support=True,
            tags={"Name": f"{s.prefix}-vpc"},
        )
        # The default security group is left with no rules, so nothing can use it by accident.
        DefaultSecurityGroup(self, "default_sg", vpc_id=self.vpc.id, ingress=[], egress=[])
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
            iam_role_arn=flow_log_role.arn,
            max_aggregation_interval=60,
        )
