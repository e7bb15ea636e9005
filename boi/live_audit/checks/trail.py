"""CloudTrail: logging, log file validation, the planned KMS key, multi-Region."""

from __future__ import annotations

from boi_model.policies import matches

from boi.live_audit.registry import ANY, Finding, check, resources


@check(
    "trail",
    title="the trail logs in every Region, with log file validation, under the planned KMS key",
    severity="high",
    controls=(
        "CIS 3.1",
        "CIS 3.2",
        "CIS 3.5",
        "FSBP CloudTrail.1",
        "FSBP CloudTrail.2",
        "FSBP CloudTrail.4",
        "AUD-01",
        "AUD-02",
    ),
)
def check_trails(synth, state, session) -> list[Finding]:
    findings = []
    ct = session.client("cloudtrail")
    for stack, _, cfg in resources(synth, "aws_cloudtrail"):
        trail = cfg["name"]
        found = ct.describe_trails(trailNameList=[trail], includeShadowTrails=False).get("trailList", [])
        if not found:
            findings.append(Finding("trail", trail, "trail does not exist"))
            continue
        live = found[0]
        if not ct.get_trail_status(Name=trail).get("IsLogging"):
            findings.append(Finding("trail", trail, "logging is off"))
        if cfg.get("enable_log_file_validation") and not live.get("LogFileValidationEnabled"):
            findings.append(Finding("trail", trail, "log file validation is off"))
        if cfg.get("kms_key_id"):
            expected = state.text(stack, cfg["kms_key_id"])
            if not live.get("KmsKeyId"):
                findings.append(Finding("trail", trail, "not encrypted with KMS"))
            elif not matches(expected, live["KmsKeyId"], ANY):
                findings.append(Finding("trail", trail, f"KMS key {live['KmsKeyId']} is not the planned {expected}"))
        if cfg.get("is_multi_region_trail") and not live.get("IsMultiRegionTrail"):
            findings.append(Finding("trail", trail, "not multi-Region"))
    return findings
