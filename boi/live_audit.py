"""Live audit: read an account with boto3 and compare it with the synthesized plan.

    boi audit --env local --out cdktf.out [--json] [--state auto|terraform|none]

What is checked, for what the synthesized JSON plans (and nothing it leaves out, such as the
services `local.skip_services` skips):

- trail: logging on, log file validation on, encrypted with the planned KMS key;
- config: the recorder is recording and every planned rule exists;
- kms: rotation on with the planned period (boi_kms.rotation_report), and every key policy equals
  the synthesized one (an added, removed or changed statement is a finding);
- s3: every planned bucket's default encryption (algorithm and key) and its public access block;
- sqs: every planned redrive policy (dead-letter queue and receive count);
- iam: every planned role's inline policies and attached managed policies equal the synthesized
  ones (normalized JSON; an extra inline or attached policy is a finding).

Synthesized documents refer to other resources (`${aws_kms_key.x.arn}`). With `--state terraform`
(the default `auto` does it when the stack folders were initialized) the references are resolved
to the real values from `terraform show -json`; without state a reference matches any value.

boto3 honours AWS_ENDPOINT_URL, so the same command reads a moto server (`make e2e`).
Exit status: 0 clean, 1 any finding, 2 bad arguments or no synthesized stacks.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from pathlib import Path

from boi_model import refs
from boi_model.policies import matches
from boi_model.policies import policy_differences as _differences
from boi_model.synth import Synth, SynthError, load_out

ANY = "\u29fcany\u29fd"  # an unresolved reference (JSON-safe marker): matches any value


@dataclass(frozen=True)
class Finding:
    check: str
    resource: str
    problem: str


class AuditError(Exception):
    """The audit cannot run (bad arguments, no synthesized stacks)."""


# ---------------------------------------------------------------- reading the plan


def load_synth(out: Path) -> Synth:
    try:
        return load_out(out)
    except SynthError as exc:
        raise AuditError(f"{out}: {exc}") from None


def resources(synth: dict[str, dict], rtype: str) -> list[tuple[str, str, dict]]:
    """(stack, name, config) for every resource of a type, stacks in order."""
    return [(r.stack, r.name, r.body) for r in Synth(synth).resources(rtype)]


class State:
    """Real attribute values per stack from `terraform show -json`, to resolve `${...}` references."""

    def __init__(
        self, values: dict[str, dict[str, dict]] | None = None, outputs: dict[str, dict[str, object]] | None = None
    ) -> None:
        self.values = values or {}  # stack -> address -> attributes
        self.outputs = outputs or {}  # stack -> output -> value
        self.loaded = bool(self.values)
        self._resolver: refs.Resolver | None = None

    @classmethod
    def from_terraform(cls, out: Path, stacks: Iterable[str]) -> State:
        from boi import terraform as tf

        env = tf.cli_env()
        values: dict[str, dict[str, dict]] = {}
        outputs: dict[str, dict[str, object]] = {}
        for stack in stacks:
            stack_dir = Path(out) / "stacks" / stack
            proc = tf.run(["show", "-json", "-no-color"], stack_dir, env=env, check=False)
            if proc.returncode != 0:
                raise AuditError(f"terraform show -json failed in {stack_dir}: {proc.stderr.strip()[:500]}")
            doc = json.loads(proc.stdout or "{}").get("values") or {}
            outputs[stack] = {k: v.get("value") for k, v in (doc.get("outputs") or {}).items()}
            values[stack] = {}
            todo = [doc.get("root_module") or {}]
            while todo:
                module = todo.pop()
                for res in module.get("resources", []):
                    values[stack][res["address"]] = res.get("values") or {}
                todo.extend(module.get("child_modules", []))
        return cls(values, outputs)

    def text(self, stack: str, value: str) -> str:
        """References resolved to the applied values (the model's Live strategy); unknown ones match anything."""
        if self._resolver is None:
            known: dict[str, dict] = {}
            for st, addresses in self.values.items():
                for address in addresses:
                    rtype, _, name = address.partition(".")
                    if rtype != "data":
                        known.setdefault(st, {"resource": {}})["resource"].setdefault(rtype, {})[name] = {}
            self._resolver = refs.Resolver(known, refs.Live(self.values, self.outputs, ANY))
        return self._resolver.text(stack, value)

    def address_value(self, stack: str, rtype: str, name: str, attr: str) -> str | None:
        value = self.values.get(stack, {}).get(f"{rtype}.{name}", {}).get(attr)
        return value if isinstance(value, str) else None


# ---------------------------------------------------------------- comparing documents


# ---------------------------------------------------------------- the checks


def _error_code(exc: Exception) -> str:
    return getattr(exc, "response", {}).get("Error", {}).get("Code", type(exc).__name__)


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


def check_config(synth, state, session) -> list[Finding]:
    findings = []
    cfg_client = session.client("config")
    recorders = resources(synth, "aws_config_configuration_recorder")
    if recorders:
        statuses = {
            s["name"]: s
            for s in cfg_client.describe_configuration_recorder_status().get("ConfigurationRecordersStatus", [])
        }
        for _, _, cfg in recorders:
            status = statuses.get(cfg["name"])
            if status is None:
                findings.append(Finding("config", cfg["name"], "recorder does not exist"))
            elif not status.get("recording"):
                findings.append(Finding("config", cfg["name"], "recorder is not recording"))
    planned = {cfg["name"] for _, _, cfg in resources(synth, "aws_config_config_rule")}
    if planned:
        live = set()
        token = None
        while True:
            page = cfg_client.describe_config_rules(**({"NextToken": token} if token else {}))
            live |= {r["ConfigRuleName"] for r in page.get("ConfigRules", [])}
            token = page.get("NextToken")
            if not token:
                break
        findings += [Finding("config", rule, "planned rule does not exist") for rule in sorted(planned - live)]
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


def check_keys(synth, state, session) -> list[Finding]:
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
            findings.append(Finding("kms policy", label, f"cannot read the key policy: {_error_code(exc)}"))
            continue
        planned = state.text(stack, cfg["policy"])
        findings += [Finding("kms policy", label, p) for p in policy_differences(planned, live)]
    return findings


def _bucket_names(synth, state) -> dict[tuple[str, str], str]:
    names = {}
    for stack, name, cfg in resources(synth, "aws_s3_bucket"):
        bucket = cfg.get("bucket")
        if bucket and "${" not in bucket:
            names[(stack, name)] = bucket
        elif state.address_value(stack, "aws_s3_bucket", name, "bucket"):
            names[(stack, name)] = state.address_value(stack, "aws_s3_bucket", name, "bucket")
    return names


def _name_of(rtype: str, stack: str, ref: str, names: dict[tuple[str, str], str]) -> str | None:
    """The literal name behind `${<rtype>.<id>.id|name|bucket}`, or the value itself when literal."""
    m = re.fullmatch(r"\$\{" + rtype + r"\.([^.]+)\.(?:id|name|bucket)\}", ref or "")
    if m:
        return names.get((stack, m.group(1)))
    return ref if ref and "${" not in ref else None


def check_buckets(synth, state, session) -> list[Finding]:
    findings = []
    s3 = session.client("s3")
    names = _bucket_names(synth, state)
    for stack, _, cfg in resources(synth, "aws_s3_bucket_server_side_encryption_configuration"):
        bucket = _name_of("aws_s3_bucket", stack, cfg.get("bucket", ""), names)
        if bucket is None:
            continue
        rules = cfg.get("rule")
        rule = (rules[0] if isinstance(rules, list) else rules) or {}
        default = rule.get("apply_server_side_encryption_by_default") or {}
        default = default[0] if isinstance(default, list) else default
        try:
            live_rules = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"]
        except Exception as exc:  # noqa: BLE001
            findings.append(Finding("s3 encryption", bucket, f"no default encryption ({_error_code(exc)})"))
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
    flags = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")
    for stack, _, cfg in resources(synth, "aws_s3_bucket_public_access_block"):
        bucket = _name_of("aws_s3_bucket", stack, cfg.get("bucket", ""), names)
        if bucket is None:
            continue
        planned = {f: bool(cfg.get(re.sub(r"(?<!^)([A-Z])", r"_\1", f).lower())) for f in flags}
        try:
            live = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
        except Exception as exc:  # noqa: BLE001
            findings.append(Finding("s3 public access", bucket, f"no public access block ({_error_code(exc)})"))
            continue
        off = [f for f in flags if planned[f] and not live.get(f)]
        if off:
            findings.append(
                Finding("s3 public access", bucket, f"public access block is permissive: {', '.join(off)} off")
            )
    return findings


def check_queues(synth, state, session) -> list[Finding]:
    findings = []
    sqs = session.client("sqs")
    for stack, _, cfg in resources(synth, "aws_sqs_queue"):
        if not cfg.get("redrive_policy") or not cfg.get("name"):
            continue
        queue = cfg["name"]
        planned = json.loads(state.text(stack, cfg["redrive_policy"]))
        try:
            url = sqs.get_queue_url(QueueName=queue)["QueueUrl"]
            attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["RedrivePolicy"]).get("Attributes", {})
        except Exception as exc:  # noqa: BLE001
            findings.append(Finding("sqs redrive", queue, f"cannot read the queue ({_error_code(exc)})"))
            continue
        if not attrs.get("RedrivePolicy"):
            findings.append(Finding("sqs redrive", queue, "no redrive policy (failed messages are not kept)"))
            continue
        live = json.loads(attrs["RedrivePolicy"])
        if not matches(planned.get("deadLetterTargetArn", ANY), live.get("deadLetterTargetArn", ""), ANY):
            findings.append(
                Finding(
                    "sqs redrive",
                    queue,
                    f"dead-letter queue {live.get('deadLetterTargetArn')} "
                    f"is not the planned {planned.get('deadLetterTargetArn')}",
                )
            )
        if int(live.get("maxReceiveCount", 0)) != int(planned.get("maxReceiveCount", 0)):
            findings.append(
                Finding(
                    "sqs redrive",
                    queue,
                    f"maxReceiveCount {live.get('maxReceiveCount')} is not "
                    f"the planned {planned.get('maxReceiveCount')}",
                )
            )
    return findings


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
        role = _name_of("aws_iam_role", stack, cfg.get("role", ""), roles)
        if role in inline:
            inline[role][cfg["name"]] = (stack, cfg["policy"])
    for stack, _, cfg in resources(synth, "aws_iam_role_policy_attachment"):
        role = _name_of("aws_iam_role", stack, cfg.get("role", ""), roles)
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
            findings.append(Finding("iam", role, f"role cannot be read ({_error_code(exc)})"))
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


