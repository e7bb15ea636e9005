"""Lint every synthesized IAM policy: parliament, cloudsplaining, and two checks of our own.

Issue codes are prefixed by their source: ``parliament:``, ``cloudsplaining:``, ``boi:``. Findings a
human has reviewed are attached to their policy owner's ``"//"`` metadata by the app's synth
(``boi_model.reviewed``) and applied by ``apply_accepted``; everything else fails
``python -m boi_iam.lint``.
"""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from boi_model import meta
from boi_model.reviewed import acceptance_for
from boi_model.synth import Synth, as_synth, load_out

from boi_iam import actiondb
from boi_iam.extract import KINDS, extract_policies


@dataclass(frozen=True, order=True)
class Finding:
    owner: str
    kind: str
    sid: str
    issue: str
    detail: str


# Parliament treats every document as an identity policy. These are the shapes it misreports for the
# other kinds:
# - trust policies have no Resource element by design (MALFORMED "neither Resource nor NotResource");
# - in boundaries, key policies, SCPs/RCPs and resource policies `Resource: "*"` is the normal form
#   (a ceiling, "this key", "everything in the org", "this resource"), so RESOURCE_STAR is noise there;
# - endpoint policies and SCPs/RCPs use deliberately broad action sets (s3:*), so parliament's
#   per-action RESOURCE_MISMATCH over the expanded set is noise there.
_PARLIAMENT_IGNORED = {
    "trust": {"MALFORMED:Statement contains neither Resource nor NotResource", "RESOURCE_STAR"},
    "boundary": {"RESOURCE_STAR"},
    "key": {"RESOURCE_STAR"},
    "resource": {"RESOURCE_STAR"},
    "endpoint": {"RESOURCE_STAR", "RESOURCE_MISMATCH"},
    "scp": {"RESOURCE_STAR", "RESOURCE_MISMATCH"},
    "rcp": {"RESOURCE_STAR", "RESOURCE_MISMATCH"},
    "identity": set(),
}

# Global condition keys (AWS "global condition context keys", usable with any action) that parliament's
# bundled catalog predates, so it reports them as unknown for every action. A typo is still caught.
_GLOBAL_KEYS_PARLIAMENT_LACKS = frozenset(
    {
        "aws:ViaAWSService",
        "aws:CalledVia",
        "aws:CalledViaFirst",
        "aws:CalledViaLast",
        "aws:PrincipalIsAWSService",
        "aws:PrincipalServiceName",
        "aws:PrincipalServiceNamesList",
        "aws:SourceVpcArn",
        "aws:SourceOrgID",
        "aws:SourceOrgPaths",
        "aws:ResourceAccount",
        "aws:ResourceOrgID",
        "aws:ResourceOrgPaths",
        "aws:VpceAccount",
        "aws:VpceOrgID",
        "aws:VpceOrgPaths",
    }
)


def _global_key_parliament_lacks(issue: str, detail: str) -> bool:
    if issue != "UNKNOWN_CONDITION_FOR_ACTION" or not detail.startswith("Unknown condition "):
        return False
    return detail.removeprefix("Unknown condition ").split(" ", 1)[0] in _GLOBAL_KEYS_PARLIAMENT_LACKS


# cloudsplaining judges what a principal can do; only identity policies grant to their principal.
_CLOUDSPLAINING_KINDS = {"identity"}
_CLOUDSPLAINING_RISKS = (
    ("data_exfiltration", "allows_data_exfiltration_actions"),
    ("resource_exposure", "permissions_management_without_constraints"),
    ("credentials_exposure", "credentials_exposure"),
    ("infrastructure_modification", "infrastructure_modification"),
)


def _as_list(value) -> list:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _statements(doc: dict) -> list[dict]:
    return [s for s in _as_list(doc.get("Statement")) if isinstance(s, dict)]


def _expand(pattern: str) -> set[str]:
    if "*" in pattern or "?" in pattern:
        try:
            return {a.lower() for a in actiondb.expand(pattern)}
        except ValueError:
            return set()
    return {pattern.lower()}


