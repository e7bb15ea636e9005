"""What the baseline records, keeps and pages with, by literal ARN: the assets the app protects."""

from __future__ import annotations

from boi_audit.settings import AuditSettings


def protected_resources(settings: AuditSettings) -> list[dict]:
    """What the baseline records, keeps and pages with, by literal ARN (usable from any stack):
    [{"name": ..., "parts": [(IAM resource type, ARN or pattern), ...], "writers": [...]}] (writers: the
    roles that deliver into it; "investigators_write": the app's investigators write there too). Parts that
    exist per Region are listed for every covered Region. Whoever may change one of
    these can blind the audit, so the app denies their control actions to everyone but its custodians."""
    s = settings
    base = f"{s.region}:{s.account_id}"
    p, part = s.partition, s.name_prefix
    archive, access = s.archive_bucket_name, s.access_log_bucket_name
    group = f"/{part}/audit/cloudtrail"
    # What exists in every covered Region (the home Region first).
    everywhere = [f"{region}:{s.account_id}" for region in s.regions]
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
                for f in [*s.catalog.cis_filters, *s.catalog.audit_filters]
            ],
        },
        {"name": "security alert topic", "parts": [("sns:topic", f"arn:{p}:sns:{base}:{part}-security-alerts")]},
        {
            "name": "paging rules",
            "parts": [
                ("events:rule-on-default-event-bus", f"arn:{p}:events:{where}:rule/{part}-{rule.name}")
                for where in everywhere
                for rule in s.catalog.event_rules
            ],
        },
        {
            "name": "Config recorder, delivery channel and rules",
            "parts": [
                *(
                    ("config:ConfigurationRecorder", f"arn:{p}:config:{where}:configuration-recorder/*")
                    for where in everywhere
                ),
                ("config:ConfigRule", f"arn:{p}:config:{base}:config-rule/*"),
            ],
        },
    ]
    if s.creates("athena"):
        results = s.athena_results_bucket_name
        out.append(
            {
                "name": "audit investigation results",
                "investigators_write": True,  # whoever investigates writes query results here
                "parts": [("s3:bucket", f"arn:{p}:s3:::{results}"), ("s3:object", f"arn:{p}:s3:::{results}/*")],
            }
        )
    if s.creates("guardduty"):
        out.append(
            {
                "name": "GuardDuty detector",
                "parts": [
                    part
                    for where in everywhere
                    for part in (
                        ("guardduty:detector", f"arn:{p}:guardduty:{where}:detector/*"),
                        ("guardduty:filter", f"arn:{p}:guardduty:{where}:detector/*/filter/*"),
                    )
                ],
            }
        )
    if s.creates("securityhub"):
        out.append(
            {
                "name": "Security Hub",
                "parts": [("securityhub:hub", f"arn:{p}:securityhub:{where}:hub/default") for where in everywhere],
            }
        )
    if s.creates("accessanalyzer"):
        out.append(
            {
                "name": "Access Analyzer",
                "parts": [
                    ("access-analyzer:Analyzer", f"arn:{p}:access-analyzer:{where}:analyzer/{part}-*")
                    for where in everywhere
                ],
            }
        )
    return out
