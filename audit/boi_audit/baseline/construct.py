"""AuditBaseline: the construct that composes the builders, one per part of the baseline."""

from __future__ import annotations

from cdktn import TerraformLocal, TerraformResourceLifecycle
from cdktn_provider_aws.iam_role import IamRole
from constructs import Construct

from boi_audit import policies
from boi_audit.baseline.alarms import build_alerting, build_forwarder, build_regional_paging
from boi_audit.baseline.archive import build_archive
from boi_audit.baseline.athena import build_athena
from boi_audit.baseline.common import _fix
from boi_audit.baseline.config import build_config, build_regional_recorder
from boi_audit.baseline.detectors import build_access_analyzer, build_guardduty, build_macie
from boi_audit.baseline.security_hub import build_finding_aggregator, build_security_hub
from boi_audit.baseline.trail import build_trail
from boi_audit.errors import ConfigError
from boi_audit.guard import guard_policies
from boi_audit.settings import AuditSettings


class ExternalArchive:
    """A log archive built elsewhere (another account's `LogArchive`): the baseline delivers into it and
    builds no archive of its own. `bucket_name`/`bucket_arn` may be cross-stack references."""

    def __init__(self, bucket_name: str, bucket_arn: str) -> None:
        self.id = bucket_name
        self.arn = bucket_arn


class LogArchive(Construct):
    """Only the archive (Object Lock COMPLIANCE bucket, access-log bucket, encryption, lifecycle) for a
    central log archive account: CloudTrail delivers from `trail_arn`, Config from `delivery_account_ids`."""

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        settings: AuditSettings,
        logs_key,
        trail_arn: str,
        delivery_account_ids: list[str],
    ):
        super().__init__(scope, id)
        self.settings = settings
        self._lifecycle = TerraformResourceLifecycle(prevent_destroy=True) if settings.prevent_destroy else None
        self.trail_arn = trail_arn
        self.delivery_account_ids = sorted(set(delivery_account_ids))
        build_archive(self, logs_key)


class AuditBaseline(Construct):
    """Trail, log archive, Config, Security Hub, GuardDuty, Macie, Access Analyzer, alarms and alerting.

    logs_key / alerts_key: duck-typed key handles with .arn, .key_id and .allow_service(...).
    guard_inputs: optional {"kms_rotation_days": {class: days}, "bucket_keys": {bucket: key_arn},
    "database_keys": {db_id: key_arn}}; one Guard rule per key given.
    regional_providers: {region: AWS provider (an alias)} for every Region of settings.other_regions: the
    recorder, the detectors and the paging rules are built there too (each forwarding to the home bus).
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        settings: AuditSettings,
        logs_key,
        alerts_key,
        permissions_boundary_arn: str,
        guard_inputs: dict | None = None,
        break_glass_role_arn: str | None = None,
        pii_key_arns: list[str] | None = None,
        regional_providers: dict | None = None,
        archive: ExternalArchive | None = None,
    ):
        super().__init__(scope, id)
        regional_providers = dict(regional_providers or {})
        if sorted(regional_providers) != sorted(settings.other_regions):
            raise ConfigError(
                "AuditBaseline.regional_providers",
                sorted(regional_providers),
                f"one provider for each other Region of the settings: {sorted(settings.other_regions)}",
            )
        if not permissions_boundary_arn:
            raise ConfigError("AuditBaseline.permissions_boundary_arn", permissions_boundary_arn, "an IAM policy ARN")
        self.settings = s = settings
        self._boundary = permissions_boundary_arn
        self._lifecycle = TerraformResourceLifecycle(prevent_destroy=True) if s.prevent_destroy else None
        self._guard_texts = guard_policies(guard_inputs)  # validate before building anything
        self.roles: list[IamRole] = []
        self.detectors: dict = {}  # region -> GuardDuty detector
        self.hubs: dict = {}  # region -> Security Hub account
        self.regional_rules: dict = {}  # region -> {paging rule name -> rule}
        p = s.name_prefix
        self.trail_name = f"{p}-audit-trail"
        self.trail_arn = f"arn:{s.partition}:cloudtrail:{s.region}:{s.account_id}:trail/{self.trail_name}"

        _fix(TerraformLocal(self, "skipped", sorted(s.skip)), "boi_audit_skipped_services")
        if archive is None:
            build_archive(self, logs_key)
        else:
            self.archive_bucket, self.archive_policy = archive, None
            self.archive_bucket_name, self.archive_bucket_arn = archive.id, archive.arn
        build_trail(self, logs_key)
        build_config(self, logs_key)
        build_alerting(self, alerts_key, break_glass_role_arn)
        if s.creates("securityhub"):
            build_security_hub(self)
        if s.creates("guardduty"):
            build_guardduty(self)
        if s.creates("macie"):
            build_macie(self)
        if s.creates("accessanalyzer"):
            build_access_analyzer(self)
        if s.creates("athena"):
            build_athena(self, logs_key, pii_key_arns or [], break_glass_role_arn)
        if s.other_regions:
            build_forwarder(self)
        for region in s.other_regions:
            provider = regional_providers[region]
            build_regional_recorder(self, logs_key, region, provider)
            build_regional_paging(self, break_glass_role_arn, region, provider)
            if s.creates("securityhub"):
                build_security_hub(self, region, provider)
            if s.creates("guardduty"):
                build_guardduty(self, region, provider)
            if s.creates("macie"):
                build_macie(self, region, provider)
            if s.creates("accessanalyzer"):
                build_access_analyzer(self, region, provider)
        if s.creates("securityhub"):
            build_finding_aggregator(self)
        for use in policies.logs_key_uses(
            partition=s.partition,
            region=s.region,
            account_id=s.account_id,
            trail_arn=self.trail_arn,
            log_group_arn=self.log_group.arn,
            skip=s.skip,
        ):
            logs_key.allow_service(
                sid=use.sid,
                service_principal=use.service_principal,
                actions=use.actions,
                conditions=use.conditions,
                reason=use.reason,
            )
        for use in policies.alerts_key_uses(account_id=s.account_id):
            alerts_key.allow_service(
                sid=use.sid,
                service_principal=use.service_principal,
                actions=use.actions,
                conditions=use.conditions,
                reason=use.reason,
            )
