"""Identity guardrails of the foundation: boundaries, people's roles, break-glass, SCPs.

The deploy roles are not here: they exist before the foundation does (modules/bootstrap.py).
"""

from __future__ import annotations

import json

from boi_iam import guardrails
from boi_iam.policy import trust_document
from boi_iam.role import PlatformRole, lazy_json, lazy_value, note
from boi_model import meta
from cdktn_provider_aws.iam_policy import IamPolicy
from cdktn_provider_aws.organizations_policy import OrganizationsPolicy
from constructs import Construct

from app.core import names
from app.core.assets import Registry
from app.foundation import boundaries
from app.settings import Settings

MFA = {"Bool": {"aws:MultiFactorAuthPresent": "true"}, "NumericLessThan": {"aws:MultiFactorAuthAge": "3600"}}

HUMAN_PURPOSES = {
    "platform-admin": "Operate the platform's non-sensitive resources and read configuration; no PII, "
    "identity, key or audit changes",
    "security-admin": "Maintain KMS keys and review security services; cannot use, disable or re-write keys",
    "security-auditor": "Read-only review of configuration, findings and audit logs; no PII decrypt",
    "compliance-officer": "Follow filing status and receipts; no raw identity documents",
    "support-engineer": "Diagnose service health from metrics, task state and application logs; no PII",
    "break-glass": "Emergency administrator: named people only, MFA, a recorded source identity, one-hour "
    "sessions, paged on every use",
}

MANAGED_POLICIES = {
    # policy name: (roles, reason). Sizes are listed in docs/security/<env>/iam.md.
    "PowerUserAccess": (
        ("platform-admin",),
        "operating some forty services; PII, identities, keys and the audit are denied by the boundary",
    ),
    "SecurityAudit": (
        ("security-auditor", "security-admin"),
        "AWS-maintained read-only view of security configuration",
    ),
    "AdministratorAccess": (("break-glass",), "act on anything during an incident; every use pages the security team"),
}


def guardrail_policy(scope: Construct, id: str, *, name: str, description: str, document) -> IamPolicy:
    """A boundary or guard policy, with each statement's reason in its metadata. `document` is a dict, or a
    function producing one at synth time (a boundary built from grants)."""
    produce = document if callable(document) else (lambda: document)
    policy = IamPolicy(
        scope,
        id,
        name=name,
        description=description,
        policy=lazy_json(produce) if callable(document) else json.dumps(document),
    )
    note(policy, meta.REASONS, lazy_value(lambda: guardrails.statement_reasons(produce())))
    return policy


def guard_policies(scope: Construct, id: str, name: str, statements: list[dict], description: str) -> list[IamPolicy]:
    """Deny statements packed into as few managed policies as fit the 6,144-character quota."""
    return [
        guardrail_policy(
            scope, f"{id}_{i}", name=f"{name}-{i}", description=f"{description} ({i} of {len(docs)})", document=doc
        )
        for docs in [guardrails.pack(statements)]
        for i, doc in enumerate(docs, start=1)
    ]


def break_glass_trust(s: Settings) -> dict:
    """Named people only (not the account root: holding sts:AssumeRole somewhere is not enough), with MFA
    and a source identity that stays on every call of the session."""
    return trust_document(
        aws=f"arn:aws:iam::{s.account_id}:root",
        actions=("sts:AssumeRole", "sts:SetSourceIdentity"),
        conditions={
            **MFA,
            "ArnLike": {"aws:PrincipalArn": list(s.access.break_glass_principals)},
            "Null": {"sts:SourceIdentity": "false"},
        },
    )


