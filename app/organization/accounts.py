"""The log archive and security tooling accounts: the audit baseline's parts (boi_audit), split the way
the Security Reference Architecture splits them."""

from __future__ import annotations

from boi_audit.baseline import AuditBaseline, ExternalArchive, LogArchive
from boi_audit.settings import AuditSettings
from boi_kms.classes import resolve_classes
from boi_kms.key_ring import KeyRing
from cdktn_provider_aws.guardduty_organization_configuration import (
    GuarddutyOrganizationConfiguration,
)
from cdktn_provider_aws.macie2_organization_configuration import Macie2OrganizationConfiguration
from cdktn_provider_aws.securityhub_organization_configuration import SecurityhubOrganizationConfiguration
from constructs import Construct

from app import catalogs
from app.foundation import boundaries
from app.foundation.governance import guardrail_policy
from app.organization import layout
from app.settings import Settings
from app.settings.organization import Account


def _audit_settings(s: Settings, account: Account, *, pii_bucket_arns: list[str]) -> AuditSettings:
    return AuditSettings(
        name_prefix=layout.ORG_PREFIX,
        account_id=account.account_id,
        region=account.region,
        organization_mode=True,
        log_retention_days=s.retention.log_days,
        archive_retention_days=s.retention.archive_days,
        alert_emails=list(s.alerts.emails),
        pii_bucket_arns=pii_bucket_arns,
        pii_bucket_names=[],
        prevent_destroy=s.keys.prevent_destroy,
        custodian_arns=[account.role_arn()],
        skip={
            svc
            for svc in ("securityhub", "guardduty", "macie", "accessanalyzer", "athena", "guard_rules")
            if s.skips(svc)
        },
        catalog=catalogs.audit(),
    )


def _keys(scope: Construct, s: Settings, account: Account, classes: tuple[str, ...]) -> KeyRing:
    every = resolve_classes(dict(s.keys.rotation_days), catalog=catalogs.kms().classes)
    return KeyRing(
        scope,
        "keys",
        name_prefix=layout.ORG_PREFIX,
        account_id=account.account_id,
        region=account.region,
        classes={name: every[name] for name in classes},
        administrator_role_arns=[account.role_arn()],
        policy_admin_role_arns=[account.role_arn()],
        prevent_destroy=s.keys.prevent_destroy,
    )


class LogArchiveAccount(Construct):
    """The organization trail's archive (Object Lock COMPLIANCE, the logs key of this account, access
    logs), written by the trail and Config of the security tooling account."""

    def __init__(self, scope: Construct, id: str, *, settings: Settings) -> None:
        super().__init__(scope, id)
        s, org = settings, settings.organization
        self.keys = _keys(self, s, org.log_archive, ("logs",))
        self.archive = LogArchive(
            self,
            "archive",
            settings=_audit_settings(s, org.log_archive, pii_bucket_arns=[]),
            logs_key=self.keys.key("logs"),
            trail_arn=layout.trail_arn(s),
            delivery_account_ids=[org.security_tooling.account_id],
        )


class SecurityToolingAccount(Construct):
    """The delegated administrator: organization trail, Config with the organization aggregator,
    Security Hub, GuardDuty, Macie and Access Analyzer for the organization (auto-enabled in member
    accounts), the alert topic and paging rules, Athena over the archive."""

    def __init__(self, scope: Construct, id: str, *, settings: Settings, archive: LogArchive) -> None:
        super().__init__(scope, id)
        s, org = settings, settings.organization
        account = org.security_tooling
        self.keys = _keys(self, s, account, ("logs", "messaging"))
        boundary = guardrail_policy(
            self,
            "operational_boundary",
            name=f"{layout.ORG_PREFIX}-operational-boundary",
            description="Permission boundary of the audit baseline's AWS service roles",
            document=boundaries.operational(),
        )
        # PII object events of every workload's documents bucket go into the organization trail.
        pii = [f"arn:aws:s3:::boi-{env}-documents-{a.account_id}" for env, a in sorted(org.workloads.items())]
        self.audit_settings = _audit_settings(s, account, pii_bucket_arns=pii)
        self.audit = AuditBaseline(
            self,
            "audit",
            settings=self.audit_settings,
            logs_key=self.keys.key("logs"),
            alerts_key=self.keys.key("messaging"),
            permissions_boundary_arn=boundary.arn,
            archive=ExternalArchive(archive.archive_bucket.bucket, archive.archive_bucket.arn),
        )
        a = self.audit_settings
        if a.creates("guardduty"):
            GuarddutyOrganizationConfiguration(
                self, "guardduty_members", detector_id=self.audit.guardduty.id, auto_enable_organization_members="NEW"
            )
        if a.creates("securityhub"):
            SecurityhubOrganizationConfiguration(
                self, "securityhub_members", auto_enable=True, depends_on=[self.audit.security_hub]
            )
        if a.creates("macie"):
            Macie2OrganizationConfiguration(self, "macie_members", auto_enable=True, depends_on=[self.audit.macie])