CHECKS: dict[str, Callable] = {
    "trail": check_trails,
    "config": check_config,
    "kms": check_keys,
    "s3": check_buckets,
    "sqs": check_queues,
    "iam": check_iam,
}


def audit(synth: dict[str, dict], session, state: State | None = None) -> list[Finding]:
    state = state or State()
    findings = []
    for check in CHECKS.values():
        findings += check(synth, state, session)
    return findings


# ---------------------------------------------------------------- CLI


def format_table(findings: list[Finding]) -> str:
    if not findings:
        return "live audit: clean (the account matches the plan)"
    widths = [max(len(h), *(len(getattr(f, h)) for f in findings)) for h in ("check", "resource")]
    lines = [f"{'CHECK':<{widths[0]}}  {'RESOURCE':<{widths[1]}}  PROBLEM"]
    lines += [f"{f.check:<{widths[0]}}  {f.resource:<{widths[1]}}  {f.problem}" for f in findings]
    lines.append(f"live audit: {len(findings)} finding(s)")
    return "\n".join(lines)


def _has_terraform_state(out: Path, stacks: Iterable[str]) -> bool:
    from boi import terraform as tf

    return tf.terraform_available() is None and all((Path(out) / "stacks" / s / ".terraform").is_dir() for s in stacks)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--env", required=True, help="the environment the synth must describe (checked)")
    parser.add_argument("--out", type=Path, default=Path("cdktf.out"), help="synth output folder (the plan)")
    parser.add_argument("--json", action="store_true", help="print the findings as JSON")
    parser.add_argument(
        "--state",
        choices=("auto", "terraform", "none"),
        default="auto",
        help="resolve references from `terraform show -json` (auto: when the stacks are initialized)",
    )


def run(args: argparse.Namespace) -> int:
    try:
        synth = load_synth(args.out)
        try:
            settings = Synth(synth).environment()
        except SynthError as exc:
            raise AuditError(str(exc)) from None
        if args.env != settings.name:
            raise AuditError(f"{args.out} holds the {settings.name!r} environment, not {args.env!r}")
        use_state = args.state == "terraform" or (args.state == "auto" and _has_terraform_state(args.out, synth))
        state = State.from_terraform(args.out, synth) if use_state else State()
    except AuditError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    import boto3

    session = boto3.Session(region_name=settings.region)
    findings = audit(synth, session, state)
    if args.json:
        print(
            json.dumps(
                {
                    "environment": settings.name,
                    "resolved_from_state": state.loaded,
                    "findings": [asdict(f) for f in findings],
                },
                indent=2,
            )
        )
    else:
        print(format_table(findings))
    return 1 if findings else 0


def main(argv: list[str] | None = None) -> int:
    from boi.cli import run_command

    return run_command("audit", argv)


if __name__ == "__main__":
    sys.exit(main())


def policy_differences(planned_doc, live_doc) -> list[str]:
    return _differences(planned_doc, live_doc, ANY)
