"""The management account: the organization, its OUs and member accounts, the SCPs and RCPs with their
attachments, and the delegated administrators. Thin: every document and placement is `layout`'s."""

from __future__ import annotations

import json

from boi_iam import guardrails
from boi_iam.role import note
from boi_model import meta
from cdktn import TerraformResourceLifecycle
from cdktn_provider_aws.guardduty_organization_admin_account import GuarddutyOrganizationAdminAccount
from cdktn_provider_aws.macie2_organization_admin_account import Macie2OrganizationAdminAccount
from cdktn_provider_aws.organizations_account import OrganizationsAccount
from cdktn_provider_aws.organizations_delegated_administrator import OrganizationsDelegatedAdministrator
from cdktn_provider_aws.organizations_organization import OrganizationsOrganization
from cdktn_provider_aws.organizations_organizational_unit import OrganizationsOrganizationalUnit
from cdktn_provider_aws.organizations_policy import OrganizationsPolicy
from cdktn_provider_aws.organizations_policy_attachment import OrganizationsPolicyAttachment
from cdktn_provider_aws.securityhub_organization_admin_account import SecurityhubOrganizationAdminAccount
from constructs import Construct

from app.organization import layout
from app.settings import Settings
from app.settings.organization import DELEGABLE_SERVICES


def _id(text: str) -> str:
    return text.replace("-", "_").replace(".", "_")


class Management(Construct):
    def __init__(self, scope: Construct, id: str, *, settings: Settings) -> None:
        super().__init__(scope, id)
        s = self.settings = settings
        org = s.organization
        keep = TerraformResourceLifecycle(prevent_destroy=True) if s.keys.prevent_destroy else None
        self.organization = OrganizationsOrganization(
            self,
            "organization",
            feature_set="ALL",
            aws_service_access_principals=sorted({*DELEGABLE_SERVICES, layout.SSO_SERVICE}),
            enabled_policy_types=["SERVICE_CONTROL_POLICY", "RESOURCE_CONTROL_POLICY"],
            lifecycle=keep,
        )
        root = self.organization.roots.get(0).id
        self.ous: dict[str, OrganizationsOrganizationalUnit] = {}
        for key, (name, parent) in layout.OUS.items():
            self.ous[key] = OrganizationsOrganizationalUnit(
                self, f"ou_{key}", name=name, parent_id=self.ous[parent].id if parent else root
            )
        self.accounts: dict[str, OrganizationsAccount] = {}
        for place in layout.placements(s):
            if place.ou is None:
                continue
            account = org.accounts()[place.part]
            self.accounts[place.part] = OrganizationsAccount(
                self,
                f"account_{_id(place.part)}",
                name=f"boi-{place.part}",
                email=account.email or f"aws-{place.part}@invalid.example",
                parent_id=self.ous[place.ou].id,
                role_name=account.deployer_role,
                # Closing an account is a decision, never a side effect of a destroy: it leaves the organization.
                close_on_deletion=False,
                iam_user_access_to_billing="DENY",
                lifecycle=TerraformResourceLifecycle(
                    prevent_destroy=s.keys.prevent_destroy, ignore_changes=["role_name", "email"]
                ),
            )
        self._policies("SERVICE_CONTROL_POLICY", layout.scp_documents(s))
        # The organization id the settings name (the perimeter's aws:PrincipalOrgID), the same in both places.
        self._policies("RESOURCE_CONTROL_POLICY", layout.rcp_documents(s.organization_id))
        self._delegations()

    def _policies(self, kind: str, documents: dict[str, tuple[dict, tuple[str, ...]]]) -> None:
        for name, (doc, targets) in documents.items():
            policy = OrganizationsPolicy(
                self,
                _id(name),
                name=f"{layout.ORG_PREFIX}-{name}",
                type=kind,
                content=json.dumps(doc),
                description=f"BOI guardrail {name}: " + ", ".join(st["Sid"] for st in doc["Statement"]),
                depends_on=[self.organization],
            )
            note(policy, meta.REASONS, guardrails.statement_reasons(doc))
            for target in targets:
                OrganizationsPolicyAttachment(
                    self, f"{_id(name)}_{target}", policy_id=policy.id, target_id=self.ous[target].id
                )

    def _delegations(self) -> None:
        members = {a.account_id: part for part, a in self.settings.organization.members().items()}
        registered = {
            "guardduty.amazonaws.com": GuarddutyOrganizationAdminAccount,
            "macie.amazonaws.com": Macie2OrganizationAdminAccount,
            "securityhub.amazonaws.com": SecurityhubOrganizationAdminAccount,
        }
        for service, admin in sorted(self.settings.organization.delegated_administrators.items()):
            # The member account's id as the organization knows it (the account resource), so the
            # registration follows the account.
            account_id = self.accounts[members[admin]].id
            if service in registered:
                if not self.settings.skips("organization_admins"):
                    registered[service](self, f"admin_{_id(service)}", admin_account_id=account_id)
            else:
                OrganizationsDelegatedAdministrator(
                    self, f"delegated_{_id(service)}", account_id=account_id, service_principal=service
                )
