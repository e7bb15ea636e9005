"""AuditSettings: what the app decides about auditing, validated when built (pure)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from boi_audit.catalog import Catalog
from boi_audit.errors import ConfigError

# Plan minimums: five years of WORM archive (BSA 31 CFR 1010.430(d) as benchmark), one year searchable.
MIN_ARCHIVE_RETENTION_DAYS = 1825
MIN_LOG_RETENTION_DAYS = 365
# CloudWatch Logs accepts only these retention values.
CLOUDWATCH_RETENTION_VALUES = (365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653)
SKIPPABLE_SERVICES = ("securityhub", "guardduty", "macie", "accessanalyzer", "athena", "guard_rules")
PARTITIONS = ("aws", "aws-us-gov")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PREFIX = re.compile(r"^[a-z][a-z0-9-]{1,30}[a-z0-9]$")


@dataclass
class AuditSettings:
    name_prefix: str
    account_id: str
    region: str
    partition: str = "aws"
    organization_mode: bool = False
    log_retention_days: int = 365
    archive_retention_days: int = MIN_ARCHIVE_RETENTION_DAYS
    alert_emails: list[str] = field(default_factory=list)
    pii_bucket_arns: list[str] = field(default_factory=list)
    pii_bucket_names: list[str] = field(default_factory=list)
    # Lambda functions that read or write PII: their invocations are data events on the trail.
    pii_function_arns: list[str] = field(default_factory=list)
    # The other Regions where the account may run anything (the home Region is `region`): detectors, the
    # Config recorder and the paging rules are built in each, through the provider the caller passes per Region.
    other_regions: list[str] = field(default_factory=list)
    standards: list[str] | None = None
    config_rule_ids: list[str] | None = None
    prevent_destroy: bool = True
    # The only principals that may change the archive buckets' policy, lifecycle, versioning, Object Lock,
    # encryption or logging (the deployer of the audit baseline). Empty: nobody is singled out.
    custodian_arns: list[str] = field(default_factory=list)
    skip: set[str] = field(default_factory=set)
    # The platform's control catalog (boi_audit.catalog.load_catalog(<folder>)); required.
    catalog: Catalog | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.catalog, Catalog):
            raise ConfigError(
                "audit.catalog",
                self.catalog,
                "the platform's audit catalog: boi_audit.catalog.load_catalog(<folder>) "
                "(boi_audit.catalog.example() is the component's example)",
            )
        if self.standards is None:
            self.standards = self.catalog.default_standard_ids
        if self.config_rule_ids is None:
            self.config_rule_ids = self.catalog.default_rule_ids
        self.skip = set(self.skip)
        self.other_regions = list(self.other_regions)
        self.validate()

    def validate(self) -> None:
        if not _PREFIX.match(self.name_prefix or ""):
            raise ConfigError(
                "audit.name_prefix",
                self.name_prefix,
                "3-32 chars of a-z, 0-9 and '-', starting with a letter",
            )
        if not re.fullmatch(r"\d{12}", str(self.account_id)):
            raise ConfigError("audit.account_id", self.account_id, "a 12-digit AWS account id")
        if not re.fullmatch(r"[a-z]{2}(-gov)?-[a-z]+-\d", self.region or ""):
            raise ConfigError("audit.region", self.region, "an AWS Region name such as us-east-1")
        if self.partition not in PARTITIONS:
            raise ConfigError("audit.partition", self.partition, f"one of {list(PARTITIONS)}")
        if not isinstance(self.archive_retention_days, int) or self.archive_retention_days < MIN_ARCHIVE_RETENTION_DAYS:
            raise ConfigError(
                "audit.archive_retention_days",
                self.archive_retention_days,
                f">= {MIN_ARCHIVE_RETENTION_DAYS} days (five years, the plan's minimum)",
            )
        if self.log_retention_days not in CLOUDWATCH_RETENTION_VALUES:
            raise ConfigError(
                "audit.log_retention_days",
                self.log_retention_days,
                f"a CloudWatch retention value >= {MIN_LOG_RETENTION_DAYS}: {list(CLOUDWATCH_RETENTION_VALUES)}",
            )
        for i, email in enumerate(self.alert_emails):
            if not _EMAIL.match(email):
                raise ConfigError(f"audit.alert_emails[{i}]", email, "an e-mail address")
        for i, arn in enumerate(self.pii_bucket_arns):
            if not (arn.startswith(f"arn:{self.partition}:s3:::") or arn.startswith("${")):
                raise ConfigError(
                    f"audit.pii_bucket_arns[{i}]", arn, f"an S3 bucket ARN arn:{self.partition}:s3:::<name>"
                )
        for i, arn in enumerate(self.pii_function_arns):
            if not (re.fullmatch(rf"arn:{self.partition}:lambda:[a-z0-9-]+:\d{{12}}:function:[\w-]+", arn)):
                raise ConfigError(
                    f"audit.pii_function_arns[{i}]", arn, "a Lambda function ARN arn:<partition>:lambda:<region>:..."
                )
        for i, other in enumerate(self.other_regions):
            if not re.fullmatch(r"[a-z]{2}(-gov)?-[a-z]+-\d", other or ""):
                raise ConfigError(f"audit.other_regions[{i}]", other, "an AWS Region name such as us-west-2")
            if other == self.region or other in self.other_regions[:i]:
                raise ConfigError(
                    f"audit.other_regions[{i}]", other, f"a Region other than the home Region {self.region}, once"
                )
        for i, arn in enumerate(self.custodian_arns):
            if not re.fullmatch(rf"arn:{self.partition}:iam::\d{{12}}:role/[\w+=,.@/-]+", arn):
                raise ConfigError(f"audit.custodian_arns[{i}]", arn, "an IAM role ARN")
        unknown = sorted(self.skip - set(SKIPPABLE_SERVICES))
        if unknown:
            raise ConfigError("audit.skip", unknown, f"a subset of {list(SKIPPABLE_SERVICES)}")
        for i, sid in enumerate(self.standards):
            try:
                self.catalog.standard(sid)
            except ConfigError:
                raise ConfigError(
                    f"audit.standards[{i}]", sid, f"one of {[s.id for s in self.catalog.standards]}"
                ) from None
        for i, rid in enumerate(self.config_rule_ids):
            try:
                self.catalog.rule(rid)
            except ConfigError:
                raise ConfigError(
                    f"audit.config_rule_ids[{i}]",
                    rid,
                    f"a rule of the catalog's config_rules.yaml: {sorted(r.identifier for r in self.catalog.rules)}",
                ) from None

    @property
    def archive_retention_years(self) -> int | None:
        """Whole years when the days divide evenly, so Object Lock is set in the unit people read."""
        return self.archive_retention_days // 365 if self.archive_retention_days % 365 == 0 else None

    @property
    def regions(self) -> list[str]:
        """Every Region the baseline covers: the home Region first."""
        return [self.region, *self.other_regions]

    @property
    def archive_bucket_name(self) -> str:
        return f"{self.name_prefix}-audit-archive-{self.account_id}"

    @property
    def access_log_bucket_name(self) -> str:
        return f"{self.name_prefix}-audit-access-{self.account_id}"

    @property
    def athena_results_bucket_name(self) -> str:
        return f"{self.name_prefix}-audit-athena-results-{self.account_id}"

    @property
    def audit_bucket_names(self) -> list[str]:
        """The buckets that keep the audit's records (the archive and its access logs)."""
        return [self.archive_bucket_name, self.access_log_bucket_name]

    def creates(self, service: str) -> bool:
        return service not in self.skip

    def rule_parameters(self, rule_id: str) -> dict[str, str]:
        values = {"log_retention_days": str(self.log_retention_days)}
        return {k: v.format(**values) for k, v in self.catalog.rule(rule_id).parameters.items()}