def _sids_granting(doc: dict, actions: Iterable[str]) -> str:
    wanted = {a.lower() for a in actions}
    sids = []
    for i, st in enumerate(_statements(doc)):
        if st.get("Effect") != "Allow":
            continue
        granted = set().union(*(_expand(a) for a in _as_list(st.get("Action")) if isinstance(a, str)))
        if granted & wanted:
            sids.append(st.get("Sid") or f"#{i}")
    return ",".join(sids)


def _parliament(doc: dict, kind: str, owner: str) -> list[Finding]:
    with warnings.catch_warnings():  # parliament imports pkg_resources and warns about it
        warnings.simplefilter("ignore")
        from parliament import analyze_policy_string

    ignored = _PARLIAMENT_IGNORED[kind]
    findings = []
    # One statement at a time so every finding carries the Sid it belongs to.
    for i, st in enumerate(_statements(doc)):
        sid = st.get("Sid") or f"#{i}"
        single = {"Version": "2012-10-17", "Statement": [st]}
        for f in analyze_policy_string(json.dumps(single)).findings:
            detail = f.detail if isinstance(f.detail, str) else json.dumps(f.detail, sort_keys=True)
            if f.issue in ignored or f"{f.issue}:{detail}" in ignored or _global_key_parliament_lacks(f.issue, detail):
                continue
            if f.issue == "UNKNOWN_ACTION":
                # parliament's action list is older than iam-data (e.g. newer lambda/ecs/logs actions):
                # our own UNKNOWN_ACTION check against the simulator's data decides instead.
                continue
            findings.append(Finding(owner, kind, sid, f"parliament:{f.issue}", detail))
    return findings


def _cloudsplaining(doc: dict, kind: str, owner: str) -> list[Finding]:
    if kind not in _CLOUDSPLAINING_KINDS:
        return []
    from cloudsplaining.scan.policy_document import PolicyDocument

    # flag_resource_arn_statements: also judge statements scoped to ARNs, so reads of the PII bucket
    # prefixes show up as data exfiltration and get a reviewed acceptance.
    pd = PolicyDocument(doc, flag_resource_arn_statements=True)
    findings = []
    for escalation in pd.allows_privilege_escalation:
        actions = escalation["actions"]
        findings.append(
            Finding(owner, kind, _sids_granting(doc, actions), "cloudsplaining:privilege_escalation",
                    f"{escalation['type']}: {', '.join(sorted(actions))}")
        )  # fmt: skip
    for code, attribute in _CLOUDSPLAINING_RISKS:
        flagged = {a.lower(): a for a in getattr(pd, attribute)}
        # One finding per statement, so a reviewer accepts exactly the statement they looked at.
        for i, st in enumerate(_statements(doc)):
            if st.get("Effect") != "Allow":
                continue
            granted = set().union(*(_expand(a) for a in _as_list(st.get("Action")) if isinstance(a, str)))
            actions = sorted(flagged[a] for a in granted & set(flagged))
            if actions:
                sid = st.get("Sid") or f"#{i}"
                findings.append(Finding(owner, kind, sid, f"cloudsplaining:{code}", ", ".join(actions)))
    return findings


def _own_checks(doc: dict, kind: str, owner: str) -> list[Finding]:
    findings = []
    if doc.get("Version") != "2012-10-17":
        findings.append(Finding(owner, kind, "", "boi:VERSION", f"Version is {doc.get('Version')!r}, not 2012-10-17"))
    for i, st in enumerate(_statements(doc)):
        sid = st.get("Sid") or f"#{i}"
        actions = [a for a in _as_list(st.get("Action")) + _as_list(st.get("NotAction")) if isinstance(a, str)]
        for action in actions:
            if action == "*":
                continue
            if "*" in action or "?" in action:
                if not _expand(action):
                    findings.append(Finding(owner, kind, sid, "boi:UNKNOWN_ACTION", f"{action} matches no action"))
                elif kind == "identity" and st.get("Effect") == "Allow":
                    findings.append(Finding(owner, kind, sid, "boi:ACTION_WILDCARD", f"{action} (name actions)"))
            elif action.count(":") != 1 or not actiondb.is_known(action):
                findings.append(
                    Finding(owner, kind, sid, "boi:UNKNOWN_ACTION",
                            f"{action} is not in iam-data {actiondb.data_version()}")
                )  # fmt: skip
        # A "*" resource is right only for actions that accept no resource type.
        if kind == "identity" and st.get("Effect") == "Allow" and "*" in _as_list(st.get("Resource")):
            scoped = sorted(
                {a for pattern in _as_list(st.get("Action")) if isinstance(pattern, str)
                 for a in actiondb.expand(pattern) if pattern != "*" and actiondb.supports_resource_level(a)}
            )  # fmt: skip
            if scoped or "*" in _as_list(st.get("Action")):
                detail = ", ".join(scoped) if scoped else "Action *"
                findings.append(
                    Finding(owner, kind, sid, "boi:RESOURCE_STAR", f"resource-level actions on *: {detail}")
                )
    return findings


