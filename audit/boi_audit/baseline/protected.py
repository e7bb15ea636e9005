"""What the baseline records, keeps and pages with, by literal ARN: the assets the app protects."""

from __future__ import annotations

from boi_audit.settings import AuditSettings


def protected_resources(settings: AuditSettings) -> list[dict]:
    """What the baseline records, keeps and pages with, by literal ARN (usable from any stack):
    [{"name": ..., "parts": [(IAM resource type, ARN or pattern), ...], "writers": [...]}] (writers: the
    roles that deliver into it). Whoever may change one of
    these can blind the audit, so the app denies their control actions to everyone but its custodians."""
    s = settings
    base = f"{s.region}:{s.account_id}"
    p, part = s.partition, s.name_prefix
    archive, access = f"{part}-audit-archive-{s.account_id}", f"{part}-audit-access-{s.account_id}"
    group = f"/{part}/audit/cloudtrail"
    out = [
        {"name": "audit trail", "parts": [("cloudtrail:trail", f"arn:{p}:cloudtrail:{base}:trail/{part}-audit-trail")]},
        {
            "name": "audit archive bucket",
            "parts": [("s3:bucket", f"arn:{p}:s3:::{archive}"), ("s3:object", f"arn:{p}:s3:::{archive}/*")],
        },
        {
            "name": "audit access-log bucket",
            "parts": [("s3:bucket", f"arn:{p}:s3:::{access}"), ("s3:object", f"arn:{p}:s3:::{access}/*")],
        },
        {
            "name": "trail log group and its metric filters",
            "writers": [f"arn:{p}:iam::{s.account_id}:role/{part}-audit-trail-to-logs"],
            "parts": [
                ("logs:log-group", f"arn:{p}:logs:{base}:log-group:{group}"),
                ("logs:log-group", f"arn:{p}:logs:{base}:log-group:{group}:*"),
                ("logs:log-stream", f"arn:{p}:logs:{base}:log-group:{group}:log-stream:*"),
            ],
        },
        {
            "name": "CIS alarms",
            "parts": [
                ("cloudwatch:alarm", f"arn:{p}:cloudwatch:{base}:alarm:{part}-{f.metric_name}")
                for f in s.catalog.cis_filters
            ],
        },
        {"name": "security alert topic", "parts": [("sns:topic", f"arn:{p}:sns:{base}:{part}-security-alerts")]},
        {
            "name": "paging rules",
            "parts": [
                ("events:rule-on-default-event-bus", f"arn:{p}:events:{base}:rule/{part}-{rule.name}")
                for rule in s.catalog.event_rules
            ],
        },
        {
            "name": "Config recorder, delivery channel and rules",
            "parts": [
                ("config:ConfigurationRecorder", f"arn:{p}:config:{base}:configuration-recorder/*"),
                ("config:ConfigRule", f"arn:{p}:config:{base}:config-rule/*"),
            ],
        },
    ]
    if s.creates("guardduty"):
        out.append(
            {
                "name": "GuardDuty detector",
                "parts": [
                    ("guardduty:detector", f"arn:{p}:guardduty:{base}:detector/*"),
                    ("guardduty:filter", f"arn:{p}:guardduty:{base}:detector/*/filter/*"),
                ],
            }
        )
    if s.creates("securityhub"):
        out.append({"name": "Security Hub", "parts": [("securityhub:hub", f"arn:{p}:securityhub:{base}:hub/default")]})
    if s.creates("accessanalyzer"):
        out.append(
            {
                "name": "Access Analyzer",
                "parts": [("access-analyzer:Analyzer", f"arn:{p}:access-analyzer:{base}:analyzer/{part}-*")],
            }
        )
    return out
