"""Detectors: GuardDuty (with its protection features), Macie and IAM Access Analyzer (external and
unused access)."""

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
from cdktn_provider_aws.macie2_account import Macie2Account

from boi_audit.baseline.common import _fix

GUARDDUTY_FEATURES = ("S3_DATA_EVENTS", "RDS_LOGIN_EVENTS", "LAMBDA_NETWORK_LOGS", "RUNTIME_MONITORING")
UNUSED_ACCESS_AGE_DAYS = 90


def build_guardduty(baseline) -> None:
    baseline.guardduty = _fix(
        GuarddutyDetector(baseline, "guardduty", enable=True, finding_publishing_frequency="FIFTEEN_MINUTES"),
        "audit_guardduty",
    )
    for feature in GUARDDUTY_FEATURES:
        extra = (
            [GuarddutyDetectorFeatureAdditionalConfiguration(name="ECS_FARGATE_AGENT_MANAGEMENT", status="ENABLED")]
            if feature == "RUNTIME_MONITORING"
            else None
        )
        _fix(
            GuarddutyDetectorFeature(
                baseline,
                f"guardduty_{feature.lower()}",
                detector_id=baseline.guardduty.id,
                name=feature,
                status="ENABLED",
                additional_configuration=extra,
            ),
            f"audit_guardduty_{feature.lower()}",
        )


def build_macie(baseline) -> None:
    baseline.macie = _fix(
        Macie2Account(baseline, "macie", finding_publishing_frequency="FIFTEEN_MINUTES", status="ENABLED"),
        "audit_macie",
    )


def build_access_analyzer(baseline) -> None:
    s = baseline.settings
    scope = "ORGANIZATION" if s.organization_mode else "ACCOUNT"
    _fix(
        AccessanalyzerAnalyzer(
            baseline, "external_access", analyzer_name=f"{s.name_prefix}-external-access", type=scope
        ),
        "audit_external_access",
    )
    _fix(
        AccessanalyzerAnalyzer(
            baseline,
            "unused_access",
            analyzer_name=f"{s.name_prefix}-unused-access",
            type=f"{scope}_UNUSED_ACCESS",
            configuration=AccessanalyzerAnalyzerConfiguration(
                unused_access=AccessanalyzerAnalyzerConfigurationUnusedAccess(unused_access_age=UNUSED_ACCESS_AGE_DAYS)
            ),
        ),
        "audit_unused_access",
    )
