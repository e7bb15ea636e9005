"""Identity guardrails of the foundation: boundaries, people's roles, the deploy role, SCPs."""

from __future__ import annotations

import json

from boi_iam import guardrails
from boi_iam.policy import Statement, trust_document
from boi_iam.role import PlatformRole, lazy_json
from cdktn_provider_aws.iam_openid_connect_provider import IamOpenidConnectProvider
from cdktn_provider_aws.iam_policy import IamPolicy
from cdktn_provider_aws.organizations_policy import OrganizationsPolicy
from constructs import Construct

from boi.settings import Settings
from modules import names

MFA = {"Bool": {"aws:MultiFactorAuthPresent": "true"}, "NumericLessThan": {"aws:MultiFactorAuthAge": "3600"}}
GITHUB_OIDC = "token.actions.githubusercontent.com"

HUMAN_PURPOSES = {
    "platform-admin": "Operate the platform (deploy fixes, scale, read configuration); no PII data-plane access",
    "security-admin": "Administer KMS keys and security services; cannot use keys to decrypt",
    "security-auditor": "Read-only review of configuration, findings and audit logs; no PII decrypt",
    "compliance-officer": "Follow filing status and receipts; no raw identity documents",
    "support-engineer": "Diagnose service health from metrics, task state and application logs; no PII",
    "break-glass": "Emergency access with MFA, one-hour sessions, and an alarm on every use",
}

MANAGED_POLICIES = {
    # policy name: (roles, reason). Sizes are listed in docs/security/iam.md.
    "PowerUserAccess": (("platform-admin", "ci-deploy"),
                        "operating and deploying some forty services; PII, audit and key controls are "
                        "denied by the boundary"),
    "SecurityAudit": (("security-auditor", "security-admin"),
                      "AWS-maintained read-only view of security configuration"),
    "ReadOnlyAccess": (("break-glass",), "see everything during an incident before acting"),
    "AdministratorAccess": (("break-glass",), "act on anything during an incident; every use pages the security team"),
}


