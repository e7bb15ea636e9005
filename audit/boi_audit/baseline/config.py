"""AWS Config: recorder, delivery channel, managed and Guard rules, and the organization aggregator.

The recorder and its delivery channel exist in every Region the baseline covers (`build_regional_recorder`,
through the caller's provider for that Region): resources created in a Region without a recorder leave no
configuration history. Global resources (IAM) are recorded in the home Region only. The rules run in the home
Region; in the others the Security Hub standards evaluate the recorded resources with their own rules.
"""

from __future__ import annotations

from boi_model import meta
from cdktn_provider_aws.config_config_rule import (
    ConfigConfigRule,
    ConfigConfigRuleScope,
    ConfigConfigRuleSource,
    ConfigConfigRuleSourceCustomPolicyDetails,
    ConfigConfigRuleSourceSourceDetail,
)
from cdktn_provider_aws.config_configuration_aggregator import (
    ConfigConfigurationAggregator,
    ConfigConfigurationAggregatorOrganizationAggregationSource,
)
from cdktn_provider_aws.config_configuration_recorder import (
    ConfigConfigurationRecorder,
    ConfigConfigurationRecorderRecordingGroup,
)
from cdktn_provider_aws.config_configuration_recorder_status import ConfigConfigurationRecorderStatus
from cdktn_provider_aws.config_delivery_channel import ConfigDeliveryChannel
from cdktn_provider_aws.iam_role_policy import IamRolePolicy
from cdktn_provider_aws.iam_role_policy_attachment import IamRolePolicyAttachment

from boi_audit import policies
from boi_audit.baseline.common import _fix, _json, note, reasons, service_role

DELIVERY_REASONS = {
    "CheckBucket": "AWS Config checks the archive bucket before it delivers",
    "WriteSnapshots": "deliver configuration snapshots and history under the config/ prefix of the archive",
    "EncryptSnapshots": "encrypt what it delivers with the logs key (the archive's default key)",
}


