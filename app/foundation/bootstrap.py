"""Bootstrap: what must exist before the first Terraform apply of an account, applied once by an
administrator (make bootstrap, with local state that is then migrated into the bucket it creates): the
Terraform state bucket and its key, the GitHub OIDC provider, the two deploy roles and the read-only
plan role.

- The state bucket (settings backend.bucket) is versioned, encrypted with its own key (backend.kms_key_id,
  an alias), TLS-only, private and access-logged; Terraform locks with a lock object beside each state
  (S3-native locking, use_lockfile). The state key's administrators are the people in
  access.bootstrap_administrators (so neither the bootstrap nor a later bootstrap is locked out), who never
  use it; break-glass may delete it; only the deployers and the plan role use it, through S3. The
  bootstrap stack's own state is SSE-S3 in the same bucket (its administrators use no key).
- The plan role reads (AWS ReadOnlyAccess) and reads the state; guards deny it every protected asset's
  data. Pull requests and the pipeline's plan jobs assume it.

- The foundation deployer writes key policies, boundaries, people's roles and the audit baseline. It is
  admin-equivalent by necessity, so it is a member of the trusted base: it trusts one repository, one
  workflow file on main and its own GitHub environment (required reviewers), nothing else.
- The platform deployer deploys the platform stack: network, data stores, compute, API and edge, with
  workload and AWS-service roles under their two boundaries. It can run code as the workloads it deploys
  (that is deploying them); it cannot touch keys, people, the trusted base, boundaries or the audit.
"""

from __future__ import annotations

import json

from boi_iam.policy import Statement, trust_document
from boi_iam.role import PlatformRole
from boi_kms.policy import BREAK_GLASS_ACTIONS, MAINTENANCE_ACTIONS, POLICY_ADMIN_ACTIONS
from boi_model.policies import deny_insecure_transport
from cdktn import TerraformResourceLifecycle
from cdktn_provider_aws.iam_openid_connect_provider import IamOpenidConnectProvider
from cdktn_provider_aws.kms_alias import KmsAlias
from cdktn_provider_aws.kms_key import KmsKey
from cdktn_provider_aws.s3_bucket_policy import S3BucketPolicy
from constructs import Construct

from app.core import names
from app.core.assets import Registry
from app.foundation import boundaries
from app.foundation.governance import guard_policies, guardrail_policy
from app.settings import Settings
from app.tiers.data import private_bucket

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