class Governance(Construct):
    def __init__(self, scope: Construct, id: str, *, settings: Settings) -> None:
        super().__init__(scope, id)
        s = self.settings = settings
        self._workload_roles: list[PlatformRole] = []
        self.workload_boundary_arn = names.policy_arn(s, names.workload_boundary(s))
        self.human_boundary_arn = names.policy_arn(s, names.human_boundary(s))
        IamPolicy(self, "workload_boundary", name=names.workload_boundary(s),
                  description="Permission boundary of every workload and operational role",
                  policy=lazy_json(self._workload_boundary_doc))
        self.key_admin_arns = [names.role_arn(s, names.human_role(s, "security-admin")),
                               names.role_arn(s, f"{s.prefix}-ci-deploy")]
        self.break_glass_arn = names.role_arn(s, names.human_role(s, "break-glass"))
        self.operational_boundary_arn = names.policy_arn(s, names.operational_boundary(s))
        docs = f"arn:aws:s3:::{names.documents_bucket(s)}"
        region_account = f"{s.region}:{s.account_id}"
        guarded = json.dumps(guardrails.guarded_boundary(
            key_admin_arns=self.key_admin_arns + [self.break_glass_arn],
            documents_arn=docs,
            record_reader_arns=[names.role_arn(s, names.human_role(s, "compliance-officer"))],
            key_arns=[f"arn:aws:kms:{region_account}:key/*"],
            secret_arns=[f"arn:aws:secretsmanager:{region_account}:secret:{s.prefix}/*"],
            db_user_arns=[f"arn:aws:rds-db:{region_account}:dbuser:*/*"],
            queue_arns=[f"arn:aws:sqs:{region_account}:{names.filing_queue(s)}",
                        f"arn:aws:sqs:{region_account}:{names.filing_dlq(s)}"],
            table_arns=[f"arn:aws:dynamodb:{region_account}:table/{s.prefix}-sessions"],
            boundary_arns=[self.workload_boundary_arn, self.human_boundary_arn,
                           names.policy_arn(s, names.operational_boundary(s))],
            boundary_editor_arns=[names.role_arn(s, f"{s.prefix}-ci-deploy")],
            archive_arn=f"arn:aws:s3:::{names.audit_archive_bucket(s)}",
            log_reader_arns=[names.role_arn(s, names.human_role(s, r)) for r in ("security-auditor", "break-glass")],
            secret_writer_arns=[names.role_arn(s, names.human_role(s, r)) for r in ("platform-admin", "break-glass")]))
        IamPolicy(self, "human_boundary", name=names.human_boundary(s), policy=guarded,
                  description="Permission boundary of people's roles and the deploy role")
        IamPolicy(self, "operational_boundary", name=names.operational_boundary(s),
                  policy=json.dumps(guardrails.service_boundary()),
                  description="Permission boundary of AWS service roles (logs, Config, monitoring)")
        self.humans: dict[str, PlatformRole] = {}
        for role in names.HUMAN_ROLES:
            self.humans[role] = PlatformRole(
                self, role.replace("-", "_"), name=names.human_role(s, role), account_id=s.account_id,
                purpose=HUMAN_PURPOSES[role], boundary_arn=self.human_boundary_arn,
                trust=trust_document(aws=f"arn:aws:iam::{s.account_id}:root", conditions=MFA),
                max_session_seconds=3600, inline_policy=role not in ("break-glass", "platform-admin"))
        self.ci_deploy = self._ci_deploy_role()
        for name, (roles, reason) in MANAGED_POLICIES.items():
            for role in roles:
                target = self.ci_deploy if role == "ci-deploy" else self.humans[role]
                target.attach_managed(f"arn:aws:iam::aws:policy/{name}", reason)
        if s.organization_mode:
            self._organization_policies()

    def register_workload(self, role: PlatformRole) -> None:
        self._workload_roles.append(role)

    def _workload_boundary_doc(self) -> dict:
        actions = sorted({a for role in self._workload_roles for st in role.statements for a in st.actions})
        return guardrails.workload_boundary(actions)

    def _ci_deploy_role(self) -> PlatformRole:
        s = self.settings
        provider = IamOpenidConnectProvider(self, "github_oidc", url=f"https://{GITHUB_OIDC}",
                                            client_id_list=["sts.amazonaws.com"],
                                            thumbprint_list=["6938fd4d98bab03faadb97b34396831e3780aea1"])
        subject = f"repo:{s.cicd.github_repository}:environment:{s.cicd.github_environment}"
        role = PlatformRole(
            self, "ci_deploy", name=f"{s.prefix}-ci-deploy", account_id=s.account_id,
            purpose=f"Terraform deploys from GitHub Actions, only from {s.cicd.github_repository} "
                    f"in its protected '{s.cicd.github_environment}' environment",
            boundary_arn=self.human_boundary_arn,
            trust=trust_document(federated=provider.arn, actions=("sts:AssumeRoleWithWebIdentity",),
                                 conditions={"StringEquals": {f"{GITHUB_OIDC}:aud": "sts.amazonaws.com",
                                                              f"{GITHUB_OIDC}:sub": subject}}))
        role_prefix = f"arn:aws:iam::{s.account_id}:role/{s.prefix}-"
        role.add_statement(Statement(
            sid="ManagePlatformRolesWithBoundary",
            actions=("iam:CreateRole", "iam:PutRolePermissionsBoundary", "iam:PutRolePolicy",
                     "iam:AttachRolePolicy", "iam:DetachRolePolicy", "iam:DeleteRolePolicy"),
            resources=(f"{role_prefix}*",),
            conditions={"StringEquals": {"iam:PermissionsBoundary": [self.workload_boundary_arn,
                                                                     self.human_boundary_arn]}},
            reason="Terraform creates the platform's roles, and only with one of the two boundaries"))
        role.add_statement(Statement(
            sid="MaintainPlatformRoles",
            actions=("iam:GetRole", "iam:GetRolePolicy", "iam:ListRolePolicies", "iam:ListAttachedRolePolicies",
                     "iam:UpdateAssumeRolePolicy", "iam:UpdateRole", "iam:TagRole", "iam:UntagRole",
                     "iam:DeleteRole", "iam:PassRole"),
            resources=(f"{role_prefix}*",),
            reason="Terraform reads, updates and passes the platform's own roles (names start with the prefix)"))
        return role

    def _organization_policies(self) -> None:
        s = self.settings
        protected = self.key_admin_arns + [self.break_glass_arn]
        for name, doc in guardrails.service_control_policies(
                allowed_regions=s.allowed_regions, protected_role_arns=protected,
                key_admin_arns=protected).items():
            OrganizationsPolicy(self, f"scp_{name.replace('-', '_')}", name=f"{s.prefix}-{name}",
                                type="SERVICE_CONTROL_POLICY", content=json.dumps(doc),
                                description=f"BOI guardrail: {name}")
