"""Every IAM policy in the synthesized Terraform JSON, with Terraform references resolved to stable ARNs.

Pure: plain dicts in, dataclasses out; no cdktn import. ``synth`` maps stack name -> parsed ``cdk.tf.json``.
References are replaced by placeholder ARNs that look like the real ones (the literal names in the JSON
are used where present) so the simulator and linters see realistic input; the same input always gives
the same output.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from boi_model.refs import Placeholders, Resolver, whole

KINDS = ("identity", "boundary", "trust", "resource", "key", "scp", "rcp", "endpoint")
_ACCOUNT = re.compile(r"^\d{12}$")
_REGION = re.compile(r"^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d$")
_ORG_POLICY_KINDS = {"SERVICE_CONTROL_POLICY": "scp", "RESOURCE_CONTROL_POLICY": "rcp"}


@dataclass(frozen=True, order=True)
class Owner:
    stack: str
    address: str  # Terraform address, e.g. "aws_iam_role.intake"
    part: str = ""  # which policy of the resource, e.g. "inline_policy/read-docs"

    def __str__(self) -> str:
        return f"{self.stack}:{self.address}" + (f"#{self.part}" if self.part else "")


@dataclass(frozen=True)
class ExtractedPolicy:
    kind: str
    owner: Owner
    document: dict  # resolved: no Terraform references left (unknown ones are marked UNRESOLVED)
    original: dict  # as synthesized, references intact
    arn: str | None = None  # for managed policies (aws_iam_policy)
    target: str | None = None  # resource/key/endpoint policies: what the policy is attached to
    attached_to: tuple[str, ...] = ()  # scp/rcp: organization target ids

    @property
    def name(self) -> str:
        return str(self.owner)


@dataclass(frozen=True)
class RoleView:
    name: str
    arn: str
    owner: Owner
    trust: ExtractedPolicy | None
    identity: tuple[ExtractedPolicy, ...]  # inline + customer-managed attached, each with its owner
    boundary: ExtractedPolicy | None
    boundary_arn: str | None
    managed_policy_arns: tuple[str, ...]  # AWS managed (or otherwise unknown) policies: content not in JSON


@dataclass(frozen=True)
class PolicySet:
    policies: tuple[ExtractedPolicy, ...]
    role_views: tuple[RoleView, ...]
    warnings: tuple[str, ...]

    def roles(self) -> list[RoleView]:
        return list(self.role_views)

    def role(self, name: str) -> RoleView:
        for view in self.role_views:
            if view.name == name:
                return view
        raise KeyError(f"role {name!r} not found; roles: {sorted(v.name for v in self.role_views)}")

    def of_kind(self, kind: str) -> list[ExtractedPolicy]:
        if kind not in KINDS:
            raise ValueError(f"kind: expected one of {KINDS}, got {kind!r}")
        return [p for p in self.policies if p.kind == kind]

    def for_target(self, target: str) -> list[ExtractedPolicy]:
        return [p for p in self.policies if p.target == target]


# ---- extraction --------------------------------------------------------------------------------


def _resources(stack_json: dict, rtype: str) -> list[tuple[str, dict]]:
    block = (stack_json.get("resource") or {}).get(rtype) or {}
    return sorted(block.items())


def _parse_policy(resolver: Resolver, owner: Owner, raw: Any) -> tuple[dict, dict] | None:
    if isinstance(raw, dict):
        original = raw
    elif isinstance(raw, str):
        if whole(raw):
            resolver.warn(
                f"{owner}: policy is a whole reference {raw!r} (e.g. a policy-document data source); "
                "build the document as a Python dict so its content is in the JSON"
            )
            return None
        try:
            original = json.loads(raw)
        except json.JSONDecodeError as e:
            resolver.warn(f"{owner}: policy is not valid JSON ({e.msg} at char {e.pos})")
            return None
    else:
        resolver.warn(f"{owner}: policy has unexpected type {type(raw).__name__}")
        return None
    if not isinstance(original, dict):
        resolver.warn(f"{owner}: policy JSON is a {type(original).__name__}, expected an object")
        return None
    return resolver.value(owner.stack, original), original


def _queue_arn(place: Placeholders, url: str) -> str:
    m = re.fullmatch(r"https://sqs\.([^.]+)\.amazonaws\.com/(\d{12})/(.+)", url)
    return f"arn:{place.p}:sqs:{m.group(1)}:{m.group(2)}:{m.group(3)}" if m else url


# resource type -> (policy attribute, target attribute, how to turn the target into an ARN)
_RESOURCE_POLICIES = {
    "aws_s3_bucket_policy": (
        "policy",
        "bucket",
        lambda r, v: v if v.startswith("arn:") else f"arn:{r.p}:s3:::{v}",
    ),
    "aws_sqs_queue_policy": ("policy", "queue_url", _queue_arn),
    "aws_sns_topic_policy": ("policy", "arn", lambda r, v: v),
    "aws_secretsmanager_secret_policy": ("policy", "secret_arn", lambda r, v: v),
    "aws_ecr_repository_policy": (
        "policy",
        "repository",
        lambda r, v: v if v.startswith("arn:") else f"arn:{r.p}:ecr:{r.r}:{r.a}:repository/{v}",
    ),
    "aws_cloudwatch_event_bus_policy": (
        "policy",
        "event_bus_name",
        lambda r, v: v if v.startswith("arn:") else f"arn:{r.p}:events:{r.r}:{r.a}:event-bus/{v}",
    ),
}


def extract_policies(synth: Mapping[str, dict], *, account_id: str, region: str, partition: str = "aws") -> PolicySet:
    if not isinstance(synth, Mapping) or not all(isinstance(v, dict) for v in synth.values()):
        raise ValueError("synth: expected a mapping of stack name -> parsed cdk.tf.json dict")
    if not _ACCOUNT.match(str(account_id)):
        raise ValueError(f"account_id: expected a 12-digit account id, got {account_id!r}")
    if not _REGION.match(str(region)):
        raise ValueError(f"region: expected an AWS region like 'us-east-1', got {region!r}")
    if partition not in ("aws", "aws-us-gov", "aws-cn"):
        raise ValueError(f"partition: expected one of aws, aws-us-gov, aws-cn, got {partition!r}")

    place = Placeholders(account_id, region, partition)
    resolver = Resolver(synth, place)
    policies: list[ExtractedPolicy] = []

    def add(kind: str, owner: Owner, raw: Any, **extra) -> ExtractedPolicy | None:
        parsed = _parse_policy(resolver, owner, raw)
        if parsed is None:
            return None
        pol = ExtractedPolicy(kind=kind, owner=owner, document=parsed[0], original=parsed[1], **extra)
        policies.append(pol)
        return pol

    def attributes(stack: str, rtype: str, name: str, body: dict) -> dict[str, str]:
        return place.attributes(resolver, stack, rtype, name, body) or {}

    def attr(stack: str, rtype: str, name: str, body: dict, a: str) -> str:
        return attributes(stack, rtype, name, body).get(a)

    # Boundary ARNs first: an aws_iam_policy used as a boundary is a "boundary", not an identity policy.
    boundary_arns = set()
    for stack in sorted(synth):
        for _, body in _resources(synth[stack], "aws_iam_role"):
            if isinstance(body.get("permissions_boundary"), str):
                boundary_arns.add(resolver.text(stack, body["permissions_boundary"]))

    roles: list[dict] = []
    managed_by_arn: dict[str, ExtractedPolicy] = {}
    inline_by_role: dict[str, list[ExtractedPolicy]] = {}
    attachments: dict[str, list[str]] = {}  # role name -> policy ARNs

    for stack in sorted(synth):
        sj = synth[stack]
        for name, body in _resources(sj, "aws_iam_role"):
            address = f"aws_iam_role.{name}"
            values = attributes(stack, "aws_iam_role", name, body)
            trust = add("trust", Owner(stack, address, "assume_role_policy"), body.get("assume_role_policy"))
            inline = []
            blocks = body.get("inline_policy") or []
            for block in blocks if isinstance(blocks, list) else [blocks]:
                pname = block.get("name") or "unnamed"
                pol = add("identity", Owner(stack, address, f"inline_policy/{pname}"), block.get("policy"))
                if pol:
                    inline.append(pol)
            boundary = body.get("permissions_boundary")
            for arn in body.get("managed_policy_arns") or []:
                attachments.setdefault(values["name"], []).append(resolver.text(stack, arn))
            roles.append(
                {
                    "name": values["name"],
                    "arn": values["arn"],
                    "owner": Owner(stack, address),
                    "trust": trust,
                    "inline": inline,
                    "boundary_arn": resolver.text(stack, boundary) if isinstance(boundary, str) else None,
                }
            )
        for name, body in _resources(sj, "aws_iam_policy"):
            arn = attr(stack, "aws_iam_policy", name, body, "arn")
            kind = "boundary" if arn in boundary_arns else "identity"
            pol = add(kind, Owner(stack, f"aws_iam_policy.{name}"), body.get("policy"), arn=arn)
            if pol:
                managed_by_arn[arn] = pol
        for name, body in _resources(sj, "aws_iam_role_policy"):
            role = resolver.text(stack, str(body.get("role", "")))
            pol = add("identity", Owner(stack, f"aws_iam_role_policy.{name}"), body.get("policy"))
            if pol:
                inline_by_role.setdefault(role, []).append(pol)
        for _name, body in _resources(sj, "aws_iam_role_policy_attachment"):
            role = resolver.text(stack, str(body.get("role", "")))
            attachments.setdefault(role, []).append(resolver.text(stack, str(body.get("policy_arn", ""))))
        for _name, body in _resources(sj, "aws_iam_role_policy_attachments_exclusive"):
            role = resolver.text(stack, str(body.get("role_name", "")))
            for arn in body.get("policy_arns") or []:
                attachments.setdefault(role, []).append(resolver.text(stack, arn))
        for _name, body in _resources(sj, "aws_iam_policy_attachment"):
            arn = resolver.text(stack, str(body.get("policy_arn", "")))
            for role in body.get("roles") or []:
                attachments.setdefault(resolver.text(stack, role), []).append(arn)

        for rtype, (pattr, tattr, to_arn) in _RESOURCE_POLICIES.items():
            for name, body in _resources(sj, rtype):
                target = to_arn(place, resolver.text(stack, str(body.get(tattr, ""))))
                add("resource", Owner(stack, f"{rtype}.{name}"), body.get(pattr), target=target)
        for rtype in ("aws_s3_bucket", "aws_sqs_queue", "aws_sns_topic"):  # deprecated inline forms
            for name, body in _resources(sj, rtype):
                if body.get("policy"):
                    add(
                        "resource",
                        Owner(stack, f"{rtype}.{name}", "policy"),
                        body["policy"],
                        target=attr(stack, rtype, name, body, "arn"),
                    )
        for name, body in _resources(sj, "aws_kms_key"):
            if body.get("policy"):
                add(
                    "key",
                    Owner(stack, f"aws_kms_key.{name}", "policy"),
                    body["policy"],
                    target=attr(stack, "aws_kms_key", name, body, "arn"),
                )
        for name, body in _resources(sj, "aws_kms_key_policy"):
            key_id = resolver.text(stack, str(body.get("key_id", "")))
            target = key_id if key_id.startswith("arn:") else f"arn:{partition}:kms:{region}:{account_id}:key/{key_id}"
            add("key", Owner(stack, f"aws_kms_key_policy.{name}"), body.get("policy"), target=target)
        for name, body in _resources(sj, "aws_vpc_endpoint"):
            if body.get("policy"):
                add(
                    "endpoint",
                    Owner(stack, f"aws_vpc_endpoint.{name}", "policy"),
                    body["policy"],
                    target=attr(stack, "aws_vpc_endpoint", name, body, "id"),
                )
        org_targets: dict[str, list[str]] = {}
        for _name, body in _resources(sj, "aws_organizations_policy_attachment"):
            policy_id = resolver.text(stack, str(body.get("policy_id", "")))
            org_targets.setdefault(policy_id, []).append(resolver.text(stack, str(body.get("target_id", ""))))
        for name, body in _resources(sj, "aws_organizations_policy"):
            ptype = body.get("type", "SERVICE_CONTROL_POLICY")
            kind = _ORG_POLICY_KINDS.get(ptype)
            if kind is None:
                continue  # tag/backup/AI opt-out policies grant nothing
            policy_id = attr(stack, "aws_organizations_policy", name, body, "id")
            add(
                kind,
                Owner(stack, f"aws_organizations_policy.{name}"),
                body.get("content"),
                attached_to=tuple(sorted(org_targets.get(policy_id, []))),
            )

    views = []
    role_names = {r["name"] for r in roles}
    for key in sorted(set(inline_by_role) | set(attachments)):
        if key not in role_names:
            resolver.warn(f"policies attached to role {key!r}, which is not a role in these stacks")
    for r in sorted(roles, key=lambda r: r["arn"]):
        identity = list(r["inline"]) + inline_by_role.get(r["name"], [])
        managed: list[str] = []
        for arn in sorted(set(attachments.get(r["name"], []))):
            if arn in managed_by_arn:
                identity.append(managed_by_arn[arn])
            else:
                managed.append(arn)
        boundary = managed_by_arn.get(r["boundary_arn"]) if r["boundary_arn"] else None
        views.append(
            RoleView(
                name=r["name"],
                arn=r["arn"],
                owner=r["owner"],
                trust=r["trust"],
                identity=tuple(identity),
                boundary=boundary,
                boundary_arn=r["boundary_arn"],
                managed_policy_arns=tuple(managed),
            )
        )
    return PolicySet(policies=tuple(policies), role_views=tuple(views), warnings=tuple(resolver.warnings))
