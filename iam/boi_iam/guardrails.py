"""Guardrail statements: the building blocks of permission boundaries, SCPs and RCPs, as plain data.

A boundary caps what a role can ever do, whatever its identity policy says. The blocks here deny
the routes an attacker (or a mistake) takes first: changing identities, destroying or giving away
keys, switching off the audit, and (through `boi_iam.protect`) touching protected data. Every action
list is computed from the IAM action database, so a new AWS action that changes something is denied
before anyone has read about it.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence
from pathlib import Path

import yaml

from .protect import compress, service_mutations

# Services whose every change is the audit's business (detectors, recorder, trail, analyzers).
AUDIT_SERVICES = ("cloudtrail", "config", "guardduty", "securityhub", "macie2", "access-analyzer")
# Triage of findings after they paged: recorded in the finding's history, stops nothing from paging.
TRIAGE_ACTIONS = ("securityhub:BatchUpdateFindings", "guardduty:ArchiveFindings", "guardduty:UnarchiveFindings")
IDENTITY_SERVICES = ("iam",)
ORGANIZATION_SERVICES = ("organizations", "account")
ASSUME_ACTIONS = ("sts:AssumeRole", "sts:AssumeRoleWithSAML", "sts:AssumeRoleWithWebIdentity")
PUBLIC_ACCESS_ACTIONS = ("s3:PutAccountPublicAccessBlock",)
# Grants let another principal use a key; AWS services create them for their own resources only.
GRANT_ACTIONS = ("kms:CreateGrant",)


def _statement(
    sid: str,
    actions: Sequence[str],
    resources: str | Sequence[str] = "*",
    *,
    condition: dict | None = None,
    not_resources: Sequence[str] | None = None,
    iam_types: Iterable[str] | None = None,
) -> dict:
    statement: dict = {"Sid": sid, "Effect": "Deny", "Action": compress(actions, iam_types)}
    if not_resources is not None:
        statement["NotResource"] = list(not_resources)
    else:
        statement["Resource"] = resources if isinstance(resources, str) or len(resources) != 1 else resources[0]
    if condition:
        statement["Condition"] = condition
    return statement


def _exempt(principals: Sequence[str]) -> dict | None:
    return {"ArnNotLike": {"aws:PrincipalArn": list(principals)}} if principals else None


def ceiling_all() -> dict:
    # A boundary only caps; what a principal can do comes from its own policies.
    return {"Sid": "CeilingAll", "Effect": "Allow", "Action": "*", "Resource": "*"}


def ceiling(actions: Iterable[str]) -> dict:
    return {"Sid": "CeilingFromGrants", "Effect": "Allow", "Action": sorted(set(actions)), "Resource": "*"}


def identity_changes(
    *,
    sid: str = "DenyIdentityChanges",
    resources: str | Sequence[str] = "*",
    not_resources: Sequence[str] | None = None,
    except_actions: Iterable[str] = (),
    exempt: Sequence[str] = (),
) -> dict:
    """Every IAM action that is not a read: roles, policies, users, keys, providers, boundaries."""
    actions = service_mutations("iam", except_actions=except_actions)
    return _statement(sid, actions, resources, not_resources=not_resources, condition=_exempt(exempt))


def role_assumption(*, sid: str = "DenyAssumeRoles", resources: str | Sequence[str] = "*") -> dict:
    return _statement(sid, ASSUME_ACTIONS, resources)


def organization_changes(sid: str = "DenyOrganizationChanges") -> dict:
    actions = [a for s in ORGANIZATION_SERVICES for a in service_mutations(s)]
    return _statement(sid, actions)


def audit_service_changes(
    *, sid: str = "DenyAuditServiceChanges", except_actions: Iterable[str] = TRIAGE_ACTIONS, exempt: Sequence[str] = ()
) -> dict:
    """Every change to the trail, the recorder, the detectors and the analyzers, whatever its resource."""
    actions = [a for s in AUDIT_SERVICES for a in service_mutations(s, except_actions=except_actions)]
    return _statement(sid, actions, condition=_exempt(exempt))


def key_changes(
    control_actions: Iterable[str],
    *,
    allowed: Iterable[str] = (),
    sid: str = "DenyKeyChanges",
    resources: str | Sequence[str] = "*",
    exempt: Sequence[str] = (),
) -> dict:
    """Disabling, deleting, re-pointing or re-writing keys; `allowed` keeps the maintenance actions."""
    keep = set(allowed)
    actions = sorted(a for a in control_actions if a not in keep and a not in GRANT_ACTIONS)
    return _statement(sid, actions, resources, condition=_exempt(exempt), iam_types=("kms:key", "kms:alias"))


def key_grants_to_principals(*, sid: str = "DenyKeyGrantsToPrincipals") -> dict:
    """A grant outside an AWS service's own resource would hand a key to someone the policy never named."""
    return _statement(sid, GRANT_ACTIONS, condition={"Bool": {"kms:GrantIsForAWSResource": "false"}})


