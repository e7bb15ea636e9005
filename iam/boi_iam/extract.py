"""Every IAM policy in the synthesized Terraform JSON, with Terraform references resolved to stable ARNs.

Pure: plain dicts in, dataclasses out; no cdktn import. ``synth`` maps stack name -> parsed ``cdk.tf.json``.
References are replaced by placeholder ARNs that look like the real ones (the literal names in the JSON
are used where present) so the simulator and linters see realistic input; the same input always gives
the same output.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

KINDS = ("identity", "boundary", "trust", "resource", "key", "scp", "rcp", "endpoint")
UNRESOLVED_MARK = "UNRESOLVED"
_TOKEN = re.compile(r"\$\$\{|\$\{([^{}]*)\}")
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


# ---- placeholder ARNs --------------------------------------------------------------------------

# type -> (attribute holding the literal name, ARN template, other attribute templates).
# Templates see {p} partition, {r} region, {a} account, {n} name, {uid} a uuid and {hex} 17 hex digits,
# both derived from the stack and address so they are stable.
_ARN_RULES: dict[str, tuple[str | None, str, dict[str, str]]] = {
    "aws_s3_bucket": (
        "bucket",
        "arn:{p}:s3:::{n}",
        {
            "id": "{n}",
            "bucket": "{n}",
            "bucket_domain_name": "{n}.s3.amazonaws.com",
            "bucket_regional_domain_name": "{n}.s3.{r}.amazonaws.com",
        },
    ),
    "aws_iam_role": (
        "name",
        "arn:{p}:iam::{a}:role{path}{n}",
        {"id": "{n}", "name": "{n}", "unique_id": "AROA{HEX}"},
    ),
    "aws_iam_policy": (
        "name",
        "arn:{p}:iam::{a}:policy{path}{n}",
        {"id": "{arn}", "name": "{n}", "policy_id": "ANPA{HEX}"},
    ),
    "aws_iam_user": ("name", "arn:{p}:iam::{a}:user{path}{n}", {"id": "{n}", "name": "{n}"}),
    "aws_iam_instance_profile": (
        "name",
        "arn:{p}:iam::{a}:instance-profile{path}{n}",
        {"id": "{n}", "name": "{n}"},
    ),
    "aws_sqs_queue": (
        "name",
        "arn:{p}:sqs:{r}:{a}:{n}",
        {
            "id": "https://sqs.{r}.amazonaws.com/{a}/{n}",
            "url": "https://sqs.{r}.amazonaws.com/{a}/{n}",
            "name": "{n}",
        },
    ),
    "aws_sns_topic": ("name", "arn:{p}:sns:{r}:{a}:{n}", {"id": "{arn}", "name": "{n}"}),
    "aws_secretsmanager_secret": (
        "name",
        "arn:{p}:secretsmanager:{r}:{a}:secret:{n}-AbCdEf",
        {"id": "{arn}", "name": "{n}"},
    ),
    "aws_dynamodb_table": (
        "name",
        "arn:{p}:dynamodb:{r}:{a}:table/{n}",
        {
            "id": "{n}",
            "name": "{n}",
            "stream_arn": "arn:{p}:dynamodb:{r}:{a}:table/{n}/stream/2024-01-01T00:00:00.000",
        },
    ),
    "aws_cloudwatch_log_group": ("name", "arn:{p}:logs:{r}:{a}:log-group:{n}", {"id": "{n}", "name": "{n}"}),
    "aws_kms_key": (None, "arn:{p}:kms:{r}:{a}:key/{uid}", {"id": "{uid}", "key_id": "{uid}"}),
    "aws_kms_alias": ("name", "arn:{p}:kms:{r}:{a}:{n}", {"id": "{n}", "name": "{n}"}),
    "aws_db_instance": (
        "identifier",
        "arn:{p}:rds:{r}:{a}:db:{n}",
        {"id": "{n}", "identifier": "{n}", "resource_id": "db-{HEX}"},
    ),
    "aws_rds_cluster": (
        "cluster_identifier",
        "arn:{p}:rds:{r}:{a}:cluster:{n}",
        {"id": "{n}", "cluster_identifier": "{n}", "cluster_resource_id": "cluster-{HEX}"},
    ),
    "aws_ecr_repository": (
        "name",
        "arn:{p}:ecr:{r}:{a}:repository/{n}",
        {"id": "{n}", "name": "{n}", "repository_url": "{a}.dkr.ecr.{r}.amazonaws.com/{n}"},
    ),
    "aws_cloudwatch_event_bus": (
        "name",
        "arn:{p}:events:{r}:{a}:event-bus/{n}",
        {"id": "{n}", "name": "{n}"},
    ),
    "aws_cloudwatch_event_rule": ("name", "arn:{p}:events:{r}:{a}:rule/{n}", {"id": "{n}", "name": "{n}"}),
    "aws_lambda_function": (
        "function_name",
        "arn:{p}:lambda:{r}:{a}:function:{n}",
        {
            "id": "{n}",
            "function_name": "{n}",
            "invoke_arn": "arn:{p}:apigateway:{r}:lambda:path/2015-03-31/functions/"
            "arn:{p}:lambda:{r}:{a}:function:{n}/invocations",
            "qualified_arn": "arn:{p}:lambda:{r}:{a}:function:{n}:1",
        },
    ),
    "aws_ecs_cluster": ("name", "arn:{p}:ecs:{r}:{a}:cluster/{n}", {"id": "{arn}", "name": "{n}"}),
    "aws_ecs_task_definition": (
        "family",
        "arn:{p}:ecs:{r}:{a}:task-definition/{n}:1",
        {"id": "{n}", "family": "{n}", "arn_without_revision": "arn:{p}:ecs:{r}:{a}:task-definition/{n}"},
    ),
    "aws_ecs_service": ("name", "arn:{p}:ecs:{r}:{a}:service/{n}", {"id": "{arn}", "name": "{n}"}),
    "aws_cloudtrail": ("name", "arn:{p}:cloudtrail:{r}:{a}:trail/{n}", {"id": "{n}", "name": "{n}"}),
    "aws_iam_openid_connect_provider": ("url", "arn:{p}:iam::{a}:oidc-provider/{n_host}", {}),
    "aws_cloudfront_distribution": (None, "arn:{p}:cloudfront::{a}:distribution/E{HEX9}", {"id": "E{HEX9}"}),
    "aws_sfn_state_machine": (
        "name",
        "arn:{p}:states:{r}:{a}:stateMachine:{n}",
        {"id": "{arn}", "name": "{n}"},
    ),
    "aws_ssm_parameter": ("name", "arn:{p}:ssm:{r}:{a}:parameter/{n_noslash}", {"id": "{n}", "name": "{n}"}),
    "aws_cognito_user_pool": (
        "name",
        "arn:{p}:cognito-idp:{r}:{a}:userpool/{r}_{HEX9}",
        {"id": "{r}_{HEX9}", "name": "{n}"},
    ),
    "aws_api_gateway_rest_api": (
        "name",
        "arn:{p}:apigateway:{r}::/restapis/{hex10}",
        {"id": "{hex10}", "name": "{n}", "execution_arn": "arn:{p}:execute-api:{r}:{a}:{hex10}"},
    ),
    "aws_sns_topic_subscription": (None, "arn:{p}:sns:{r}:{a}:subscription-{uid}", {"id": "{arn}"}),
    "aws_backup_vault": ("name", "arn:{p}:backup:{r}:{a}:backup-vault:{n}", {"id": "{n}", "name": "{n}"}),
    "aws_athena_workgroup": ("name", "arn:{p}:athena:{r}:{a}:workgroup/{n}", {"id": "{n}", "name": "{n}"}),
    "aws_glue_catalog_database": (
        "name",
        "arn:{p}:glue:{r}:{a}:database/{n}",
        {"id": "{a}:{n}", "name": "{n}"},
    ),
    "aws_lb": (
        "name",
        "arn:{p}:elasticloadbalancing:{r}:{a}:loadbalancer/app/{n}/{hex16}",
        {"id": "{arn}", "name": "{n}"},
    ),
    "aws_wafv2_web_acl": (
        "name",
        "arn:{p}:wafv2:{r}:{a}:regional/webacl/{n}/{uid}",
        {"id": "{uid}", "name": "{n}"},
    ),
    "aws_acm_certificate": (None, "arn:{p}:acm:{r}:{a}:certificate/{uid}", {"id": "{arn}"}),
    "aws_route53_zone": (None, "arn:{p}:route53:::hostedzone/Z{HEX}", {"id": "Z{HEX}", "zone_id": "Z{HEX}"}),
    "aws_lambda_code_signing_config": (None, "arn:{p}:lambda:{r}:{a}:code-signing-config:csc-{hex16}",
                                       {"id": "{arn}", "config_id": "csc-{hex16}"}),
    # Profiles named by a prefix get a generated suffix: the placeholder stands in for it.
    "aws_signer_signing_profile": (None, "arn:{p}:signer:{r}:{a}:/signing-profiles/profile{hex8}",
                                   {"id": "profile{hex8}", "name": "profile{hex8}",
                                    "version_arn": "arn:{p}:signer:{r}:{a}:/signing-profiles/profile{hex8}/{hex10}"}),
    "aws_organizations_policy": (
        "name",
        "arn:{p}:organizations::{a}:policy/o-exampleorg/p-{hex8}",
        {"id": "p-{hex8}", "name": "{n}"},
    ),
    "aws_organizations_organizational_unit": (
        "name",
        "arn:{p}:organizations::{a}:ou/o-exampleorg/ou-{hex8}",
        {"id": "ou-ab12-{hex8}", "name": "{n}"},
    ),
}
# Resources known by id only (no ARN the policies would use).
_ID_PREFIX = {
    "aws_vpc_endpoint": "vpce-",
    "aws_vpc": "vpc-",
    "aws_subnet": "subnet-",
    "aws_security_group": "sg-",
    "aws_internet_gateway": "igw-",
    "aws_nat_gateway": "nat-",
    "aws_route_table": "rtb-",
    "aws_ec2_transit_gateway": "tgw-",
}
_ID_ARN = {
    "aws_vpc_endpoint": "arn:{p}:ec2:{r}:{a}:vpc-endpoint/{id}",
    "aws_vpc": "arn:{p}:ec2:{r}:{a}:vpc/{id}",
    "aws_subnet": "arn:{p}:ec2:{r}:{a}:subnet/{id}",
    "aws_security_group": "arn:{p}:ec2:{r}:{a}:security-group/{id}",
}


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


class _Resolver:
    def __init__(self, synth: Mapping[str, dict], account_id: str, region: str, partition: str):
        self.synth = synth
        self.a, self.r, self.p = account_id, region, partition
        self.warnings: list[str] = []
        self._active: set[tuple[str, str]] = set()

    def warn(self, message: str) -> None:
        if message not in self.warnings:
            self.warnings.append(message)

    def unresolved(self, stack: str, expr: str, why: str) -> str:
        self.warn(f"{stack}: cannot resolve ${{{expr}}}: {why}; using an {UNRESOLVED_MARK} placeholder")
        safe = re.sub(r"[^A-Za-z0-9_.\-/]", "_", expr)
        return f"arn:{self.p}:{UNRESOLVED_MARK}:{self.r}:{self.a}:{safe}"

    # -- strings and documents

    def text(self, stack: str, value: str) -> str:
        def replace(m: re.Match) -> str:
            if m.group(0) == "$${":
                return "${"  # escaped literal, e.g. the IAM policy variable $${aws:username}
            return self.expression(stack, m.group(1).strip())

        out = _TOKEN.sub(replace, value)
        if "${" in _TOKEN.sub("", value):
            self.warn(f"{stack}: expression with nested braces left as is in {value[:80]!r}")
        return out

    def value(self, stack: str, value: Any) -> Any:
        if isinstance(value, str):
            return self.text(stack, value)
        if isinstance(value, list):
            return [self.value(stack, v) for v in value]
        if isinstance(value, dict):
            return {self.text(stack, k): self.value(stack, v) for k, v in value.items()}
        return value

    # -- one ${...} expression

    def expression(self, stack: str, expr: str) -> str:
        parts = expr.split(".")
        if not all(re.fullmatch(r"[A-Za-z0-9_\-]+", part) for part in parts):
            return self.unresolved(stack, expr, "not a plain reference (function call or index)")
        if parts[0] == "data":
            return self.data_reference(stack, parts[1:], expr)
        if len(parts) != 3:
            return self.unresolved(stack, expr, "expected <type>.<name>.<attribute>")
        rtype, name, attr = parts
        return self.resource_attribute(stack, rtype, name, attr, expr)

    def data_reference(self, stack: str, parts: list[str], expr: str) -> str:
        if len(parts) < 3:
            return self.unresolved(stack, expr, "expected data.<type>.<name>.<attribute>")
        dtype, name, attr = parts[0], parts[1], parts[2]
        if dtype == "aws_caller_identity":
            return {"account_id": self.a, "id": self.a, "arn": f"arn:{self.p}:iam::{self.a}:root"}.get(
                attr
            ) or self.unresolved(stack, expr, "attr")
        if dtype == "aws_region":
            return (
                self.r
                if attr in ("name", "id", "region")
                else self.unresolved(stack, expr, "unknown attribute")
            )
        if dtype == "aws_partition":
            return {"partition": self.p, "id": self.p, "dns_suffix": "amazonaws.com"}.get(
                attr
            ) or self.unresolved(stack, expr, "unknown attribute")
        if dtype == "terraform_remote_state" and attr == "outputs" and len(parts) == 4:
            return self.remote_output(stack, name, parts[3], expr)
        return self.unresolved(stack, expr, f"data source {dtype} is not modelled")

    def remote_output(self, stack: str, state_name: str, output: str, expr: str) -> str:
        candidates = [
            s for s in sorted(self.synth) if s != stack and output in (self.synth[s].get("output") or {})
        ]
        if len(candidates) > 1:
            # Several stacks export the same output name: pick the one the remote state config names.
            config = json.dumps(
                ((self.synth[stack].get("data") or {}).get("terraform_remote_state") or {}).get(
                    state_name, {}
                )
            )
            named = [
                s
                for s in candidates
                if re.search(rf"(^|[^A-Za-z0-9_-]){re.escape(s)}([^A-Za-z0-9_-]|$)", config)
            ]
            candidates = named if len(named) == 1 else candidates
        if len(candidates) != 1:
            found = "no stack" if not candidates else f"stacks {candidates}"
            return self.unresolved(stack, expr, f"output {output!r} is exported by {found}")
        source = candidates[0]
        key = (source, f"output.{output}")
        if key in self._active:
            return self.unresolved(stack, expr, "reference cycle")
        self._active.add(key)
        try:
            value = self.synth[source]["output"][output].get("value")
            if not isinstance(value, str):
                return self.unresolved(stack, expr, f"output {output!r} of stack {source} is not a string")
            return self.text(source, value)
        finally:
            self._active.discard(key)

    def resource_attribute(self, stack: str, rtype: str, name: str, attr: str, expr: str) -> str:
        body = ((self.synth.get(stack, {}).get("resource") or {}).get(rtype) or {}).get(name)
        if body is None:
            return self.unresolved(stack, expr, f"no resource {rtype}.{name} in stack {stack}")
        values = self.attributes(stack, rtype, name, body)
        if values is None:
            return self.unresolved(stack, expr, f"resource type {rtype} is not modelled")
        if attr not in values:
            return self.unresolved(stack, expr, f"attribute {attr} of {rtype} is not modelled")
        return values[attr]

    def attributes(self, stack: str, rtype: str, name: str, body: dict) -> dict[str, str] | None:
        address = f"{rtype}.{name}"
        key = (stack, address)
        if key in self._active:
            self.warn(f"{stack}: reference cycle through {address}")
            return None
        self._active.add(key)
        try:
            return self._attributes(stack, rtype, name, body, address)
        finally:
            self._active.discard(key)

    def _attributes(self, stack, rtype, name, body, address) -> dict[str, str] | None:
        seed = _digest(f"{stack}/{address}")
        fill = {
            "p": self.p,
            "r": self.r,
            "a": self.a,
            "uid": str(uuid.UUID(seed[:32], version=4)),
            "HEX": seed[:17].upper(),
            "HEX9": seed[:9].upper(),
            "hex8": seed[:8],
            "hex10": seed[:10],
            "hex16": seed[:16],
        }
        if rtype in _ID_PREFIX:
            fill["id"] = _ID_PREFIX[rtype] + seed[:17]
            values = {"id": fill["id"]}
            if rtype in _ID_ARN:
                values["arn"] = _ID_ARN[rtype].format(**fill)
            return values
        rule = _ARN_RULES.get(rtype)
        if rule is None:
            return None
        name_attr, arn_template, others = rule
        literal = body.get(name_attr) if name_attr else None
        if name_attr and not isinstance(literal, str):
            self.warn(f"{stack}: {address} has no literal {name_attr}; using a generated name")
            literal = f"tf-{name.replace('_', '-')}-{seed[:8]}"
        fill["n"] = self.text(stack, literal) if literal else ""
        fill["n_noslash"] = fill["n"].lstrip("/")
        fill["n_host"] = fill["n"].removeprefix("https://")
        path = body.get("path", "/")
        fill["path"] = self.text(stack, path) if isinstance(path, str) else "/"
        fill["arn"] = arn_template.format(**fill)
        values = {"arn": fill["arn"]}
        values.update({attr: template.format(**fill) for attr, template in others.items()})
        return values


# ---- extraction --------------------------------------------------------------------------------


def _resources(stack_json: dict, rtype: str) -> list[tuple[str, dict]]:
    block = (stack_json.get("resource") or {}).get(rtype) or {}
    return sorted(block.items())


def _parse_policy(resolver: _Resolver, owner: Owner, raw: Any) -> tuple[dict, dict] | None:
    if isinstance(raw, dict):
        original = raw
    elif isinstance(raw, str):
        if re.fullmatch(r"\$\{[^{}]*\}", raw.strip()):
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


def _queue_arn(resolver: _Resolver, url: str) -> str:
    m = re.fullmatch(r"https://sqs\.([^.]+)\.amazonaws\.com/(\d{12})/(.+)", url)
    return f"arn:{resolver.p}:sqs:{m.group(1)}:{m.group(2)}:{m.group(3)}" if m else url


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


def extract_policies(
    synth: Mapping[str, dict], *, account_id: str, region: str, partition: str = "aws"
) -> PolicySet:
    if not isinstance(synth, Mapping) or not all(isinstance(v, dict) for v in synth.values()):
        raise ValueError("synth: expected a mapping of stack name -> parsed cdk.tf.json dict")
    if not _ACCOUNT.match(str(account_id)):
        raise ValueError(f"account_id: expected a 12-digit account id, got {account_id!r}")
    if not _REGION.match(str(region)):
        raise ValueError(f"region: expected an AWS region like 'us-east-1', got {region!r}")
    if partition not in ("aws", "aws-us-gov", "aws-cn"):
        raise ValueError(f"partition: expected one of aws, aws-us-gov, aws-cn, got {partition!r}")

    resolver = _Resolver(synth, account_id, region, partition)
    policies: list[ExtractedPolicy] = []

    def add(kind: str, owner: Owner, raw: Any, **extra) -> ExtractedPolicy | None:
        parsed = _parse_policy(resolver, owner, raw)
        if parsed is None:
            return None
        pol = ExtractedPolicy(kind=kind, owner=owner, document=parsed[0], original=parsed[1], **extra)
        policies.append(pol)
        return pol

    def attr(stack: str, rtype: str, name: str, body: dict, a: str) -> str:
        return resolver.attributes(stack, rtype, name, body).get(a)

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
            values = resolver.attributes(stack, "aws_iam_role", name, body)
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
                target = to_arn(resolver, resolver.text(stack, str(body.get(tattr, ""))))
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
            target = (
                key_id
                if key_id.startswith("arn:")
                else f"arn:{partition}:kms:{region}:{account_id}:key/{key_id}"
            )
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


def load_synth_dir(out_dir: str) -> dict[str, dict]:
    """Read ``<out>/stacks/*/cdk.tf.json`` into the ``synth`` mapping extract_policies expects."""
    from pathlib import Path

    stacks = Path(out_dir) / "stacks"
    if not stacks.is_dir():
        raise FileNotFoundError(f"out_dir: {stacks} does not exist; run the synth first")
    return {p.parent.name: json.loads(p.read_text()) for p in sorted(stacks.glob("*/cdk.tf.json"))}


def resolve_text(synth: Mapping[str, dict], stack: str, text: str, *, account_id: str, region: str,
                 partition: str = "aws") -> str:
    """Resolve the `${...}` references in one string to the same placeholders extract_policies uses,
    so a test can name a resource (a key, a database user) exactly as the policies name it."""
    return _Resolver(synth, account_id, region, partition).text(stack, text)
