"""Permission boundaries and guard policies of every kind of principal, generated from the registry.

Who stands where (docs/security/<env>/iam.md, "Privileged access"):
- the trusted base, admin-equivalent by necessity: break-glass and the foundation deployer;
- the platform deployer: the platform stack's resources and its workload roles, nothing above them;
- people: read and operate; never protected data, identities, keys or the audit;
- workloads: at most what their grants gave them; AWS-service roles: what AWS services do for us.

A managed policy holds at most 6,144 characters, so for people and the platform deployer the boundary
keeps the ceiling and the identity denies (which also stop them detaching anything), and the rest of
the denies ride in guard policies attached to the same roles: an explicit deny counts the same in an
identity policy, and nobody under these boundaries may detach one.
"""

from __future__ import annotations

from boi_iam import guardrails as g
from boi_iam.protect import categories, deny_statements
from boi_kms.policy import MAINTENANCE_ACTIONS

from app.core import names, perimeter
from app.core.assets import Registry
from app.settings import Settings

KEY_CONTROL = tuple(sorted(set(categories("kms:key")["control"]) | set(categories("kms:alias")["control"])))
# What the platform deployer may hand its roles to (iam:PassedToService): its workloads' compute and the
# services that use the foundation's service roles.
WORKLOAD_SERVICES = ("lambda.amazonaws.com", "ecs-tasks.amazonaws.com")
SERVICE_ROLE_SERVICES = (
    "backup.amazonaws.com",
    "monitoring.rds.amazonaws.com",
    "apigateway.amazonaws.com",
    "vpc-flow-logs.amazonaws.com",
    "malware-protection-plan.guardduty.amazonaws.com",
)


def people_roles(s: Settings) -> list[str]:
    return [names.role_arn(s, names.human_role(s, r)) for r in names.HUMAN_ROLES]


def deployers(s: Settings) -> list[str]:
    return [names.role_arn(s, names.foundation_deployer(s)), names.role_arn(s, names.platform_deployer(s))]


def bootstrap_roles(s: Settings) -> list[str]:
    """Every role the bootstrap stack creates: the two deployers and the read-only plan role."""
    return [*deployers(s), names.role_arn(s, names.plan_role(s))]


def boundary_policies(s: Settings) -> list[str]:
    return [
        names.policy_arn(s, n)
        for n in (
            names.workload_boundary(s),
            names.human_boundary(s),
            names.operational_boundary(s),
            names.break_glass_boundary(s),
            names.platform_deployer_boundary(s),
            names.foundation_deployer_boundary(s),
            names.plan_boundary(s),
        )
    ]


def guard_policies(s: Settings) -> str:
    return f"arn:aws:iam::{s.account_id}:policy/{s.prefix}-*-guard-*"


def key_readers(s: Settings) -> list[str]:
    """Who under the guards needs a decrypt: people reading filing receipts and the audit archive through
    S3, AWS Backup for recovery points and the malware scanner for uploads (the key policies say which key)."""
    return [
        *(names.role_arn(s, names.human_role(s, r)) for r in ("compliance-officer", "security-auditor")),
        names.service_role_arn(s, "backup"),
        names.service_role_arn(s, "documents-malware-scan"),
    ]


# ---- people -------------------------------------------------------------------------------------------


def people(s: Settings) -> dict:
    """The boundary of people's roles: no identity, organization or key changes (so no guard can be
    detached and no role assumed)."""
    return g.boundary_document(
        [
            g.ceiling_all(),
            g.identity_changes(),
            g.role_assumption(),
            g.organization_changes(),
            g.key_changes(KEY_CONTROL, allowed=MAINTENANCE_ACTIONS, sid="DenyKeyDestruction"),
            g.key_grants_to_principals(),
            g.public_access_changes(),
        ]
    )


def guards(s: Settings, registry: Registry) -> list[dict]:
    """Deny statements attached to every person's role and every AWS-service role: the audit services,
    decrypts and every protected asset (data reads, data writes and control) except where the registry
    names the role."""
    return [
        g.audit_service_changes(),
        {
            "Sid": "DenyDecryptExceptRecordAndLogReaders",
            "Effect": "Deny",
            "Action": list(categories("kms:key")["data_read"]),
            "Resource": f"arn:aws:kms:*:{s.account_id}:key/*",
            "Condition": {"ArnNotLike": {"aws:PrincipalArn": key_readers(s)}},
        },
        *deny_statements(registry.assets()),
    ]


def break_glass(registry: Registry) -> dict:
    """Admin-equivalent by necessity. This only stops touching protected data or writing into the audit
    by accident (no incident needs either); break-glass can change its own boundary, and the paging rules
    report that like every other break-glass call."""
    return g.boundary_document(
        [
            g.ceiling_all(),
            *deny_statements(registry.assets(), include=("data_read", "data_write"), classes=("pii",)),
            *deny_statements(registry.assets(), include=("data_write",), classes=("audit",)),
        ]
    )


# ---- workloads and AWS-service roles ------------------------------------------------------------------


def workload(registry: Registry, granted_actions: list[str], vpc_id: str | None = None) -> dict:
    """Workloads: never more than the union of their grants; of the denies, those the ceiling could reach.
    With the VPC: the workload's credentials reach data only from inside it (the credential perimeter)."""
    ceiling = sorted(set(granted_actions))
    denies = [
        *g.prune(
            [
                *([perimeter.boundary_statement(vpc_id)] if vpc_id else []),
                g.identity_changes(),
                g.role_assumption(),
                g.audit_service_changes(except_actions=()),
                g.key_changes(KEY_CONTROL),
                g.key_grants_to_principals(),
            ],
            ceiling,
        ),
        *deny_statements(registry.assets(), include=("control",), ceiling=ceiling),
        *deny_statements(registry.assets(), include=("data_read", "data_write"), classes=("audit",), ceiling=ceiling),
    ]
    return g.boundary_document([g.ceiling(ceiling), *denies])


