"""People through IAM Identity Center (organization mode): one permission set per human role of the
environment, capped by the same boundary and guard policies as the role (customer managed policies
that the workload's foundation creates under the same names in its account), assigned to a group in
that workload account. Break-glass stays an IAM role with its own controls (app/foundation/governance.py)."""

from __future__ import annotations

from cdktn import Fn
from cdktn_provider_aws.data_aws_ssoadmin_instances import DataAwsSsoadminInstances
from cdktn_provider_aws.identitystore_group import IdentitystoreGroup
from cdktn_provider_aws.ssoadmin_account_assignment import SsoadminAccountAssignment
from cdktn_provider_aws.ssoadmin_customer_managed_policy_attachment import (
    SsoadminCustomerManagedPolicyAttachment,
    SsoadminCustomerManagedPolicyAttachmentCustomerManagedPolicyReference,
)
from cdktn_provider_aws.ssoadmin_managed_policy_attachment import SsoadminManagedPolicyAttachment
from cdktn_provider_aws.ssoadmin_permission_set import SsoadminPermissionSet
from cdktn_provider_aws.ssoadmin_permissions_boundary_attachment import (
    SsoadminPermissionsBoundaryAttachment,
    SsoadminPermissionsBoundaryAttachmentPermissionsBoundary,
    SsoadminPermissionsBoundaryAttachmentPermissionsBoundaryCustomerManagedPolicyReference,
)
from constructs import Construct

from app.core import names
from app.foundation.governance import HUMAN_PURPOSES, MANAGED_POLICIES
from app.organization import layout
from app.settings import Settings

SESSION = "PT1H"  # the human roles' max session (3600 s)


def permission_set_name(env: str, role: str) -> str:
    """`BoiProdPlatformAdmin`: Identity Center names are at most 32 characters, no dashes needed."""
    return "Boi" + env.title() + "".join(part.title() for part in role.split("-"))


def permission_sets(s: Settings, guard_count: int) -> list[dict]:
    """What each permission set carries (pure): the role's boundary, its guards, its managed policies."""
    out = []
    for role in layout.people_roles():
        managed = sorted(f"arn:aws:iam::aws:policy/{p}" for p, (roles, _) in MANAGED_POLICIES.items() if role in roles)
        out.append(
            {
                "role": role,
                "name": permission_set_name(s.environment, role),
                "description": HUMAN_PURPOSES[role][:700],
                "boundary": names.human_boundary(s),
                "customer_managed": [f"{s.prefix}-guard-{i}" for i in range(1, guard_count + 1)],
                "managed": managed,
                "group": names.human_role(s, role),
            }
        )
    return out


class IdentityCenter(Construct):
    def __init__(self, scope: Construct, id: str, *, settings: Settings, guard_count: int) -> None:
        super().__init__(scope, id)
        s = settings
        account = s.organization.workloads[s.environment].account_id
        instances = DataAwsSsoadminInstances(self, "instances")
        instance = Fn.element(instances.arns, 0)
        store = Fn.element(instances.identity_store_ids, 0)
        for spec in permission_sets(s, guard_count):
            key = spec["role"].replace("-", "_")
            ps = SsoadminPermissionSet(
                self,
                f"ps_{key}",
                name=spec["name"],
                description=spec["description"],
                instance_arn=instance,
                session_duration=SESSION,
            )
            SsoadminPermissionsBoundaryAttachment(
                self,
                f"ps_{key}_boundary",
                instance_arn=instance,
                permission_set_arn=ps.arn,
                permissions_boundary=SsoadminPermissionsBoundaryAttachmentPermissionsBoundary(
                    customer_managed_policy_reference=(
                        SsoadminPermissionsBoundaryAttachmentPermissionsBoundaryCustomerManagedPolicyReference(
                            name=spec["boundary"], path="/"
                        )
                    )
                ),
            )
            for i, guard in enumerate(spec["customer_managed"], start=1):
                SsoadminCustomerManagedPolicyAttachment(
                    self,
                    f"ps_{key}_guard_{i}",
                    instance_arn=instance,
                    permission_set_arn=ps.arn,
                    customer_managed_policy_reference=(
                        SsoadminCustomerManagedPolicyAttachmentCustomerManagedPolicyReference(name=guard, path="/")
                    ),
                )
            for arn in spec["managed"]:
                SsoadminManagedPolicyAttachment(
                    self,
                    f"ps_{key}_{arn.rsplit('/', 1)[1].lower()}",
                    instance_arn=instance,
                    permission_set_arn=ps.arn,
                    managed_policy_arn=arn,
                )
            group = IdentitystoreGroup(
                self,
                f"group_{key}",
                identity_store_id=store,
                display_name=spec["group"],
                description=spec["description"][:1024],
            )
            SsoadminAccountAssignment(
                self,
                f"assign_{key}",
                instance_arn=instance,
                permission_set_arn=ps.arn,
                principal_id=group.group_id,
                principal_type="GROUP",
                target_id=account,
                target_type="AWS_ACCOUNT",
            )
