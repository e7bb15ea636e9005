from dataclasses import dataclass

import pytest
from boi_iam.report import role_report


@dataclass(frozen=True)
class Policy:
    owner: str
    document: dict


@dataclass(frozen=True)
class Role:
    name: str
    arn: str
    identity: tuple
    managed_policy_arns: tuple = ()


BUCKET = "arn:aws:s3:::boi-docs-prod"
ROLE = Role(
    name="boi-intake",
    arn="arn:aws:iam::111122223333:role/boi/boi-intake",
    identity=(
        Policy("app:aws_iam_role.intake#inline_policy/read", {"Version": "2012-10-17", "Statement": [
            {"Sid": "ReadUploads", "Effect": "Allow", "Action": "s3:GetObject*", "Resource": f"{BUCKET}/uploads/*"},  # noqa: E501
            {"Sid": "Token", "Effect": "Allow", "Action": "ecr:GetAuthorizationToken", "Resource": "*"},
            {"Sid": "List", "Effect": "Allow", "Action": "s3:ListBucket", "Resource": BUCKET,
             "Condition": {"StringLike": {"s3:prefix": "uploads/*"}}},
            {"Sid": "NoDelete", "Effect": "Deny", "Action": "s3:DeleteObject", "Resource": "*"},
        ]}),
        Policy("app:aws_iam_policy.broad", {"Version": "2012-10-17", "Statement": [
            {"Sid": "Everything", "Effect": "Allow", "NotAction": "iam:*", "Resource": "*"},
        ]}),
    ),
    managed_policy_arns=("arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore",),
)  # fmt: skip


def test_report_expands_wildcards_and_lists_star_conditions_and_not_action():
    r = role_report(ROLE, None)
    assert r["role"] == "boi-intake"
    assert "s3:GetObject" in r["granted_actions"] and "s3:GetObjectTagging" in r["granted_actions"]
    assert "s3:GetObject*" not in r["granted_actions"]
    assert "s3:DeleteObject" not in r["granted_actions"]  # Deny statements grant nothing
    assert r["resource_star"] == [
        {
            "owner": "app:aws_iam_role.intake#inline_policy/read",
            "sid": "Token",
            "actions": ["ecr:GetAuthorizationToken"],
        }
    ]
    assert r["conditions"] == [
        {"owner": "app:aws_iam_role.intake#inline_policy/read", "sid": "List", "operator": "StringLike",
         "key": "s3:prefix"}
    ]  # fmt: skip
    assert r["not_action_statements"] == [{"owner": "app:aws_iam_policy.broad", "sid": "Everything"}]
    assert r["managed_policy_arns"] == ["arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"]
    assert "ratio" not in r


def test_ratio_missing_and_unused_against_needed():
    needed = {
        ("s3:GetObject", f"{BUCKET}/uploads/a.pdf"),
        ("ecr:GetAuthorizationToken", "*"),
        ("sqs:SendMessage", "arn:aws:sqs:us-east-1:111122223333:intake"),
    }
    r = role_report(ROLE, needed)
    assert r["needed"] == 3
    assert r["missing"] == [("sqs:SendMessage", "arn:aws:sqs:us-east-1:111122223333:intake")]
    assert ("s3:ListBucket", BUCKET) in r["unused"]
    assert ("s3:GetObject", f"{BUCKET}/uploads/*") not in r["unused"]
    assert r["granted"] == len(r["grants"]) and r["ratio"] == round(r["granted"] / 3, 3)
    assert r["ratio"] > 3  # s3:GetObject* alone grants many actions


def test_needed_must_be_action_resource_tuples():
    with pytest.raises(ValueError, match=r"needed\[0\]: expected an \(action, resource ARN\) tuple"):
        role_report(ROLE, ["s3:GetObject"])
