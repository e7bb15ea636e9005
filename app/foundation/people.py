"""What people's roles may do, as grants. Assets of the platform stack are named by literal ARN."""

from __future__ import annotations

from boi_iam.grants import Grant

from app.core import names
from app.core.assets import asset, key_asset
from app.services import ALL as SERVICES
from app.settings import Settings


def grant_people(s: Settings, humans: dict, keys) -> None:
    region, acct = s.region, s.account_id
    documents = asset(s, "s3_bucket", "documents bucket", f"arn:aws:s3:::{names.documents_bucket(s)}", sensitive=True)
    documents_key = key_asset(s, keys.key("documents"))
    queues = [
        asset(s, "sqs_queue", f"{q} queue", f"arn:aws:sqs:{region}:{acct}:{q}")
        for service in SERVICES
        for spec in service.queues
        for q in (names.queue(s, spec.name), names.dlq(s, spec.name))
    ]
    platform_logs = asset(
        s, "log_group", "platform log groups", f"arn:aws:logs:{region}:{acct}:log-group:{names.log_group_prefix(s)}/*"
    )
    account = asset(s, "account", "account", "*")
    alarms = asset(s, "alarms", "platform alarms", f"arn:aws:cloudwatch:{region}:{acct}:alarm:{s.prefix}-*")
    hub = asset(s, "security_hub", "Security Hub", f"arn:aws:securityhub:{region}:{acct}:hub/default")
    cluster = asset(s, "ecs_cluster", "services cluster", f"arn:aws:ecs:{region}:{acct}:cluster/{names.ecs_cluster(s)}")

    def give(role: str, target, operation: str, reason: str, **kw) -> None:
        humans[role].grant(Grant(humans[role].principal, target, operation, reason, **kw))

    for role in ("security-admin", "security-auditor", "compliance-officer"):
        give(role, account, "compliance_read", "follow the compliance status of the Config rules")
        give(role, hub, "read_findings", "review Security Hub findings")
    give("security-auditor", platform_logs, "read", "read application, flow and API logs as audit evidence")
    archive = asset(s, "s3_bucket", "audit archive", f"arn:aws:s3:::{names.audit_archive_bucket(s)}")
    give("security-auditor", archive, "read", "read CloudTrail and Config records in the archive")
    logs_key = key_asset(s, keys.key("logs"))
    give(
        "security-auditor",
        logs_key,
        "decrypt",
        "S3 decrypts archived trail and Config records for the auditor",
        via="s3",
    )
    trail_logs = asset(
        s, "log_group", "trail log group", f"arn:aws:logs:{region}:{acct}:log-group:{names.audit_trail_log_group(s)}"
    )
    give(
        "security-auditor", trail_logs, "read", "search the trail's events in CloudWatch Logs", sid="ReadTrailLogGroup"
    )
    if not s.skips("athena"):
        _investigations(s, give, archive, logs_key)
    give("compliance-officer", documents, "read", "download filing receipts and transcripts", prefix="reports/")
    give(
        "compliance-officer",
        documents_key,
        "decrypt",
        "decrypt filing receipts through S3 (the boundary still denies raw uploads)",
        via="s3",
    )
    for queue in queues:
        give(
            "compliance-officer",
            queue,
            "inspect",
            "see how many filings wait or failed",
            sid=f"Inspect{queue.name.split()[0].removeprefix(s.prefix).title().replace('-', '')}",
        )
    give("support-engineer", account, "metrics_read", "read service metrics")
    give("support-engineer", alarms, "read", "see the state of the platform's alarms")
    give("support-engineer", cluster, "inspect", "see task and service state")
    give("support-engineer", platform_logs, "read", "read application logs, which carry no PII by design")


def _investigations(s: Settings, give, archive, logs_key) -> None:
    """The auditor runs the audit's saved Athena queries over the archived trail: Athena plans with the
    Glue table and reads the archive with the auditor's own permissions, and writes the results, encrypted
    with the logs key, into the results bucket the workgroup names."""
    region, acct = s.region, s.account_id
    workgroup = asset(
        s,
        "athena_workgroup",
        "investigations workgroup",
        f"arn:aws:athena:{region}:{acct}:workgroup/" + names.athena_workgroup(s),
    )
    catalog = asset(
        s, "glue_database", "audit catalog", f"arn:aws:glue:{region}:{acct}:database/{names.audit_glue_database(s)}"
    )
    results = asset(
        s,
        "s3_bucket",
        "investigation results",
        f"arn:aws:s3:::{names.athena_results_bucket(s)}",
        key_arn=logs_key.arn,
    )
    give("security-auditor", workgroup, "query", "run and read the saved investigation queries")
    give("security-auditor", catalog, "read", "Athena reads the trail table's definition with the caller's rights")
    give("security-auditor", archive, "list", "Athena lists the trail files it scans", prefix="AWSLogs/")
    give("security-auditor", archive, "locate", "Athena finds the archive's Region", sid="LocateAuditArchive")
    give("security-auditor", results, "put", "Athena writes query results", prefix="results/")
    give("security-auditor", results, "read", "read query results", prefix="results/")
    give("security-auditor", results, "list", "Athena lists query results", prefix="results/")
    give("security-auditor", results, "locate", "Athena finds the results bucket's Region", sid="LocateResults")
    give("security-auditor", results, "multipart", "Athena aborts a failed result upload", prefix="results/")
    give(
        "security-auditor",
        logs_key,
        "encrypt",
        "S3 encrypts query results with the logs key for the auditor",
        via="s3",
    )
