"""Security Hub: the account, the standards subscribed and the controls disabled with a reason, in every
Region the baseline covers; the home Region aggregates the findings of the others, and in organization
mode each Region enables Security Hub for every member account."""

from __future__ import annotations

from cdktn_provider_aws.securityhub_account import SecurityhubAccount
from cdktn_provider_aws.securityhub_finding_aggregator import SecurityhubFindingAggregator
from cdktn_provider_aws.securityhub_organization_configuration import SecurityhubOrganizationConfiguration
from cdktn_provider_aws.securityhub_standards_control_association import (
    SecurityhubStandardsControlAssociation,
)
from cdktn_provider_aws.securityhub_standards_subscription import SecurityhubStandardsSubscription

from boi_audit.baseline.common import _fix
from boi_audit.baseline.detectors import suffix


def build_security_hub(baseline, region: str | None = None, provider=None) -> None:
    s = baseline.settings
    region = region or s.region
    sfx = suffix(baseline, region)
    hub = _fix(
        SecurityhubAccount(
            baseline,
            f"securityhub{sfx}",
            provider=provider,
            enable_default_standards=False,
            control_finding_generator="SECURITY_CONTROL",
            auto_enable_controls=True,
        ),
        f"audit_securityhub{sfx}",
    )
    baseline.hubs[region] = hub
    if not sfx:
        baseline.security_hub = hub
    for sid in s.standards:
        std = s.catalog.standard(sid)
        key = sid.replace("-", "_")
        sub = _fix(
            SecurityhubStandardsSubscription(
                baseline,
                f"standard_{key}{sfx}",
                provider=provider,
                standards_arn=std.arn(s.partition, region),
                depends_on=[hub],
            ),
            f"audit_standard_{key}{sfx}",
        )
        for control in std.disabled_controls:
            ckey = control.control_id.replace(".", "_").lower()
            _fix(
                SecurityhubStandardsControlAssociation(
                    baseline,
                    f"disable_{key}_{ckey}{sfx}",
                    provider=provider,
                    standards_arn=std.arn(s.partition, region),
                    security_control_id=control.control_id,
                    association_status="DISABLED",
                    updated_reason=control.reason,
                    depends_on=[sub],
                ),
                f"audit_disable_{key}_{ckey}{sfx}",
            )
    if s.organization_mode:
        # New member accounts get Security Hub and the default standards in this Region.
        _fix(
            SecurityhubOrganizationConfiguration(
                baseline,
                f"securityhub_organization{sfx}",
                provider=provider,
                auto_enable=True,
                auto_enable_standards="DEFAULT",
                depends_on=[hub],
            ),
            f"audit_securityhub_organization{sfx}",
        )


def build_finding_aggregator(baseline) -> None:
    """The home Region shows the findings of every other covered Region (one place to triage)."""
    s = baseline.settings
    if not s.other_regions:
        return
    _fix(
        SecurityhubFindingAggregator(
            baseline,
            "securityhub_aggregator",
            linking_mode="SPECIFIED_REGIONS",
            specified_regions=list(s.other_regions),
            depends_on=list(baseline.hubs.values()),
        ),
        "audit_securityhub_aggregator",
    )
