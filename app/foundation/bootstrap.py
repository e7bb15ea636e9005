"""Bootstrap: what must exist before the first Terraform apply of an account, applied once by an
administrator (make bootstrap): the GitHub OIDC provider and the two deploy roles.

- The foundation deployer writes key policies, boundaries, people's roles and the audit baseline. It is
  admin-equivalent by necessity, so it is a member of the trusted base: it trusts one repository, one
  workflow file on main and its own GitHub environment (required reviewers), nothing else.
- The platform deployer deploys the platform stack: network, data stores, compute, API and edge, with
  workload and AWS-service roles under their two boundaries. It can run code as the workloads it deploys
  (that is deploying them); it cannot touch keys, people, the trusted base, boundaries or the audit.
"""

from __future__ import annotations

from boi_iam.policy import Statement, trust_document
from boi_iam.role import PlatformRole
from cdktn_provider_aws.iam_openid_connect_provider import IamOpenidConnectProvider
from constructs import Construct

from app.core import names
from app.core.assets import Registry
from app.foundation import boundaries
from app.foundation.governance import guard_policies, guardrail_policy
from app.settings import Settings

GITHUB_OIDC = "token.actions.githubusercontent.com"
# Role actions the platform deployer needs on workload roles (never on any other role); the two that set
# a boundary only with the workload boundary.
BOUNDARY_SETTING_ACTIONS = ("iam:CreateRole", "iam:PutRolePermissionsBoundary")
PLATFORM_ROLE_ACTIONS = (
    "iam:DeleteRole",
    "iam:DeleteRolePolicy",
    "iam:DetachRolePolicy",
    "iam:GetRole",
    "iam:GetRolePolicy",
    "iam:ListAttachedRolePolicies",
    "iam:ListInstanceProfilesForRole",
    "iam:ListRolePolicies",
    "iam:PassRole",
    "iam:PutRolePolicy",
    "iam:TagRole",
    "iam:UntagRole",
    "iam:UpdateAssumeRolePolicy",
    "iam:UpdateRole",
    "iam:UpdateRoleDescription",
)


def github_subject(s: Settings, environment: str) -> str:
    """The OIDC subject of a deploy job, with the repository's customised claim template
    (repo, context, job_workflow_ref): one repository, one environment, one workflow file on main."""
    repo = s.cicd.github_repository
    return f"repo:{repo}:environment:{environment}:job_workflow_ref:{repo}/{s.cicd.deploy_workflow}@refs/heads/main"


