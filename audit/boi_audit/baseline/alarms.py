"""Alerting: the encrypted security alert topic, the CIS metric filters and alarms, and the paging
event rules."""

from __future__ import annotations

import json

from cdktn_provider_aws.cloudwatch_event_rule import CloudwatchEventRule
from cdktn_provider_aws.cloudwatch_event_target import CloudwatchEventTarget
from cdktn_provider_aws.cloudwatch_log_metric_filter import (
    CloudwatchLogMetricFilter,
    CloudwatchLogMetricFilterMetricTransformation,
)
from cdktn_provider_aws.cloudwatch_metric_alarm import CloudwatchMetricAlarm
from cdktn_provider_aws.sns_topic import SnsTopic
from cdktn_provider_aws.sns_topic_policy import SnsTopicPolicy
from cdktn_provider_aws.sns_topic_subscription import SnsTopicSubscription

from boi_audit import policies
from boi_audit.baseline.common import _fix, _json


def build_alerting(baseline, alerts_key, break_glass_role_arn: str | None) -> None:
    s = baseline.settings
    baseline.alert_topic = _fix(
        SnsTopic(baseline, "alerts", name=f"{s.name_prefix}-security-alerts", kms_master_key_id=alerts_key.arn),
        "audit_alerts",
    )
    _fix(
        SnsTopicPolicy(
            baseline,
            "alerts_policy",
            arn=baseline.alert_topic.arn,
            policy=_json(policies.alert_topic_policy(topic_arn=baseline.alert_topic.arn, account_id=s.account_id)),
        ),
        "audit_alerts_policy",
    )
    for i, email in enumerate(s.alert_emails):
        _fix(
            SnsTopicSubscription(
                baseline, f"alert_email_{i}", topic_arn=baseline.alert_topic.arn, protocol="email", endpoint=email
            ),
            f"audit_alert_email_{i}",
        )
    alarm = s.catalog.alarm
    baseline.alarms: dict[str, CloudwatchMetricAlarm] = {}
    for f in s.catalog.cis_filters:
        key = f"cis_{f.id.replace('.', '_')}"
        _fix(
            CloudwatchLogMetricFilter(
                baseline,
                f"{key}_filter",
                name=f.metric_name,
                log_group_name=baseline.log_group.name,
                pattern=f.pattern,
                metric_transformation=CloudwatchLogMetricFilterMetricTransformation(
                    name=f.metric_name, namespace=alarm["namespace"], value="1"
                ),
            ),
            f"audit_{key}_filter",
        )
        baseline.alarms[f.id] = _fix(
            CloudwatchMetricAlarm(
                baseline,
                f"{key}_alarm",
                alarm_name=f"{s.name_prefix}-{f.metric_name}",
                alarm_description=f"CIS {f.id}: {f.watches}",
                metric_name=f.metric_name,
                namespace=alarm["namespace"],
                statistic=alarm["statistic"],
                period=alarm["period_seconds"],
                evaluation_periods=alarm["evaluation_periods"],
                threshold=alarm["threshold"],
                comparison_operator=alarm["comparison_operator"],
                treat_missing_data="notBreaching",
                alarm_actions=[baseline.alert_topic.arn],
            ),
            f"audit_{key}_alarm",
        )
    baseline.event_rules: dict[str, CloudwatchEventRule] = {}
    for rule in s.catalog.event_rules:
        pattern = rule.pattern
        if rule.requires == "break_glass_role_arn":
            if not break_glass_role_arn:
                continue
            pattern = json.loads(json.dumps(pattern).replace("BREAK_GLASS_ROLE_ARN", break_glass_role_arn))
        key = rule.name.replace("-", "_")
        baseline.event_rules[rule.name] = _fix(
            CloudwatchEventRule(
                baseline,
                f"page_{key}",
                name=f"{s.name_prefix}-{rule.name}",
                description=rule.why,
                event_pattern=_json(pattern),
            ),
            f"audit_page_{key}",
        )
        _fix(
            CloudwatchEventTarget(
                baseline,
                f"page_{key}_target",
                rule=baseline.event_rules[rule.name].name,
                target_id="alert-topic",
                arn=baseline.alert_topic.arn,
            ),
            f"audit_page_{key}_target",
        )
