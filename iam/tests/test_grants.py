"""The grant model: placement rule, statements, and the errors bad grants raise. No jsii."""

from __future__ import annotations

import pytest
from boi_iam import actiondb
from boi_iam import actions as A
from boi_iam.errors import GrantError
from boi_iam.grants import OPERATIONS, Asset, Grant, Operation, Principal, placement, statements_for
from boi_iam.policy import Statement, document

ACCOUNT = "111122223333"
ROLE = Principal(name="worker", arn=f"arn:aws:iam::{ACCOUNT}:role/worker", account_id=ACCOUNT)
BUCKET = Asset(
    kind="s3_bucket",
    name="documents",
    arn="arn:aws:s3:::docs",
    account_id=ACCOUNT,
    region="us-east-1",
    key_arn="arn:aws:kms:us-east-1:111122223333:key/k",
)
KEY = Asset(
    kind="kms_key",
    name="pii key",
    arn="arn:aws:kms:us-east-1:111122223333:key/k",
    account_id=ACCOUNT,
    region="us-east-1",
)


def test_placement_rule():
    events = Principal(name="EventBridge", service="events.amazonaws.com")
    other = Principal(name="partner", arn="arn:aws:iam::444455556666:role/p", account_id="444455556666")
    assert placement(ROLE, BUCKET) == "identity"
    assert placement(ROLE, KEY) == "both"
    assert placement(events, BUCKET) == "resource"
    assert placement(other, BUCKET) == "both"


def test_put_under_a_prefix_requires_the_bucket_key():
    result = statements_for(Grant(ROLE, BUCKET, "put", "store uploads", prefix="uploads/"))
    (statement,) = result.identity
    assert statement.resources == ("arn:aws:s3:::docs/uploads/*",)
    assert statement.conditions["StringEquals"]["s3:x-amz-server-side-encryption-aws-kms-key-id"] == BUCKET.key_arn
    assert result.resource == ()


def test_kms_grants_are_direct_only_unless_a_service_is_named():
    direct = statements_for(Grant(ROLE, KEY, "decrypt", "field encryption")).identity[0]
    assert direct.conditions["Null"] == {"kms:ViaService": "true"}
    via = statements_for(Grant(ROLE, KEY, "decrypt", "through S3", via="s3")).identity[0]
    assert via.conditions["StringEquals"]["kms:ViaService"] == "s3.us-east-1.amazonaws.com"
    assert "Null" not in via.conditions


def test_service_principal_grants_need_a_source_arn():
    events = Principal(name="EventBridge", service="events.amazonaws.com")
    queue = Asset(
        kind="sqs_queue",
        name="filing queue",
        arn="arn:aws:sqs:us-east-1:111122223333:q",
        account_id=ACCOUNT,
        region="us-east-1",
    )
    with pytest.raises(GrantError, match="needs source_arn="):
        statements_for(Grant(events, queue, "send", "deliver events"))
    rule = "arn:aws:events:us-east-1:111122223333:rule/bus/r"
    (statement,) = statements_for(Grant(events, queue, "send", "deliver events", source_arn=rule)).resource
    assert statement.principals == {"Service": "events.amazonaws.com"}
    assert statement.conditions == {"ArnEquals": {"aws:SourceArn": rule}}


def test_kms_grant_lands_in_both_policies():
    result = statements_for(Grant(ROLE, KEY, "encrypt", "write"))
    assert len(result.identity) == 1 and len(result.resource) == 1
    assert result.resource[0].principals == {"AWS": ROLE.arn}


@pytest.mark.parametrize(
    "grant, message",
    [
        (Grant(ROLE, BUCKET, "administer", "x"), "operation 'administer' is not defined for a s3_bucket"),
        (Grant(ROLE, BUCKET, "read", " "), "a reason is required"),
        (Grant(ROLE, BUCKET, "read", "x", prefix="../"), "prefix '../'"),
        (Grant(ROLE, Asset("database", "db", "db-1", ACCOUNT, "us-east-1"), "connect", "x"), "needs db_user="),
    ],
)
def test_bad_grants_are_named(grant, message):
    with pytest.raises(GrantError, match=message.replace("(", r"\(").replace(".", r"\.")):
        statements_for(grant)


def test_malformed_principal_arn_is_rejected():
    with pytest.raises(GrantError, match="is not a role ARN"):
        Principal(name="x", arn="arn:aws:iam::12:role/x", account_id="12")


def test_unknown_action_is_rejected(monkeypatch):
    monkeypatch.setitem(OPERATIONS, ("s3_bucket", "read"), Operation(("s3:GetObjekt",), lambda g: (g.asset.arn,)))
    with pytest.raises(GrantError, match=r"unknown IAM action\(s\) \['s3:GetObjekt'\]"):
        statements_for(Grant(ROLE, BUCKET, "read", "x"))


def test_star_resource_only_for_actions_without_resource_level_permissions():
    """RESOURCE_STAR_ONLY is checked against the IAM action database, not trusted by hand."""
    scoped = [a for a in A.RESOURCE_STAR_ONLY if any(required for _, required in actiondb.resource_types(a))]
    assert scoped == []
    for (kind, name), op in OPERATIONS.items():
        if kind == "account":
            assert set(op.actions) <= A.RESOURCE_STAR_ONLY, (kind, name)
    for (kind, name), op in OPERATIONS.items():
        for action in op.actions:
            assert actiondb.is_known(action), (kind, name, action)


def test_statements_refuse_wildcards_and_duplicate_sids():
    with pytest.raises(GrantError, match="wildcard"):
        Statement(sid="All", actions=("s3:*",), resources=("*",), reason="no")
    statement = Statement(sid="Read", actions=("s3:GetObject",), resources=("arn:aws:s3:::b/*",), reason="r")
    with pytest.raises(GrantError, match="appears twice"):
        document([statement, statement])
