"""The layout as data: organizational units, the account in each, the trusted base, and which
guardrail attaches where. Pure functions of the settings; the constructs only map them onto resources."""

from __future__ import annotations

from dataclasses import dataclass

from boi_iam import guardrails

from app.core import names
from app.settings import Settings

ORG_PREFIX = "boi-org"
# Organizational units, by key: (name, parent key or None for the root).
OUS: dict[str, tuple[str, str | None]] = {
    "security": ("Security", None),
    "workloads": ("Workloads", None),
    "workloads_prod": ("Prod", "workloads"),
    "workloads_nonprod": ("NonProd", "workloads"),
}
# Services the organization trusts (organizations:EnableAWSServiceAccess): the delegable ones plus
# Identity Center.
SSO_SERVICE = "sso.amazonaws.com"
# Delegations that the service's own API registers (a second registration through Organizations fails).
SERVICE_REGISTERED = ("guardduty.amazonaws.com", "macie.amazonaws.com", "securityhub.amazonaws.com")


@dataclass(frozen=True)
class Placement:
    part: str  # management, log_archive, security_tooling, workload-<env>
    account_id: str
    ou: str | None  # None: the management account sits at the root


def stack_name(part: str) -> str:
    return f"{ORG_PREFIX}-{part.replace('_', '-')}"


def ou_of(part: str) -> str | None:
    if part == "management":
        return None
    if part in ("log_archive", "security_tooling"):
        return "security"
    return "workloads_prod" if part == "workload-prod" else "workloads_nonprod"


def placements(s: Settings) -> list[Placement]:
    return [Placement(part, a.account_id, ou_of(part)) for part, a in s.organization.accounts().items()]


def ou_path(ou: str | None) -> list[str]:
    """OU keys from the root down to `ou`."""
    path: list[str] = []
    while ou is not None:
        path.insert(0, ou)
        ou = OUS[ou][1]
    return path


def workload_envs(s: Settings) -> list[str]:
    return sorted(s.organization.workloads)


def trusted_base(s: Settings) -> list[str]:
    """Principals exempt from the audit, key and archive SCPs, so an incident can still be handled:
    each workload's foundation deployer and break-glass, and the deployer role of every member account
    (only the management account's deployer can assume it)."""
    org = s.organization
    arns = {f"arn:aws:iam::{a.account_id}:role/{a.deployer_role}" for a in org.members().values()}
    for env, account in org.workloads.items():
        prefix = f"boi-{env}"
        arns.add(f"arn:aws:iam::{account.account_id}:role/{prefix}-foundation-deploy")
        arns.add(f"arn:aws:iam::{account.account_id}:role/{prefix}-break-glass")
    return sorted(arns)


def privileged_roles(s: Settings) -> list[str]:
    """Roles nobody outside the trusted base may change: the trusted base itself, the platform deployers
    and the audit baseline's delivery roles in every member account."""
    org = s.organization
    arns = set(trusted_base(s))
    for env, account in org.workloads.items():
        arns.add(f"arn:aws:iam::{account.account_id}:role/boi-{env}-platform-deploy")
        arns.add(f"arn:aws:iam::{account.account_id}:role/boi-{env}-audit-*")
    arns.add(f"arn:aws:iam::{org.security_tooling.account_id}:role/{ORG_PREFIX}-audit-*")
    return sorted(arns)


def archive_bucket_names(s: Settings) -> list[str]:
    """The log archive's buckets (AuditSettings naming: <prefix>-audit-{archive,access}-<account>)."""
    account = s.organization.log_archive.account_id
    return [f"{ORG_PREFIX}-audit-archive-{account}", f"{ORG_PREFIX}-audit-access-{account}"]


def trail_arn(s: Settings) -> str:
    t = s.organization.security_tooling
    return f"arn:aws:cloudtrail:{t.region}:{t.account_id}:trail/{ORG_PREFIX}-audit-trail"


def service_control_policies(s: Settings) -> dict[str, dict]:
    base = trusted_base(s)
    return guardrails.service_control_policies(
        allowed_regions=list(s.organization.allowed_regions),
        protected_role_arns=base,
        key_admin_arns=base,
        privileged_role_arns=privileged_roles(s),
        archive_bucket_arns=[f"arn:aws:s3:::{b}" for b in archive_bucket_names(s)],
    )


def resource_control_policies(org_id: str) -> dict[str, dict]:
    return guardrails.resource_control_policies(org_id=org_id)


# Where each guardrail attaches (OU keys). SCPs never apply to the management account, so everything
# attaches below the root; the archive's protection only where the archive is.
SCP_TARGETS = {
    "deny-leave-organization": ("security", "workloads"),
    "region-lock": ("security", "workloads"),
    "protect-audit": ("security", "workloads"),
    "protect-keys": ("security", "workloads"),
    "protect-privileged-roles": ("security", "workloads"),
    "protect-public-access-blocks": ("security", "workloads"),
    "deny-root-and-long-lived-credentials": ("security", "workloads"),
    "protect-log-archive": ("security",),
}
RCP_TARGETS = {"data-perimeter": ("security", "workloads")}
# AWS quotas: 5 SCPs (FullAWSAccess included) or RCPs (RCPFullAWSAccess included) per target,
# 5,120 characters per policy.
POLICIES_PER_TARGET = 5
POLICY_CHARACTERS = 5120


def _by_targets(
    named: dict[str, dict], targets: dict[str, tuple[str, ...]], kind: str
) -> dict[str, tuple[dict, tuple]]:
    """Statements of the guardrails that share their targets, packed into as few documents as the
    size quota allows (the per-target quota is 5), named `<kind>-<targets>-<n>`."""
    groups: dict[tuple[str, ...], list[dict]] = {}
    for name, doc in named.items():
        if name not in targets:
            raise ValueError(f"{kind} {name!r} has no attachment in app/organization/layout.py")
        groups.setdefault(targets[name], []).extend(doc["Statement"])
    out: dict[str, tuple[dict, tuple]] = {}
    for where, statements in groups.items():
        docs = guardrails.pack(statements, limit=POLICY_CHARACTERS)
        for i, doc in enumerate(docs, start=1):
            out[f"{kind}-{'-'.join(where)}-{i}"] = (doc, where)
    return out


def scp_documents(s: Settings) -> dict[str, tuple[dict, tuple[str, ...]]]:
    """name -> (SCP document, OU keys it attaches to)."""
    return _by_targets(service_control_policies(s), SCP_TARGETS, "scp")


def rcp_documents(org_id: str) -> dict[str, tuple[dict, tuple[str, ...]]]:
    return _by_targets(resource_control_policies(org_id), RCP_TARGETS, "rcp")


def attached(documents: dict[str, tuple[dict, tuple[str, ...]]], account_ou: str | None) -> list[list[str]]:
    """Per level from the root down to the account's OU, the names of the documents attached there
    (what the simulator needs: every level's policies)."""
    return [[n for n, (_, where) in documents.items() if ou in where] for ou in ou_path(account_ou)]


def people_roles() -> list[str]:
    """Human roles that become Identity Center permission sets (break-glass stays an IAM role)."""
    return [r for r in names.HUMAN_ROLES if r != "break-glass"]
