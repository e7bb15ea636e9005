"""S3: every planned bucket's default encryption and public access block."""

from __future__ import annotations

import re

from boi_model.policies import matches

from boi.live_audit.registry import ANY, Finding, check, error_code, name_of, resources


def _bucket_names(synth, state) -> dict[tuple[str, str], str]:
    names = {}
    for stack, name, cfg in resources(synth, "aws_s3_bucket"):
        bucket = cfg.get("bucket")
        if bucket and "${" not in bucket:
            names[(stack, name)] = bucket
        elif state.address_value(stack, "aws_s3_bucket", name, "bucket"):
            names[(stack, name)] = state.address_value(stack, "aws_s3_bucket", name, "bucket")
    return names


@check(
    "s3 encryption",
    title="every planned bucket's default encryption: algorithm and key",
    severity="high",
    controls=("Security Hub S3.17", "AUD-15"),
)
def check_bucket_encryption(synth, state, session) -> list[Finding]:
    findings = []
    s3 = session.client("s3")
    names = _bucket_names(synth, state)
    for stack, _, cfg in resources(synth, "aws_s3_bucket_server_side_encryption_configuration"):
        bucket = name_of("aws_s3_bucket", stack, cfg.get("bucket", ""), names)
        if bucket is None:
            continue
        rules = cfg.get("rule")
        rule = (rules[0] if isinstance(rules, list) else rules) or {}
        default = rule.get("apply_server_side_encryption_by_default") or {}
        default = default[0] if isinstance(default, list) else default
        try:
            live_rules = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"]
        except Exception as exc:  # noqa: BLE001
            findings.append(Finding("s3 encryption", bucket, f"no default encryption ({error_code(exc)})"))
            continue
        live = (live_rules[0] if live_rules else {}).get("ApplyServerSideEncryptionByDefault", {})
        if live.get("SSEAlgorithm") != default.get("sse_algorithm"):
            findings.append(
                Finding(
                    "s3 encryption",
                    bucket,
                    f"algorithm {live.get('SSEAlgorithm')} is not the planned {default.get('sse_algorithm')}",
                )
            )
        elif default.get("kms_master_key_id"):
            expected = state.text(stack, default["kms_master_key_id"])
            if not matches(expected, live.get("KMSMasterKeyID", ""), ANY):
                findings.append(
                    Finding("s3 encryption", bucket, f"key {live.get('KMSMasterKeyID')} is not the planned {expected}")
                )
    return findings


@check(
    "s3 public access",
    title="every planned bucket's public access block is on",
    severity="critical",
    controls=("CIS 2.1.4", "FSBP S3.8"),
)
def check_bucket_public_access(synth, state, session) -> list[Finding]:
    findings = []
    s3 = session.client("s3")
    names = _bucket_names(synth, state)
    flags = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")
    for stack, _, cfg in resources(synth, "aws_s3_bucket_public_access_block"):
        bucket = name_of("aws_s3_bucket", stack, cfg.get("bucket", ""), names)
        if bucket is None:
            continue
        planned = {f: bool(cfg.get(re.sub(r"(?<!^)([A-Z])", r"_\1", f).lower())) for f in flags}
        try:
            live = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
        except Exception as exc:  # noqa: BLE001
            findings.append(Finding("s3 public access", bucket, f"no public access block ({error_code(exc)})"))
            continue
        off = [f for f in flags if planned[f] and not live.get(f)]
        if off:
            findings.append(
                Finding("s3 public access", bucket, f"public access block is permissive: {', '.join(off)} off")
            )
    return findings
