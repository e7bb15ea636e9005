"""SCPs and RCPs as pure documents: what each statement covers, whom it exempts, and its reason."""

from __future__ import annotations

import fnmatch

from boi_iam import guardrails

BASE = ["arn:aws:iam::111122223333:role/boi-prod-foundation-deploy"]


def scps(**extra):
    return guardrails.service_control_policies(
        allowed_regions=["us-east-1"], protected_role_arns=BASE, key_admin_arns=BASE, **extra
    )


def test_optional_scps_appear_only_when_asked():
    assert "protect-privileged-roles" not in scps()
    assert "protect-log-archive" not in scps()
    docs = scps(
        privileged_role_arns=["arn:aws:iam::111122223333:role/boi-prod-break-glass"],
        archive_bucket_arns=["arn:aws:s3:::archive"],
    )
    roles = docs["protect-privileged-roles"]["Statement"][0]
    assert roles["Sid"] == "DenyPrivilegedIdentityChanges"
    assert roles["Resource"] == "arn:aws:iam::111122223333:role/boi-prod-break-glass"
    assert roles["Condition"] == {"ArnNotLike": {"aws:PrincipalArn": BASE}}
    for action in ("iam:UpdateAssumeRolePolicy", "iam:PutRolePolicy", "iam:AttachRolePolicy", "iam:DeleteRole"):
        assert any(fnmatch.fnmatchcase(action, pattern) for pattern in roles["Action"]), action
    assert not any(fnmatch.fnmatchcase("iam:GetRole", pattern) for pattern in roles["Action"])
    archive = docs["protect-log-archive"]["Statement"][0]
    assert archive["Sid"] == "DenyArchiveChanges"
    assert sorted(archive["Resource"]) == ["arn:aws:s3:::archive", "arn:aws:s3:::archive/*"]
    assert {"s3:PutBucketPolicy", "s3:PutBucketObjectLockConfiguration", "s3:PutObjectRetention"} <= set(
        archive["Action"]
    )
    assert "s3:GetObject" not in archive["Action"]


def test_every_statement_has_a_reason():
    docs = scps(privileged_role_arns=["arn:aws:iam::*:role/x"], archive_bucket_arns=["arn:aws:s3:::a"])
    docs |= guardrails.resource_control_policies(org_id="o-abcdefghij")
    for doc in docs.values():
        assert set(guardrails.statement_reasons(doc)) == {s["Sid"] for s in doc["Statement"]}


def test_the_rcp_covers_role_assumption_but_not_federation():
    rcp = guardrails.resource_control_policies(org_id="o-abcdefghij")["data-perimeter"]
    outside = next(s for s in rcp["Statement"] if s["Sid"] == "DenyOutsideOrganization")
    assert {"s3:*", "kms:*", "sqs:*", "secretsmanager:*", "sts:AssumeRole"} <= set(outside["Action"])
    assert "sts:AssumeRoleWithWebIdentity" not in outside["Action"]
    assert outside["Condition"]["StringNotEqualsIfExists"] == {"aws:PrincipalOrgID": "o-abcdefghij"}
