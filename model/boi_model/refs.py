"""The one reference parser and resolver of the synthesized JSON, with named strategies.

A string in `cdk.tf.json` may hold Terraform references (`${aws_s3_bucket.docs.arn}`,
`${data.terraform_remote_state.x.outputs.y}`). Every reader resolves them through `Resolver`, which walks
strings and documents, follows a cross-stack output to the stack that exports it (once), and asks a
strategy for the value of a resource attribute or a data source:

- `Placeholders`: stable, realistic ARNs (literal names where the JSON has them) for the simulator,
  linters and proofs; the same input always gives the same output;
- `Labels`: readable names for documents, e.g. `(boi-dev-documents bucket)`;
- `Live`: the real values of an applied stack, from `terraform show -json`.

Pure: no cdktn import.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .synth import as_synth

TOKEN = re.compile(r"\$\$\{|\$\{([^{}]*)\}")
UNRESOLVED_MARK = "UNRESOLVED"
_PLAIN = re.compile(r"[A-Za-z0-9_\-]+")


@dataclass(frozen=True)
class Ref:
    """One parsed `${...}` expression."""

    expr: str
    kind: str  # resource | data | remote | other
    type: str = ""  # resource or data source type
    name: str = ""
    attr: str = ""
    output: str = ""  # remote: the output name

    @property
    def address(self) -> str:
        return f"{self.type}.{self.name}" if self.kind == "resource" else f"data.{self.type}.{self.name}"


def parse(expr: str) -> Ref:
    parts = expr.strip().split(".")
    if not all(_PLAIN.fullmatch(p) for p in parts):
        return Ref(expr, "other")
    if parts[0] == "data":
        if len(parts) == 5 and parts[1] == "terraform_remote_state" and parts[3] == "outputs":
            return Ref(expr, "remote", "terraform_remote_state", parts[2], "outputs", parts[4])
        if len(parts) >= 4:
            return Ref(expr, "data", parts[1], parts[2], parts[3])
        return Ref(expr, "other")
    if len(parts) == 3:
        return Ref(expr, "resource", parts[0], parts[1], parts[2])
    return Ref(expr, "other")


def find(text: str) -> list[Ref]:
    """Every reference in a string (escaped `$${` literals are not references)."""
    return [parse(m.group(1)) for m in TOKEN.finditer(text) if m.group(1) is not None]


def whole(text: str) -> Ref | None:
    """The reference when the string is exactly one `${...}`, else None."""
    m = re.fullmatch(r"\$\{([^{}]*)\}", text.strip()) if isinstance(text, str) else None
    return parse(m.group(1)) if m else None


class Strategy:
    """How a resolver turns a reference into text. Return None for "cannot": the resolver then asks
    `unresolved`, which decides what stands in (and records why)."""

    def resource(self, resolver: Resolver, stack: str, ref: Ref, body: dict) -> str | None:
        return None

    def data(self, resolver: Resolver, stack: str, ref: Ref) -> str | None:
        return None

    def unresolved(self, resolver: Resolver, stack: str, ref: Ref, why: str) -> str:
        return "${" + ref.expr + "}"


class Resolver:
    def __init__(self, synth: Mapping[str, dict], strategy: Strategy) -> None:
        self.synth = synth
        self.strategy = strategy
        self.warnings: list[str] = []
        self._active: set[tuple[str, str]] = set()

    def warn(self, message: str) -> None:
        if message not in self.warnings:
            self.warnings.append(message)

    def body(self, stack: str, rtype: str, name: str) -> dict | None:
        return ((self.synth.get(stack, {}).get("resource") or {}).get(rtype) or {}).get(name)

    # -- strings and documents

    def text(self, stack: str, value: str) -> str:
        def replace(m: re.Match) -> str:
            if m.group(0) == "$${":
                return "${"  # escaped literal, e.g. the IAM policy variable $${aws:username}
            return self.expression(stack, m.group(1).strip())

        out = TOKEN.sub(replace, value)
        if "${" in TOKEN.sub("", value):
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
        ref = parse(expr)
        if ref.kind == "other":
            return self._unresolved(stack, ref, "not a plain reference (function call or index)")
        if ref.kind == "remote":
            return self.remote_output(stack, ref)
        if ref.kind == "data":
            found = self.strategy.data(self, stack, ref)
            if found is None:
                return self._unresolved(stack, ref, f"data source {ref.type} is not modelled")
            return found
        body = self.body(stack, ref.type, ref.name)
        if body is None:
            return self._unresolved(stack, ref, f"no resource {ref.type}.{ref.name} in stack {stack}")
        key = (stack, ref.address)
        if key in self._active:
            return self._unresolved(stack, ref, f"reference cycle through {ref.address}")
        self._active.add(key)
        try:
            found = self.strategy.resource(self, stack, ref, body)
        finally:
            self._active.discard(key)
        return found if found is not None else self._unresolved(stack, ref, f"{ref.type}.{ref.attr} is not modelled")

    def _unresolved(self, stack: str, ref: Ref, why: str) -> str:
        return self.strategy.unresolved(self, stack, ref, why)

    def source_of(self, stack: str, ref: Ref) -> tuple[str, str] | str:
        """The stack exporting a remote output and the output's value text, or why not."""
        candidates = [s for s in sorted(self.synth) if s != stack and ref.output in (self.synth[s].get("output") or {})]
        if len(candidates) > 1:
            # Several stacks export the same output name: pick the one the remote state config names.
            config = json.dumps(
                ((self.synth[stack].get("data") or {}).get("terraform_remote_state") or {}).get(ref.name, {})
            )
            named = [s for s in candidates if re.search(rf"(^|[^A-Za-z0-9_-]){re.escape(s)}([^A-Za-z0-9_-]|$)", config)]
            candidates = named if len(named) == 1 else candidates
        if len(candidates) != 1:
            found = "no stack" if not candidates else f"stacks {candidates}"
            return f"output {ref.output!r} is exported by {found}"
        source = candidates[0]
        value = self.synth[source]["output"][ref.output].get("value")
        if not isinstance(value, str):
            return f"output {ref.output!r} of stack {source} is not a string"
        return source, value

    def remote_output(self, stack: str, ref: Ref) -> str:
        found = self.source_of(stack, ref)
        if isinstance(found, str):
            return self._unresolved(stack, ref, found)
        source, value = found
        key = (source, f"output.{ref.output}")
        if key in self._active:
            return self._unresolved(stack, ref, "reference cycle")
        self._active.add(key)
        try:
            return self.text(source, value)
        finally:
            self._active.discard(key)