class Bootstrap(Construct):
    def __init__(self, scope: Construct, id: str, *, settings: Settings, registry: Registry) -> None:
        super().__init__(scope, id)
        s = self.settings = settings
        self.oidc = IamOpenidConnectProvider(
            self,
            "github_oidc",
            url=f"https://{GITHUB_OIDC}",
            client_id_list=["sts.amazonaws.com"],
            thumbprint_list=["6938fd4d98bab03faadb97b34396831e3780aea1"],
        )
        foundation_boundary = guardrail_policy(
            self,
            "foundation_deployer_boundary",
            name=names.foundation_deployer_boundary(s),
            description="Foundation deployer: admin-equivalent, but never its own identities or protected data",
            document=boundaries.foundation_deployer(s, registry),
        )
        platform_boundary = guardrail_policy(
            self,
            "platform_deployer_boundary",
            name=names.platform_deployer_boundary(s),
            description="Platform deployer: the platform stack only; never keys, people, boundaries or the audit",
            document=boundaries.platform_deployer(s),
        )
        guards = guard_policies(
            self,
            "platform_deployer_guard",
            f"{names.platform_deployer(s)}-guard",
            boundaries.platform_deployer_guards(registry),
            "Denies on the platform deployer: the audit and protected data",
        )
        self.foundation_deployer = PlatformRole(
            self,
            "foundation_deployer",
            name=names.foundation_deployer(s),
            account_id=s.account_id,
            purpose=f"Terraform applies the foundation (keys, boundaries, people's roles, audit) from "
            f"{s.cicd.github_repository} in its protected '{s.cicd.foundation_environment}' environment",
            boundary_arn=foundation_boundary.arn,
            trust=self._trust(s.cicd.foundation_environment),
            inline_policy=False,
        )
        self.foundation_deployer.attach_managed(
            "arn:aws:iam::aws:policy/AdministratorAccess",
            "writes key policies, boundaries, people's roles and the audit baseline; member of the trusted base",
        )
        for guard in guard_policies(
            self,
            "foundation_deployer_guard",
            f"{names.foundation_deployer(s)}-guard",
            boundaries.foundation_deployer_guards(registry),
            "Denies on the foundation deployer: protected data and the audit's records",
        ):
            self.foundation_deployer.attach_managed(guard.arn, "guard: it never touches protected data or records")
        self.platform_deployer = PlatformRole(
            self,
            "platform_deployer",
            name=names.platform_deployer(s),
            account_id=s.account_id,
            purpose=f"Terraform applies the platform stack from {s.cicd.github_repository} in its protected "
            f"'{s.cicd.github_environment}' environment",
            boundary_arn=platform_boundary.arn,
            trust=self._trust(s.cicd.github_environment),
        )
        self.platform_deployer.attach_managed(
            "arn:aws:iam::aws:policy/PowerUserAccess",
            "deploys some forty AWS services; identities, keys, protected data and the audit are denied by its "
            "boundary and guards",
        )
        for guard in guards:
            self.platform_deployer.attach_managed(guard.arn, "guard: the denies that do not fit in its boundary")
        self.platform_deployer.add_statement(
            Statement(
                sid="CreateWorkloadRoles",
                actions=BOUNDARY_SETTING_ACTIONS,
                resources=(names.platform_roles_pattern(s),),
                conditions={"ArnEquals": {"iam:PermissionsBoundary": names.policy_arn(s, names.workload_boundary(s))}},
                reason="Terraform creates the workload roles (IAM path "
                f"{names.platform_role_path(s)}), always under the workload boundary",
            )
        )
        self.platform_deployer.add_statement(
            Statement(
                sid="ManageWorkloadRoles",
                actions=PLATFORM_ROLE_ACTIONS,
                resources=(names.platform_roles_pattern(s),),
                reason="Terraform updates, passes and deletes the workload roles it created",
            )
        )
        self.platform_deployer.add_statement(
            Statement(
                sid="PassServiceRoles",
                actions=("iam:PassRole",),
                resources=(names.service_roles_pattern(s),),
                conditions={"StringEquals": {"iam:PassedToService": list(boundaries.SERVICE_ROLE_SERVICES)}},
                reason="hand the foundation's AWS-service roles to their own service (backups, monitoring, logs)",
            )
        )
        self.platform_deployer.add_statement(
            Statement(
                sid="CreateServiceLinkedRoles",
                actions=("iam:CreateServiceLinkedRole",),
                resources=(f"arn:aws:iam::{s.account_id}:role/aws-service-role/*",),
                reason="ECS, RDS, Elastic Load Balancing and AWS Backup create their service-linked roles on first use",
            )
        )
        self.platform_deployer.add_statement(
            Statement(
                sid="ReadBoundariesAndManagedPolicies",
                actions=("iam:GetPolicy", "iam:GetPolicyVersion"),
                resources=(names.policy_arn(s, names.workload_boundary(s)), "arn:aws:iam::aws:policy/*"),
                reason="Terraform reads the boundaries and the AWS managed policies it attaches",
            )
        )

    def _trust(self, environment: str) -> dict:
        return trust_document(
            federated=self.oidc.arn,
            actions=("sts:AssumeRoleWithWebIdentity",),
            conditions={
                "StringEquals": {
                    f"{GITHUB_OIDC}:aud": "sts.amazonaws.com",
                    f"{GITHUB_OIDC}:sub": github_subject(self.settings, environment),
                }
            },
        )
