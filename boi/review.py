"""Security review of a change: diff the synthesized JSON of a base ref against the working tree.

    boi review --base origin/main [--env dev] [--out report.md] [--plans cdktf.out/plans]
               [--no-checkov] [--before-dir D --after-dir D] [--json]
    make review BASE=origin/main

The base is synthesized in a temporary `git worktree` of the ref (with this checkout's uv
environment; the worktree's own code, components included, comes first on the import path), the
working tree in a temporary folder, then both are compared and a Markdown report is written for a
pull-request comment:

* IAM, per role (identity policies, permissions boundary, trust policy) and per resource, key,
  service-control and endpoint policy: statements added and removed. Statements are matched by
  content (effect, actions, resources, principals, conditions), never by position or Sid, so a
  rename is not a change. **Permissions broadened** when an Allow is added or widened, or a Deny is
  removed or narrowed (an added Allow that an existing Allow already covers, or a removed Deny that
  a remaining Deny still covers, does not broaden), when an AWS-managed policy is attached or a
  permissions boundary is detached (same rule as AWS CDK's `IamChanges.permissionsBroadened`).
* KMS keys: added/removed, rotation, key spec, deletion window; key policy statements.
* Audit controls: trails, Config rules, alarms and metric filters, Security Hub standards and
  control associations, GuardDuty features; changes that weaken one are marked.
* checkov (the gate, run on both outputs; about 8 s each, `--no-checkov` skips it): failed checks
  new and fixed, suppressions new.
* Resources per stack: added, removed, replaced (same address, changed identity such as `name` or
  `bucket`, which Terraform cannot change in place), moved (same content at a new address: Terraform
  destroys and re-creates it unless a `moved` block says otherwise) and modified.
* With `--plans DIR` (files `<stack>.json` from `terraform show -json`): create/update/delete/replace
  counts per stack.

Exit codes: 0 report written, nothing broadens; 3 report written and permissions broaden (CI fails
unless a reviewer labels the pull request `security-reviewed`); 2 error (bad ref, synth failed, bad
input), no verdict.

The diff core (`diff_synth`, `render_markdown`) is pure: parsed cdk.tf.json dicts in, no cdktn.
"""

from __future__ import annotations

import argparse
import difflib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from boi_audit.synth_reading import blocks
from boi_iam.extract import ExtractedPolicy, PolicySet, extract_policies
from boi_kms.synth_reading import keys_from_synth
from boi_model.policies import Stmt, covers, statements_of
from boi_model.synth import Synth, SynthError, load_out

REPO_ROOT = Path(__file__).resolve().parents[1]
EXIT_OK, EXIT_ERROR, EXIT_BROADENED = 0, 2, 3
DEFAULT_ACCOUNT, DEFAULT_REGION = "111122223333", "us-east-1"
MAX_REPORT_CHARS = 60_000  # GitHub comments stop at 65,536 characters
MAX_ROWS = 60


class ReviewError(Exception):
    """The review cannot give a verdict (exit 2)."""


# ---------------------------------------------------------------- statements


# ---------------------------------------------------------------- review model


@dataclass
class StatementChange:
    sign: str  # "+" or "-"
    statement: Stmt
    broadens: str = ""  # why it broadens permissions, or ""


@dataclass
class PolicyDiff:
    section: str  # "role", "resource", "key", "scp", "endpoint", "managed"
    subject: str  # role name, resource ARN, key alias, policy name
    part: str  # "identity", "boundary", "trust", "resource policy", "key policy", ...
    stacks: str
    changes: list[StatementChange] = field(default_factory=list)
    notes: list[tuple[str, str]] = field(default_factory=list)  # (text, broadens reason or "")
    status: str = "changed"  # "added", "removed", "changed"

    @property
    def broadened(self) -> bool:
        return any(c.broadens for c in self.changes) or any(b for _, b in self.notes)


@dataclass
class KeyChange:
    key: str  # alias or stack:address
    stack: str
    status: str  # added, removed, changed
    changes: list[str] = field(default_factory=list)
    weakened: list[str] = field(default_factory=list)


@dataclass
class ControlChange:
    category: str
    identity: str
    stack: str
    status: str  # added, removed, changed
    changes: list[str] = field(default_factory=list)
    weakened: str = ""


@dataclass
class StackResources:
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)  # "address (attr: old -> new)"
    moved: list[str] = field(default_factory=list)  # "old -> new"
    modified: list[str] = field(default_factory=list)  # "address (attrs)"

    def empty(self) -> bool:
        return not (self.added or self.removed or self.replaced or self.moved or self.modified)


@dataclass
class CheckovDiff:
    new_failures: list[str] = field(default_factory=list)
    fixed: list[str] = field(default_factory=list)
    new_suppressions: list[str] = field(default_factory=list)
    skipped: str = ""


