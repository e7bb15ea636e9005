"""Every policy of the synthesized JSON is linted; only reviewed findings are accepted."""

from __future__ import annotations

import pytest
from boi_iam.extract import extract_policies
from boi_iam.lint import apply_accepted, lint_policy_set

pytestmark = pytest.mark.slow


def test_no_unreviewed_lint_findings(dev):
    s = dev.environment()
    policies = extract_policies(dev, account_id=s.account_id, region=s.region)
    assert len(policies.policies) >= 60 and policies.warnings == ()
    findings = lint_policy_set(policies)
    unreviewed = apply_accepted(findings, dev)
    assert unreviewed == [], "\n".join(str(f) for f in unreviewed)


def test_a_new_wildcard_grant_is_an_unreviewed_finding(dev):
    s = dev.environment()
    policies = extract_policies(dev, account_id=s.account_id, region=s.region)
    role = policies.role("boi-dev-authentication-execution")
    from boi_iam.lint import lint_policy

    doc = {
        "Version": "2012-10-17",
        "Statement": [{"Sid": "Oops", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}],
    }
    added = lint_policy(doc, kind="identity", owner=str(role.identity[0].owner))
    unreviewed = apply_accepted(lint_policy_set(policies) + added, dev)
    assert unreviewed and all(f.sid == "Oops" for f in unreviewed), unreviewed


def test_an_acceptance_that_matches_no_finding_is_stale(dev):
    import copy

    s = dev.environment()
    mutated = copy.deepcopy(dict(dev))
    grants = next(
        body
        for stack in mutated.values()
        for name, body in (stack.get("resource", {}).get("aws_iam_role_policy") or {}).items()
        if "authentication_execution" in name
    )
    grants["//"].setdefault("boi_accept", {})["NoSuchSid"] = {
        "boi:RESOURCE_STAR": {"reason": "reviewed long ago", "entry": "stale/entry sid NoSuchSid"}
    }
    policies = extract_policies(mutated, account_id=s.account_id, region=s.region)
    with pytest.raises(ValueError, match="stale/entry sid NoSuchSid boi:RESOURCE_STAR"):
        apply_accepted(lint_policy_set(policies), mutated)