def public_access_changes(sid: str = "DenyAccountPublicAccessChanges") -> dict:
    return _statement(sid, PUBLIC_ACCESS_ACTIONS)


MANAGED_POLICY_LIMIT = 6144  # characters without whitespace


def prune(statements: Sequence[dict], ceiling_actions: Iterable[str]) -> list[dict]:
    """Narrow each Deny to the ceiling actions it matches, dropping those that match none: under a
    ceiling of named actions, denying anything else cannot change a decision and only spends the
    policy's size quota."""
    import fnmatch

    ceiling = sorted(set(ceiling_actions))
    kept = []
    for statement in statements:
        actions = statement.get("Action")
        if statement.get("Effect") != "Deny" or actions is None:
            kept.append(statement)
            continue
        patterns = [actions] if isinstance(actions, str) else actions
        matched = [a for a in ceiling if any(fnmatch.fnmatchcase(a.lower(), p.lower()) for p in patterns)]
        if matched:
            kept.append({**statement, "Action": matched})
    return kept


def pack(statements: Sequence[dict], limit: int = MANAGED_POLICY_LIMIT) -> list[dict]:
    """Split statements into as few policy documents as fit the managed-policy size quota, in order."""
    import json

    overhead = len('{"Version":"2012-10-17","Statement":[]}')
    docs: list[list[dict]] = [[]]
    size = overhead
    for statement in statements:
        length = len(json.dumps(statement, separators=(",", ":"))) + 1
        if length + overhead > limit:
            raise ValueError(
                f"statement {statement.get('Sid')} alone is {length} characters, over the "
                f"{limit}-character policy quota; split its resources"
            )
        if size + length > limit and docs[-1]:
            docs.append([])
            size = overhead
        docs[-1].append(statement)
        size += length
    return [boundary_document(d) for d in docs if d]


def boundary_document(statements: Sequence[dict]) -> dict:
    sids = [s["Sid"] for s in statements]
    duplicates = sorted({s for s in sids if sids.count(s) > 1})
    if duplicates:
        raise ValueError(f"boundary statement ids used twice: {duplicates}")
    return {"Version": "2012-10-17", "Statement": list(statements)}


GLOBAL_SERVICES = [
    "iam:*",
    "organizations:*",
    "sts:*",
    "support:*",
    "cloudfront:*",
    "route53:*",
    "route53domains:*",
    "waf:*",
    "wafv2:*",
    "shield:*",
    "budgets:*",
    "ce:*",
    "health:*",
    "trustedadvisor:*",
    "globalaccelerator:*",
    "acm:*",
    "kms:*",
    "account:*",
    "sso:*",
    "identitystore:*",
    "access-analyzer:*",
    "securityhub:*",
    "config:*",
    "cloudtrail:*",
]