class Governance(Construct):
    def __init__(self, scope: Construct, id: str, *, settings: Settings, registry: Registry) -> None:
        super().__init__(scope, id)
        s = self.settings = settings
        self.registry = registry
        self._workload_roles: list[PlatformRole] = []
        # Set by the foundation once its VPC exists: the workload boundary keeps credentials inside it.
        self.workload_vpc_id: str | None = None
        self.workload_boundary_arn = names.policy_arn(s, names.workload_boundary(s))
        self.human_boundary_arn = names.policy_arn(s, names.human_boundary(s))
        self.operational_boundary_arn = names.policy_arn(s, names.operational_boundary(s))  # for the audit roles
        self.break_glass_boundary_arn = names.policy_arn(s, names.break_glass_boundary(s))
        self.foundation_deployer_arn = names.role_arn(s, names.foundation_deployer(s))
        self.security_admin_arn = names.role_arn(s, names.human_role(s, "security-admin"))
        self.break_glass_arn = names.role_arn(s, names.human_role(s, "break-glass"))
        # Key policies: administrators maintain, the foundation deployer re-writes, break-glass destroys.
        self.key_admin_arns = [self.security_admin_arn, self.foundation_deployer_arn]
        self.key_policy_admin_arns = [self.foundation_deployer_arn]
        guardrail_policy(
            self,
            "workload_boundary",
            name=names.workload_boundary(s),
            description="Permission boundary of every workload role: the union of its grants",
            document=self._workload_boundary_doc,
        )
        human = guardrail_policy(
            self,
            "human_boundary",
            name=names.human_boundary(s),
            description="Permission boundary of people's roles (break-glass has its own)",
            document=boundaries.people(s),
        )
        self.operational_boundary = guardrail_policy(
            self,
            "operational_boundary",
            name=names.operational_boundary(s),
            description="Permission boundary of AWS service roles (backups, logs, monitoring, scanning)",
            document=boundaries.operational(),
        )
        glass_boundary = guardrail_policy(
            self,
            "break_glass_boundary",
            name=names.break_glass_boundary(s),
            description="Break-glass is admin-equivalent; this only stops reading protected data by accident",
            document=boundaries.break_glass(registry),
        )
        self.guards = guards = guard_policies(
            self,
            "guard",
            f"{s.prefix}-guard",
            boundaries.guards(s, registry),
            "Denies on people's and AWS-service roles: audit services, decrypts and protected assets",
        )
        self.humans: dict[str, PlatformRole] = {}
        for role in names.HUMAN_ROLES:
            glass = role == "break-glass"
            self.humans[role] = PlatformRole(
                self,
                role.replace("-", "_"),
                name=names.human_role(s, role),
                account_id=s.account_id,
                purpose=HUMAN_PURPOSES[role],
                boundary_arn=glass_boundary.arn if glass else human.arn,
                trust=break_glass_trust(s)
                if glass
                else trust_document(aws=f"arn:aws:iam::{s.account_id}:root", conditions=MFA),
                max_session_seconds=3600,
                inline_policy=role not in ("break-glass", "platform-admin"),
            )
        for name, (roles, reason) in MANAGED_POLICIES.items():
            for role in roles:
                self.humans[role].attach_managed(f"arn:aws:iam::aws:policy/{name}", reason)
        for role, human in self.humans.items():
            if role != "break-glass":
                for guard in guards:
                    human.attach_managed(guard.arn, "guard: the denies that do not fit in the boundary")
        if s.organization_mode:
            self._organization_policies()

    def register_workload(self, role: PlatformRole) -> None:
        self._workload_roles.append(role)

    def _workload_boundary_doc(self) -> dict:
        actions = sorted({a for role in self._workload_roles for st in role.statements for a in st.actions})
        return boundaries.workload(self.registry, actions, vpc_id=self.workload_vpc_id)

    def _organization_policies(self) -> None:
        s = self.settings
        protected = [self.foundation_deployer_arn, self.break_glass_arn]
        for name, doc in guardrails.service_control_policies(
            allowed_regions=s.allowed_regions, protected_role_arns=protected, key_admin_arns=protected
        ).items():
            scp = OrganizationsPolicy(
                self,
                f"scp_{name.replace('-', '_')}",
                name=f"{s.prefix}-{name}",
                type="SERVICE_CONTROL_POLICY",
                content=json.dumps(doc),
                description=f"BOI guardrail: {name}",
            )
            note(scp, meta.REASONS, guardrails.statement_reasons(doc))
