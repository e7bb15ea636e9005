"""Roles that AWS services assume to work for the platform: backups, RDS monitoring, API Gateway logging,
flow-log delivery and malware scanning.

They live in the foundation (applied by the foundation deployer) under their own IAM path, so the
platform deployer can pass them to their service but never create, change or re-purpose one: a role
under the service boundary is broad, and only the trusted base may mint one.
"""

from __future__ import annotations

import json

from boi_audit import policies as audit_policies
from boi_iam.grants import Asset, Grant
from boi_iam.policy import trust_document
from boi_iam.role import PlatformRole
from cdktn_provider_aws.iam_role_policy import IamRolePolicy
from constructs import Construct

from app.core import names
from app.core.assets import key_asset
from app.settings import Settings

# short name -> (trusted service, purpose, AWS managed policies with the reason for each)
SERVICE_ROLES = {
    "backup": (
        "backup.amazonaws.com",
        "AWS Backup takes and restores recovery points of the database and sessions table",
        {
            "service-role/AWSBackupServiceRolePolicyForBackup": "AWS-maintained: snapshot RDS and DynamoDB",
            "service-role/AWSBackupServiceRolePolicyForRestores": "AWS-maintained: restore RDS and DynamoDB",
        },
    ),
    "rds-monitoring": (
        "monitoring.rds.amazonaws.com",
        "RDS enhanced monitoring publishes OS metrics to CloudWatch Logs",
        {"service-role/AmazonRDSEnhancedMonitoringRole": "AWS-maintained: OS metrics to the RDSOSMetrics log group"},
    ),
    "apigateway-logs": (
        "apigateway.amazonaws.com",
        "API Gateway writes execution and access logs to CloudWatch Logs",
        {"service-role/AmazonAPIGatewayPushToCloudWatchLogs": "AWS-maintained: API Gateway's account-level logging"},
    ),
    "vpc-flow-logs": ("vpc-flow-logs.amazonaws.com", "VPC Flow Logs delivery into the encrypted flow-log group", {}),
}
MALWARE_SCAN = "documents-malware-scan"


class ServiceRoles(Construct):
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        settings: Settings,
        boundary_arn: str,
        keys,
        malware_scanning: bool,
        guards: list,
    ) -> None:
        super().__init__(scope, id)
        s = settings
        self.roles: dict[str, PlatformRole] = {}
        for short, (service, purpose, managed) in SERVICE_ROLES.items():
            role = PlatformRole(
                self,
                short.replace("-", "_"),
                name=f"{s.prefix}-{short}",
                account_id=s.account_id,
                purpose=purpose,
                trust=trust_document(service, conditions={"StringEquals": {"aws:SourceAccount": s.account_id}}),
                boundary_arn=boundary_arn,
                path=names.service_role_path(s),
                inline_policy=short in ("backup", "vpc-flow-logs"),
            )
            for policy, reason in managed.items():
                role.attach_managed(f"arn:aws:iam::aws:policy/{policy}", reason)
            self.roles[short] = role
        backup = self.roles["backup"]
        backup.grant(
            Grant(
                backup.principal,
                key_asset(s, keys.key("backups")),
                "encrypt_decrypt",
                "AWS Backup encrypts recovery points in the vault",
                via="backup",
            )
        )
        flow = self.roles["vpc-flow-logs"]
        group = Asset(
            kind="log_group",
            name="flow log group",
            account_id=s.account_id,
            region=s.region,
            arn=f"arn:aws:logs:{s.region}:{s.account_id}:log-group:{names.flow_log_group(s)}",
        )
        flow.grant(Grant(flow.principal, group, "write", "deliver VPC flow records", sid="WriteFlowLogs"))
        if malware_scanning:
            self._malware_scanner(s, boundary_arn, keys)
        for role in self.roles.values():
            for guard in guards:
                role.attach_managed(guard.arn, "guard: the denies that do not fit in the boundary")

    def _malware_scanner(self, s: Settings, boundary_arn: str, keys) -> None:
        """GuardDuty Malware Protection for S3 reads new uploads to scan them and tags the result."""
        role = PlatformRole(
            self,
            "malware_scan",
            name=f"{s.prefix}-{MALWARE_SCAN}",
            account_id=s.account_id,
            purpose="GuardDuty Malware Protection scans new identity-document uploads",
            trust=audit_policies.service_trust_policy("malware-protection-plan.guardduty.amazonaws.com", s.account_id),
            boundary_arn=boundary_arn,
            path=names.service_role_path(s),
            inline_policy=False,
        )
        bucket = names.documents_bucket(s)
        IamRolePolicy(
            self,
            "malware_scan_policy",
            role=role.role.id,
            name="scan-documents-bucket",
            policy=json.dumps(
                audit_policies.malware_protection_policy(
                    bucket_name=bucket,
                    bucket_arn=f"arn:aws:s3:::{bucket}",
                    partition="aws",
                    region=s.region,
                    account_id=s.account_id,
                    key_arn=keys.key("documents").arn,
                    object_prefixes=["uploads/"],
                )
            ),
        )
        self.roles[MALWARE_SCAN] = role
        keys.key("documents").allow_use(
            "MalwareScannerDecryptsUploads",
            role.principal.arn,
            ("kms:Decrypt",),
            "s3",
            "GuardDuty Malware Protection reads uploads through S3 to scan them",
        )
