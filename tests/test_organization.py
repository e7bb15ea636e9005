"""The organization layout (prod): one stack per account with its own provider and state, the SCPs and
RCPs within AWS's quotas with a reason per statement, and the proofs across accounts (boi/organization.py)
on the IAM simulator, with a mutation test per guardrail statement."""

from __future__ import annotations

import json

import pytest
from boi_model import meta
from boi_model.synth import SynthError

from boi import organization

ORG_STACKS = {
    "boi-org-management": "management",
    "boi-org-log-archive": "log_archive",
    "boi-org-security-tooling": "security_tooling",
}


@pytest.fixture(scope="module")
def prod(synth_env):
    return synth_env("prod")[1]


@pytest.fixture(scope="module")
def view(prod):
    return organization.OrgView.of(prod)


@pytest.fixture(scope="module")
def verdicts(view, simulator):
    return organization.run(simulator, organization.cases(view))


def test_each_account_stack_assumes_a_role_into_its_own_account(prod):
    accounts = prod.environment().detail("organization")["accounts"]
    for stack, part in ORG_STACKS.items():
        provider = prod[stack]["provider"]["aws"][0]
        account = accounts[part]
        assert provider["allowed_account_ids"] == [account["account_id"]]
        assert provider["assume_role"][0]["role_arn"] == (
            f"arn:aws:iam::{account['account_id']}:role/{account['deployer_role']}"
        )
        assert prod[stack][meta.COMMENT][meta.ACCOUNT]["part"] == part
        # own state: one backend key per stack
        assert prod[stack]["terraform"]["backend"]["s3"]["key"].endswith(f"/{stack}.tfstate")
    bootstrap = prod["boi-prod-bootstrap"]["provider"]["aws"][0]
    assert bootstrap["assume_role"][0]["role_arn"].startswith(
        f"arn:aws:iam::{accounts['workload-prod']['account_id']}:"
    )


def test_the_workload_foundation_holds_no_organization_policy(prod):
    assert "aws_organizations_policy" not in prod["boi-prod-foundation"]["resource"]
    resources = prod["boi-prod-foundation"]["resource"]
    assert "aws_config_configuration_aggregator" not in resources
    assert all(not a["type"].startswith("ORGANIZATION") for a in resources["aws_accessanalyzer_analyzer"].values())
    trail = next(iter(resources["aws_cloudtrail"].values()))
    assert trail["is_organization_trail"] is False


def test_the_organization_trail_and_detectors_live_in_security_tooling(prod):
    tooling = prod["boi-org-security-tooling"]["resource"]
    trail = next(iter(tooling["aws_cloudtrail"].values()))
    assert trail["is_organization_trail"] is True
    # the bucket is the log archive's, read across stacks through its outputs
    assert "terraform_remote_state" in json.dumps(prod["boi-org-security-tooling"].get("data", {}))
    assert next(iter(tooling["aws_accessanalyzer_analyzer"].values()))["type"].startswith("ORGANIZATION")
    for t in (
        "aws_guardduty_organization_configuration",
        "aws_securityhub_organization_configuration",
        "aws_macie2_organization_configuration",
        "aws_config_configuration_aggregator",
    ):
        assert t in tooling, t
    archive = prod["boi-org-log-archive"]["resource"]
    lock = next(iter(archive["aws_s3_bucket_object_lock_configuration"].values()))
    assert lock["rule"]["default_retention"]["mode"] == "COMPLIANCE"


def test_guardrails_fit_the_quotas_and_every_statement_has_a_reason(prod, view):
    per_target: dict[str, dict[str, int]] = {}
    for name, (_, doc) in view.policies.items():
        assert len(json.dumps(doc, separators=(",", ":"))) <= 5120, name
        body = prod[view.stack]["resource"]["aws_organizations_policy"][name]
        reasons = body[meta.COMMENT][meta.REASONS]
        assert set(reasons) == {st["Sid"] for st in doc["Statement"]}, name
    for ou, names in view.attachments.items():
        for name in names:
            kind = view.policies[name][0]
            per_target.setdefault(ou, {}).setdefault(kind, 0)
            per_target[ou][kind] += 1
    for ou, kinds in per_target.items():
        for kind, count in kinds.items():
            assert count + 1 <= 5, f"{ou}: {count} {kind} + the AWS default exceed 5 per target"
    sids = set(view.sids())
    assert {
        "DenyOtherRegions",
        "DenyLeaveOrganization",
        "DenyAuditServiceChanges",
        "DenyPrivilegedIdentityChanges",
        "DenyRootUser",
        "DenyArchiveChanges",
        "DenyOutsideOrganization",
    } <= sids
    rcp = next(doc for kind, doc in view.policies.values() if kind == "RESOURCE_CONTROL_POLICY")
    actions = {a for st in rcp["Statement"] for a in st["Action"]}
    assert {"s3:*", "kms:*", "secretsmanager:*", "sqs:*", "sts:AssumeRole"} <= actions