STATE_KEY_CLASS = "terraform-state"
STATE_KEY_ROTATION_DAYS = 365


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

        self.plan_role = self._plan_role(registry)
        if s.backend.type == "s3":
            self._state()

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

    def _plan_role(self, registry: Registry) -> PlatformRole:
        s = self.settings
        boundary = guardrail_policy(
            self,
            "plan_boundary",
            name=names.plan_boundary(s),
            description="Plan role: reads only; never identities, role assumption, keys or public access",
            document=boundaries.plan(s),
        )
        role = PlatformRole(
            self,
            "plan",
            name=names.plan_role(s),
            account_id=s.account_id,
            purpose=f"Terraform plans every stack (read-only) for pull requests and the pipeline's plan jobs of "
            f"{s.cicd.github_repository}",
            boundary_arn=boundary.arn,
            trust=trust_document(
                federated=self.oidc.arn,
                actions=("sts:AssumeRoleWithWebIdentity",),
                conditions={
                    "StringEquals": {f"{GITHUB_OIDC}:aud": "sts.amazonaws.com"},
                    "StringLike": {f"{GITHUB_OIDC}:sub": plan_subjects(s)},
                },
            ),
            inline_policy=s.backend.type == "s3",  # reading the state bucket is its only own statement
        )
        role.attach_managed(
            "arn:aws:iam::aws:policy/ReadOnlyAccess",
            "terraform plan refreshes every resource of every stack; its guards deny every protected asset's data",
        )
        for guard in guard_policies(
            self,
            "plan_guard",
            f"{names.plan_role(s)}-guard",
            boundaries.plan_guards(registry),
            "Denies on the plan role: protected data and the audit",
        ):
            role.attach_managed(guard.arn, "guard: ReadOnlyAccess would read protected data")
        if s.backend.type == "s3":
            role.add_statement(
                Statement(
                    sid="ReadTerraformState",
                    actions=("s3:GetObject", "s3:ListBucket"),
                    resources=(f"arn:aws:s3:::{s.backend.bucket}", f"arn:aws:s3:::{s.backend.bucket}/*"),
                    reason="terraform plan reads every stack's state (plans run with -lock=false)",
                )
            )
        return role

    def _state(self) -> None:
        """The state bucket, its key and its access-log bucket (settings backend.bucket, backend.kms_key_id)."""
        s = self.settings
        keep = s.keys.prevent_destroy
        lifecycle = TerraformResourceLifecycle(prevent_destroy=True) if keep else None
        bucket_arn = f"arn:aws:s3:::{s.backend.bucket}"
        users = [self.foundation_deployer.arn, self.platform_deployer.arn]
        via_s3 = {"kms:ViaService": f"s3.{s.backend.region}.amazonaws.com", "kms:CallerAccount": s.account_id}
        admins_like = {"ArnLike": {"aws:PrincipalArn": list(s.access.bootstrap_administrators)}}
        root = f"arn:aws:iam::{s.account_id}:root"
        # Separation of duties: who administers the state key never uses it. The administrators are the
        # people who apply this stack (access.bootstrap_administrators): KMS's lockout check passes for the
        # one creating the key, and a later bootstrap can still update it. They use no key: the bootstrap
        # stack's own state is SSE-S3 (app.stacks.stacks), the other stacks' states are the deployers'.
        policy = {
            "Version": "2012-10-17",
            "Id": "key-policy-terraform-state",
            "Statement": [
                {
                    "Sid": "BootstrapAdministration",
                    "Effect": "Allow",
                    "Principal": {"AWS": root},
                    "Action": sorted({*MAINTENANCE_ACTIONS, *POLICY_ADMIN_ACTIONS}),
                    "Resource": "*",
                    "Condition": admins_like,
                },
                {
                    "Sid": "BreakGlassKeyDeletion",
                    "Effect": "Allow",
                    "Principal": {"AWS": root},
                    "Action": list(BREAK_GLASS_ACTIONS),
                    "Resource": "*",
                    "Condition": {
                        "ArnEquals": {"aws:PrincipalArn": names.role_arn(s, names.human_role(s, "break-glass"))}
                    },
                },
                {
                    "Sid": "DeployersUseStateKeyThroughS3",
                    "Effect": "Allow",
                    "Principal": {"AWS": users},
                    "Action": ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"],
                    "Resource": "*",
                    "Condition": {"StringEquals": via_s3},
                },
                {
                    "Sid": "PlanRoleReadsStateThroughS3",
                    "Effect": "Allow",
                    "Principal": {"AWS": self.plan_role.arn},
                    "Action": ["kms:Decrypt"],
                    "Resource": "*",
                    "Condition": {"StringEquals": via_s3},
                },
            ],
        }
        key = KmsKey(
            self,
            "state_key",
            description=f"Terraform state of {s.prefix} (bucket {s.backend.bucket})",
            enable_key_rotation=True,
            rotation_period_in_days=STATE_KEY_ROTATION_DAYS,
            deletion_window_in_days=30,
            policy=json.dumps(policy),
            lifecycle=lifecycle,
            # Not a key class of catalogs/kms (those protect the platform's data): the documents name it by this,
            # and the audit's rotation Guard rule selects it by this tag like every other key.
            tags={"data-class": STATE_KEY_CLASS, "rotation-days": str(STATE_KEY_ROTATION_DAYS)},
        )
        KmsAlias(self, "state_key_alias", name=s.backend.kms_key_id, target_key_id=key.key_id)
        logs = private_bucket(
            self,
            "state_access_logs",
            name=names.state_access_logs_bucket(s),
            kms_key_arn=None,  # S3 server access logging delivers only to SSE-S3 buckets
            log_bucket=None,
            prevent_destroy=keep,
        )
        bucket = private_bucket(
            self,
            "state",
            name=s.backend.bucket,
            kms_key_arn=key.arn,
            log_bucket=logs.bucket,
            noncurrent_days=365,  # a year of state history to recover from
            prevent_destroy=keep,
        )
        S3BucketPolicy(
            self,
            "state_policy",
            bucket=bucket.id,
            policy=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        deny_insecure_transport([bucket_arn, f"{bucket_arn}/*"]),
                    ],
                }
            ),
        )
        logs_arn = f"arn:aws:s3:::{names.state_access_logs_bucket(s)}"
        S3BucketPolicy(
            self,
            "state_access_logs_policy",
            bucket=logs.id,
            policy=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        deny_insecure_transport([logs_arn, f"{logs_arn}/*"]),
                        {
                            "Sid": "S3ServerAccessLogsDelivery",
                            "Effect": "Allow",
                            "Principal": {"Service": "logging.s3.amazonaws.com"},
                            "Action": "s3:PutObject",
                            "Resource": f"{logs_arn}/*",
                            "Condition": {
                                "ArnLike": {"aws:SourceArn": bucket_arn},
                                "StringEquals": {"aws:SourceAccount": s.account_id},
                            },
                        },
                    ],
                }
            ),
        )


def plan_subjects(s: Settings) -> list[str]:
    """OIDC subjects of the jobs that may plan: pull requests of the repository (their workflow file at the
    pull request's merge ref) and the deploy workflow's plan jobs on main, which run in no environment."""
    repo = s.cicd.github_repository
    return [
        f"repo:{repo}:pull_request:job_workflow_ref:{repo}/{s.cicd.pull_request_workflow}@refs/pull/*/merge",
        f"repo:{repo}:ref:refs/heads/main:job_workflow_ref:{repo}/{s.cicd.deploy_workflow}@refs/heads/main",
    ]
