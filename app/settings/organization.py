"""The organization section of the settings: which account plays which part of the AWS Security
Reference Architecture, the Regions each may use, and the role the deployer assumes into each.

Field shapes (12-digit ids, Region names, role names) are checked by the model, one line per field;
what needs the whole section (the same id in two parts, a Region outside the allowed ones, a
delegated administrator that is not a member account) by `organization_problems`, also one line
per problem, so the synth can report everything at once and write nothing.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

_REGION = r"^[a-z]{2}(-gov)?-[a-z]+-\d$"
# An IAM role name, optionally under a path (`path/name`); no ARN: the account id comes from the entry.
_ROLE_NAME = r"^([\w+=,.@-]+/)*[\w+=,.@-]{1,64}$"

# Services whose administration the management account hands to a member account (their service
# principals, as organizations:RegisterDelegatedAdministrator names them).
DELEGABLE_SERVICES = (
    "access-analyzer.amazonaws.com",
    "cloudtrail.amazonaws.com",
    "config.amazonaws.com",
    "guardduty.amazonaws.com",
    "macie.amazonaws.com",
    "securityhub.amazonaws.com",
)
# The parts of the layout that are accounts of their own (the workloads come on top, one per environment).
CORE_ACCOUNTS = ("management", "log_archive", "security_tooling")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Account(_Strict):
    account_id: str = Field(pattern=r"^\d{12}$", description="12-digit AWS account id")
    regions: list[str] = Field(min_length=1, description="Regions this account deploys to; the first is its home")
    deployer_role: str = Field(pattern=_ROLE_NAME, description="the role the deployer assumes into this account")
    email: str | None = Field(
        default=None,
        pattern=r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$",
        description="root e-mail when the management stack creates the account (members only)",
    )

    @property
    def region(self) -> str:
        return self.regions[0]

    def role_arn(self, partition: str = "aws") -> str:
        return f"arn:{partition}:iam::{self.account_id}:role/{self.deployer_role}"


class Organization(_Strict):
    allowed_regions: list[str] = Field(min_length=1, description="Regions the region-lock SCP allows")
    management: Account
    log_archive: Account
    security_tooling: Account
    workloads: dict[Literal["dev", "prod", "staging", "local"], Account] = Field(
        min_length=1, description="one workload account per environment"
    )
    delegated_administrators: dict[Literal[DELEGABLE_SERVICES], str] = Field(  # type: ignore[valid-type]
        default_factory=dict, description="service principal -> the member account id that administers it"
    )

    def accounts(self) -> dict[str, Account]:
        """Every account by its part: management, log_archive, security_tooling, workload-<env>."""
        out = {name: getattr(self, name) for name in CORE_ACCOUNTS}
        out.update({f"workload-{env}": account for env, account in sorted(self.workloads.items())})
        return out

    def members(self) -> dict[str, Account]:
        return {part: a for part, a in self.accounts().items() if part != "management"}

    def part_of(self, account_id: str) -> str | None:
        return next((part for part, a in self.accounts().items() if a.account_id == account_id), None)

    def description(self) -> dict:
        return {
            "allowed_regions": list(self.allowed_regions),
            "accounts": {
                part: {"account_id": a.account_id, "regions": list(a.regions), "deployer_role": a.deployer_role}
                for part, a in self.accounts().items()
            },
            "delegated_administrators": dict(sorted(self.delegated_administrators.items())),
        }


def organization_problems(
    org: Organization | None, *, organization_mode: bool, environment: str, account_id: str, region: str
) -> list[str]:
    """Everything wrong with the section as a whole, one line each (empty when it is sound)."""
    if org is None:
        if organization_mode:
            return ["organization: required when organization_mode is true (the accounts of the layout)"]
        return []
    problems: list[str] = []
    allowed = set(org.allowed_regions)
    seen: dict[str, str] = {}
    for part, account in org.accounts().items():
        field = part.replace("workload-", "workloads.")
        if account.account_id in seen:
            problems.append(
                f"organization.{field}.account_id: {account.account_id} is already the {seen[account.account_id]} "
                "account; every part of the layout needs an account of its own"
            )
        else:
            seen[account.account_id] = part
        for r in account.regions:
            if not re.fullmatch(_REGION, r):
                problems.append(f"organization.{field}.regions: {r!r} is not a Region name (e.g. us-east-1)")
            elif r not in allowed:
                problems.append(
                    f"organization.{field}.regions: {r!r} is outside organization.allowed_regions "
                    f"{sorted(allowed)}; the region-lock SCP would deny it"
                )
    members = {a.account_id: part for part, a in org.members().items()}
    for service, admin in sorted(org.delegated_administrators.items()):
        if admin not in members:
            what = "the management account" if admin == org.management.account_id else "no account of the layout"
            problems.append(
                f"organization.delegated_administrators.{service}: {admin!r} is {what}; a delegated "
                f"administrator must be a member account (allowed: {sorted(members)})"
            )
    if organization_mode:
        workload = org.workloads.get(environment)
        if workload is None:
            problems.append(
                f"organization.workloads: no workload account for environment {environment!r} "
                f"(listed: {sorted(org.workloads)})"
            )
        else:
            if workload.account_id != account_id:
                problems.append(
                    f"organization.workloads.{environment}.account_id: {workload.account_id} differs from "
                    f"account_id {account_id}; the environment deploys into its workload account"
                )
            if region not in workload.regions:
                problems.append(
                    f"organization.workloads.{environment}.regions: {list(workload.regions)} does not include "
                    f"region {region!r}"
                )
    return problems
