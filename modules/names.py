"""Deterministic names of things more than one stack refers to.

Literal names (not Terraform references) keep the foundation stack free of references to the
platform stack, so the two apply in order without a cycle.
"""

from boi.settings import Settings


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


HUMAN_ROLES = ("platform-admin", "security-admin", "security-auditor", "compliance-officer",
               "support-engineer", "break-glass")


def human_role(s: Settings, role: str) -> str:
    assert role in HUMAN_ROLES, role
    return f"{s.prefix}-{role}"


def filing_queue(s: Settings) -> str:
    return f"{s.prefix}-filing"


def filing_dlq(s: Settings) -> str:
    return f"{s.prefix}-filing-dlq"


def log_group_prefix(s: Settings) -> str:
    return f"/boi/{s.environment}"


def ecs_cluster(s: Settings) -> str:
    return f"{s.prefix}-services"