@dataclass
class Review:
    policies: list[PolicyDiff] = field(default_factory=list)
    keys: list[KeyChange] = field(default_factory=list)
    controls: list[ControlChange] = field(default_factory=list)
    resources: dict[str, StackResources] = field(default_factory=dict)
    checkov: CheckovDiff | None = None
    plans: dict[str, dict[str, int]] | None = None
    plans_note: str = ""
    warnings: list[str] = field(default_factory=list)
    base: str = ""
    head: str = ""

    @property
    def permissions_broadened(self) -> bool:
        return any(p.broadened for p in self.policies)

    def broadening_reasons(self) -> list[str]:
        out = []
        for p in self.policies:
            for c in p.changes:
                if c.broadens:
                    out.append(f"{p.section} {p.subject} ({p.part}): {c.broadens}")
            for text, why in p.notes:
                if why:
                    out.append(f"{p.section} {p.subject} ({p.part}): {why}: {text}")
        return out

    def weakened(self) -> list[str]:
        out = [f"key {k.key}: {w}" for k in self.keys for w in k.weakened]
        out += [f"{c.category} {c.identity}: {c.weakened}" for c in self.controls if c.weakened]
        return out

    def exit_code(self) -> int:
        return EXIT_BROADENED if self.permissions_broadened else EXIT_OK

    def to_dict(self) -> dict:
        return {
            "permissions_broadened": self.permissions_broadened,
            "broadening": self.broadening_reasons(),
            "weakened": self.weakened(),
            **asdict(self),
        }


# ---------------------------------------------------------------- IAM diff


def _environment(synth: Mapping[str, dict]) -> tuple[str, str]:
    """Account and region from the stacks' AWS provider block (placeholders resolve the same way
    on both sides, so their exact value only affects how the report reads)."""
    for stack in sorted(synth):
        for provider in blocks((synth[stack].get("provider") or {}).get("aws")):
            accounts = provider.get("allowed_account_ids") or []
            region = provider.get("region")
            if accounts and re.fullmatch(r"\d{12}", str(accounts[0])) and isinstance(region, str):
                return str(accounts[0]), region
    return DEFAULT_ACCOUNT, DEFAULT_REGION


def _key_labels(synth: Mapping[str, dict], policies: PolicySet) -> dict[str, str]:
    """Placeholder key ARN -> `key(alias/...)`, so statements and groups name keys by alias."""
    aliases = {(k.stack, k.address): k.alias for k in keys_from_synth(dict(synth)) if k.alias}
    labels = {}
    for pol in policies.of_kind("key"):
        alias = aliases.get((pol.owner.stack, pol.owner.address))
        if pol.target and alias:
            labels[pol.target] = f"key({alias})"
    return labels


