"""IAM: every planned role's inline and attached managed policies equal the synthesized ones."""

from __future__ import annotations

from boi_model.policies import matches

from boi.live_audit.registry import ANY, Finding, check, error_code, name_of, policy_differences, resources


@check(
    "iam",
    title="every planned role's inline and attached policies equal the synthesized ones, nothing extra",
    severity="critical",
    controls=("IAM-01",),
)
def check_iam(synth, state, session) -> list[Finding]:
    findings = []
    iam = session.client("iam")
    roles = {(stack, name): cfg["name"] for stack, name, cfg in resources(synth, "aws_iam_role") if cfg.get("name")}
    inline: dict[str, dict[str, tuple[str, str]]] = {role: {} for role in roles.values()}
    attached: dict[str, set[str]] = {role: set() for role in roles.values()}
    for (stack, name), role in roles.items():
        cfg = synth[stack]["resource"]["aws_iam_role"][name]
        for block in cfg.get("inline_policy") or []:
            if block.get("name"):
                inline[role][block["name"]] = (stack, block.get("policy", "{}"))
        for arn in cfg.get("managed_policy_arns") or []:
            attached[role].add(state.text(stack, arn))
    for stack, _, cfg in resources(synth, "aws_iam_role_policy"):
        role = name_of("aws_iam_role", stack, cfg.get("role", ""), roles)
        if role in inline:
            inline[role][cfg["name"]] = (stack, cfg["policy"])
    for stack, _, cfg in resources(synth, "aws_iam_role_policy_attachment"):
        role = name_of("aws_iam_role", stack, cfg.get("role", ""), roles)
        if role in attached:
            attached[role].add(state.text(stack, cfg["policy_arn"]))
    for role in sorted(inline):
        try:
            live_names = [
                n
                for page in iam.get_paginator("list_role_policies").paginate(RoleName=role)
                for n in page["PolicyNames"]
            ]
            live_arns = [
                p["PolicyArn"]
                for page in iam.get_paginator("list_attached_role_policies").paginate(RoleName=role)
                for p in page["AttachedPolicies"]
            ]
        except Exception as exc:  # noqa: BLE001
            findings.append(Finding("iam", role, f"role cannot be read ({error_code(exc)})"))
            continue
        for pname in sorted(set(live_names) - set(inline[role])):
            findings.append(Finding("iam", role, f"inline policy {pname} is not in the plan"))
        for pname, (stack, doc) in sorted(inline[role].items()):
            if pname not in live_names:
                findings.append(Finding("iam", role, f"planned inline policy {pname} is missing"))
                continue
            live_doc = iam.get_role_policy(RoleName=role, PolicyName=pname)["PolicyDocument"]
            for problem in policy_differences(state.text(stack, doc), live_doc):
                findings.append(Finding("iam", role, f"inline policy {pname}: {problem}"))
        for arn in sorted(live_arns):
            if not any(matches(p, arn, ANY) for p in attached[role]):
                findings.append(Finding("iam", role, f"attached policy {arn} is not in the plan"))
        for arn in sorted(attached[role]):
            if not any(matches(arn, live, ANY) for live in live_arns):
                findings.append(Finding("iam", role, f"planned attached policy {arn} is missing"))
    return findings
