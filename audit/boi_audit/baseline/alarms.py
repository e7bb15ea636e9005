"""Alerting: the encrypted security alert topic, the CIS metric filters and alarms, the audit's own
alarms (changes to the archive buckets), and the paging event rules.

The metric filters read the trail's log group, which receives the events of every Region (multi-Region
trail), so the alarms live in the home Region only. EventBridge sees only the events recorded in its own
Region: each other covered Region gets the same paging rules, forwarding what they match to the home
Region's default bus (a role that may only put events there), where the home rules page the topic.
"""

from __future__ import annotations

import json

from boi_model import meta
from cdktn_provider_aws.cloudwatch_event_rule import CloudwatchEventRule
from cdktn_provider_aws.cloudwatch_event_target import CloudwatchEventTarget
from cdktn_provider_aws.cloudwatch_log_metric_filter import (
    CloudwatchLogMetricFilter,
    CloudwatchLogMetricFilterMetricTransformation,
)
from cdktn_provider_aws.cloudwatch_metric_alarm import CloudwatchMetricAlarm
from cdktn_provider_aws.iam_role_policy import IamRolePolicy
from cdktn_provider_aws.sns_topic import SnsTopic
from cdktn_provider_aws.sns_topic_policy import SnsTopicPolicy
from cdktn_provider_aws.sns_topic_subscription import SnsTopicSubscription

from boi_audit import policies
from boi_audit.baseline.common import _fix, _json, note, reasons, service_role
from boi_audit.baseline.detectors import suffix

# Replaced in a paging rule's pattern by the constructor inputs (see event_rules.yaml).
BREAK_GLASS = "BREAK_GLASS_ROLE_ARN"
# Replaced in an audit filter's pattern by one `$.requestParameters.bucketName` test per audit bucket.
AUDIT_BUCKETS = "AUDIT_BUCKETS"


def event_patterns(settings, break_glass_role_arn: str | None) -> dict[str, dict]:
    """Paging rule name -> its EventBridge pattern with the inputs filled in (rules whose input is
    missing are left out)."""
    patterns = {}
    for rule in settings.catalog.event_rules:
        pattern = rule.pattern
        if rule.requires == "break_glass_role_arn":
            if not break_glass_role_arn:
                continue
            pattern = json.loads(json.dumps(pattern).replace(BREAK_GLASS, break_glass_role_arn))
        patterns[rule.name] = pattern
    return patterns


def audit_filter_pattern(pattern: str, bucket_names: list[str]) -> str:
    tests = " || ".join(f'($.requestParameters.bucketName = "{name}")' for name in bucket_names)
    return pattern.replace(AUDIT_BUCKETS, tests)


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
    for f in s.catalog.audit_filters:
        key = f"audit_{f.name.replace('-', '_')}"
        _fix(
            CloudwatchLogMetricFilter(
                baseline,
                f"{key}_filter",
                name=f.metric_name,
                log_group_name=baseline.log_group.name,
                pattern=audit_filter_pattern(f.pattern, s.audit_bucket_names),
                metric_transformation=CloudwatchLogMetricFilterMetricTransformation(
                    name=f.metric_name, namespace=alarm["namespace"], value="1"
                ),
            ),
            f"{key}_filter",
        )
        baseline.alarms[f.metric_name] = _fix(
            CloudwatchMetricAlarm(
                baseline,
                f"{key}_alarm",
                alarm_name=f"{s.name_prefix}-{f.metric_name}",
                alarm_description=f"Audit: {f.watches}",
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
            f"{key}_alarm",
        )
    baseline.event_rules: dict[str, CloudwatchEventRule] = {}
    patterns = event_patterns(s, break_glass_role_arn)
    for name, pattern in patterns.items():
        rule = s.catalog.event_rule(name)
        key = name.replace("-", "_")
        baseline.event_rules[name] = _fix(
            CloudwatchEventRule(
                baseline,
                f"page_{key}",
                name=f"{s.name_prefix}-{name}",
                description=rule.why,
                event_pattern=_json(pattern),
            ),
            f"audit_page_{key}",
        )
        _fix(
            CloudwatchEventTarget(
                baseline,
                f"page_{key}_target",
                rule=baseline.event_rules[name].name,
                target_id="alert-topic",
                arn=baseline.alert_topic.arn,
            ),
            f"audit_page_{key}_target",
        )


def home_bus_arn(settings) -> str:
    s = settings
    return f"arn:{s.partition}:events:{s.region}:{s.account_id}:event-bus/default"


def build_forwarder(baseline) -> None:
    """The role EventBridge uses in the other Regions to put matched events on the home default bus."""
    s = baseline.settings
    role = service_role(
        baseline,
        "page_forwarder_role",
        "audit_page_forwarder",
        name=f"{s.name_prefix}-audit-page-forwarder",
        service="events.amazonaws.com",
        purpose="EventBridge forwards what the paging rules of the other allowed Regions match to the home "
        "Region's default bus, where the paging rules publish to the alert topic",
        source_arn=f"arn:{s.partition}:events:*:{s.account_id}:rule/{s.name_prefix}-*",
    )
    doc = policies.forward_to_bus_policy(home_bus_arn(s))
    policy = _fix(
        IamRolePolicy(baseline, "page_forwarder_policy", role=role.id, name="forward-to-home-bus", policy=_json(doc)),
        "audit_page_forwarder_policy",
    )
    note(
        policy,
        meta.REASONS,
        reasons(doc, {"ForwardToHomeBus": "put the matched events on the home Region's default bus, nowhere else"}),
    )
    baseline.forwarder_role = role


def build_regional_paging(baseline, break_glass_role_arn: str | None, region: str, provider) -> None:
    """The paging rules in one other Region, each forwarding to the home Region's default bus."""
    s = baseline.settings
    sfx = suffix(baseline, region)
    for name, pattern in event_patterns(s, break_glass_role_arn).items():
        rule = s.catalog.event_rule(name)
        key = name.replace("-", "_")
        regional = _fix(
            CloudwatchEventRule(
                baseline,
                f"page_{key}{sfx}",
                provider=provider,
                name=f"{s.name_prefix}-{name}",
                description=f"{rule.why} (in {region}, forwarded to {s.region})",
                event_pattern=_json(pattern),
            ),
            f"audit_page_{key}{sfx}",
        )
        baseline.regional_rules.setdefault(region, {})[name] = regional
        _fix(
            CloudwatchEventTarget(
                baseline,
                f"page_{key}{sfx}_target",
                provider=provider,
                rule=regional.name,
                target_id="home-bus",
                arn=home_bus_arn(s),
                role_arn=baseline.forwarder_role.arn,
            ),
            f"audit_page_{key}{sfx}_target",
        )
