"""The custom Config (Guard) rules, run by the real cfn-guard engine on configuration items as Config records them.

Engine: PyPI ``guardpycfn`` (cfn-guard compiled into a pyo3 module; a pinned dev dependency).
``guardpycfn.validate_with_guard(data, rules)`` takes two *strings* (the item as JSON or YAML, the Guard
text; a dict raises TypeError) and returns a dict. What these tests rely on:

- ``{"success": False, "error": "<message>"}`` when the rules do not parse (the message names
  ``line N at column M``), when a variable is unknown, when the data is not JSON/YAML, or when the
  rules text is empty;
- otherwise ``{"success": True, "result": {...}}`` where ``result["status"]`` is ``PASS``, ``FAIL`` or
  ``SKIP`` (SKIP: no rule applied to the item), ``result["compliant"]`` and ``result["not_applicable"]``
  are lists of rule names, and ``result["not_compliant"]`` is a list of ``{"Rule": {"name": ..., "checks":
  [...]}}``. A property a rule reads that is missing from the item makes that rule FAIL (not SKIP); a
  ``when`` condition on a missing property makes the rule not applicable.

Items: built from the synthesized dev JSON (keys from ``aws_kms_key`` with their tags and rotation
setting, buckets from their SSE configuration, DB instances from ``aws_db_instance``), with only the
paths and types the AWS Config resource schema lists (``data/aws-config-schema``; a test checks that).
Terraform references are resolved with ``boi_iam.extract.resolve_text`` to the same placeholder ARNs in
the rule texts (taken from the synthesized ``aws_config_config_rule`` resources, exactly as Config gets
them) and in the items, so a key ARN in a rule and in an item agree exactly when Terraform would make
them agree.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import guardpycfn
import pytest
from boi_audit import guard
from boi_audit.errors import ConfigError
from boi_audit.guard import GUARD_BUILDERS, check_with_engine, guard_policies

ROOT = Path(__file__).resolve().parents[2]
SCHEMA_DIR = Path(__file__).resolve().parent / "data" / "aws-config-schema"
# Config resource type -> the Terraform resource type the items are built from.
TF_TYPE = {
    "AWS::KMS::Key": "aws_kms_key",
    "AWS::S3::Bucket": "aws_s3_bucket",
    "AWS::RDS::DBInstance": "aws_db_instance",
}
CAPTURED = "2025-01-01T00:00:00.000Z"
ACCOUNT = "123456789012"
SAMPLE_INPUTS = {
    "kms_rotation_days": {"pii": 180, "logs": 365},
    "bucket_keys": {"boi-test-documents": f"arn:aws:kms:us-east-1:{ACCOUNT}:key/documents"},
    "database_keys": {"boi-test-postgres": f"arn:aws:kms:us-east-1:{ACCOUNT}:key/database"},
}
# The rule text before the fix: the tag no key carries, and a path Config does not record.
OLD_KMS_RULE = (
    'rule rotation_pii when resourceType == "AWS::KMS::Key" tags."boi:key-class" == "pii" {\n'
    "  supplementaryConfiguration.KeyRotationStatus == true\n"
    "  configuration.rotationPeriodInDays <= 180\n}\n"
)


# ---- the engine ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Verdict:
    status: str
    compliant: frozenset[str]
    not_compliant: frozenset[str]
    not_applicable: frozenset[str]

    @property
    def evaluated(self) -> frozenset[str]:
        return self.compliant | self.not_compliant


def evaluate(item: dict, text: str) -> Verdict:
    report = guardpycfn.validate_with_guard(json.dumps(item), text)
    assert report.get("success") is True, f"the engine could not evaluate the rules: {report.get('error')}"
    result = report["result"]
    assert result["status"] in ("PASS", "FAIL", "SKIP"), result
    return Verdict(
        status=result["status"],
        compliant=frozenset(result["compliant"]),
        not_compliant=frozenset(entry["Rule"]["name"] for entry in result["not_compliant"]),
        not_applicable=frozenset(result["not_applicable"]),
    )


# ---- reading a rule text: blocks, the paths they read, the tags they select on ------------------------------

_TOKENS = re.compile(
    r"""(?P<string>"[^"]*")
      | (?P<query>%?[A-Za-z_]\w*(?:\.(?:\w+|"[^"]*")|\[\*\])*)""",
    re.X,
)
_SEGMENT = re.compile(r'\w+|"[^"]*"')
_COMPARED = re.compile(r'\s*==\s*"([^"]*)"')
_RULE = re.compile(r"^\s*rule\s+(\w+)\b(.*)$")
_LET = re.compile(r"^\s*let\s+(\w+)\s*=(.*)$")
_KEYWORDS = {"when", "true", "false", "null", "this", "or", "and", "not", "in", "some", "empty", "exists"}


@dataclass(frozen=True)
class Read:
    """One query of a Guard rule: its path segments ([*] dropped) and the string it is compared with."""

    path: tuple[str, ...]
    equals: str | None

    @property
    def dotted(self) -> str:
        return ".".join(self.path)


@dataclass(frozen=True)
class Block:
    name: str
    reads: tuple[Read, ...]

    @property
    def resource_type(self) -> str | None:
        return next((r.equals for r in self.reads if r.path == ("resourceType",)), None)


def _queries(fragment: str, lets: dict[str, tuple[str, ...]], rule: str) -> list[Read]:
    reads = []
    for m in _TOKENS.finditer(fragment):
        token = m.group("query")
        if token is None or token.lower() in _KEYWORDS:
            continue
        head, _, rest = token.partition(".")
        segments = tuple(s.strip('"') for s in _SEGMENT.findall(rest))
        if head.startswith("%"):
            assert head[1:] in lets, f"rule {rule}: unknown variable {head}"
            path = lets[head[1:]] + segments
        else:
            path = (head, *segments)
        compared = _COMPARED.match(fragment, m.end())
        reads.append(Read(path, compared.group(1) if compared else None))
    return reads


def blocks(text: str) -> list[Block]:
    """The named rules of a Guard text and every path each reads (the subset of Guard these rules use:
    ``rule NAME when ... {``, ``let NAME = QUERY``, clauses on queries and ``%variables``)."""
    out: list[tuple[str, list[Read]]] = []
    lets: dict[str, tuple[str, ...]] = {}
    for raw in text.splitlines():
        line = raw.split("#", 1)[0]  # comments; the rule texts carry no '#' inside strings
        if m := _RULE.match(line):
            out.append((m.group(1), []))
            lets = {}
            line = m.group(2)
        assert out or not line.strip(), f"Guard text outside a rule: {raw!r}"
        if not out:
            continue
        name, reads = out[-1]
        if m := _LET.match(line):
            (value,) = _queries(m.group(2), lets, name)
            lets[m.group(1)] = value.path
            reads.append(value)
            continue
        reads.extend(_queries(line, lets, name))
    return [Block(name, tuple(reads)) for name, reads in out]


def schema(resource_type: str) -> dict[str, str]:
    path = SCHEMA_DIR / f"{resource_type.replace('::', '__')}.properties.json"
    assert path.is_file(), f"no schema file for {resource_type} in {SCHEMA_DIR}"
    return json.loads(path.read_text())


def path_problems(text: str) -> list[str]:
    """Every path a rule reads that the Config schema of its resource type does not list."""
    problems = []
    for block in blocks(text):
        if block.resource_type is None:
            problems.append(f'rule {block.name}: no resourceType == "..." selection')
            continue
        known = schema(block.resource_type)
        for read in block.reads:
            if read.path[0] == "tags":
                ok = len(read.path) == 2 and "tags.key" in known
            else:
                ok = read.dotted in known or any(p.startswith(read.dotted + ".") for p in known)
            if not ok:
                problems.append(
                    f"rule {block.name}: reads {read.dotted}, which the Config schema of {block.resource_type} "
                    "does not list"
                )
    return problems


def tag_problems(text: str, carried: dict[str, dict[str, set[str]]]) -> list[str]:
    """Every tag selector (tags."k" == "v") no synthesized resource of the rule's type carries.
    carried: Config resource type -> tag key -> values seen on the synthesized resources."""
    problems = []
    for block in blocks(text):
        tags = carried.get(block.resource_type or "", {})
        for read in block.reads:
            if read.path[0] != "tags" or len(read.path) != 2:
                continue
            key = read.path[1]
            if key not in tags:
                problems.append(
                    f"rule {block.name}: selects on tag {key!r}, which no synthesized "
                    f"{TF_TYPE.get(block.resource_type, block.resource_type)} carries"
                )
            elif read.equals is not None and read.equals not in tags[key]:
                problems.append(
                    f"rule {block.name}: selects on tag {key}={read.equals!r}, which no synthesized "
                    f"{TF_TYPE.get(block.resource_type, block.resource_type)} carries"
                )
    return problems


def item_problems(item: dict) -> list[str]:
    """Every path of a built configuration item that the Config schema does not list, or lists with
    another type: the items must be shaped as Config records them."""
    known = schema(item["resourceType"])
    types = {"string": str, "date": str, "boolean": bool, "integer": int}
    problems = []

    def walk(prefix: str, value):
        if isinstance(value, dict):
            for key, inner in value.items():
                walk(f"{prefix}.{key}" if prefix else key, inner)
        elif isinstance(value, list):
            for inner in value:
                walk(prefix, inner)
        elif prefix not in known:
            problems.append(f"{prefix} is not in the schema")
        elif not isinstance(value, types[known[prefix]]) or (known[prefix] == "integer" and isinstance(value, bool)):
            problems.append(f"{prefix} is {type(value).__name__}, the schema says {known[prefix]}")

    for key, value in item.items():
        if key == "tags":
            assert isinstance(value, dict) and all(isinstance(v, str) for v in value.values()), value
            assert value == {} or "tags.key" in known
            continue
        walk(key, value)
    return problems


def applies_to_some(name: str, text: str, items: list[dict]) -> None:
    """Fail naming the rule when one of its Guard rules applies to none of the items (a vacuous rule)."""
    evaluated: set[str] = set()
    for item in items:
        evaluated |= evaluate(item, text).evaluated
    never = [block.name for block in blocks(text) if block.name not in evaluated]
    assert not never, (
        f"guard rule {name}: Guard rule(s) {never} apply to none of the {len(items)} synthesized resources "
        "of their type (the scope matches nothing, so Config would report NOT_APPLICABLE forever)"
    )


# ---- configuration items from the synthesized JSON ---------------------------------------------------------


class Synth:
    """The synthesized stacks, with references resolved to the placeholders boi_iam.extract uses."""

    def __init__(self, stacks: dict[str, dict]):
        self.stacks = stacks
        provider = next(
            p
            for sj in stacks.values()
            for p in (sj.get("provider") or {}).get("aws", [])
            if p.get("allowed_account_ids")
        )
        self.account_id = provider["allowed_account_ids"][0]
        self.region = provider["region"]

    def resolve(self, stack: str, text: str) -> str:
        from boi_model.refs import resolve_text

        return resolve_text(self.stacks, stack, text, account_id=self.account_id, region=self.region)

    def resources(self, tf_type: str) -> list[tuple[str, str, dict]]:
        return [
            (stack, name, body)
            for stack, sj in sorted(self.stacks.items())
            for name, body in sorted(((sj.get("resource") or {}).get(tf_type) or {}).items())
        ]

    def tags(self, stack: str, body: dict) -> dict[str, str]:
        """The tags Config records: the provider's default_tags under the resource's own."""
        tags: dict[str, str] = {}
        for provider in (self.stacks[stack].get("provider") or {}).get("aws", []):
            if "alias" not in provider:
                for block in provider.get("default_tags") or []:
                    tags.update(block.get("tags") or {})
        tags.update(body.get("tags") or {})
        return {self.resolve(stack, k): self.resolve(stack, v) for k, v in tags.items()}

    def _envelope(self, rtype: str, resource_id: str, name: str | None, arn: str, tags: dict) -> dict:
        item = {
            "version": "1.3",
            "accountId": self.account_id,
            "configurationItemCaptureTime": CAPTURED,
            "configurationItemStatus": "OK",
            "configurationStateId": "1735689600000",
            "arn": arn,
            "resourceType": rtype,
            "resourceId": resource_id,
            "awsRegion": self.region,
            "availabilityZone": "Not Applicable",
            "resourceCreationTime": CAPTURED,
            "tags": tags,
            "relationships": [],
        }
        if name is not None:
            item["resourceName"] = name
        return item

    def key_items(self) -> list[dict]:
        items = []
        for stack, name, body in self.resources("aws_kms_key"):
            arn = self.resolve(stack, f"${{aws_kms_key.{name}.arn}}")
            key_id = self.resolve(stack, f"${{aws_kms_key.{name}.key_id}}")
            spec = body.get("customer_master_key_spec", "SYMMETRIC_DEFAULT")
            item = self._envelope("AWS::KMS::Key", key_id, None, arn, self.tags(stack, body))
            item["configuration"] = {
                "keyId": key_id,
                "arn": arn,
                "awsaccountId": self.account_id,
                "creationDate": CAPTURED,
                "description": self.resolve(stack, body.get("description", "")),
                "enabled": body.get("is_enabled", True),
                "keyState": "Enabled",
                "keyManager": "CUSTOMER",
                "keyUsage": body.get("key_usage", "ENCRYPT_DECRYPT"),
                "keySpec": spec,
                "customerMasterKeySpec": spec,
                "multiRegion": bool(body.get("multi_region", False)),
                "origin": "AWS_KMS",
                "encryptionAlgorithms": ["SYMMETRIC_DEFAULT"] if spec == "SYMMETRIC_DEFAULT" else [],
            }
            item["supplementaryConfiguration"] = {"KeyRotationStatus": bool(body.get("enable_key_rotation", False))}
            items.append(item)
        return items

    def _sse_rules(self, stack: str, bucket: str, body: dict) -> list[dict]:
        rules = None
        for sse_stack, _, sse in self.resources("aws_s3_bucket_server_side_encryption_configuration"):
            if sse_stack == stack and self.resolve(stack, sse["bucket"]) == bucket:
                rules = sse.get("rule") or []
        if rules is None:  # the deprecated inline form
            inline = body.get("server_side_encryption_configuration") or []
            rules = [r for block in inline for r in block.get("rule") or []] if inline else None
        if rules is None:
            # S3 encrypts every new bucket with SSE-S3 by default (since January 2023), and Config records it.
            rules = [{"apply_server_side_encryption_by_default": {"sse_algorithm": "AES256"}}]
        out = []
        for rule in rules:
            default = rule.get("apply_server_side_encryption_by_default") or {}
            if isinstance(default, list):
                default = default[0] if default else {}
            recorded: dict = {"bucketKeyEnabled": bool(rule.get("bucket_key_enabled", False))}
            if default:
                recorded["applyServerSideEncryptionByDefault"] = {"sseAlgorithm": default["sse_algorithm"]}
                if default.get("kms_master_key_id"):
                    key = self.resolve(stack, default["kms_master_key_id"])
                    recorded["applyServerSideEncryptionByDefault"]["kmsMasterKeyID"] = key
            out.append(recorded)
        return out

    def bucket_items(self) -> list[dict]:
        items = []
        for stack, name, body in self.resources("aws_s3_bucket"):
            bucket = self.resolve(stack, body.get("bucket") or f"tf-{name}")
            item = self._envelope("AWS::S3::Bucket", bucket, bucket, f"arn:aws:s3:::{bucket}", self.tags(stack, body))
            item["configuration"] = {"name": bucket, "creationDate": CAPTURED}
            item["supplementaryConfiguration"] = {
                "ServerSideEncryptionConfiguration": {"rules": self._sse_rules(stack, bucket, body)}
            }
            items.append(item)
        return items

    def db_items(self) -> list[dict]:
        items = []
        for stack, name, body in self.resources("aws_db_instance"):
            identifier = self.resolve(stack, body.get("identifier") or f"tf-{name}")
            resource_id = "db-" + hashlib.sha256(f"{stack}/{name}".encode()).hexdigest()[:26].upper()
            arn = f"arn:aws:rds:{self.region}:{self.account_id}:db:{identifier}"
            item = self._envelope("AWS::RDS::DBInstance", resource_id, identifier, arn, self.tags(stack, body))
            encrypted = bool(body.get("storage_encrypted", False))
            configuration = {
                "dBInstanceIdentifier": identifier,
                "dBInstanceArn": arn,
                "dbiResourceId": resource_id,
                "dBInstanceClass": self.resolve(stack, body.get("instance_class", "")),
                "dBInstanceStatus": "available",
                "engine": self.resolve(stack, body.get("engine", "")),
                "engineVersion": self.resolve(stack, str(body.get("engine_version", ""))),
                "storageEncrypted": encrypted,
            }
            if encrypted:
                # Without kms_key_id RDS uses the AWS managed key aws/rds; Config records its key ARN.
                managed = f"arn:aws:kms:{self.region}:{self.account_id}:key/aws-managed-rds"
                configuration["kmsKeyId"] = self.resolve(stack, body.get("kms_key_id") or managed)
            item["configuration"] = configuration
            items.append(item)
        return items

    def items(self, resource_type: str) -> list[dict]:
        build = {
            "AWS::KMS::Key": self.key_items,
            "AWS::S3::Bucket": self.bucket_items,
            "AWS::RDS::DBInstance": self.db_items,
        }[resource_type]
        return build()

    def carried_tags(self) -> dict[str, dict[str, set[str]]]:
        carried: dict[str, dict[str, set[str]]] = {}
        for rtype, tf_type in TF_TYPE.items():
            for stack, _, body in self.resources(tf_type):
                for key, value in self.tags(stack, body).items():
                    carried.setdefault(rtype, {}).setdefault(key, set()).add(value)
        return carried

    def guard_rules(self) -> dict[str, tuple[str, str]]:
        """Catalog guard rule name -> (the Config rule's scope resource type, its resolved Guard text)."""
        out = {}
        for stack, _, body in self.resources("aws_config_config_rule"):
            if body["source"]["owner"] != "CUSTOM_POLICY":
                continue
            (catalog_name,) = [n for n in GUARD_BUILDERS if body["name"].endswith(f"-{n}")]
            (scope,) = body["scope"]["compliance_resource_types"]
            out[catalog_name] = (scope, self.resolve(stack, body["source"]["custom_policy_details"]["policy_text"]))
        return out


@pytest.fixture(scope="module")
def dev(tmp_path_factory) -> Synth:
    """The dev environment synthesized by the app's entry point (main.py), read back as JSON."""
    from boi_model.synth import load_out

    out = tmp_path_factory.mktemp("guard-synth") / "cdktf.out"
    env = {**os.environ, "BOI_ENV": "dev", "BOI_OUT_DIR": str(out)}
    env.pop("BOI_CONFIG_DIR", None)
    run = subprocess.run([sys.executable, "main.py"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, f"dev synth failed:\n{run.stdout}\n{run.stderr}"
    return Synth(load_out(out))


@pytest.fixture(scope="module")
def dev_rules(dev) -> dict[str, tuple[str, str]]:
    rules = dev.guard_rules()
    assert sorted(rules) == sorted(GUARD_BUILDERS), f"the dev synth has Guard rules {sorted(rules)}"
    return rules


def _in_scope(text: str, items: list[dict]) -> list[tuple[dict, Verdict]]:
    return [(item, v) for item in items if (v := evaluate(item, text)).status != "SKIP"]


def _key_arn(dev: Synth, data_class: str) -> str:
    (arn,) = [i["arn"] for i in dev.key_items() if i["tags"].get(guard.KEY_CLASS_TAG) == data_class]
    return arn


# ---- the engine and the rule texts (no synth) ----------------------------------------------------------------


def test_engine_report_format_we_rely_on():
    text = 'rule r when resourceType == "AWS::KMS::Key" {\n  supplementaryConfiguration.KeyRotationStatus == true\n}\n'
    key = {"resourceType": "AWS::KMS::Key", "supplementaryConfiguration": {"KeyRotationStatus": True}}
    passed = guardpycfn.validate_with_guard(json.dumps(key), text)
    assert passed["success"] is True and passed["result"]["status"] == "PASS"
    assert passed["result"]["compliant"] == ["r"] and passed["result"]["not_compliant"] == []
    key["supplementaryConfiguration"]["KeyRotationStatus"] = False
    failed = guardpycfn.validate_with_guard(json.dumps(key), text)["result"]
    assert failed["status"] == "FAIL" and [e["Rule"]["name"] for e in failed["not_compliant"]] == ["r"]
    del key["supplementaryConfiguration"]  # a property the rule reads is missing: FAIL, not SKIP
    assert evaluate(key, text) == Verdict("FAIL", frozenset(), frozenset({"r"}), frozenset())
    assert evaluate({"resourceType": "AWS::S3::Bucket"}, text) == Verdict(
        "SKIP", frozenset(), frozenset(), frozenset({"r"})
    )
    broken = guardpycfn.validate_with_guard("{}", text.replace("== true", "=="))
    assert broken["success"] is False and "line 2" in broken["error"]
    with pytest.raises(TypeError):
        guardpycfn.validate_with_guard({}, text)


@pytest.mark.parametrize("name", sorted(GUARD_BUILDERS))
def test_built_rules_read_only_paths_config_records(name):
    text = guard_policies(SAMPLE_INPUTS)[name]
    assert blocks(text), name
    assert path_problems(text) == []


def test_path_check_catches_paths_config_does_not_record():
    assert path_problems(OLD_KMS_RULE) == [
        "rule rotation_pii: reads configuration.rotationPeriodInDays, which the Config schema of AWS::KMS::Key "
        "does not list"
    ]
    wrong_case = guard_policies(SAMPLE_INPUTS)["pii-buckets-use-expected-key"].replace(
        "kmsMasterKeyID", "kmsMasterKeyId"
    )
    (problem,) = path_problems(wrong_case)
    assert "bucket_key_boi_test_documents" in problem and "kmsMasterKeyId" in problem


def test_kms_rule_selects_by_the_key_class_tag_and_leaves_the_period_to_the_rotation_report():
    text = guard_policies(SAMPLE_INPUTS)["kms-rotation-period"]
    assert [b.name for b in blocks(text)] == ["rotation_logs", "rotation_pii"]
    reads = {(b.name, r.dotted, r.equals) for b in blocks(text) for r in b.reads}
    assert ("rotation_pii", "tags.data-class", "pii") in reads
    assert ("rotation_pii", "supplementaryConfiguration.KeyRotationStatus", None) in reads
    assert "rotationPeriodInDays" not in text and "at most 180 days" in text  # the period is a comment only


def test_engine_check_is_active_at_build_time():
    assert check_with_engine("kms-rotation-period", guard_policies(SAMPLE_INPUTS)["kms-rotation-period"]) is True


def test_syntax_error_names_the_rule_when_built(monkeypatch):
    good = guard_policies(SAMPLE_INPUTS)["kms-rotation-period"]
    broken = good.replace("KeyRotationStatus == true", "KeyRotationStatus ==", 2)
    with pytest.raises(ConfigError) as err:
        check_with_engine("kms-rotation-period", broken)
    message = str(err.value)
    assert message.startswith("guard rule kms-rotation-period (Guard rule rotation_logs, line 3)"), message
    assert "Parser Error" in message

    def builds_broken(db_keys):
        return guard.database_key_policy(db_keys).replace("storageEncrypted == true", "storageEncrypted == {")

    monkeypatch.setitem(GUARD_BUILDERS, "database-uses-database-key", ("database_keys", builds_broken))
    with pytest.raises(
        ConfigError, match=r"^guard rule database-uses-database-key \(Guard rule db_key_boi_test_postgres"
    ):
        guard_policies(SAMPLE_INPUTS)


# ---- the synthesized rules on items built from the synthesized resources (slow: one dev synth) ------------------

slow = pytest.mark.slow
RULES = sorted(GUARD_BUILDERS)


@slow
def test_items_are_shaped_as_config_records_them(dev):
    for rtype in TF_TYPE:
        items = dev.items(rtype)
        assert items, f"no synthesized {TF_TYPE[rtype]}"
        for item in items:
            assert item_problems(item) == [], item["resourceId"]


@slow
@pytest.mark.parametrize("name", RULES)
def test_synthesized_rule_reads_recorded_paths_and_carried_tags(dev, dev_rules, name):
    scope, text = dev_rules[name]
    assert {b.resource_type for b in blocks(text)} == {scope}, "Guard selection and Config rule scope differ"
    assert path_problems(text) == []
    assert tag_problems(text, dev.carried_tags()) == []


@slow
def test_tag_check_catches_a_tag_no_key_carries(dev):
    assert tag_problems(OLD_KMS_RULE, dev.carried_tags()) == [
        "rule rotation_pii: selects on tag 'boi:key-class', which no synthesized aws_kms_key carries"
    ]


@slow
@pytest.mark.parametrize("name", RULES)
def test_rule_applies_to_synthesized_resources(dev, dev_rules, name):
    """(a) Every Guard rule of the text is evaluated (not SKIP) on at least one synthesized resource."""
    scope, text = dev_rules[name]
    applies_to_some(name, text, dev.items(scope))


@slow
def test_a_rule_whose_scope_matches_nothing_fails_naming_it(dev):
    keys = dev.key_items()
    with pytest.raises(AssertionError, match=r"guard rule kms-rotation-period: Guard rule\(s\) \['rotation_pii'\]"):
        applies_to_some(
            "kms-rotation-period", OLD_KMS_RULE.replace("  configuration.rotationPeriodInDays <= 180\n", ""), keys
        )
    not_a_bucket = guard.bucket_key_policy({"boi-dev-no-such-bucket": "arn:aws:kms:us-east-1:111122223333:key/x"})
    with pytest.raises(AssertionError, match=r"\['bucket_key_boi_dev_no_such_bucket'\]"):
        applies_to_some("pii-buckets-use-expected-key", not_a_bucket, dev.bucket_items())


@slow
@pytest.mark.parametrize("name", RULES)
def test_rule_passes_on_every_synthesized_resource_in_scope(dev, dev_rules, name):
    """(b) Every synthesized resource the rule selects is compliant."""
    scope, text = dev_rules[name]
    in_scope = _in_scope(text, dev.items(scope))
    failing = {item["resourceId"]: sorted(v.not_compliant) for item, v in in_scope if v.status != "PASS"}
    assert failing == {}
    expected = {
        # every key with rotation on belongs to a rotating class, and each has its rule
        "kms-rotation-period": [
            i["resourceId"] for i in dev.key_items() if i["supplementaryConfiguration"]["KeyRotationStatus"]
        ],
        "pii-buckets-use-expected-key": ["boi-dev-documents-111122223333"],
        "database-uses-database-key": [
            i["resourceId"] for i in dev.db_items() if i["resourceName"] == "boi-dev-postgres"
        ],
    }[name]
    assert sorted(item["resourceId"] for item, _ in in_scope) == sorted(expected)
    assert expected


def _rotation_off(item: dict, dev: Synth) -> None:
    item["supplementaryConfiguration"]["KeyRotationStatus"] = False


def _rotation_unrecorded(item: dict, dev: Synth) -> None:
    del item["supplementaryConfiguration"]["KeyRotationStatus"]


def _bucket_other_key(item: dict, dev: Synth) -> None:
    (rule,) = item["supplementaryConfiguration"]["ServerSideEncryptionConfiguration"]["rules"]
    rule["applyServerSideEncryptionByDefault"]["kmsMasterKeyID"] = _key_arn(dev, "pii")


def _bucket_sse_s3(item: dict, dev: Synth) -> None:
    item["supplementaryConfiguration"]["ServerSideEncryptionConfiguration"]["rules"] = [
        {"applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"}, "bucketKeyEnabled": False}
    ]


def _bucket_no_default_encryption(item: dict, dev: Synth) -> None:
    item["supplementaryConfiguration"] = {}


def _db_other_key(item: dict, dev: Synth) -> None:
    item["configuration"]["kmsKeyId"] = _key_arn(dev, "pii")


def _db_unencrypted(item: dict, dev: Synth) -> None:
    item["configuration"]["storageEncrypted"] = False
    del item["configuration"]["kmsKeyId"]


@slow
@pytest.mark.parametrize(
    "name, mutate",
    [
        ("kms-rotation-period", _rotation_off),
        ("kms-rotation-period", _rotation_unrecorded),
        ("pii-buckets-use-expected-key", _bucket_other_key),
        ("pii-buckets-use-expected-key", _bucket_sse_s3),
        ("pii-buckets-use-expected-key", _bucket_no_default_encryption),
        ("database-uses-database-key", _db_other_key),
        ("database-uses-database-key", _db_unencrypted),
    ],
    ids=lambda v: v.__name__.lstrip("_") if callable(v) else v,
)
def test_rule_fails_on_a_mutated_item(dev, dev_rules, name, mutate):
    """(c) The same in-scope items, changed the way a drift would change them, are non-compliant."""
    scope, text = dev_rules[name]
    in_scope = _in_scope(text, dev.items(scope))
    assert in_scope
    for item, before in in_scope:
        changed = copy.deepcopy(item)
        mutate(changed, dev)
        assert item_problems(changed) == []
        after = evaluate(changed, text)
        assert after.status == "FAIL", (item["resourceId"], after)
        assert after.not_compliant == before.compliant  # the same Guard rule, now failing


def test_a_missing_engine_is_said_and_refused_under_ci(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "guardpycfn", None)  # import raises ImportError
    text = guard.kms_rotation_policy({"pii": 180})
    monkeypatch.setenv("CI", "true")
    with pytest.raises(ConfigError) as err:
        check_with_engine("kms-rotation-period", text)
    assert "guard rule kms-rotation-period" in str(err.value) and "guardpycfn" in str(err.value)
    monkeypatch.delenv("CI")
    assert check_with_engine("kms-rotation-period", text) is False
    assert "not checked by cfn-guard" in capsys.readouterr().err
