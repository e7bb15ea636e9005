"""The exceptions register and the 'not covered' lines, on small hand-written stacks (no jsii, no Terraform)."""

from __future__ import annotations

from boi_model import meta

from boi import exceptions, not_covered

ENV = {
    "account_id": "111122223333",
    "allowed_regions": ["us-east-1"],
    "backend": "s3",
    "keys": {"rotation_days": {}, "schedule_from": "2026-12-01"},
    "lambda_packages": {},
    "local_skip_services": [],
    "name": "dev",
    "organization_mode": False,
    "partition": "aws",
    "prefix": "boi-dev",
    "region": "us-east-1",
    "retention": {"archive_days": 1825, "backup_days": 14, "log_days": 365},
}


def _stacks(**resources) -> dict:
    return {"s": {meta.COMMENT: {meta.ENVIRONMENT: ENV}, "resource": resources}}


def _suppressed(check: str, reason: str, entry: str) -> dict:
    return {meta.COMMENT: {meta.SUPPRESS: {check: {"reason": reason, "modes": ["synth"], "entry": entry}}}}


def test_register_groups_resources_under_the_reviewed_entry_and_names_them_by_aws_name():
    stacks = _stacks(
        aws_s3_bucket={
            "a": {"bucket": "boi-dev-a", **_suppressed("CKV_AWS_144", "one Region by design", "data/*")},
            "b": {"bucket": "boi-dev-b", **_suppressed("CKV_AWS_144", "one Region by design", "data/*")},
            "c": {"bucket": "boi-dev-c"},
        },
        aws_iam_role={"r": {"name": "boi-dev-r", "assume_role_policy": "{}"}},
        aws_iam_role_policy={
            "p": {
                "role": "${aws_iam_role.r.name}",
                "policy": "{}",
                meta.COMMENT: {meta.ACCEPT: {"Read*": {"parliament:X": {"reason": "why", "entry": "x sid Read*"}}}},
            }
        },
    )
    rows = exceptions.register(stacks)
    assert [(r.kind, r.check) for r in rows] == [
        ("IAM lint acceptance", "parliament:X (Sid Read*)"),
        ("checkov suppression", "CKV_AWS_144 (synth)"),
    ]
    assert rows[1].resources == ("boi-dev-a bucket", "boi-dev-b bucket")
    assert rows[0].resources == ("role policy of boi-dev-r role",)
    only_buckets = exceptions.register(stacks, lambda r: r.type == "aws_s3_bucket")
    assert len(only_buckets) == 1
    text = "\n".join(exceptions.section(rows, not_covered=["a gap"]))
    assert "2 reviewed exceptions" in text and "- a gap" in text and "`CKV_AWS_144 (synth)`" in text


def test_not_covered_is_computed_from_the_json():
    stacks = _stacks(
        aws_kms_key={"k": {"description": "x"}, "imported": {"origin": "EXTERNAL"}},
        aws_s3_bucket_server_side_encryption_configuration={
            "sse": {"rule": [{"apply_server_side_encryption_by_default": {"sse_algorithm": "AES256"}}]}
        },
        aws_lb_target_group={"tg": {"protocol": "HTTP"}, "tls": {"protocol": "HTTPS"}},
        aws_iam_role_policy_attachment={"a": {"policy_arn": "arn:aws:iam::aws:policy/SecurityAudit", "role": "r"}},
    )
    kms = "\n".join(not_covered.kms(stacks))
    assert "1 of 2 customer managed keys" in kms and "aws_kms_key.imported" in kms
    assert "1 resources use SSE-S3" in kms
    enc = "\n".join(not_covered.encryption(stacks))
    assert "plaintext HTTP inside the VPC for 1 target groups (aws_lb_target_group.tg)" in enc
    from boi_model.synth import Synth

    iam = "\n".join(not_covered.iam(stacks, Synth(stacks).environment()))
    assert "1 AWS managed policies are attached (SecurityAudit)" in iam and "Single-account mode" in iam
    del stacks["s"]["resource"]["aws_lb_target_group"]["tg"]
    assert "plaintext" not in "\n".join(not_covered.encryption(stacks))
