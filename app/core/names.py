"""Deterministic names of things more than one stack refers to.

Literal names (not Terraform references) keep the foundation stack free of references to the
platform stack, so the two apply in order without a cycle.
"""

from app.settings import Settings


def documents_bucket(s: Settings) -> str:
    return f"{s.prefix}-documents-{s.account_id}"


def audit_archive_bucket(s: Settings) -> str:
    # Named by boi-audit's AuditBaseline; repeated here so the foundation's boundaries can name it.
    return f"{s.prefix}-audit-archive-{s.account_id}"


def role_arn(s: Settings, role_name: str) -> str:
    return f"arn:aws:iam::{s.account_id}:role/{role_name}"


def policy_arn(s: Settings, policy_name: str) -> str:
    return f"arn:aws:iam::{s.account_id}:policy/{policy_name}"


def workload_boundary(s: Settings) -> str:
    return f"{s.prefix}-workload-boundary"


def human_boundary(s: Settings) -> str:
    return f"{s.prefix}-human-boundary"


def operational_boundary(s: Settings) -> str:
    return f"{s.prefix}-operational-boundary"


HUMAN_ROLES = (
    "platform-admin",
    "security-admin",
    "security-auditor",
    "compliance-officer",
    "support-engineer",
    "break-glass",
)


def human_role(s: Settings, role: str) -> str:
    assert role in HUMAN_ROLES, role
    return f"{s.prefix}-{role}"


def queue(s: Settings, name: str) -> str:
    return f"{s.prefix}-{name}"


def dlq(s: Settings, name: str) -> str:
    return f"{s.prefix}-{name}-dlq"


def log_group_prefix(s: Settings) -> str:
    return f"/boi/{s.environment}"


def ecs_cluster(s: Settings) -> str:
    return f"{s.prefix}-services"


# ---- privileged roles and boundaries (the trusted base and the deployers)


def platform_role_path(s: Settings) -> str:
    """Workload and AWS-service roles live under this IAM path; the platform deployer may manage only these."""
    return f"/{s.prefix}-platform/"


def platform_role_arn(s: Settings, role_name: str) -> str:
    return f"arn:aws:iam::{s.account_id}:role{platform_role_path(s)}{role_name}"


def platform_roles_pattern(s: Settings) -> str:
    return f"arn:aws:iam::{s.account_id}:role{platform_role_path(s)}*"


def foundation_deployer(s: Settings) -> str:
    return f"{s.prefix}-foundation-deploy"


def platform_deployer(s: Settings) -> str:
    return f"{s.prefix}-platform-deploy"


def break_glass_boundary(s: Settings) -> str:
    return f"{s.prefix}-break-glass-boundary"


def platform_deployer_boundary(s: Settings) -> str:
    return f"{s.prefix}-platform-deploy-boundary"


def foundation_deployer_boundary(s: Settings) -> str:
    return f"{s.prefix}-foundation-deploy-boundary"


def plan_role(s: Settings) -> str:
    """The read-only role that plans (pull requests and the pipeline's plan jobs)."""
    return f"{s.prefix}-plan"


def plan_boundary(s: Settings) -> str:
    return f"{s.prefix}-plan-boundary"


def state_access_logs_bucket(s: Settings) -> str:
    """Server access logs of the state bucket (created by the bootstrap stack with it)."""
    return f"{s.backend.bucket}-access-logs"


def github_oidc_provider_arn(s: Settings) -> str:
    return f"arn:aws:iam::{s.account_id}:oidc-provider/token.actions.githubusercontent.com"


def trail(s: Settings) -> str:
    return f"{s.prefix}-audit-trail"


def alert_topic(s: Settings) -> str:
    return f"{s.prefix}-security-alerts"


def domain_bus(s: Settings) -> str:
    return f"{s.prefix}-domain"


def sessions_table(s: Settings) -> str:
    return f"{s.prefix}-sessions"


def database(s: Settings) -> str:
    return f"{s.prefix}-postgres"


def backup_vault(s: Settings) -> str:
    return f"{s.prefix}-vault"


def audit_access_logs_bucket(s: Settings) -> str:
    return f"{s.prefix}-audit-access-{s.account_id}"


def platform_access_logs_bucket(s: Settings) -> str:
    return f"{s.prefix}-access-logs-{s.account_id}"


def service_role_path(s: Settings) -> str:
    """AWS-service roles (backups, monitoring, log delivery, scanning): created by the foundation deployer;
    the platform deployer may only pass them to their service."""
    return f"/{s.prefix}-service/"


def service_role_arn(s: Settings, short: str) -> str:
    return f"arn:aws:iam::{s.account_id}:role{service_role_path(s)}{s.prefix}-{short}"


def service_roles_pattern(s: Settings) -> str:
    return f"arn:aws:iam::{s.account_id}:role{service_role_path(s)}*"


def flow_log_group(s: Settings) -> str:
    return f"{log_group_prefix(s)}/vpc-flow-logs"


def lambda_function(s: Settings, service: str) -> str:
    return f"{s.prefix}-{service}"


def lambda_function_arn(s: Settings, service: str) -> str:
    return f"arn:aws:lambda:{s.region}:{s.account_id}:function:{lambda_function(s, service)}"


def audit_trail_log_group(s: Settings) -> str:
    return f"/{s.prefix}/audit/cloudtrail"


def athena_results_bucket(s: Settings) -> str:
    return f"{s.prefix}-audit-athena-results-{s.account_id}"


def athena_workgroup(s: Settings) -> str:
    return f"{s.prefix}-audit-investigations"


def audit_glue_database(s: Settings) -> str:
    return f"{s.prefix.replace('-', '_')}_audit"


def other_regions(s: Settings) -> list[str]:
    """The allowed Regions besides the home Region, in the order of the settings."""
    return [r for r in s.allowed_regions if r != s.region]


def macie_service_linked_role_arn(s: Settings) -> str:
    return f"arn:aws:iam::{s.account_id}:role/aws-service-role/macie.amazonaws.com/AWSServiceRoleForAmazonMacie"


def web_bucket(s: Settings) -> str:
    return f"{s.prefix}-web-{s.account_id}"


def access_logged_buckets(s: Settings) -> list[str]:
    """The platform buckets whose server access logs go to the platform access-log bucket."""
    return [documents_bucket(s), web_bucket(s)]
