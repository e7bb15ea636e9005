"""Guard 2.x policy texts for the custom Config rules (pure).

Guard rules read the AWS Config configuration item, not CloudFormation or Terraform property names. Every
path a rule reads is listed in the AWS Config resource schema (awslabs/aws-config-resource-schema; the three
files the tests use are copied in ``audit/tests/data/aws-config-schema/``), and the tests run every rule
through the cfn-guard engine (PyPI ``guardpycfn``) on configuration items built from the synthesized JSON:

- ``AWS::KMS::Key``: ``tags."data-class"`` (the tag ``boi_kms.key_ring.KeyRing`` puts on every key, value =
  key class) selects the keys; ``supplementaryConfiguration.KeyRotationStatus`` (boolean) must be true.
  Config records no rotation period for a KMS key (no such path in the schema), so the Guard rule checks only
  that rotation is on. The period of each class (the days given to ``kms_rotation_policy``, written into the
  rule text as a comment) is checked by the live rotation report (``boi_kms.rotation_report``, which reads
  ``kms:GetKeyRotationStatus``), not by Config.
- ``AWS::S3::Bucket``: ``resourceName`` (the bucket name) selects the bucket;
  ``supplementaryConfiguration.ServerSideEncryptionConfiguration.rules[*].applyServerSideEncryptionByDefault``
  must exist, with ``sseAlgorithm`` ``aws:kms`` and ``kmsMasterKeyID`` the expected key ARN.
- ``AWS::RDS::DBInstance``: ``configuration.dBInstanceIdentifier`` selects the instance;
  ``configuration.storageEncrypted`` must be true and ``configuration.kmsKeyId`` the expected key ARN.

A key outside a rule's selection (an untagged key, another bucket) is not evaluated (Config reports it
NOT_APPLICABLE), so the tests also prove that every rule selects at least one synthesized resource.

When the rules are built, ``guard_policies`` hands each text to the cfn-guard engine once (an empty item), so a
text the engine cannot parse fails the synth with the catalog rule's name, the Guard rule's name and the
engine's message. The engine is a dev dependency of the workspace (``guardpycfn``); where it is not installed
the synth warns that the texts went unchecked (and fails under CI=true); the tests require it and run
every rule through it.
"""

from __future__ import annotations

import json
import os
import re
import sys

from boi_audit.errors import ConfigError

MAX_POLICY_CHARS = 10_000
MAX_ROTATION_DAYS = 2560  # KMS accepts 90..2560
MIN_ROTATION_DAYS = 90
# The tag boi_kms.key_ring.KeyRing puts on every key: its key class.
KEY_CLASS_TAG = "data-class"
_SAFE = re.compile(r"^[A-Za-z0-9_.:/${}\[\]\-]+$")
_RULE_LINE = re.compile(r"^rule\s+(\w+)")
_ERROR_LINE = re.compile(r"at line (\d+)")


def _ident(text: str) -> str:
    return re.sub(r"[^a-z0-9_]", "_", text.lower())


def _literal(field: str, value: str) -> str:
    # Values are interpolated into Guard source; quotes or spaces would change the rule's meaning.
    if not value or not _SAFE.match(value):
        raise ConfigError(field, value, "letters, digits and _.:/-${}[] only (no quotes or spaces)")
    return value


def _checked(name: str, text: str) -> str:
    if len(text) > MAX_POLICY_CHARS:
        raise ConfigError(
            f"guard_inputs.{name}",
            f"{len(text)} characters",
            f"<= {MAX_POLICY_CHARS} characters of Guard text",
        )
    return text


def kms_rotation_policy(max_rotation_days: dict[str, int]) -> str:
    """Keys tagged data-class=<class> must have automatic rotation on (one Guard rule per class).

    Config records only whether rotation is on (supplementaryConfiguration.KeyRotationStatus), not the
    period: max_rotation_days[class] is validated and written into the rule as a comment, and the period
    itself is checked by the live rotation report (boi_kms.rotation_report), not by this rule.
    """
    if not max_rotation_days:
        raise ConfigError("guard_inputs.kms_rotation_days", max_rotation_days, "a non-empty dict key class -> days")
    blocks = []
    for key_class, days in sorted(max_rotation_days.items()):
        _literal(f"guard_inputs.kms_rotation_days[{key_class!r}]", key_class)
        if not isinstance(days, int) or not MIN_ROTATION_DAYS <= days <= MAX_ROTATION_DAYS:
            raise ConfigError(
                f"guard_inputs.kms_rotation_days[{key_class!r}]",
                days,
                f"an integer from {MIN_ROTATION_DAYS} to {MAX_ROTATION_DAYS}",
            )
        blocks.append(
            f'rule rotation_{_ident(key_class)} when resourceType == "AWS::KMS::Key" '
            f'tags."{KEY_CLASS_TAG}" == "{key_class}" {{\n'
            f"  # planned period: at most {days} days; Config records no period, boi_kms.rotation_report checks it\n"
            f"  supplementaryConfiguration.KeyRotationStatus == true\n}}"
        )
    return _checked("kms_rotation_days", "\n".join(blocks) + "\n")


