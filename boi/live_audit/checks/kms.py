"""KMS: rotation with the planned period, and key policies equal to the synthesized ones."""

from __future__ import annotations

import re

from boi.live_audit.registry import Finding, check, error_code, policy_differences, resources


@check(
    "kms rotation",
    title="every key rotates, with its planned period (boi_kms.rotation_report)",
    severity="high",
    controls=("CIS 3.6", "Security Hub KMS.4", "AUD-15", "KMS-01"),
)
def check_key_rotation(synth, state, session) -> list[Finding]:
    from boi_kms.rotation_report import OK, collect, plan_from_synth

    findings = []
    for row in collect(session, plan_from_synth(synth)):
        if row.kind == "key" and row.status != OK:
            findings.append(
                Finding(
                    "kms rotation",
                    row.name,
                    f"{row.status}: expected {row.expected}, observed {row.observed}"
                    + (f" ({row.detail})" if row.detail else ""),
                )
            )
    return findings


def _key_ids(synth, state, session) -> dict[tuple[str, str], str]:
    """(stack, key resource name) -> live key id, from the state or else through the planned alias."""
    ids: dict[tuple[str, str], str] = {}
    for stack, name, _ in resources(synth, "aws_kms_key"):
        key_id = state.address_value(stack, "aws_kms_key", name, "key_id")
        if key_id:
            ids[(stack, name)] = key_id
    if len(ids) == len(resources(synth, "aws_kms_key")):
        return ids
    kms = session.client("kms")
    live_aliases = {
        a["AliasName"]: a.get("TargetKeyId")
        for page in kms.get_paginator("list_aliases").paginate()
        for a in page["Aliases"]
    }
    for stack, _, cfg in resources(synth, "aws_kms_alias"):
        m = re.fullmatch(r"\$\{aws_kms_key\.([^.]+)\.(?:key_id|arn|id)\}", cfg.get("target_key_id", ""))
        if m and (stack, m.group(1)) not in ids and live_aliases.get(cfg.get("name")):
            ids[(stack, m.group(1))] = live_aliases[cfg["name"]]
    return ids


@check(
    "kms policy",
    title="every key policy equals the synthesized one (an added, removed or changed statement is a finding)",
    severity="critical",
)
def check_key_policies(synth, state, session) -> list[Finding]:
    findings = []
    kms = session.client("kms")
    aliases = {}
    for stack, _, cfg in resources(synth, "aws_kms_alias"):
        m = re.fullmatch(r"\$\{aws_kms_key\.([^.]+)\.(?:key_id|arn|id)\}", cfg.get("target_key_id", ""))
        if m:
            aliases[(stack, m.group(1))] = cfg.get("name")
    ids = _key_ids(synth, state, session)
    for stack, name, cfg in resources(synth, "aws_kms_key"):
        label = aliases.get((stack, name), name)
        key_id = ids.get((stack, name))
        if key_id is None:
            findings.append(Finding("kms policy", label, "key not found (no state and no alias)"))
            continue
        if not cfg.get("policy"):
            continue
        try:
            live = kms.get_key_policy(KeyId=key_id, PolicyName="default")["Policy"]
        except Exception as exc:  # noqa: BLE001 - reported as a finding
            findings.append(Finding("kms policy", label, f"cannot read the key policy: {error_code(exc)}"))
            continue
        planned = state.text(stack, cfg["policy"])
        findings += [Finding("kms policy", label, p) for p in policy_differences(planned, live)]
    return findings