def build_config(baseline, logs_key) -> None:
    s = baseline.settings
    role = service_role(
        baseline,
        "config_role",
        "audit_config",
        name=f"{s.name_prefix}-audit-config",
        service="config.amazonaws.com",
        purpose="The AWS Config recorder of every covered Region reads resource configuration and delivers its "
        "history to the archive",
    )
    baseline.config_role = role
    managed = _fix(
        IamRolePolicyAttachment(
            baseline,
            "config_role_managed",
            role=role.name,
            policy_arn=f"arn:{s.partition}:iam::aws:policy/service-role/AWS_ConfigRole",
        ),
        "audit_config_managed",
    )
    note(managed, meta.REASON, "AWS-maintained: read the configuration of every resource type Config records")
    doc = policies.config_delivery_policy(
        bucket_arn=baseline.archive_bucket.arn, account_id=s.account_id, key_arn=logs_key.arn
    )
    delivery = _fix(
        IamRolePolicy(baseline, "config_role_policy", role=role.id, name="deliver-to-archive", policy=_json(doc)),
        "audit_config_delivery_policy",
    )
    note(delivery, meta.REASONS, reasons(doc, DELIVERY_REASONS))
    baseline.recorder = _fix(
        ConfigConfigurationRecorder(
            baseline,
            "recorder",
            name=f"{s.name_prefix}-recorder",
            role_arn=role.arn,
            recording_group=ConfigConfigurationRecorderRecordingGroup(
                all_supported=True, include_global_resource_types=True
            ),
        ),
        "audit_recorder",
    )
    channel = _fix(
        ConfigDeliveryChannel(
            baseline,
            "delivery",
            name=f"{s.name_prefix}-delivery",
            s3_bucket_name=baseline.archive_bucket.id,
            s3_key_prefix="config",
            s3_kms_key_arn=logs_key.arn,
            depends_on=[d for d in (baseline.recorder, baseline.archive_policy) if d is not None],
        ),
        "audit_delivery",
    )
    _fix(
        ConfigConfigurationRecorderStatus(
            baseline, "recorder_status", name=baseline.recorder.name, is_enabled=True, depends_on=[channel]
        ),
        "audit_recorder_status",
    )
    baseline.config_rules: dict[str, ConfigConfigRule] = {}
    for rule_id in s.config_rule_ids:
        rule = s.catalog.rule(rule_id)
        params = s.rule_parameters(rule_id)
        scope = (
            ConfigConfigRuleScope(tag_key=rule.scope_tag["key"], tag_value=rule.scope_tag["value"])
            if rule.scope_tag
            else None
        )
        baseline.config_rules[rule_id] = _fix(
            ConfigConfigRule(
                baseline,
                f"rule_{rule.name}",
                name=f"{s.name_prefix}-{rule.name}",
                description=rule.why,
                input_parameters=_json(params) if params else None,
                scope=scope,
                source=ConfigConfigRuleSource(owner="AWS", source_identifier=rule.identifier),
                depends_on=[baseline.recorder],
            ),
            f"audit_rule_{rule.name.replace('-', '_')}",
        )
    if s.creates("guard_rules"):
        for guard in s.catalog.guard_rules:
            text = baseline._guard_texts.get(guard.name)
            if text is None:
                continue
            baseline.config_rules[guard.name] = _fix(
                ConfigConfigRule(
                    baseline,
                    f"guard_{guard.name}",
                    name=f"{s.name_prefix}-{guard.name}",
                    description=guard.why,
                    scope=ConfigConfigRuleScope(compliance_resource_types=[guard.resource_type]),
                    source=ConfigConfigRuleSource(
                        owner="CUSTOM_POLICY",
                        source_detail=[
                            ConfigConfigRuleSourceSourceDetail(message_type="ConfigurationItemChangeNotification")
                        ],
                        custom_policy_details=ConfigConfigRuleSourceCustomPolicyDetails(
                            policy_runtime="guard-2.x.x", policy_text=text
                        ),
                    ),
                    depends_on=[baseline.recorder],
                ),
                f"audit_guard_{guard.name.replace('-', '_')}",
            )
    if s.organization_mode:
        agg_role = service_role(
            baseline,
            "aggregator_role",
            "audit_config_aggregator",
            service="config.amazonaws.com",
            name=f"{s.name_prefix}-audit-config-aggregator",
            purpose="The organization aggregator of AWS Config reads every member account's configuration and "
            "compliance in every Region",
        )
        agg_managed = _fix(
            IamRolePolicyAttachment(
                baseline,
                "aggregator_managed",
                role=agg_role.name,
                policy_arn=f"arn:{s.partition}:iam::aws:policy/service-role/AWSConfigRoleForOrganizations",
            ),
            "audit_config_aggregator_managed",
        )
        note(agg_managed, meta.REASON, "AWS-maintained: list the organization's accounts for the aggregator")
        _fix(
            ConfigConfigurationAggregator(
                baseline,
                "aggregator",
                name=f"{s.name_prefix}-organization",
                organization_aggregation_source=ConfigConfigurationAggregatorOrganizationAggregationSource(
                    all_regions=True, role_arn=agg_role.arn
                ),
            ),
            "audit_org_aggregator",
        )


def build_regional_recorder(baseline, logs_key, region: str, provider) -> None:
    """The recorder, its delivery channel into the home archive and its status in one other Region."""
    s = baseline.settings
    sfx = "_" + region.replace("-", "_")
    recorder = _fix(
        ConfigConfigurationRecorder(
            baseline,
            f"recorder{sfx}",
            provider=provider,
            name=f"{s.name_prefix}-recorder",
            role_arn=baseline.config_role.arn,
            # Global resources (IAM) are recorded once, in the home Region.
            recording_group=ConfigConfigurationRecorderRecordingGroup(
                all_supported=True, include_global_resource_types=False
            ),
        ),
        f"audit_recorder{sfx}",
    )
    channel = _fix(
        ConfigDeliveryChannel(
            baseline,
            f"delivery{sfx}",
            provider=provider,
            name=f"{s.name_prefix}-delivery",
            s3_bucket_name=baseline.archive_bucket.id,
            s3_key_prefix="config",
            s3_kms_key_arn=logs_key.arn,
            depends_on=[recorder, baseline.archive_policy],
        ),
        f"audit_delivery{sfx}",
    )
    _fix(
        ConfigConfigurationRecorderStatus(
            baseline,
            f"recorder_status{sfx}",
            provider=provider,
            name=recorder.name,
            is_enabled=True,
            depends_on=[channel],
        ),
        f"audit_recorder_status{sfx}",
    )
