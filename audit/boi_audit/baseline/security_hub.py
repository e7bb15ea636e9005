"""Security Hub: the account, the standards subscribed and the controls disabled with a reason."""

from __future__ import annotations

from cdktn_provider_aws.securityhub_account import SecurityhubAccount
from cdktn_provider_aws.securityhub_standards_control_association import (
    SecurityhubStandardsControlAssociation,
)
from cdktn_provider_aws.securityhub_standards_subscription import SecurityhubStandardsSubscription

from boi_audit.baseline.common import _fix


def build_security_hub(baseline) -> None:
    s = baseline.settings
    baseline.security_hub = _fix(
        SecurityhubAccount(
            baseline,
            "securityhub",
            enable_default_standards=False,
            control_finding_generator="SECURITY_CONTROL",
            auto_enable_controls=True,
        ),
        "audit_securityhub",
    )
    for sid in s.standards:
        std = s.catalog.standard(sid)
        key = sid.replace("-", "_")
        sub = _fix(
            SecurityhubStandardsSubscription(
                baseline,
                f"standard_{key}",
                standards_arn=std.arn(s.partition, s.region),
                depends_on=[baseline.security_hub],
            ),
            f"audit_standard_{key}",
        )
        for control in std.disabled_controls:
            ckey = control.control_id.replace(".", "_").lower()
            _fix(
                SecurityhubStandardsControlAssociation(
                    baseline,
                    f"disable_{key}_{ckey}",
                    standards_arn=std.arn(s.partition, s.region),
                    security_control_id=control.control_id,
                    association_status="DISABLED",
                    updated_reason=control.reason,
                    depends_on=[sub],
                ),
                f"audit_disable_{key}_{ckey}",
            )