def lint_policy(doc: dict, *, kind: str, owner: str) -> list[Finding]:
    if kind not in KINDS:
        raise ValueError(f"kind: expected one of {KINDS}, got {kind!r}")
    if not isinstance(doc, dict):
        raise ValueError(f"doc: expected a policy document dict, got {type(doc).__name__}")
    owner = str(owner)
    findings = _own_checks(doc, kind, owner) + _parliament(doc, kind, owner) + _cloudsplaining(doc, kind, owner)
    return sorted(set(findings))


def lint_policy_set(policy_set) -> list[Finding]:
    findings = []
    for policy in policy_set.policies:
        findings += lint_policy(policy.document, kind=policy.kind, owner=str(policy.owner))
    return sorted(findings)


def owner_resource(synth: Synth, owner: str):
    """`stack:type.name[#attribute]` (a Finding's owner) -> the resource whose metadata reviews it."""
    stack, _, address = owner.partition(":")
    rtype, _, name = address.split("#", 1)[0].partition(".")
    return synth.resource(stack, rtype, name)


def apply_accepted(findings: Sequence[Finding], synth: Mapping[str, dict]) -> list[Finding]:
    """Findings that no reviewed acceptance attached to their owner covers.

    Raises ValueError on a stale review: an entry attached to some policy owner that accepts none
    of the findings (its path, Sid or issues no longer fit; narrow or delete it)."""
    synth = as_synth(synth)
    used: set[str] = set()
    open_findings = []
    for finding in findings:
        resource = owner_resource(synth, finding.owner)
        hit = acceptance_for(resource.body, finding.sid, finding.issue) if resource else None
        if hit is None:
            open_findings.append(finding)
        else:
            used.add(f"{hit['entry']} {finding.issue}")
    attached = {
        f"{entry['entry']} {issue}"
        for r in synth.resources()
        for issues in ((r.body.get(meta.COMMENT) or {}).get(meta.ACCEPT) or {}).values()
        for issue, entry in issues.items()
    }
    stale = sorted(attached - used)
    if stale:
        raise ValueError("accepted findings that match no finding (narrow or delete them): " + "; ".join(stale))
    return open_findings


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m boi_iam.lint", description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="cdktf.out", help="synth output directory (holds stacks/*/cdk.tf.json)")
    parser.add_argument("--account", required=True, help="12-digit account id for placeholder ARNs")
    parser.add_argument("--region", required=True)
    parser.add_argument("--partition", default="aws")
    args = parser.parse_args(argv)

    synth = load_out(args.out)
    policy_set = extract_policies(synth, account_id=args.account, region=args.region, partition=args.partition)
    for warning in policy_set.warnings:
        print(f"warning: {warning}")
    findings = lint_policy_set(policy_set)
    open_findings = apply_accepted(findings, synth)
    for f in open_findings:
        print(f"{f.owner} [{f.kind}] sid={f.sid or '-'} {f.issue}: {f.detail}")
    print(
        f"{len(policy_set.policies)} policies, {len(findings)} findings, "
        f"{len(findings) - len(open_findings)} accepted, {len(open_findings)} unreviewed"
    )
    return 1 if open_findings else 0


if __name__ == "__main__":
    sys.exit(main())