def operational() -> dict:
    """AWS-service roles act with AWS-managed policies; only the foundation creates them and only their
    own service may assume them. Never identities, keys or the audit services."""
    return g.boundary_document(
        [
            g.ceiling_all(),
            g.identity_changes(),
            g.role_assumption(),
            g.organization_changes(),
            g.audit_service_changes(except_actions=()),
            g.key_changes(KEY_CONTROL),
            g.key_grants_to_principals(),
        ]
    )


# ---- deployers ----------------------------------------------------------------------------------------


def platform_deployer(s: Settings) -> dict:
    """The boundary of the platform deployer: IAM only on workload roles under the workload boundary, and
    service roles only passed to their service; never people, the trusted base, boundaries, keys."""
    workloads = names.platform_roles_pattern(s)
    return g.boundary_document(
        [
            g.ceiling_all(),
            g.identity_changes(
                sid="DenyIdentityChangesOutsideWorkloadRoles",
                not_resources=[workloads],
                except_actions=["iam:CreateServiceLinkedRole", "iam:PassRole"],
            ),
            g.identity_changes(
                sid="DenyPrivilegedIdentityChanges",
                resources=[
                    *people_roles(s),
                    *bootstrap_roles(s),
                    *boundary_policies(s),
                    guard_policies(s),
                    names.github_oidc_provider_arn(s),
                ],
            ),
            {
                "Sid": "DenyRolesWithoutWorkloadBoundary",
                "Effect": "Deny",
                "Action": ["iam:CreateRole", "iam:PutRolePermissionsBoundary"],
                "Resource": "*",
                "Condition": {
                    "ArnNotEquals": {"iam:PermissionsBoundary": names.policy_arn(s, names.workload_boundary(s))}
                },
            },
            {
                "Sid": "DenyBoundaryRemovalAndAttachments",
                "Effect": "Deny",
                "Action": ["iam:AttachRolePolicy", "iam:DeleteRolePermissionsBoundary"],
                "Resource": "*",
            },
            {
                "Sid": "DenyPassingOtherRoles",
                "Effect": "Deny",
                "Action": "iam:PassRole",
                "NotResource": [workloads, names.service_roles_pattern(s)],
            },
            {
                "Sid": "DenyPassingToOtherServices",
                "Effect": "Deny",
                "Action": "iam:PassRole",
                "Resource": "*",
                "Condition": {"StringNotEquals": {"iam:PassedToService": [*WORKLOAD_SERVICES, *SERVICE_ROLE_SERVICES]}},
            },
            g.role_assumption(),
            g.organization_changes(),
            g.key_changes(KEY_CONTROL),
            g.key_grants_to_principals(),
            g.public_access_changes(),
        ]
    )


def platform_deployer_guards(registry: Registry) -> list[dict]:
    """Guards of the platform deployer: the audit (services and assets, its records included), and
    protected data directly.
    Control of the platform's own assets stays with it (their registry entries name it)."""
    return [
        g.audit_service_changes(except_actions=()),
        *deny_statements(registry.assets(), include=("data_read", "data_write"), classes=("pii",)),
        *deny_statements(registry.assets(), classes=("audit",)),
        *deny_statements(registry.assets(), include=("control",), classes=("pii",)),
    ]


def foundation_deployer(s: Settings, registry: Registry) -> dict:
    """The foundation deployer is admin-equivalent (it writes key policies, boundaries and people's roles).
    It may not change the bootstrap identities it runs as, and never touches protected data or the audit's
    records directly."""
    bootstrap = [
        *bootstrap_roles(s),
        names.policy_arn(s, names.platform_deployer_boundary(s)),
        names.policy_arn(s, names.foundation_deployer_boundary(s)),
        names.policy_arn(s, names.plan_boundary(s)),
        f"arn:aws:iam::{s.account_id}:policy/{names.platform_deployer(s)}-guard-*",
        f"arn:aws:iam::{s.account_id}:policy/{names.foundation_deployer(s)}-guard-*",
        f"arn:aws:iam::{s.account_id}:policy/{names.plan_role(s)}-guard-*",
        names.github_oidc_provider_arn(s),
    ]
    return g.boundary_document(
        [
            g.ceiling_all(),
            g.identity_changes(sid="DenyBootstrapIdentityChanges", resources=bootstrap),
        ]
    )


def foundation_deployer_guards(registry: Registry) -> list[dict]:
    """It writes the policies that protect data and the audit, never reads or writes either itself."""
    return deny_statements(registry.assets(), include=("data_read", "data_write"))


# ---- the plan role ------------------------------------------------------------------------------------


def plan(s: Settings) -> dict:
    """The boundary of the read-only plan role (pull requests may assume it): nothing it could change would
    matter, and no identity, role assumption, key or public-access change even if a policy granted one."""
    return g.boundary_document(
        [
            g.ceiling_all(),
            g.identity_changes(),
            g.role_assumption(),
            g.organization_changes(),
            g.key_changes(KEY_CONTROL),
            g.key_grants_to_principals(),
            g.public_access_changes(),
        ]
    )


def plan_guards(registry: Registry) -> list[dict]:
    """ReadOnlyAccess reads data (s3:GetObject, dynamodb:Scan, ...): the plan role reads configuration and the
    Terraform state, never a protected asset's data, and writes nothing of the audit or the assets."""
    return [g.audit_service_changes(except_actions=()), *deny_statements(registry.assets())]