def test_delegated_administrators_are_registered(prod, view):
    from boi_model import refs

    org = prod.environment().detail("organization")
    resources = prod[view.stack]["resource"]
    # registrations name the member account resource; its name says which part it is
    part_of = {name: b["name"].removeprefix("boi-") for name, b in resources["aws_organizations_account"].items()}

    def account(text: str) -> str:
        return org["accounts"][part_of[refs.whole(text).name]]["account_id"]

    registered = {
        b["service_principal"]: account(b["account_id"])
        for b in resources.get("aws_organizations_delegated_administrator", {}).values()
    }
    for t, service in (
        ("aws_guardduty_organization_admin_account", "guardduty.amazonaws.com"),
        ("aws_securityhub_organization_admin_account", "securityhub.amazonaws.com"),
        ("aws_macie2_organization_admin_account", "macie.amazonaws.com"),
    ):
        for body in resources.get(t, {}).values():
            registered[service] = account(body["admin_account_id"])
    assert registered == org["delegated_administrators"]


def test_people_get_permission_sets_with_the_roles_boundary_and_guards(prod, view):
    resources = prod[view.stack]["resource"]
    sets = resources["aws_ssoadmin_permission_set"]
    # the five human roles but break-glass
    assert {ps["name"] for ps in sets.values()} == {
        "BoiProdPlatformAdmin",
        "BoiProdSecurityAdmin",
        "BoiProdSecurityAuditor",
        "BoiProdComplianceOfficer",
        "BoiProdSupportEngineer",
    }
    assert all(ps["session_duration"] == "PT1H" for ps in sets.values())
    boundaries = resources["aws_ssoadmin_permissions_boundary_attachment"].values()
    assert {b["permissions_boundary"]["customer_managed_policy_reference"]["name"] for b in boundaries} == {
        "boi-prod-human-boundary"
    }
    guards = prod["boi-prod-foundation"]["resource"]["aws_iam_policy"]
    guard_names = {p["name"] for p in guards.values() if p["name"].startswith("boi-prod-guard-")}
    attached = {
        a["customer_managed_policy_reference"]["name"]
        for a in resources["aws_ssoadmin_customer_managed_policy_attachment"].values()
    }
    assert attached == guard_names
    prod_account = prod.environment().detail("organization")["accounts"]["workload-prod"]["account_id"]
    assert {a["target_id"] for a in resources["aws_ssoadmin_account_assignment"].values()} == {prod_account}
    # break-glass stays an IAM role in the workload account
    roles = {r["name"] for r in prod["boi-prod-foundation"]["resource"]["aws_iam_role"].values()}
    assert "boi-prod-break-glass" in roles


def test_a_single_account_synth_is_not_an_organization(dev):
    with pytest.raises(SynthError):
        organization.OrgView.of(dev)


def test_proofs_across_accounts(verdicts):
    assert organization.failures(verdicts) == []
    names = [c.name for c, _ in verdicts]
    assert any("cannot s3:GetObject on the log archive" in n for n in names)
    assert sum("an account administrator cannot" in n for n in names) >= 4 * len(organization.AUDIT_CHANGES)


def test_removing_any_guardrail_statement_fails_a_proof(view, simulator):
    survivors = []
    for sid in view.sids():
        if not organization.failures(organization.run(simulator, organization.cases(view.without(sid)))):
            survivors.append(sid)
    assert survivors == [], f"no proof notices these statements missing: {survivors}"


def test_each_stack_belongs_to_one_account(prod):
    org = prod.environment().detail("organization")["accounts"]
    by_account = {account: sorted(stacks) for account, stacks in prod.by_account().items()}
    assert by_account == {
        org["management"]["account_id"]: ["boi-org-management"],
        org["log_archive"]["account_id"]: ["boi-org-log-archive"],
        org["security_tooling"]["account_id"]: ["boi-org-security-tooling"],
        org["workload-prod"]["account_id"]: ["boi-prod-bootstrap", "boi-prod-foundation", "boi-prod-platform"],
    }
    assert sorted(prod.home()) == by_account[org["workload-prod"]["account_id"]]