def service_control_policies(
    *, allowed_regions: list[str], protected_role_arns: list[str], key_admin_arns: list[str]
) -> dict[str, dict]:
    """SCPs for organization mode, by name. Protected roles (the trusted base) are exempt from the
    audit and key guardrails so incidents can still be handled."""
    exempt = _exempt(protected_role_arns)
    return {
        "deny-leave-organization": boundary_document(
            [
                {
                    "Sid": "DenyLeaveOrganization",
                    "Effect": "Deny",
                    "Action": "organizations:LeaveOrganization",
                    "Resource": "*",
                }
            ]
        ),
        "protect-audit": boundary_document([audit_service_changes(exempt=protected_role_arns)]),
        "protect-keys": boundary_document(
            [
                {
                    "Sid": "DenyKeyDestruction",
                    "Effect": "Deny",
                    "Action": [
                        "kms:ScheduleKeyDeletion",
                        "kms:DisableKey",
                        "kms:PutKeyPolicy",
                        "kms:DisableKeyRotation",
                    ],
                    "Resource": "*",
                    "Condition": _exempt(key_admin_arns),
                }
            ]
        ),
        "region-lock": boundary_document(
            [
                {
                    "Sid": "DenyOtherRegions",
                    "Effect": "Deny",
                    "NotAction": GLOBAL_SERVICES,
                    "Resource": "*",
                    "Condition": {"StringNotEquals": {"aws:RequestedRegion": allowed_regions}},
                }
            ]
        ),
        "deny-root-and-long-lived-credentials": boundary_document(
            [
                {
                    "Sid": "DenyRootUser",
                    "Effect": "Deny",
                    "Action": "*",
                    "Resource": "*",
                    "Condition": {"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:root"}},
                },
                {
                    "Sid": "DenyIamUsersAndAccessKeys",
                    "Effect": "Deny",
                    "Action": ["iam:CreateUser", "iam:CreateAccessKey", "iam:CreateLoginProfile"],
                    "Resource": "*",
                },
            ]
        ),
        "protect-public-access-blocks": boundary_document(
            [
                {
                    "Sid": "DenyLooseningPublicAccessBlocks",
                    "Effect": "Deny",
                    "Action": ["s3:PutAccountPublicAccessBlock", "s3:PutBucketPublicAccessBlock"],
                    "Resource": "*",
                    "Condition": exempt,
                }
            ]
        ),
    }


def resource_control_policies(*, org_id: str) -> dict[str, dict]:
    """RCPs: whatever a resource policy says, TLS only and nobody outside the organization."""
    services = ["s3:*", "kms:*", "sqs:*", "secretsmanager:*"]
    return {
        "data-perimeter": {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "DenyInsecureTransport",
                    "Effect": "Deny",
                    "Principal": "*",
                    "Action": services,
                    "Resource": "*",
                    "Condition": {"BoolIfExists": {"aws:SecureTransport": "false"}},
                },
                {
                    "Sid": "DenyOutsideOrganization",
                    "Effect": "Deny",
                    "Principal": "*",
                    "Action": services,
                    "Resource": "*",
                    "Condition": {
                        "StringNotEqualsIfExists": {"aws:PrincipalOrgID": org_id},
                        "BoolIfExists": {"aws:PrincipalIsAWSService": "false"},
                    },
                },
            ],
        }
    }


_GENERATED = re.compile(r"^Deny(?P<cls>[A-Z][a-z]+)(?P<cat>Read|Write|Change)\d*$")


@functools.cache
def _reason_catalog() -> dict:
    return yaml.safe_load((Path(__file__).parent / "data" / "guard_reasons.yaml").read_text(encoding="utf-8"))


def statement_reasons(document: dict) -> dict[str, str]:
    """Sid -> why, for every statement of a boundary, guard, SCP or RCP (raises on a Sid without one)."""
    catalog = _reason_catalog()
    reasons, missing = {}, []
    for statement in document.get("Statement", []):
        sid = statement.get("Sid", "")
        found = _GENERATED.match(sid)
        if sid in catalog["fixed"]:
            reasons[sid] = catalog["fixed"][sid]
        elif found and found["cls"] in catalog["generated"]["classes"]:
            what = catalog["generated"]["classes"][found["cls"]]
            reasons[sid] = catalog["generated"]["categories"][found["cat"]].format(what=what)
        else:
            missing.append(sid or "(no Sid)")
    if missing:
        raise ValueError(f"guardrail statements without a reason in boi_iam/data/guard_reasons.yaml: {missing}")
    return reasons