def bucket_key_policy(bucket_keys: dict[str, str]) -> str:
    """Each named PII bucket's default encryption must be SSE-KMS with the given key."""
    if not bucket_keys:
        raise ConfigError("guard_inputs.bucket_keys", bucket_keys, "a non-empty dict bucket name -> key ARN")
    blocks = []
    for bucket, key_arn in sorted(bucket_keys.items()):
        _literal("guard_inputs.bucket_keys", bucket)
        _literal(f"guard_inputs.bucket_keys[{bucket!r}]", key_arn)
        blocks.append(
            f'rule bucket_key_{_ident(bucket)} when resourceType == "AWS::S3::Bucket" '
            f'resourceName == "{bucket}" {{\n'
            f"  let sse = supplementaryConfiguration.ServerSideEncryptionConfiguration.rules[*]"
            f".applyServerSideEncryptionByDefault\n"
            f"  %sse !empty\n"
            f'  %sse.sseAlgorithm == "aws:kms"\n'
            f'  %sse.kmsMasterKeyID == "{key_arn}"\n}}'
        )
    return _checked("bucket_keys", "\n".join(blocks) + "\n")


def database_key_policy(db_keys: dict[str, str]) -> str:
    """Each named DB instance must be encrypted with the given key."""
    if not db_keys:
        raise ConfigError("guard_inputs.database_keys", db_keys, "a non-empty dict DB identifier -> key ARN")
    blocks = []
    for db_id, key_arn in sorted(db_keys.items()):
        _literal("guard_inputs.database_keys", db_id)
        _literal(f"guard_inputs.database_keys[{db_id!r}]", key_arn)
        blocks.append(
            f'rule db_key_{_ident(db_id)} when resourceType == "AWS::RDS::DBInstance" '
            f'configuration.dBInstanceIdentifier == "{db_id}" {{\n'
            f"  configuration.storageEncrypted == true\n"
            f'  configuration.kmsKeyId == "{key_arn}"\n}}'
        )
    return _checked("database_keys", "\n".join(blocks) + "\n")


def _guard_rule_at(text: str, line: int) -> str | None:
    """Name of the Guard `rule` block that contains 1-based line `line` of text."""
    name = None
    for number, row in enumerate(text.splitlines(), start=1):
        if number > line:
            break
        if m := _RULE_LINE.match(row):
            name = m.group(1)
    return name


def check_with_engine(name: str, text: str) -> bool:
    """Run the cfn-guard engine once on an empty item; raise ConfigError naming the rule if it cannot.

    Returns False (and checks nothing) when the engine (PyPI guardpycfn, a dev dependency) is not installed.
    """
    try:
        import guardpycfn
    except ImportError:
        # Not silent: the synth says the texts went unchecked, and CI (where the engine is installed) refuses.
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            raise ConfigError(
                f"guard rule {name}", "guardpycfn is not installed", "the cfn-guard engine (PyPI guardpycfn) under CI"
            ) from None
        print(
            f"warning: guard rule {name} not checked by cfn-guard (PyPI guardpycfn is not installed)", file=sys.stderr
        )
        return False
    report = guardpycfn.validate_with_guard(json.dumps({}), text)
    if not report.get("success"):
        error = str(report.get("error", report))
        m = _ERROR_LINE.search(error)
        block = _guard_rule_at(text, int(m.group(1))) if m else None
        where = f"guard rule {name}" + (f" (Guard rule {block}, line {m.group(1)})" if block and m else "")
        raise ConfigError(where, error, "Guard text that the cfn-guard engine parses and evaluates")
    return True


# guard rule name (catalog) -> (guard_inputs key, policy builder)
GUARD_BUILDERS = {
    "kms-rotation-period": ("kms_rotation_days", kms_rotation_policy),
    "pii-buckets-use-expected-key": ("bucket_keys", bucket_key_policy),
    "database-uses-database-key": ("database_keys", database_key_policy),
}


def guard_policies(guard_inputs: dict | None) -> dict[str, str]:
    """Catalog guard rule name -> policy text for every input given; unknown input keys are errors.

    Each text is parsed by the cfn-guard engine when it is installed (see check_with_engine).
    """
    guard_inputs = guard_inputs or {}
    allowed = {key for key, _ in GUARD_BUILDERS.values()}
    unknown = sorted(set(guard_inputs) - allowed)
    if unknown:
        raise ConfigError("guard_inputs", unknown, f"keys among {sorted(allowed)}")
    texts = {name: build(guard_inputs[key]) for name, (key, build) in GUARD_BUILDERS.items() if guard_inputs.get(key)}
    for name, text in texts.items():
        check_with_engine(name, text)
    return texts
