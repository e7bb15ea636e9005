"""CloudTrail: the multi-Region trail (management events, PII object events, invocations of the functions
that touch PII, insights) into the archive and its CloudWatch log group, with the role that delivers to
the group."""

from __future__ import annotations

from boi_model import meta
from cdktn_provider_aws.cloudtrail import (
    Cloudtrail,
    CloudtrailAdvancedEventSelector,
    CloudtrailAdvancedEventSelectorFieldSelector,
    CloudtrailInsightSelector,
)
from cdktn_provider_aws.cloudwatch_log_group import CloudwatchLogGroup
from cdktn_provider_aws.iam_role_policy import IamRolePolicy

from boi_audit import policies
from boi_audit.baseline.common import _fix, _json, note, reasons, service_role


def build_trail(baseline, logs_key) -> None:
    s = baseline.settings
    baseline.log_group = _fix(
        CloudwatchLogGroup(
            baseline,
            "trail_logs",
            name=f"/{s.name_prefix}/audit/cloudtrail",
            retention_in_days=s.log_retention_days,
            kms_key_id=logs_key.arn,
        ),
        "audit_trail_logs",
    )
    role = service_role(
        baseline,
        "trail_role",
        "audit_trail_to_logs",
        name=f"{s.name_prefix}-audit-trail-to-logs",
        service="cloudtrail.amazonaws.com",
        purpose="CloudTrail delivers the trail's events into its CloudWatch Logs group (the CIS metric filters "
        "and alarms read them there)",
        source_arn=baseline.trail_arn,
    )
    doc = policies.trail_to_logs_policy(baseline.log_group.arn)
    delivery = _fix(
        IamRolePolicy(baseline, "trail_role_policy", role=role.id, name="deliver-trail-events", policy=_json(doc)),
        "audit_trail_to_logs_policy",
    )
    note(delivery, meta.REASONS, reasons(doc, {"DeliverTrailEvents": "write trail events into the trail's log group"}))
    selectors = [
        CloudtrailAdvancedEventSelector(
            name="Management events",
            field_selector=[
                CloudtrailAdvancedEventSelectorFieldSelector(field="eventCategory", equal_to=["Management"])
            ],
        )
    ]
    if s.pii_bucket_arns:
        selectors.append(
            CloudtrailAdvancedEventSelector(
                name="PII bucket object events",
                field_selector=[
                    CloudtrailAdvancedEventSelectorFieldSelector(field="eventCategory", equal_to=["Data"]),
                    CloudtrailAdvancedEventSelectorFieldSelector(field="resources.type", equal_to=["AWS::S3::Object"]),
                    CloudtrailAdvancedEventSelectorFieldSelector(
                        field="resources.ARN", starts_with=[f"{arn}/" for arn in s.pii_bucket_arns]
                    ),
                ],
            )
        )
    if s.pii_function_arns:
        # Invocations of the functions that read or write PII: who ran them, when, from where.
        selectors.append(
            CloudtrailAdvancedEventSelector(
                name="PII function invocations",
                field_selector=[
                    CloudtrailAdvancedEventSelectorFieldSelector(field="eventCategory", equal_to=["Data"]),
                    CloudtrailAdvancedEventSelectorFieldSelector(
                        field="resources.type", equal_to=["AWS::Lambda::Function"]
                    ),
                    CloudtrailAdvancedEventSelectorFieldSelector(
                        field="resources.ARN", equal_to=list(s.pii_function_arns)
                    ),
                ],
            )
        )
    baseline.trail = _fix(
        Cloudtrail(
            baseline,
            "trail",
            name=baseline.trail_name,
            s3_bucket_name=baseline.archive_bucket.id,
            include_global_service_events=True,
            is_multi_region_trail=True,
            enable_log_file_validation=True,
            is_organization_trail=s.organization_mode,
            kms_key_id=logs_key.arn,
            cloud_watch_logs_group_arn=f"{baseline.log_group.arn}:*",
            cloud_watch_logs_role_arn=role.arn,
            advanced_event_selector=selectors,
            insight_selector=[
                CloudtrailInsightSelector(insight_type="ApiCallRateInsight"),
                CloudtrailInsightSelector(insight_type="ApiErrorRateInsight"),
            ],
            depends_on=[d for d in (baseline.archive_policy,) if d is not None],
            lifecycle=baseline._lifecycle,
        ),
        "audit_trail",
    )