# type -> (attribute holding the literal name, ARN template, other attribute templates).
# Templates see {p} partition, {r} region, {a} account, {n} name, {uid} a uuid and {hex} 17 hex digits,
# both derived from the stack and address so they are stable.
ARN_RULES: dict[str, tuple[str | None, str, dict[str, str]]] = {
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
    "aws_lambda_code_signing_config": (
        None,
        "arn:{p}:lambda:{r}:{a}:code-signing-config:csc-{hex16}",
        {"id": "{arn}", "config_id": "csc-{hex16}"},
    ),
    # Profiles named by a prefix get a generated suffix: the placeholder stands in for it.
    "aws_signer_signing_profile": (
        None,
        "arn:{p}:signer:{r}:{a}:/signing-profiles/profile{hex8}",
        {
            "id": "profile{hex8}",
            "name": "profile{hex8}",
            "version_arn": "arn:{p}:signer:{r}:{a}:/signing-profiles/profile{hex8}/{hex10}",
        },
    ),
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
ID_PREFIX = {
    "aws_vpc_endpoint": "vpce-",
    "aws_vpc": "vpc-",
    "aws_subnet": "subnet-",
    "aws_security_group": "sg-",
    "aws_internet_gateway": "igw-",
    "aws_nat_gateway": "nat-",
    "aws_route_table": "rtb-",
    "aws_ec2_transit_gateway": "tgw-",
    "aws_organizations_organization": "o-",
}
ID_ARN = {
    "aws_vpc_endpoint": "arn:{p}:ec2:{r}:{a}:vpc-endpoint/{id}",
    "aws_vpc": "arn:{p}:ec2:{r}:{a}:vpc/{id}",
    "aws_subnet": "arn:{p}:ec2:{r}:{a}:subnet/{id}",
    "aws_security_group": "arn:{p}:ec2:{r}:{a}:security-group/{id}",
}


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


class Placeholders(Strategy):
    """Stable ARNs that look like the real ones; an unknown reference becomes an UNRESOLVED ARN."""

    def __init__(self, account_id: str, region: str, partition: str = "aws") -> None:
        self.a, self.r, self.p = account_id, region, partition

    def unresolved(self, resolver: Resolver, stack: str, ref: Ref, why: str) -> str:
        resolver.warn(f"{stack}: cannot resolve ${{{ref.expr}}}: {why}; using an {UNRESOLVED_MARK} placeholder")
        safe = re.sub(r"[^A-Za-z0-9_.\-/]", "_", ref.expr)
        return f"arn:{self.p}:{UNRESOLVED_MARK}:{self.r}:{self.a}:{safe}"

    def data(self, resolver: Resolver, stack: str, ref: Ref) -> str | None:
        if ref.type == "aws_caller_identity":
            return {"account_id": self.a, "id": self.a, "arn": f"arn:{self.p}:iam::{self.a}:root"}.get(ref.attr)
        if ref.type == "aws_region":
            return self.r if ref.attr in ("name", "id", "region") else None
        if ref.type == "aws_partition":
            return {"partition": self.p, "id": self.p, "dns_suffix": "amazonaws.com"}.get(ref.attr)
        return None

    def resource(self, resolver: Resolver, stack: str, ref: Ref, body: dict) -> str | None:
        values = self.attributes(resolver, stack, ref.type, ref.name, body)
        return None if values is None else values.get(ref.attr)

    def attributes(self, resolver: Resolver, stack: str, rtype: str, name: str, body: dict) -> dict[str, str] | None:
        """Every modelled attribute of one resource (None: the type is not modelled)."""
        address = f"{rtype}.{name}"
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
        if rtype in ID_PREFIX:
            fill["id"] = ID_PREFIX[rtype] + seed[:17]
            values = {"id": fill["id"]}
            if rtype in ID_ARN:
                values["arn"] = ID_ARN[rtype].format(**fill)
            return values
        rule = ARN_RULES.get(rtype)
        if rule is None:
            return None
        name_attr, arn_template, others = rule
        literal = body.get(name_attr) if name_attr else None
        if name_attr and not isinstance(literal, str):
            resolver.warn(f"{stack}: {address} has no literal {name_attr}; using a generated name")
            literal = f"tf-{name.replace('_', '-')}-{seed[:8]}"
        fill["n"] = resolver.text(stack, literal) if literal else ""
        fill["n_noslash"] = fill["n"].lstrip("/")
        fill["n_host"] = fill["n"].removeprefix("https://")
        path = body.get("path", "/")
        fill["path"] = resolver.text(stack, path) if isinstance(path, str) else "/"
        fill["arn"] = arn_template.format(**fill)
        values = {"arn": fill["arn"]}
        values.update({attr: template.format(**fill) for attr, template in others.items()})
        return values


class Live(Strategy):
    """The real values of applied stacks: `values` stack -> address -> attributes, `outputs` stack ->
    output -> value (from `terraform show -json`). What the state does not hold resolves to `missing`."""

    def __init__(
        self, values: Mapping[str, Mapping[str, Mapping]], outputs: Mapping[str, Mapping[str, Any]], missing: str
    ) -> None:
        self.values, self.outputs, self.missing = values, outputs, missing

    def unresolved(self, resolver: Resolver, stack: str, ref: Ref, why: str) -> str:
        if ref.kind == "remote":
            remote = self.values.get(stack, {}).get(f"data.terraform_remote_state.{ref.name}", {})
            value = (remote.get("outputs") or {}).get(ref.output)
            if value is None:
                value = next((o[ref.output] for o in self.outputs.values() if ref.output in o), None)
            if isinstance(value, str):
                return value
        return self.missing

    def resource(self, resolver: Resolver, stack: str, ref: Ref, body: dict) -> str | None:
        value = self.values.get(stack, {}).get(ref.address, {}).get(ref.attr)
        return value if isinstance(value, str) else None


# What a resource type is called in prose.
NOUNS = {
    "aws_s3_bucket": "bucket",
    "aws_kms_key": "key",
    "aws_kms_alias": "key alias",
    "aws_sqs_queue": "queue",
    "aws_sns_topic": "topic",
    "aws_dynamodb_table": "table",
    "aws_cloudwatch_log_group": "log group",
    "aws_secretsmanager_secret": "secret",
    "aws_iam_role": "role",
    "aws_iam_policy": "policy",
    "aws_iam_user": "user",
    "aws_iam_openid_connect_provider": "OIDC provider",
    "aws_iam_saml_provider": "SAML provider",
    "aws_db_instance": "database",
    "aws_rds_cluster": "database cluster",
    "aws_cloudwatch_event_bus": "event bus",
    "aws_cloudwatch_event_rule": "event rule",
    "aws_ecr_repository": "repository",
    "aws_lambda_function": "function",
    "aws_ecs_cluster": "cluster",
    "aws_ecs_service": "service",
    "aws_ecs_task_definition": "task definition",
    "aws_cloudtrail": "trail",
    "aws_sfn_state_machine": "state machine",
    "aws_ssm_parameter": "parameter",
    "aws_cognito_user_pool": "user pool",
    "aws_api_gateway_rest_api": "REST API",
    "aws_organizations_organizational_unit": "organizational unit",
    "aws_organizations_policy": "organization policy",
}


class Labels(Strategy):
    """Readable names: `(boi-dev-documents bucket)` for an ARN, `(name of boi-dev-x role)` for another
    attribute, keys by their alias. Literal ARNs of the stacks' own resources read the same way."""

    def __init__(self, synth: Mapping[str, dict], account_id: str, region: str, partition: str = "aws") -> None:
        self.synth = synth
        self.a, self.r, self.p = account_id, region, partition
        self.aliases: dict[tuple[str, str], list[str]] = {}
        for alias in as_synth(synth).resources("aws_kms_alias"):
            target = whole(str(alias.body.get("target_key_id")))
            if target and target.type == "aws_kms_key" and isinstance(alias.body.get("name"), str):
                self.aliases.setdefault((alias.stack, target.name), []).append(alias.body["name"])
        self.arn_labels = self._arn_labels()

    def _arn_labels(self) -> list[tuple[str, str]]:
        place = Placeholders(self.a, self.r, self.p)
        resolver = Resolver(self.synth, place)
        labels = []
        synth = as_synth(self.synth)
        for rtype, (name_attr, _template, _others) in sorted(ARN_RULES.items()):
            if not name_attr:
                continue
            for r in synth.resources(rtype):
                if not isinstance(r.body.get(name_attr), str) or "${" in r.body[name_attr]:
                    continue
                values = place.attributes(resolver, r.stack, rtype, r.name, r.body) or {}
                label = self.label(r.stack, rtype, r.name)
                if values.get("arn") and label:
                    labels.append((values["arn"], label))
        return sorted(labels, key=lambda pair: (-len(pair[0]), pair[0]))

    def label(self, stack: str, rtype: str, name: str) -> str | None:
        body = ((self.synth.get(stack, {}).get("resource") or {}).get(rtype) or {}).get(name)
        if body is None:
            return None
        noun = NOUNS.get(rtype, rtype.removeprefix("aws_").replace("_", " "))
        if rtype == "aws_kms_key":
            aliases = sorted(self.aliases.get((stack, name), []))
            if aliases:
                return f"{aliases[0]} {noun}"
        if rtype == "aws_iam_openid_connect_provider" and isinstance(body.get("url"), str):
            return f"{body['url'].removeprefix('https://')} {noun}"
        name_attr = (ARN_RULES.get(rtype) or (None,))[0]
        literal = body.get(name_attr) if name_attr else None
        if isinstance(literal, str):
            return f"{Resolver(self.synth, self).text(stack, literal)} {noun}"
        return f"{name} {noun}"

    def literal(self, value: str) -> str:
        """A string with no reference: the stacks' own ARNs in it read as labels."""
        for arn, label in self.arn_labels:
            if value == arn or value.startswith((arn + "/", arn + ":")):
                return f"({label})" + value[len(arn) :]
        return value

    def resource(self, resolver: Resolver, stack: str, ref: Ref, body: dict) -> str | None:
        label = self.label(stack, ref.type, ref.name)
        if label is None:
            return None
        return f"({label})" if ref.attr == "arn" else f"({ref.attr} of {label})"

    def data(self, resolver: Resolver, stack: str, ref: Ref) -> str | None:
        if ref.type == "aws_caller_identity" and ref.attr == "account_id":
            return self.a
        if ref.type == "aws_region" and ref.attr in ("name", "region", "id"):
            return self.r
        if ref.type == "aws_partition" and ref.attr == "partition":
            return self.p
        return None


def labels(synth: Mapping[str, dict], account_id: str, region: str, partition: str = "aws") -> Resolver:
    """A resolver whose text() reads references and the stacks' own literal ARNs as readable labels."""
    strategy = Labels(synth, account_id, region, partition)
    resolver = Resolver(synth, strategy)
    plain = resolver.text

    def text(stack: str, value: str) -> str:
        return plain(stack, value) if "${" in value else strategy.literal(value)

    resolver.text = text  # type: ignore[method-assign]
    return resolver


def resolve_text(
    synth: Mapping[str, dict], stack: str, text: str, *, account_id: str, region: str, partition: str = "aws"
) -> str:
    """One string with its references replaced by the placeholders every proof uses."""
    return Resolver(synth, Placeholders(account_id, region, partition)).text(stack, text)