def _relabel(stmts: list[Stmt], labels: Mapping[str, str]) -> list[Stmt]:
    if not labels:
        return stmts
    pattern = re.compile("|".join(re.escape(k) for k in sorted(labels, key=len, reverse=True)))

    def fix(values: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(sorted(pattern.sub(lambda m: labels[m.group(0)], v) for v in values))

    out = []
    for s in stmts:
        out.append(
            Stmt(
                effect=s.effect,
                actions=s.actions,
                not_actions=s.not_actions,
                resources=fix(s.resources),
                not_resources=fix(s.not_resources),
                principals=fix(s.principals),
                not_principals=fix(s.not_principals),
                conditions=tuple(sorted((op, k, fix(v)) for op, k, v in s.conditions)),
                sid=s.sid,
            )
        )
    return out


@dataclass
class _Group:
    section: str
    subject: str
    part: str
    stacks: set[str] = field(default_factory=set)
    statements: list[Stmt] = field(default_factory=list)
    extras: set[str] = field(default_factory=set)  # attached AWS-managed policy ARNs, boundary ARN
    users: set[str] = field(default_factory=set)  # boundary policies: the roles they bound


BOUNDARY_PART = "permissions boundary policy"


def _groups(synth: Mapping[str, dict], account: str, region: str) -> tuple[dict[tuple, _Group], list[str]]:
    policies = extract_policies(synth, account_id=account, region=region)
    labels = _key_labels(synth, policies)
    groups: dict[tuple, _Group] = {}

    def group(section: str, subject: str, part: str, stack: str) -> _Group:
        g = groups.setdefault((section, subject, part), _Group(section, subject, part))
        g.stacks.add(stack)
        return g

    def add(g: _Group, pol: ExtractedPolicy | None) -> None:
        if pol is not None:
            g.statements += _relabel(statements_of(pol.document), labels)

    in_roles: set[int] = set()
    for role in policies.roles():
        stack = role.owner.stack
        ident = group("role", role.name, "identity policies", stack)
        for pol in role.identity:
            add(ident, pol)
            in_roles.add(id(pol))
        ident.extras |= {f"managed policy {arn}" for arn in role.managed_policy_arns}
        if role.boundary_arn:
            group("role", role.name, "permissions boundary", stack).extras.add(f"boundary {role.boundary_arn}")
        if role.boundary is not None:
            # One group per boundary policy (shared by many roles), not one copy per role.
            shared = group("boundary", role.boundary_arn or str(role.boundary.owner), BOUNDARY_PART, stack)
            if id(role.boundary) not in in_roles:
                add(shared, role.boundary)
                in_roles.add(id(role.boundary))
            shared.users.add(role.name)
        add(group("role", role.name, "trust policy", stack), role.trust)
    for pol in policies.policies:
        stack = pol.owner.stack
        if pol.kind in ("identity", "boundary") and id(pol) not in in_roles:
            add(group("managed", pol.arn or str(pol.owner), f"unattached {pol.kind} policy", stack), pol)
        elif pol.kind == "resource":
            add(group("resource", pol.target or str(pol.owner), "resource policy", stack), pol)
        elif pol.kind == "key":
            add(
                group("key", labels.get(pol.target or "", pol.target or str(pol.owner)), "key policy", stack),
                pol,
            )
        elif pol.kind in ("scp", "rcp"):
            body = (synth[stack].get("resource") or {}).get("aws_organizations_policy", {})
            name = (body.get(pol.owner.address.split(".", 1)[1]) or {}).get("name") or str(pol.owner)
            add(group(pol.kind, str(name), pol.kind.upper(), stack), pol)
        elif pol.kind == "endpoint":
            add(group("endpoint", str(pol.owner), "endpoint policy", stack), pol)
    # Roles without a boundary or policies leave empty groups: drop those.
    groups = {k: g for k, g in groups.items() if g.statements or g.extras}
    return groups, list(policies.warnings)


def _shares_action(a: Stmt, b: Stmt) -> bool:
    return a.effect == b.effect and bool(set(a.actions) & set(b.actions) or set(a.not_actions) & set(b.not_actions))


def diff_statements(before: list[Stmt], after: list[Stmt], *, inert: bool = False) -> list[StatementChange]:
    """Content-matched +/- statements; `broadens` says why an added Allow or removed Deny widens.
    inert: the principal itself is gone (or the policy is attached to nothing), so no
    statement change can widen what anyone may do."""
    b_count, a_count = Counter(before), Counter(after)
    added = list((a_count - b_count).elements())
    removed = list((b_count - a_count).elements())
    changes = []
    for s in removed:
        why = ""
        if s.effect == "Deny" and not inert and not any(covers(a, s) for a in after):
            narrowed = any(_shares_action(a, s) for a in added)
            why = "Deny narrowed" if narrowed else "Deny removed"
        changes.append(StatementChange("-", s, why))
    for s in added:
        why = ""
        if s.effect == "Allow" and not inert and not any(covers(b, s) for b in before):
            widened = any(_shares_action(b, s) for b in removed)
            why = "Allow widened" if widened else "Allow added"
        changes.append(StatementChange("+", s, why))
    return changes


def _boundary_widened(b_groups: dict, a_groups: dict, old_arn: str, new_arn: str) -> bool:
    old = b_groups.get(("boundary", old_arn, BOUNDARY_PART))
    new = a_groups.get(("boundary", new_arn, BOUNDARY_PART))
    if new is None:  # the new boundary's content is not in the synth: cannot show it is narrower
        return True
    return any(c.broadens for c in diff_statements(old.statements if old else [], new.statements))


def diff_policies(
    before: Mapping[str, dict], after: Mapping[str, dict], account: str, region: str
) -> tuple[list[PolicyDiff], list[str]]:
    b_groups, b_warn = _groups(before, account, region)
    a_groups, a_warn = _groups(after, account, region)
    warnings = sorted(set(a_warn) - set(b_warn))
    removed_roles = {k[1] for k in b_groups if k[0] == "role"} - {k[1] for k in a_groups if k[0] == "role"}
    diffs = []
    for key in sorted(set(b_groups) | set(a_groups)):
        bg, ag = b_groups.get(key), a_groups.get(key)
        section, subject, part = key
        # Nothing widens through a removed role, an unattached managed policy, or a boundary that
        # is new or bounds no role any more: attaching, swapping or detaching one is judged under
        # the role (a swapped boundary against the one it replaces).
        inert = (
            (ag is None and section == "role" and subject in removed_roles)
            or section == "managed"
            or (section == "boundary" and (ag is None or bg is None or not ag.users))
        )
        changes = diff_statements(bg.statements if bg else [], ag.statements if ag else [], inert=inert)
        notes = []
        b_extras, a_extras = (bg.extras if bg else set()), (ag.extras if ag else set())
        for text in sorted(a_extras - b_extras):
            why = "AWS-managed policy attached" if text.startswith("managed") else ""
            if text.startswith("boundary "):
                old = next((t for t in b_extras if t.startswith("boundary ")), None)
                if old and _boundary_widened(b_groups, a_groups, old.split(" ", 1)[1], text.split(" ", 1)[1]):
                    why = "permissions boundary replaced by a wider one"
            notes.append((f"+ {text}", why))
        for text in sorted(b_extras - a_extras):
            detached = (
                text.startswith("boundary ") and not inert and not any(t.startswith("boundary ") for t in a_extras)
            )
            notes.append((f"- {text}", "permissions boundary detached" if detached else ""))
        if not changes and not notes:
            continue
        status = "added" if bg is None else "removed" if ag is None else "changed"
        stacks = ", ".join(sorted((bg.stacks if bg else set()) | (ag.stacks if ag else set())))
        if section == "boundary":
            users = sorted((ag or bg).users)
            part = f"{part} of {len(users)} role(s): {', '.join(users)}" if users else f"{part} (bounds no role)"
        diffs.append(PolicyDiff(section, subject, part, stacks, changes, notes, status))
    return diffs, warnings


# ---------------------------------------------------------------- keys


def _key_rows(synth: Mapping[str, dict]) -> dict[str, dict]:
    rows = {}
    for k in keys_from_synth(dict(synth)):
        body = synth[k.stack]["resource"]["aws_kms_key"][k.logical_id]
        rows[k.alias or f"{k.stack}:{k.address}"] = {
            "stack": k.stack,
            "rotation": f"every {k.rotation_days} days" if k.rotation_enabled else "off",
            "rotation_days": k.rotation_days if k.rotation_enabled else None,
            "key spec": body.get("customer_master_key_spec", "SYMMETRIC_DEFAULT"),
            "key usage": body.get("key_usage", "ENCRYPT_DECRYPT"),
            "deletion window": body.get("deletion_window_in_days", 30),
            "multi-region": bool(body.get("multi_region", False)),
            "prevent_destroy": bool((body.get("lifecycle") or {}).get("prevent_destroy", False)),
            "data class": k.class_name,
        }
    return rows


def diff_keys(before: Mapping[str, dict], after: Mapping[str, dict]) -> list[KeyChange]:
    b, a = _key_rows(before), _key_rows(after)
    out = []
    for name in sorted(set(b) | set(a)):
        if name not in a:
            out.append(KeyChange(name, b[name]["stack"], "removed", [f"rotation was {b[name]['rotation']}"]))
            continue
        if name not in b:
            row = a[name]
            weak = ["rotation off"] if row["rotation_days"] is None else []
            out.append(KeyChange(name, row["stack"], "added", [f"rotation {row['rotation']}"], weak))
            continue
        changes, weak = [], []
        for attr in a[name]:
            if attr in ("stack", "rotation_days") or a[name][attr] == b[name][attr]:
                continue
            changes.append(f"{attr}: {b[name][attr]} → {a[name][attr]}")
        bd, ad = b[name]["rotation_days"], a[name]["rotation_days"]
        if bd is not None and ad is None:
            weak.append("rotation turned off")
        elif bd is not None and ad is not None and ad > bd:
            weak.append(f"rotation period lengthened from {bd} to {ad} days")
        if b[name]["prevent_destroy"] and not a[name]["prevent_destroy"]:
            weak.append("prevent_destroy removed")
        if a[name]["deletion window"] < b[name]["deletion window"]:
            weak.append("deletion window shortened")
        if changes:
            out.append(KeyChange(name, a[name]["stack"], "changed", changes, weak))
    return out


# ---------------------------------------------------------------- audit controls

# type -> (category, attributes naming the control; stable across construct-id renames)
CONTROL_TYPES: dict[str, tuple[str, tuple[str, ...]]] = {
    "aws_cloudtrail": ("Trail", ("name",)),
    "aws_config_config_rule": ("Config rule", ("name",)),
    "aws_config_configuration_recorder": ("Config recorder", ("name",)),
    "aws_cloudwatch_metric_alarm": ("Alarm", ("alarm_name",)),
    "aws_cloudwatch_log_metric_filter": ("Metric filter", ("name",)),
    "aws_securityhub_standards_subscription": ("Security Hub standard", ("standards_arn",)),
    "aws_securityhub_standards_control_association": (
        "Security Hub control",
        ("standards_arn", "security_control_id"),
    ),
    "aws_guardduty_detector_feature": ("GuardDuty feature", ("name",)),
    "aws_guardduty_detector": ("GuardDuty detector", ()),
    "aws_guardduty_malware_protection_plan": ("GuardDuty malware protection", ()),
    "aws_securityhub_account": ("Security Hub account", ()),
    "aws_accessanalyzer_analyzer": ("Access Analyzer", ("analyzer_name",)),
    "aws_macie2_account": ("Macie account", ()),
    "aws_macie2_classification_job": ("Macie job", ("name",)),
}
# (type, attribute, value that is the secure setting): changing away from it weakens the control
_SECURE_SETTINGS = {
    ("aws_cloudtrail", "enable_log_file_validation"): True,
    ("aws_cloudtrail", "is_multi_region_trail"): True,
    ("aws_cloudtrail", "include_global_service_events"): True,
    ("aws_cloudtrail", "enable_logging"): True,
    ("aws_securityhub_standards_control_association", "association_status"): "ENABLED",
    ("aws_guardduty_detector_feature", "status"): "ENABLED",
    ("aws_guardduty_detector", "enable"): True,
    ("aws_securityhub_account", "enable_default_standards"): False,
    ("aws_macie2_account", "status"): "ENABLED",
}


def _flatten(value, path: str = "") -> dict[str, object]:
    if isinstance(value, dict):
        out: dict[str, object] = {}
        for k, v in value.items():
            if k == "//":
                continue
            out.update(_flatten(v, f"{path}.{k}" if path else k))
        return out or {path: {}}
    if isinstance(value, list):
        out = {}
        for i, v in enumerate(value):
            out.update(_flatten(v, f"{path}[{i}]"))
        return out or {path: []}
    return {path: value}


def _short(value, limit: int = 60) -> str:
    text = json.dumps(value) if not isinstance(value, str) else value
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _attribute_changes(before: dict, after: dict) -> list[str]:
    b, a = _flatten(before), _flatten(after)
    out = []
    for path in sorted(set(b) | set(a)):
        if path.startswith("depends_on"):
            continue
        if path not in a:
            out.append(f"`{path}` removed (was {_short(b[path])})")
        elif path not in b:
            out.append(f"`{path}` = {_short(a[path])} added")
        elif a[path] != b[path]:
            out.append(f"`{path}`: {_changed_text(b[path], a[path])}")
    return out


def _changed_text(old, new) -> str:
    """`old → new`; for multi-line text (a Guard rule, a script) only the lines that differ, each
    group after the unindented line that opens its block (e.g. `rule rotation_documents …`)."""
    if not (isinstance(old, str) and isinstance(new, str) and ("\n" in old or "\n" in new)):
        return f"{_short(old)} → {_short(new)}"
    a, b = old.splitlines(), new.splitlines()
    parts: list[str] = []
    groups = [op for op in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes() if op[0] != "equal"]
    for _, i1, i2, j1, j2 in groups[:3]:
        opener = next((line for line in reversed(a[:i1]) if line and not line[0].isspace()), "")
        where = f"in `{_short(opener, 40)}`: " if opener else ""
        lines = [f"−`{_short(x.strip())}`" for x in a[i1:i2]] + [f"+`{_short(x.strip())}`" for x in b[j1:j2]]
        parts.append(where + " ".join(lines))
    more = f" (+{len(groups) - 3} more changes)" if len(groups) > 3 else ""
    return "; ".join(parts) + more


def _controls(synth: Mapping[str, dict]) -> dict[tuple[str, str], tuple[str, str, dict]]:
    out = {}
    for stack in sorted(synth):
        resources = synth[stack].get("resource") or {}
        for rtype, (category, attrs) in CONTROL_TYPES.items():
            for name, body in sorted((resources.get(rtype) or {}).items()):
                values = [body.get(attr) for attr in attrs]
                if values and all(isinstance(v, str) and "${" not in v for v in values):
                    ident = " / ".join(values)
                else:
                    ident = f"{stack}:{rtype}.{name}"
                out[(rtype, ident)] = (category, stack, body)
    return out


def diff_controls(before: Mapping[str, dict], after: Mapping[str, dict]) -> list[ControlChange]:
    b, a = _controls(before), _controls(after)
    out = []
    for key in sorted(set(b) | set(a), key=lambda k: (CONTROL_TYPES[k[0]][0], k[1])):
        rtype, ident = key
        if key not in a:
            category, stack, _ = b[key]
            out.append(ControlChange(category, ident, stack, "removed", [], "control removed"))
            continue
        category, stack, body = a[key]
        if key not in b:
            out.append(ControlChange(category, ident, stack, "added"))
            continue
        changes = _attribute_changes(b[key][2], body)
        if not changes:
            continue
        weak = []
        for (t, attr), secure in _SECURE_SETTINGS.items():
            if t == rtype and b[key][2].get(attr, secure) == secure and body.get(attr, secure) != secure:
                weak.append(f"{attr} no longer {secure}")
        if rtype == "aws_cloudtrail" and b[key][2].get("kms_key_id") and not body.get("kms_key_id"):
            weak.append("log encryption with a KMS key removed")
        out.append(ControlChange(category, ident, stack, "changed", changes, "; ".join(weak)))
    return out


# ---------------------------------------------------------------- resources

# Attributes Terraform cannot change in place for every type that has them, and per type.
FORCE_NEW_COMMON = frozenset(
    {"name", "name_prefix", "bucket", "bucket_prefix", "function_name", "identifier", "cluster_identifier"}
)
FORCE_NEW: dict[str, frozenset[str]] = {
    "aws_kms_key": frozenset({"customer_master_key_spec", "key_usage", "multi_region"}),
    "aws_iam_role": frozenset({"name", "path"}),
    "aws_s3_bucket": frozenset({"bucket", "object_lock_enabled"}),
    "aws_vpc": frozenset({"cidr_block"}),
    "aws_subnet": frozenset({"cidr_block", "vpc_id", "availability_zone"}),
    "aws_db_instance": frozenset({"identifier", "engine", "storage_encrypted", "kms_key_id", "availability_zone"}),
    "aws_dynamodb_table": frozenset({"name", "hash_key", "range_key"}),
    "aws_sqs_queue": frozenset({"name", "fifo_queue"}),
    "aws_sns_topic": frozenset({"name", "fifo_topic"}),
    "aws_cloudwatch_log_group": frozenset({"name"}),
    "aws_kms_alias": frozenset({"name"}),
    "aws_cognito_user_pool": frozenset({"name", "alias_attributes", "username_attributes"}),
}


def _resource_bodies(stack_json: dict) -> dict[str, dict]:
    out = {}
    for rtype, by_name in (stack_json.get("resource") or {}).items():
        for name, body in (by_name or {}).items():
            out[f"{rtype}.{name}"] = {k: v for k, v in (body or {}).items() if k != "//"}
    return out


def diff_resources(before: Mapping[str, dict], after: Mapping[str, dict]) -> dict[str, StackResources]:
    out: dict[str, StackResources] = {}
    for stack in sorted(set(before) | set(after)):
        b = _resource_bodies(before.get(stack, {}))
        a = _resource_bodies(after.get(stack, {}))
        res = StackResources()
        added = sorted(set(a) - set(b))
        removed = sorted(set(b) - set(a))
        # Same type and content at a new address: a construct-id rename.
        for old in list(removed):
            rtype = old.split(".", 1)[0]
            match = next((new for new in added if new.split(".", 1)[0] == rtype and a[new] == b[old]), None)
            if match:
                res.moved.append(f"{old} → {match}")
                removed.remove(old)
                added.remove(match)
        res.added, res.removed = added, removed
        for address in sorted(set(a) & set(b)):
            if a[address] == b[address]:
                continue
            rtype = address.split(".", 1)[0]
            forced = FORCE_NEW.get(rtype, FORCE_NEW_COMMON)
            identity = [
                f"{attr}: {_short(b[address].get(attr))} → {_short(a[address].get(attr))}"
                for attr in sorted(forced)
                if b[address].get(attr) != a[address].get(attr)
            ]
            if identity or rtype == "aws_ecs_task_definition":  # task definitions are immutable
                res.replaced.append(f"{address} ({'; '.join(identity) or 'new revision'})")
            else:
                top = sorted(k for k in set(a[address]) | set(b[address]) if a[address].get(k) != b[address].get(k))
                res.modified.append(f"{address} ({', '.join(top)})")
        if not res.empty():
            out[stack] = res
    return out


# ---------------------------------------------------------------- checkov and plans


def diff_gate(before, after) -> CheckovDiff:
    """Two `boi.gate.GateResult`s (base, head) -> failed checks new and fixed, suppressions new."""

    def key(r) -> str:
        return f"{r.stack} {r.resource} {r.check_id} ({r.check_name})"

    b_fail, a_fail = {key(r) for r in before.failures}, {key(r) for r in after.failures}
    b_sup = {key(s.record) for s in before.suppressed}
    a_sup = {key(s.record): s.reason for s in after.suppressed}
    return CheckovDiff(
        new_failures=sorted(a_fail - b_fail),
        fixed=sorted(b_fail - a_fail),
        new_suppressions=sorted(f"{k}: {reason}" for k, reason in a_sup.items() if k not in b_sup),
    )


# ---------------------------------------------------------------- entry point of the pure core


def diff_synth(
    before: Mapping[str, dict],
    after: Mapping[str, dict],
    *,
    account_id: str | None = None,
    region: str | None = None,
) -> Review:
    """Compare two synths (stack name -> parsed cdk.tf.json) and return the review."""
    for name, synth in (("before", before), ("after", after)):
        if not isinstance(synth, Mapping) or not all(isinstance(v, dict) for v in synth.values()):
            raise ReviewError(f"{name}: expected a mapping of stack name -> parsed cdk.tf.json dict")
    env_account, env_region = _environment(after or before)
    account, region = account_id or env_account, region or env_region
    review = Review()
    try:
        review.policies, review.warnings = diff_policies(before, after, account, region)
    except ValueError as err:
        raise ReviewError(f"cannot read the IAM policies: {err}") from err
    review.keys = diff_keys(before, after)
    review.controls = diff_controls(before, after)
    review.resources = diff_resources(before, after)
    return review


# ---------------------------------------------------------------- Markdown


def _cell(values: Sequence[str], limit: int = 8) -> str:
    if not values:
        return "—"
    shown = [f"`{v}`" for v in values[:limit]]
    if len(values) > limit:
        shown.append(f"… (+{len(values) - limit})")
    return "<br>".join(shown).replace("|", "\\|")


def _conditions_cell(stmt: Stmt) -> str:
    if not stmt.conditions:
        return "—"
    return "<br>".join(f"`{op}` `{k}`: {', '.join(f'`{v}`' for v in vals)}" for op, k, vals in stmt.conditions).replace(
        "|", "\\|"
    )


def _statement_table(changes: list[StatementChange]) -> list[str]:
    lines = [
        "| | Effect | Actions | Resources | Principals | Conditions | Broadens |",
        "|---|---|---|---|---|---|---|",
    ]
    for c in sorted(changes, key=lambda c: (c.sign != "-", c.statement.effect, c.statement.actions)):
        s = c.statement
        actions = list(s.actions) + [f"NOT {a}" for a in s.not_actions]
        resources = list(s.resources) + [f"NOT {r}" for r in s.not_resources]
        principals = list(s.principals) + [f"NOT {p}" for p in s.not_principals]
        flag = f"**⚠ {c.broadens}**" if c.broadens else ""
        sid = f" ({s.sid})" if s.sid else ""
        lines.append(
            f"| {c.sign} | {s.effect}{sid} | {_cell(actions)} | {_cell(resources)} | {_cell(principals, 4)} "
            f"| {_conditions_cell(s)} | {flag} |"
        )
    return lines


def _bullets(items: Sequence[str], limit: int = MAX_ROWS) -> list[str]:
    lines = [f"- {i}" for i in items[:limit]]
    if len(items) > limit:
        lines.append(f"- … and {len(items) - limit} more")
    return lines


SECTION_TITLES = {
    "role": "Roles",
    "boundary": "Permissions boundaries",
    "managed": "Managed policies not attached to a role",
    "resource": "Resource policies",
    "key": "Key policies",
    "scp": "Service control policies",
    "rcp": "Resource control policies",
    "endpoint": "VPC endpoint policies",
}


def render_markdown(review: Review) -> str:
    lines = ["## Security review", ""]
    if review.base or review.head:
        lines += [f"Base `{review.base}` → head `{review.head}`.", ""]
    if review.permissions_broadened:
        lines += ["### ⚠ PERMISSIONS BROADENED", ""]
        lines += _bullets(review.broadening_reasons())
        lines += [
            "",
            "A reviewer who accepts this adds the `security-reviewed` label to the pull request.",
            "",
        ]
    else:
        lines += ["**No permissions broadened.**", ""]
    weak = review.weakened()
    if weak:
        lines += ["### ⚠ Controls weakened", ""] + _bullets(weak) + [""]

    lines += ["### IAM", ""]
    if not review.policies:
        lines += ["No policy statement changed.", ""]
    for section, title in SECTION_TITLES.items():
        diffs = [p for p in review.policies if p.section == section]
        if not diffs:
            continue
        lines += [f"#### {title}", ""]
        for p in diffs:
            flag = " — **⚠ permissions broadened**" if p.broadened else ""
            status = "" if p.status == "changed" else f" ({p.status})"
            lines += [f"**{p.subject}** · {p.part}{status} · {p.stacks}{flag}", ""]
            lines += [f"- {text}" + (f" **⚠ {why}**" if why else "") for text, why in p.notes]
            if p.notes:
                lines.append("")
            if p.changes:
                lines += _statement_table(p.changes) + [""]

    lines += ["### KMS keys", ""]
    if not review.keys:
        lines += ["No key added, removed or changed (key policy statements are under IAM).", ""]
    for k in review.keys:
        weak = f" — **⚠ {'; '.join(k.weakened)}**" if k.weakened else ""
        lines.append(f"- **{k.key}** ({k.stack}) {k.status}: {'; '.join(k.changes) or 'no attribute change'}{weak}")
    if review.keys:
        lines.append("")

    lines += ["### Audit controls (trails, Config rules, alarms, Security Hub, GuardDuty)", ""]
    if not review.controls:
        lines += ["No change.", ""]
    else:
        rows = []
        for c in review.controls:
            weak = f" — **⚠ {c.weakened}**" if c.weakened else ""
            detail = f": {'; '.join(c.changes[:6])}" + (" …" if len(c.changes) > 6 else "") if c.changes else ""
            rows.append(f"{c.category} `{c.identity}` ({c.stack}) {c.status}{detail}{weak}")
        lines += _bullets(rows) + [""]

    lines += ["### checkov", ""]
    if review.checkov is None:
        lines += ["Not run (`--no-checkov`).", ""]
    elif review.checkov.skipped:
        lines += [f"Skipped: {review.checkov.skipped}", ""]
    else:
        ck = review.checkov
        if not (ck.new_failures or ck.fixed or ck.new_suppressions):
            lines += ["No change in failed or suppressed checks.", ""]
        for title, items in (
            ("New failed checks", ck.new_failures),
            ("Fixed", ck.fixed),
            ("New suppressions", ck.new_suppressions),
        ):
            if items:
                lines += [f"{title} ({len(items)}):", ""] + _bullets(items) + [""]

    lines += ["### Resources", ""]
    if not review.resources:
        lines += ["No resource added, removed or changed.", ""]
    for stack, res in review.resources.items():
        lines += [
            f"**{stack}**: {len(res.added)} added, {len(res.removed)} removed, {len(res.replaced)} replaced, "
            f"{len(res.moved)} moved, {len(res.modified)} modified",
            "",
        ]
        for title, items in (
            ("Added", res.added),
            ("Removed", res.removed),
            ("Replaced (destroyed and re-created)", res.replaced),
            ("Moved (new address, same content: add a `moved` block or Terraform re-creates it)", res.moved),
            ("Modified in place", res.modified),
        ):
            if items:
                lines += [f"<details><summary>{title} ({len(items)})</summary>", ""]
                lines += _bullets([f"`{i}`" for i in items]) + ["", "</details>", ""]

    if review.plans is not None or review.plans_note:
        lines += ["### Terraform plan", ""]
        if review.plans_note:
            lines += [review.plans_note, ""]
        if review.plans:
            lines += ["| stack | create | update | delete | replace |", "|---|---|---|---|---|"]
            for stack, c in review.plans.items():
                lines.append(f"| {stack} | {c['create']} | {c['update']} | {c['delete']} | {c['replace']} |")
            lines.append("")

    if review.warnings:
        lines += ["### Warnings (new in head)", ""] + _bullets(review.warnings, 20) + [""]
    text = "\n".join(lines).rstrip() + "\n"
    if len(text) > MAX_REPORT_CHARS:
        cut = text.rfind("\n", 0, MAX_REPORT_CHARS)
        text = text[:cut] + "\n\n… report truncated; run `make review` locally for the full text.\n"
    return text


# ---------------------------------------------------------------- synthesizing the base and head


def load_synth(out_dir: Path) -> Synth:
    try:
        return load_out(out_dir)
    except SynthError as err:
        raise ReviewError(f"{out_dir}: {err}") from err


def _git(args: Sequence[str], cwd: Path = REPO_ROOT) -> str:
    proc = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise ReviewError(f"`git {' '.join(args)}` failed: {proc.stderr.strip()}")
    return proc.stdout.strip()


def _synth_process(tree: Path, env_name: str, out_dir: Path) -> subprocess.Popen:
    """`python main.py` of `tree` with this interpreter (the uv environment); the tree's own code,
    components included, comes first on the import path."""
    env = dict(os.environ)
    paths = [str(tree / p) for p in ("", "iam", "kms", "audit")]
    env.update(
        {
            "BOI_ENV": env_name,
            "BOI_OUT_DIR": str(out_dir),
            "PYTHONPATH": os.pathsep.join(paths + [env.get("PYTHONPATH", "")]).rstrip(os.pathsep),
        }
    )
    env.pop("BOI_CONFIG_DIR", None)
    return subprocess.Popen(
        [sys.executable, "main.py"],
        cwd=tree,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait(proc: subprocess.Popen, what: str) -> None:
    _, stderr = proc.communicate()
    if proc.returncode != 0:
        raise ReviewError(f"synth of {what} failed (exit {proc.returncode}):\n{stderr.strip()[-3000:]}")


def synth_base_and_head(base: str, env_name: str, work: Path) -> tuple[Path, Path, Path]:
    """Synthesize `base` (in a temporary worktree) and the working tree, in parallel.
    Returns (base out, head out, base worktree); the caller removes the worktree."""
    sha = _git(["rev-parse", "--verify", f"{base}^{{commit}}"])
    tree = work / "base-tree"
    _git(["worktree", "add", "--detach", str(tree), sha])
    base_out, head_out = work / "base-out", work / "head-out"
    procs = [
        (_synth_process(tree, env_name, base_out), f"base {base} ({sha[:12]})"),
        (_synth_process(REPO_ROOT, env_name, head_out), "the working tree"),
    ]
    for proc, what in procs:
        _wait(proc, what)
    return base_out, head_out, tree


def remove_worktree(tree: Path) -> None:
    subprocess.run(["git", "worktree", "remove", "--force", str(tree)], cwd=REPO_ROOT, capture_output=True, check=False)
    subprocess.run(["git", "worktree", "prune"], cwd=REPO_ROOT, capture_output=True, check=False)


def run_checkov_diff(base_out: Path, head_out: Path) -> CheckovDiff:
    """The gate on both sides, each with the suppressions its own synth attached."""
    from boi import gate

    try:
        before = gate.run_gate(base_out)
        after = gate.run_gate(head_out)
    except gate.GateError as err:
        return CheckovDiff(skipped=f"the gate could not run: {err}")
    return diff_gate(before, after)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="boi review", description=__doc__.splitlines()[0])
    parser.add_argument("--base", help="git ref to compare with (e.g. origin/main, HEAD~1)")
    parser.add_argument("--env", default=os.environ.get("BOI_ENV", "dev"), help="environment (default dev)")
    parser.add_argument("--out", type=Path, help="write the Markdown report here (default: stdout)")
    parser.add_argument("--json", type=Path, help="also write the review as JSON here")
    parser.add_argument("--plans", type=Path, help="folder of <stack>.json plans (terraform show -json)")
    parser.add_argument("--no-checkov", action="store_true", help="skip the gate on both sides (saves ~15 s)")
    parser.add_argument("--before-dir", type=Path, help="use this synth output as the base instead of --base")
    parser.add_argument("--after-dir", type=Path, help="use this synth output as the head instead of the tree")
    args = parser.parse_args(argv)
    if bool(args.before_dir) != bool(args.after_dir):
        parser.error("--before-dir and --after-dir go together")
    if not args.base and not args.before_dir:
        parser.error("give --base <ref> (or --before-dir and --after-dir)")

    work = Path(tempfile.mkdtemp(prefix="boi-review-"))
    tree: Path | None = None
    try:
        if args.before_dir:
            base_out, head_out = args.before_dir, args.after_dir
        else:
            base_out, head_out, tree = synth_base_and_head(args.base, args.env, work)
        review = diff_synth(load_synth(base_out), load_synth(head_out))
        review.base = args.base or str(args.before_dir)
        review.head = "working tree" if not args.after_dir else str(args.after_dir)
        if not args.no_checkov:
            review.checkov = run_checkov_diff(base_out, head_out)
        if args.plans:
            from boi.plan import PlanError, summarize_plan_dir

            try:
                review.plans = summarize_plan_dir(args.plans)
            except PlanError as err:
                raise ReviewError(str(err)) from err
    except ReviewError as err:
        print(f"review error: {err}", file=sys.stderr)
        return EXIT_ERROR
    finally:
        if tree is not None:
            remove_worktree(tree)
        shutil.rmtree(work, ignore_errors=True)

    text = render_markdown(review)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text)
    else:
        sys.stdout.write(text)
    if args.json:
        args.json.write_text(json.dumps(review.to_dict(), indent=2, default=str) + "\n")
    verdict = "PERMISSIONS BROADENED (exit 3)" if review.permissions_broadened else "no permissions broadened"
    print(f"review: {verdict}" + (f"; report in {args.out}" if args.out else ""), file=sys.stderr)
    return review.exit_code()


if __name__ == "__main__":
    sys.exit(main())
