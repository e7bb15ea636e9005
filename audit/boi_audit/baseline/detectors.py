"""Detectors: GuardDuty (with its protection features), Macie and IAM Access Analyzer (external and
unused access), in every Region the baseline covers.

Each builder takes the Region and the provider for it (None: the stack's default provider, the home
Region); logical ids of the other Regions end in `_<region>`. In organization mode each Region also gets
the organization-level configuration that enables the service for every member account.
"""

from __future__ import annotations

from cdktn_provider_aws.accessanalyzer_analyzer import (
    AccessanalyzerAnalyzer,
    AccessanalyzerAnalyzerConfiguration,
    AccessanalyzerAnalyzerConfigurationUnusedAccess,
)
from cdktn_provider_aws.guardduty_detector import GuarddutyDetector
from cdktn_provider_aws.guardduty_detector_feature import (
    GuarddutyDetectorFeature,
    GuarddutyDetectorFeatureAdditionalConfiguration,
)
from cdktn_provider_aws.guardduty_organization_configuration import GuarddutyOrganizationConfiguration
from cdktn_provider_aws.macie2_account import Macie2Account
from cdktn_provider_aws.macie2_organization_configuration import Macie2OrganizationConfiguration

from boi_audit.baseline.common import _fix

GUARDDUTY_FEATURES = ("S3_DATA_EVENTS", "RDS_LOGIN_EVENTS", "LAMBDA_NETWORK_LOGS", "RUNTIME_MONITORING")
UNUSED_ACCESS_AGE_DAYS = 90


def suffix(baseline, region: str) -> str:
    """'' for the home Region, '_<region>' for the others (construct and logical ids)."""
    return "" if region == baseline.settings.region else "_" + region.replace("-", "_")


def build_guardduty(baseline, region: str | None = None, provider=None) -> None:
    region = region or baseline.settings.region
    sfx = suffix(baseline, region)
    detector = _fix(
        GuarddutyDetector(
            baseline, f"guardduty{sfx}", provider=provider, enable=True, finding_publishing_frequency="FIFTEEN_MINUTES"
        ),
        f"audit_guardduty{sfx}",
    )
    baseline.detectors[region] = detector
    if not sfx:
        baseline.guardduty = detector
    for feature in GUARDDUTY_FEATURES:
        extra = (
            [GuarddutyDetectorFeatureAdditionalConfiguration(name="ECS_FARGATE_AGENT_MANAGEMENT", status="ENABLED")]
            if feature == "RUNTIME_MONITORING"
            else None
        )
        _fix(
            GuarddutyDetectorFeature(
                baseline,
                f"guardduty_{feature.lower()}{sfx}",
                provider=provider,
                detector_id=detector.id,
                name=feature,
                status="ENABLED",
                additional_configuration=extra,
            ),
            f"audit_guardduty_{feature.lower()}{sfx}",
        )
    if baseline.settings.organization_mode:
        # Every member account, new ones included, gets a detector in this Region.
        _fix(
            GuarddutyOrganizationConfiguration(
                baseline,
                f"guardduty_organization{sfx}",
                provider=provider,
                detector_id=detector.id,
                auto_enable_organization_members="ALL",
            ),
            f"audit_guardduty_organization{sfx}",
        )


def build_macie(baseline, region: str | None = None, provider=None) -> None:
    region = region or baseline.settings.region
    sfx = suffix(baseline, region)
    account = _fix(
        Macie2Account(
            baseline,
            f"macie{sfx}",
            provider=provider,
            finding_publishing_frequency="FIFTEEN_MINUTES",
            status="ENABLED",
        ),
        f"audit_macie{sfx}",
    )
    if not sfx:
        baseline.macie = account
    if baseline.settings.organization_mode:
        _fix(
            Macie2OrganizationConfiguration(
                baseline, f"macie_organization{sfx}", provider=provider, auto_enable=True, depends_on=[account]
            ),
            f"audit_macie_organization{sfx}",
        )


def build_access_analyzer(baseline, region: str | None = None, provider=None) -> None:
    s = baseline.settings
    region = region or s.region
    sfx = suffix(baseline, region)
    scope = "ORGANIZATION" if s.organization_mode else "ACCOUNT"
    _fix(
        AccessanalyzerAnalyzer(
            baseline,
            f"external_access{sfx}",
            provider=provider,
            analyzer_name=f"{s.name_prefix}-external-access",
            type=scope,
        ),
        f"audit_external_access{sfx}",
    )
    _fix(
        AccessanalyzerAnalyzer(
            baseline,
            f"unused_access{sfx}",
            provider=provider,
            analyzer_name=f"{s.name_prefix}-unused-access",
            type=f"{scope}_UNUSED_ACCESS",
            configuration=AccessanalyzerAnalyzerConfiguration(
                unused_access=AccessanalyzerAnalyzerConfigurationUnusedAccess(unused_access_age=UNUSED_ACCESS_AGE_DAYS)
            ),
        ),
        f"audit_unused_access{sfx}",
    )
