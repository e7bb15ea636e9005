"""Protected assets: action categories from the IAM action database, wildcards that swallow no read,
deny statements narrowed to a ceiling, and guard policies that fit the quota."""

from __future__ import annotations

import pytest
from boi_iam import actiondb
from boi_iam import guardrails as g
from boi_iam.protect import (
    CatalogError,
    Part,
    ProtectedAsset,
    categories,
    compress,
    deny_statements,
    known_types,
    policy_size,
    service_mutations,
)


@pytest.mark.parametrize("iam_type", known_types())
def test_every_action_of_every_catalogued_type_has_exactly_one_category(iam_type):
    cats = categories(iam_type)
    every = [a for c in cats.values() for a in c]
    assert len(every) == len(set(every)), f"{iam_type}: an action in two categories"
    db = actiondb.load()
    service, _, rtype = iam_type.partition(":")
    applying = {a for a in db.expand(f"{service}:*") if any(rt == rtype for rt, _ in db.info(a).resource_types)}
    assert set(every) == applying


def test_writes_are_control_unless_named_as_data():
    cats = categories("s3:bucket")
    assert "s3:PutBucketPolicy" in cats["control"] and "s3:GetBucketPolicy" in cats["config"]
    assert {"kms:Decrypt", "kms:ReEncryptFrom"} <= set(categories("kms:key")["data_read"])
    assert "kms:PutKeyPolicy" in categories("kms:key")["control"]
    assert "dynamodb:PartiQLSelect" in categories("dynamodb:table")["data_read"]


def test_an_unknown_type_is_refused():
    with pytest.raises(CatalogError, match="not in iam_types.yaml"):
        categories("s3:teapot")


def test_wildcards_never_swallow_a_read():
    db = actiondb.load()
    for service in ("guardduty", "securityhub", "config", "iam", "cloudtrail"):
        mutations = service_mutations(service)
        for pattern in compress(mutations):
            for action in db.expand(pattern):
                assert action in mutations, f"{pattern} also matches {action}"


def test_a_scoped_statement_may_use_wider_wildcards():
    control = categories("s3:bucket")["control"]
    assert "s3:Put*" in compress(control, ["s3:bucket"])
    assert "s3:Put*" not in compress(control)  # unscoped, Put* would also deny PutObject


ASSETS = [
    ProtectedAsset("documents", "pii", (Part("s3:object", "arn:aws:s3:::docs/*"),), readers=("arn:reader",)),
    ProtectedAsset("queue", "pii", (Part("sqs:queue", "arn:aws:sqs:us-east-1:111122223333:q"),)),
    ProtectedAsset("archive", "audit", (Part("s3:bucket", "arn:aws:s3:::archive"),)),
]


def test_deny_statements_group_by_class_category_and_exemptions():
    statements = deny_statements(ASSETS)
    by_sid = {s["Sid"]: s for s in statements}
    assert by_sid["DenyPiiRead"]["Condition"] == {"ArnNotLike": {"aws:PrincipalArn": ["arn:reader"]}}
    assert "sqs:ReceiveMessage" in by_sid["DenyPiiRead2"]["Action"]
    assert by_sid["DenyAuditChange"]["Resource"] == "arn:aws:s3:::archive"


def test_a_ceiling_narrows_each_deny_to_what_it_could_allow():
    statements = deny_statements(ASSETS, ceiling=["s3:GetObject", "sqs:SendMessage"])
    assert {tuple(s["Action"]) for s in statements} == {("s3:GetObject",), ("sqs:SendMessage",)}
    assert all("*" not in a for s in statements for a in s["Action"])


def test_pack_splits_by_the_quota_and_prune_drops_what_a_ceiling_never_allows():
    many = [g.identity_changes(sid=f"S{i}") for i in range(20)]
    docs = g.pack(many)
    assert len(docs) > 1 and all(policy_size(d) <= 6144 for d in docs)
    assert [s["Sid"] for d in docs for s in d["Statement"]] == [f"S{i}" for i in range(20)]
    assert g.prune([g.identity_changes(), g.audit_service_changes()], ["s3:GetObject"]) == []
    kept = g.prune([g.identity_changes()], ["iam:PassRole", "s3:GetObject"])
    assert kept[0]["Action"] == ["iam:PassRole"]


def test_every_guardrail_statement_has_a_reason_and_an_unknown_one_is_refused():
    from boi_iam.guardrails import statement_reasons

    doc = {
        "Statement": [
            {"Sid": "DenyPiiRead3", "Effect": "Deny"},
            {"Sid": "DenyAuditChange", "Effect": "Deny"},
            {"Sid": "DenyKeyDestruction", "Effect": "Deny"},
        ]
    }
    reasons = statement_reasons(doc)
    assert reasons["DenyPiiRead3"].startswith("no reading of the platform's PII stores")
    assert "audit baseline" in reasons["DenyAuditChange"]
    assert reasons["DenyKeyDestruction"] == "only break-glass may schedule key deletion or delete aliases"
    with pytest.raises(ValueError, match=r"without a reason .*\['DenyTypo'\]"):
        statement_reasons({"Statement": [{"Sid": "DenyTypo"}]})
