"""KeyRing construct: one real synth (cdk.tf.json on disk, like `cdktn synth`) shared by all tests."""

import json
from datetime import date

import pytest
from boi_kms import policy as P
from boi_kms.catalog import example
from boi_kms.classes import resolve_classes
from boi_kms.errors import ConfigError

pytestmark = pytest.mark.slow  # jsii, a moto server or the Node simulator: not the pure core

ADMIN = "arn:aws:iam::111122223333:role/security-admin"


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    from boi_kms.key_ring import KeyRing
    from cdktn import App, TerraformStack
    from cdktn_provider_aws.iam_role import IamRole
    from cdktn_provider_aws.provider import AwsProvider
    from cdktn_provider_aws.s3_bucket import S3Bucket
    from cdktn_provider_aws.s3_bucket_server_side_encryption_configuration import (
        S3BucketServerSideEncryptionConfigurationA,
        S3BucketServerSideEncryptionConfigurationRuleA,
        S3BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultA,
    )

    outdir = tmp_path_factory.mktemp("cdktf.out")
    app = App(outdir=str(outdir))
    stack = TerraformStack(app, "security")
    AwsProvider(stack, "aws", region="us-east-1")
    classes = resolve_classes({"logs": 400}, catalog=example().classes)
    ring = KeyRing(
        stack,
        "keys",
        name_prefix="boi-dev",
        account_id="111122223333",
        region="us-east-1",
        classes=classes,
        administrator_role_arns=[ADMIN],
        break_glass_role_arn="arn:aws:iam::111122223333:role/break-glass",
    )
    # Granted after construction and pointing at a role created later: both must land in the policy.
    reader = IamRole(stack, "document_service", name="document-service", assume_role_policy="{}")
    documents = ring.key("documents")
    documents.allow_use("DocsRead", reader.arn, P.DECRYPT, "s3", "document service reads uploads")
    bucket = S3Bucket(stack, "documents_bucket", bucket="boi-dev-documents")
    S3BucketServerSideEncryptionConfigurationA(
        stack,
        "documents_sse",
        bucket=bucket.id,
        rule=[
            S3BucketServerSideEncryptionConfigurationRuleA(
                apply_server_side_encryption_by_default=S3BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultA(
                    sse_algorithm="aws:kms", kms_master_key_id=documents.arn
                ),
                bucket_key_enabled=True,
            )
        ],
    )
    local = KeyRing(
        stack,
        "local_keys",
        name_prefix="boi-local",
        account_id="111122223333",
        region="us-east-1",
        classes={"pii": classes["pii"]},
        administrator_role_arns=[ADMIN],
        prevent_destroy=False,
    )
    errors = {}
    try:
        ring.key("pi")
    except ConfigError as error:
        errors["unknown"] = str(error)
    try:
        documents.allow_use("AdminUse", ADMIN, P.DECRYPT, "s3", "should fail")
    except ConfigError as error:
        errors["admin"] = str(error)
    app.synth()
    synth = json.loads((outdir / "stacks" / "security" / "cdk.tf.json").read_text())
    return {"ring": ring, "local": local, "synth": synth, "errors": errors, "classes": classes}


def keys_by_class(synth):
    return {body["tags"]["data-class"]: body for body in synth["resource"]["aws_kms_key"].values()}


def test_one_key_and_alias_per_class(built):
    synth = built["synth"]
    keys = synth["resource"]["aws_kms_key"]
    assert len(keys) == 8  # seven ring keys plus the local ring's pii key
    aliases = sorted(a["name"] for a in synth["resource"]["aws_kms_alias"].values())
    assert "alias/boi-dev-documents" in aliases and "alias/boi-local-pii" in aliases
    handles = built["ring"].keys()  # a list of KeyHandle, not a dict view
    assert {k.alias_name for k in handles} == {f"alias/boi-dev-{c}" for c in built["classes"]}
    assert any(name.startswith("keys_documents") for name in keys)


def test_key_arguments_follow_the_class(built):
    ring_keys = {
        b["tags"]["data-class"]: b
        for name, b in built["synth"]["resource"]["aws_kms_key"].items()
        if name.startswith("keys_")
    }
    assert ring_keys["pii"]["rotation_period_in_days"] == 180
    assert ring_keys["logs"]["rotation_period_in_days"] == 400  # the override
    for body in ring_keys.values():
        assert body["enable_key_rotation"] is True
        assert body["deletion_window_in_days"] == 30
        assert body["customer_master_key_spec"] == "SYMMETRIC_DEFAULT"
        assert body["key_usage"] == "ENCRYPT_DECRYPT"
        assert body["multi_region"] is False
        assert body["lifecycle"] == {"prevent_destroy": True}
        assert body["tags"]["rotation-days"] == str(body["rotation_period_in_days"])
        assert "region" not in body


def test_prevent_destroy_can_be_turned_off(built):
    local = [b for n, b in built["synth"]["resource"]["aws_kms_key"].items() if n.startswith("local_keys")]
    assert [b["lifecycle"] for b in local] == [{"prevent_destroy": False}]


def test_late_grant_lands_in_the_policy_with_a_resolved_reference(built):
    documents = next(
        b
        for n, b in built["synth"]["resource"]["aws_kms_key"].items()
        if n.startswith("keys_") and b["tags"]["data-class"] == "documents"
    )
    policy = json.loads(documents["policy"])
    statements = {s["Sid"]: s for s in policy["Statement"]}
    assert list(statements)[:2] == ["KeyAdministration", "BreakGlassKeyDeletion"]
    read = statements["DocsRead"]
    assert read["Condition"]["ArnEquals"]["aws:PrincipalArn"] == ["${aws_iam_role.document_service.arn}"]
    assert read["Condition"]["StringEquals"]["kms:ViaService"] == "s3.us-east-1.amazonaws.com"
    assert statements["AllowAWSResourceGrants"]["Condition"]["ArnEquals"]["aws:PrincipalArn"] == [
        "${aws_iam_role.document_service.arn}"
    ]
    assert P.check_separation_of_duties(policy) == []
    assert documents["//"]["boi_kms_statement_reasons"]["DocsRead"] == "document service reads uploads"


def test_every_synthesized_policy_keeps_duties_apart(built):
    for name, body in built["synth"]["resource"]["aws_kms_key"].items():
        assert P.check_separation_of_duties(json.loads(body["policy"])) == [], name


def test_construct_errors(built):
    assert "documents" in built["errors"]["unknown"] and "'pi'" in built["errors"]["unknown"]
    assert "separation of duties" in built["errors"]["admin"] and "AdminUse" in built["errors"]["admin"]


def test_statement_records(built):
    records = built["ring"].statements()["alias/boi-dev-documents"]
    assert [r.sid for r in records] == [
        "KeyAdministration",
        "BreakGlassKeyDeletion",
        "DocsRead",
        "AllowAWSResourceGrants",
    ]
    assert records[2].reason == "document service reads uploads"


def test_rendered_doc_from_the_real_synth(built):
    from boi_kms.render import render_kms_doc

    text = render_kms_doc({"security": built["synth"]}, example(), date(2026, 1, 1))
    assert "aws_s3_bucket_server_side_encryption_configuration.documents_sse" in text
    assert "| DocsRead | aws_iam_role.document_service | Decrypt | s3.us-east-1.amazonaws.com |" in text
    assert "| 400 days | 2027-02-05," in text
