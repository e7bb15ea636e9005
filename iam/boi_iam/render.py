"""Render ``docs/security/iam.md`` from the synthesized Terraform JSON (pure: no cdktn import).

Everything in the document is read from the JSON (names, purposes, trust policies, statements, the
reasons kept under ``"//"`` keys, boundaries, SCPs), from the platform's reviewed catalog of AWS managed
policies (``boi_iam.catalog.load_managed_policies``) and, when given, from the reviewed access matrix and the
least-privilege rows. Nothing is described that the JSON does not hold: a missing purpose or reason is
shown as "not recorded", never guessed. The output is deterministic (sorted, no timestamps).

    from boi_iam.render import render_iam_doc
    text = render_iam_doc(synth, account_id="111122223333", region="us-east-1", managed_policies=reviewed)
"""

# Markdown table rows read best as one f-string each, so some lines are long.
# ruff: noqa: E501
from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from boi_model import meta
from boi_model.catalog import CatalogError
from boi_model.refs import Placeholders, Resolver, labels
from boi_model.synth import as_synth

from boi_iam import actiondb
from boi_iam.catalog import validate_access_matrix
from boi_iam.extract import ExtractedPolicy, PolicySet, RoleView, extract_policies

_AWS_MANAGED = re.compile(r"^arn:aws[a-z-]*:iam::aws:policy/(.+)$")
_ENV_PREFIX = re.compile(r"^(boi-[a-z0-9]+-)")
NOT_RECORDED = "_not recorded in the JSON_"

# Terraform type -> the noun used in readable resource names, e.g. "(boi-dev-documents bucket)".
_KIND_RULE = (
    "Kind is read from the trust policy and the boundary: a federated (web identity) principal makes a "
    "**CI** role, an AWS account or role principal a **human** role, an AWS service principal a "
    "**workload** role when its boundary's name contains `workload` and an **operational** role otherwise."
)


class RenderError(ValueError):
    """The input cannot be rendered truthfully (unknown managed policy, malformed matrix or rows)."""


# ---- reviewed data -------------------------------------------------------------------------------


def managed_policy_name(arn: str) -> str | None:
    """``arn:aws:iam::aws:policy/service-role/X`` -> ``service-role/X``; None for customer policies."""
    m = _AWS_MANAGED.match(arn)
    return m.group(1) if m else None


def missing_managed_policies(policy_set: PolicySet, catalog: Mapping[str, dict]) -> list[str]:
    """AWS managed policies attached in the synth but absent from the reviewed catalog."""
    used = {managed_policy_name(a) for v in policy_set.roles() for a in v.managed_policy_arns}
    return sorted(n for n in used if n and n not in catalog)


def _size_text(size: Any) -> str:
    if not isinstance(size, dict):
        return str(size)
    parts = [f"{size['statements']} statement(s)", f"{size['action_entries']} action entries"]
    if size.get("not_action"):
        parts.append("NotAction " + ", ".join(f"`{a}`" for a in size["not_action"]))
    origin = ", ".join(str(size[k]) for k in ("version", "source") if size.get(k))
    return ", ".join(parts) + (f" ({origin})" if origin else "")


# ---- access matrix (boi_iam.catalog.AccessMatrix) ------------------------------------------------


def check_access_matrix(matrix: Any) -> dict:
    """Validate the reviewed matrix (boi_iam.catalog.AccessMatrix); every problem at once, one line each."""
    try:
        return validate_access_matrix(matrix, "matrix")
    except CatalogError as err:
        raise RenderError(str(err)) from None


def needed_actions(matrix: dict, principal: str) -> set[str] | None:
    """The actions of every operation ``allow`` lists for ``principal``; None when it has no row."""
    check_access_matrix(matrix)
    grants = matrix["allow"].get(principal)
    runtime = matrix.get("runtime_needs", {}).get(principal)
    if grants is None and runtime is None:
        return None
    grants = grants or {}
    # Operational actions outside the sensitive assets (logs, tracing, network interfaces) are
    # reviewed in the matrix's runtime_needs.
    needed: set[str] = set(matrix.get("runtime_needs", {}).get(principal, []))
    for asset_name, ops in grants.items():
        atype = matrix["assets"][asset_name]["type"]
        for op in ops:
            for action in matrix["operations"][atype][op.split("@")[0]]:
                needed.update(actiondb.expand(action) if ("*" in action or "?" in action) else [action])
    return needed


def principal_of(role_name: str) -> str:
    """The matrix principal of a role: its name without the ``boi-<env>-`` prefix."""
    m = _ENV_PREFIX.match(role_name)
    return role_name[len(m.group(1)) :] if m else role_name


# ---- least-privilege rows ------------------------------------------------------------------------

ROW_KEYS = ("role", "principal", "granted", "needed", "ratio", "missing", "extra", "resource_star")


def least_privilege_rows(policy_set: PolicySet, matrix: dict | None = None) -> list[dict]:
    """One row per role: granted actions (wildcards expanded) against the matrix's needed actions.

    ``granted`` counts the distinct actions Allow statements of the role's identity policies grant;
    AWS managed policies are not counted (their content is not in the JSON). ``ratio`` is
    granted/needed (target 1.0), None when the matrix has no row for the role.
    """
    from boi_iam.report import role_report

    if matrix is not None:
        check_access_matrix(matrix)
    rows = []
    for view in sorted(policy_set.roles(), key=lambda v: v.name):
        report = role_report(view)
        granted = {a.lower(): a for a in report["granted_actions"]}
        principal = principal_of(view.name)
        needed = needed_actions(matrix, principal) if matrix is not None else None
        row = {
            "role": view.name,
            "principal": principal,
            "granted": len(granted),
            "needed": None,
            "ratio": None,
            "missing": [],
            "extra": [],
            "resource_star": len(report["resource_star"]),
            "managed_policies": len(view.managed_policy_arns),
            "report": report,
        }
        if needed is not None:
            want = {a.lower(): a for a in needed}
            row.update(
                needed=len(want),
                ratio=round(len(granted) / len(want), 2) if want else None,
                missing=sorted((want[k] for k in want.keys() - granted.keys()), key=str.lower),
                extra=sorted((granted[k] for k in granted.keys() - want.keys()), key=str.lower),
            )
        rows.append(row)
    return rows


def _check_rows(rows: Any) -> list[dict]:
    if not isinstance(rows, list):
        raise RenderError(f"report_rows: expected a list of dicts, got {type(rows).__name__}")
    for i, row in enumerate(rows):
        missing = [k for k in ROW_KEYS if not isinstance(row, dict) or k not in row]
        if missing:
            raise RenderError(f"report_rows[{i}]: missing keys {missing}; rows come from least_privilege_rows()")
    return rows


def statement_reason(synth: Mapping[str, dict], owner, sid: str | None) -> str | None:
    """The reason kept under ``"//"`` of the resource that owns a policy, for one statement id."""
    rtype, _, name = owner.address.partition(".")
    found_resource = as_synth(synth).resource(owner.stack, rtype, name)
    note = found_resource.meta if found_resource else {}
    reasons = note.get(meta.REASONS) or note.get(meta.KMS_REASONS) or {}
    found = reasons.get(sid) if isinstance(reasons, dict) and sid else None
    return found if isinstance(found, str) and found.strip() else None


# ---- readable names ------------------------------------------------------------------------------


class _Names:
    """Readable names through the model's Labels strategy (boi_model.refs)."""

    def __init__(self, synth: Mapping[str, dict], account_id: str, region: str, partition: str):
        self.synth = synth
        self.resolver = labels(synth, account_id, region, partition)
        self.strategy = self.resolver.strategy
        self.placeholders = Resolver(synth, Placeholders(account_id, region, partition))

    def body(self, stack: str, rtype: str, name: str) -> dict | None:
        return self.resolver.body(stack, rtype, name)

    def label(self, stack: str, rtype: str, name: str) -> str | None:
        return self.strategy.label(stack, rtype, name)

    def text(self, stack: str, value: str) -> str:
        return self.resolver.text(stack, value)


# ---- small formatting helpers --------------------------------------------------------------------


def _as_list(value) -> list:
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _code(text: object) -> str:
    return f"`{_cell(text)}`"


def _actions_text(actions: list[str]) -> str:
    """Actions grouped by service: ``dynamodb``: GetItem, PutItem<br>``kms``: Decrypt."""
    by_service: dict[str, list[str]] = {}
    for action in actions:
        service, _, name = str(action).partition(":")
        if not name:
            by_service.setdefault(str(action), [])
            continue
        by_service.setdefault(service, []).append(name)
    lines = []
    for service in sorted(by_service):
        names = sorted(set(by_service[service]), key=str.lower)
        lines.append(f"`{_cell(service)}`: " + ", ".join(_cell(n) for n in names) if names else _code(service))
    return "<br>".join(lines)


def _conditions_text(condition: Any, readable) -> str:
    if not condition:
        return "none"
    lines = []
    for operator, block in sorted(condition.items()):
        for key, values in sorted((block or {}).items()):
            shown = ", ".join(_code(readable(v) if isinstance(v, str) else v) for v in _as_list(values))
            lines.append(f"{_code(key)} {operator} {shown}")
    return "<br>".join(lines)


def _anchor(title: str) -> str:
    return re.sub(r"[^a-z0-9 _-]", "", title.lower()).replace(" ", "-")


def _statements(doc: dict) -> list[dict]:
    return [s for s in _as_list(doc.get("Statement")) if isinstance(s, dict)]


_LEVEL_ORDER = ["List", "Read", "Write", "Permissions management", "Tagging", "unknown action"]


def _access_levels(actions: list[str]) -> dict[str, set[str]]:
    """Access level -> the actions (or wildcard patterns) that give it, per the IAM service reference."""
    levels: dict[str, set[str]] = {}
    for pattern in actions:
        wildcard = "*" in pattern or "?" in pattern
        try:
            expanded = actiondb.expand(pattern) if wildcard else [pattern]
        except ValueError:
            expanded = []
        if not expanded:
            levels.setdefault("unknown action", set()).add(pattern)
        for action in expanded:
            try:
                found = actiondb.load().info(action).access_levels
            except (KeyError, ValueError):
                found = ("unknown action",)
            for level in found:
                levels.setdefault(level, set()).add(pattern if wildcard else action)
    return levels


def _levels_text(levels: dict[str, set[str]]) -> str:
    parts = []
    for level in sorted(levels, key=lambda x: (_LEVEL_ORDER.index(x) if x in _LEVEL_ORDER else 99, x)):
        parts.append(f"**{level}**: " + ", ".join(_cell(a) for a in sorted(levels[level], key=str.lower)))
    return "<br>".join(parts)


# ---- trust in words ------------------------------------------------------------------------------


def _principal_words(principal: Any, names: _Names, stack: str, original: Any) -> list[str]:
    if principal == "*":
        return ['**anyone** (`Principal: "*"`)']
    words = []
    orig = original if isinstance(original, dict) else {}
    for ptype, values in sorted((principal or {}).items()):
        originals = _as_list(orig.get(ptype)) or _as_list(values)
        for value, raw in zip(_as_list(values), originals, strict=False):
            shown = names.text(stack, raw) if isinstance(raw, str) else str(value)
            if ptype == "Service":
                words.append(f"the AWS service {_code(value)}")
            elif ptype == "Federated":
                words.append(f"identities federated through {_code(shown)}")
            elif ptype == "AWS":
                m = re.fullmatch(r"arn:[^:]+:iam::(\d{12}):root|(\d{12})", str(value))
                if m:
                    acct = m.group(1) or m.group(2)
                    words.append(
                        f"any IAM principal of account {_code(acct)} whose own policies allow it to assume this role"
                    )
                elif value == "*":
                    words.append('**any AWS principal** (`AWS: "*"`)')
                else:
                    words.append(f"the principal {_code(shown)}")
            else:
                words.append(f"{ptype} principal {_code(shown)}")
    return words


def _condition_words(condition: dict, readable) -> list[str]:
    words = []
    for operator, block in sorted((condition or {}).items()):
        for key, values in sorted((block or {}).items()):
            vals = [readable(v) if isinstance(v, str) else v for v in _as_list(values)]
            shown = ", ".join(_code(v) for v in vals)
            lkey = key.lower()
            if lkey == "aws:multifactorauthpresent" and operator.startswith("Bool") and vals == ["true"]:
                words.append("only when signed in with **MFA** (`aws:MultiFactorAuthPresent` is true)")
            elif lkey == "aws:multifactorauthage" and operator in (
                "NumericLessThan",
                "NumericLessThanEquals",
            ):
                words.append(f"only when MFA was used less than {shown} seconds ago (`aws:MultiFactorAuthAge`)")
            elif lkey == "aws:sourceaccount":
                words.append(f"only on behalf of resources in account {shown} (`aws:SourceAccount` {operator})")
            elif lkey == "aws:sourcearn":
                words.append(f"only on behalf of {shown} (`aws:SourceArn` {operator})")
            elif lkey.endswith(":sub"):
                words.append(f"only when the token subject (`sub`) {operator} {shown} ({_code(key)})")
            elif lkey.endswith(":aud"):
                words.append(f"only when the token audience (`aud`) {operator} {shown} ({_code(key)})")
            elif lkey == "sts:externalid":
                words.append(f"only with external id {shown}")
            else:
                words.append(f"only when {_code(key)} {operator} {shown}")
    return words


def trust_in_words(trust: ExtractedPolicy | None, names: _Names) -> list[str]:
    """One bullet per trust statement: who may assume the role, how, and under which conditions."""
    if trust is None:
        return [f"- no trust policy could be read ({NOT_RECORDED})"]
    stack = trust.owner.stack
    out = []
    originals = _statements(trust.original)
    for i, st in enumerate(_statements(trust.document)):
        orig = originals[i] if i < len(originals) else st
        who = _principal_words(st.get("Principal"), names, stack, orig.get("Principal"))
        if "NotPrincipal" in st:
            who = [f"every principal except {_code(json.dumps(st['NotPrincipal'], sort_keys=True))}"]
        actions = ", ".join(_code(a) for a in _as_list(st.get("Action") or st.get("NotAction")))
        verb = "may assume it" if st.get("Effect") == "Allow" else "is **denied**"
        line = f"- {' or '.join(who) or 'nobody named'} {verb} ({actions})"
        conditions = _condition_words(orig.get("Condition") or {}, lambda v: names.text(stack, v))
        out.append(line + ("" if not conditions else ", " + "; ".join(conditions)))
    return out or ["- the trust policy has no statements: nobody may assume this role"]


def role_kind(view: RoleView, boundary_name: str | None) -> str:
    principals = [s.get("Principal") for s in _statements(view.trust.document)] if view.trust else []
    types = {k for p in principals if isinstance(p, dict) for k in p}
    if "Federated" in types:
        return "CI"
    if "AWS" in types or "*" in principals:
        return "human"
    if "Service" in types:
        return "workload" if boundary_name and "workload" in boundary_name else "operational"
    return "unknown"


# ---- the document --------------------------------------------------------------------------------


class _Doc:
    def __init__(self, synth, account_id, region, matrix, report_rows, partition, preface=(), managed_policies=None):
        self.preface = list(preface)
        self.synth = synth
        self.ps = extract_policies(synth, account_id=account_id, region=region, partition=partition)
        self.names = _Names(synth, account_id, region, partition)
        if managed_policies is None:
            raise RenderError(
                "managed_policies: the reviewed catalog (boi_iam.catalog.load_managed_policies) is required"
            )
        self.catalog = managed_policies
        missing = missing_managed_policies(self.ps, self.catalog)
        if missing:
            raise RenderError(
                f"AWS managed policies attached in the synthesized JSON but not in the reviewed catalog of "
                f"managed policies: {missing}; add each with what, why and size"
            )
        self.matrix = check_access_matrix(matrix) if matrix is not None else None
        self.rows = _check_rows(report_rows) if report_rows is not None else None
        self.views = sorted(self.ps.roles(), key=lambda v: (v.owner.stack, v.name))
        self.boundaries = {p.arn: p for p in self.ps.of_kind("boundary")}
        self.attachment_reasons = self._attachment_reasons()

    # -- lookups in the JSON

    def body(self, owner) -> dict:
        rtype, _, name = owner.address.partition(".")
        return self.names.body(owner.stack, rtype, name) or {}

    def meta(self, owner) -> dict:
        meta = self.body(owner).get("//")
        return meta if isinstance(meta, dict) else {}

    def reason(self, policy: ExtractedPolicy, sid: str | None) -> str:
        found = statement_reason(self.synth, policy.owner, sid)
        return _cell(found) if found else NOT_RECORDED

    def _attachment_reasons(self) -> dict[tuple[str, str], str]:
        # Matched against the extracted roles, so resolved the way the extractor resolves.
        reasons = {}
        r = self.names.placeholders
        for stack in sorted(self.synth):
            res = self.synth[stack].get("resource") or {}
            for body in (res.get("aws_iam_role_policy_attachment") or {}).values():
                reason = (body.get("//") or {}).get("reason")
                if isinstance(reason, str):
                    role = r.text(stack, str(body.get("role", "")))
                    reasons[(role, r.text(stack, str(body.get("policy_arn", ""))))] = reason
        return reasons

    def boundary_name(self, view: RoleView) -> str | None:
        if not view.boundary_arn:
            return None
        if view.boundary is not None:
            name = self.body(view.boundary.owner).get("name")
            if isinstance(name, str):
                return name
        return view.boundary_arn.rsplit("/", 1)[-1]

    def readable(self, stack: str):
        return lambda value: self.names.text(stack, value)

    # -- sections

    def render(self) -> str:
        out = [
            "# IAM: roles, permissions and guardrails",
            "",
            "<!-- Generated by boi_iam.render from the synthesized Terraform JSON; do not edit by hand. -->",
            "",
            "Every statement below is read from the synthesized Terraform JSON (`cdk.tf.json`); purposes and "
            "reasons come from the `//` metadata next to each resource, which Terraform ignores. References "
            "to other resources are shown by name: `(<name> bucket)` stands for the ARN of that bucket, keys are "
            "named by alias, `(<attribute> of <name> ...)` for another attribute of the resource.",
            "",
            f"Stacks: {', '.join(_code(s) for s in sorted(self.synth))}.",
            "",
        ]
        out += self.preface
        out += self.index()
        out += self.roles()
        out += self.managed()
        out += self.access_matrix()
        if self.matrix is not None:
            out += self.reviewed_matrix()
        out += self.guardrails()
        if self.rows is not None:
            out += self.least_privilege()
        if self.ps.warnings:
            out += ["## Extraction notes", ""]
            out += [f"- {_cell(w)}" for w in self.ps.warnings] + [""]
        return "\n".join(out).rstrip() + "\n"

    def index(self) -> list[str]:
        out = ["## Role index", "", _KIND_RULE, "",
               "| role | stack | kind | boundary | statements | AWS managed policies |",
               "|---|---|---|---|---|---|"]  # fmt: skip
        for v in self.views:
            boundary = self.boundary_name(v)
            statements = sum(len(_statements(p.document)) for p in v.identity)
            out.append(
                f"| [{v.name}](#{_anchor(v.name)}) | {_code(v.owner.stack)} | {role_kind(v, boundary)} | "
                f"{_code(boundary) if boundary else '**none**'} | {statements} | {len(v.managed_policy_arns)} |"
            )
        return out + [""]

    def roles(self) -> list[str]:
        out = ["## Roles", ""]
        for v in self.views:
            body = self.body(v.owner)
            meta = body.get("//") if isinstance(body.get("//"), dict) else {}
            purpose = meta.get("purpose")
            boundary = self.boundary_name(v)
            out += [f"### {v.name}", ""]
            out.append(f"- **Purpose:** {_cell(purpose) if isinstance(purpose, str) else NOT_RECORDED}")
            out.append(f"- **Kind:** {role_kind(v, boundary)}; stack {_code(v.owner.stack)}, "
                       f"Terraform address {_code(v.owner.address)}")  # fmt: skip
            if isinstance(body.get("max_session_duration"), int):
                out.append(f"- **Maximum session:** {body['max_session_duration']} seconds")
            if boundary and v.boundary is not None:
                out.append(f"- **Permission boundary:** [{boundary}](#{_anchor(boundary)})")
            elif boundary:
                out.append(f"- **Permission boundary:** {_code(v.boundary_arn)} (not defined in these stacks)")
            else:
                out.append("- **Permission boundary:** **none**")
            out += ["", "**Who may assume it**", ""]
            out += trust_in_words(v.trust, self.names)
            if v.trust is not None:
                out += ["", "```json", json.dumps(v.trust.original, indent=2), "```"]
            out += [""]
            if v.managed_policy_arns:
                out += [
                    "**AWS managed policies**",
                    "",
                    "| policy | reason | what it is | size |",
                    "|---|---|---|---|",
                ]
                for arn in v.managed_policy_arns:
                    name = managed_policy_name(arn)
                    entry = self.catalog.get(name or "", {})
                    reason = self.attachment_reasons.get((v.name, arn))
                    out.append(
                        f"| {_code(name or arn)} | {_cell(reason) if reason else NOT_RECORDED} | "
                        f"{_cell(entry.get('what', 'not an AWS managed policy; content not in the JSON'))} | "
                        f"{_cell(_size_text(entry['size'])) if entry else 'unknown'} |"
                    )
                out.append("")
            out += self.statement_tables(v)
            out += self.named_in(v)
        return out

    def statement_tables(self, v: RoleView) -> list[str]:
        if not v.identity:
            return ["**Identity policy statements:** none in the JSON", ""]
        out = []
        for policy in v.identity:
            name = self.body(policy.owner).get("name")
            title = f"{_code(name)} ({_code(policy.owner.address)})" if isinstance(name, str) else _code(policy.owner)
            out += [f"**Identity policy** {title}", "", *self.policy_table(policy)]
        return out

    def has_reasons(self, policy: ExtractedPolicy) -> bool:
        return any(self.reason(policy, st.get("Sid")) != NOT_RECORDED for st in _statements(policy.original))

    def policy_table(self, policy: ExtractedPolicy) -> list[str]:
        reasons = self.has_reasons(policy)
        head = ["| Sid | effect | actions | resources | conditions |" + (" reason |" if reasons else ""),
                "|---|---|---|---|---|" + ("---|" if reasons else "")]  # fmt: skip
        rows = [self.statement_row(policy, st, reasons) for st in _statements(policy.original)]
        note = [] if reasons else ["", "No statement reason is recorded in the JSON for this policy."]
        return [*head, *rows, *note, ""]

    def statement_row(self, policy: ExtractedPolicy, st: dict, with_reason: bool = True) -> str:
        readable = self.readable(policy.owner.stack)
        sid = st.get("Sid")
        if "NotAction" in st:
            actions = "all actions except:<br>" + _actions_text([str(a) for a in _as_list(st["NotAction"])])
        else:
            actions = _actions_text([str(a) for a in _as_list(st.get("Action"))])
        if "NotResource" in st:
            resources = "all resources except " + ", ".join(
                _code(readable(str(r))) for r in _as_list(st["NotResource"])
            )
        else:
            resources = "<br>".join(_code(readable(str(r))) for r in _as_list(st.get("Resource")))
        principal = st.get("Principal")
        if principal is not None:
            resources = f"principal {_code(readable(json.dumps(principal, sort_keys=True)))}<br>" + resources
        row = (
            f"| {_code(sid) if sid else '(no Sid)'} | {st.get('Effect', '?')} | {actions} | {resources} | "
            f"{_conditions_text(st.get('Condition'), readable)} |"
        )
        return row + (f" {self.reason(policy, sid)} |" if with_reason else "")

    def named_in(self, v: RoleView) -> list[str]:
        grouped: dict[tuple, list[str]] = {}
        for policy in sorted(self.ps.of_kind("key") + self.ps.of_kind("resource"), key=lambda p: str(p.owner)):
            readable = self.readable(policy.owner.stack)
            for st in _statements(policy.document):
                principal = st.get("Principal")
                arns = _as_list(principal.get("AWS")) if isinstance(principal, dict) else []
                if v.arn not in arns:
                    continue
                rtype, _, rname = policy.owner.address.partition(".")
                if rtype == "aws_kms_key_policy" or "_policy" in rtype:
                    target_owner = policy.target or policy.owner.address
                    target = readable(target_owner) if target_owner.startswith("arn:") else target_owner
                else:
                    target = "(" + (self.names.label(policy.owner.stack, rtype, rname) or policy.owner.address) + ")"
                actions = [str(a) for a in _as_list(st.get("Action") or st.get("NotAction"))]
                key = (
                    st.get("Sid") or "(no Sid)",
                    st.get("Effect"),
                    ("all actions except:<br>" if "NotAction" in st else "") + _actions_text(actions),
                    _conditions_text(st.get("Condition"), readable),
                    self.reason(policy, st.get("Sid")),
                    f"{policy.kind} policy",
                )
                grouped.setdefault(key, []).append(target)
        if not grouped:
            return []
        rows = [
            f"| {'<br>'.join(_code(t) for t in sorted(set(targets)))} ({kind}) | {_code(sid)} | {effect} | {actions} | "
            f"{conditions} | {reason} |"
            for (sid, effect, actions, conditions, reason, kind), targets in sorted(grouped.items())
        ]
        return ["**Named in resource and key policies**", "",
                "| policy of | Sid | effect | actions | conditions | reason |", "|---|---|---|---|---|---|",
                *rows, ""]  # fmt: skip

    def managed(self) -> list[str]:
        users: dict[str, list[str]] = {}
        for v in self.views:
            for arn in v.managed_policy_arns:
                users.setdefault(arn, []).append(v.name)
        out = ["## AWS managed policies", ""]
        if not users:
            return out + ["No AWS managed policy is attached.", ""]
        out += [
            "Their content is maintained by AWS and is not in the synthesized JSON: the identity statements "
            "and the access matrix below do not include what they grant. What each is, why it is accepted and "
            "its size come from the reviewed catalog of AWS managed policies.",
            "",
            "| policy | attached to (reason) | what it is | why we accept it | size |",
            "|---|---|---|---|---|",
        ]
        for arn in sorted(users):
            name = managed_policy_name(arn)
            entry = self.catalog.get(name or "", {})
            attached = "<br>".join(
                f"{_code(role)} ({_cell(self.attachment_reasons.get((role, arn)) or NOT_RECORDED)})"
                for role in sorted(users[arn])
            )
            out.append(
                f"| {_code(name or arn)} | {attached} | {_cell(entry.get('what', 'not an AWS managed policy'))} | "
                f"{_cell(entry.get('why', NOT_RECORDED))} | {_cell(_size_text(entry['size'])) if entry else 'unknown'} |"
            )
        return out + [""]

    def access_matrix(self) -> list[str]:
        cells: dict[tuple[str, str], dict[str, set]] = {}
        for v in self.views:
            for policy in v.identity:
                readable = self.readable(policy.owner.stack)
                for st in _statements(policy.original):
                    if st.get("Effect") != "Allow":
                        continue
                    if "NotAction" in st:
                        levels = {"all actions except": {str(a) for a in _as_list(st["NotAction"])}}
                    else:
                        levels = _access_levels([str(a) for a in _as_list(st.get("Action"))])
                    if "NotResource" in st:
                        assets = [
                            "every resource except " + ", ".join(readable(str(r)) for r in _as_list(st["NotResource"]))
                        ]
                    else:
                        assets = [readable(str(r)) for r in _as_list(st.get("Resource"))]
                    sid = (st.get("Sid") or "(no Sid)", bool(st.get("Condition")))
                    for asset in assets:
                        cell = cells.setdefault((asset, v.name), {"levels": {}, "sids": set()})
                        for level, acts in levels.items():
                            cell["levels"].setdefault(level, set()).update(acts)
                        cell["sids"].add(sid)
        out = [
            "## Access matrix: principal × asset × access level",
            "",
            "Derived from the Allow statements of each role's identity policies (resources as written, so "
            "object prefixes stay apart); access levels are those of the IAM service reference "
            f"(iam-data {actiondb.data_version()}). Denies in boundaries and SCPs are not subtracted here "
            "(see Guardrails); AWS managed policies are not included (see above). *(conditional)* marks a "
            "statement that only applies under its conditions.",
            "",
            "| asset | principal | access levels | statements |",
            "|---|---|---|---|",
        ]
        for (asset, role), cell in sorted(cells.items()):
            out.append(
                f"| {_code(asset)} | {_cell(role)} | {_levels_text(cell['levels'])} | "
                + ", ".join(_code(sid) + (" *(conditional)*" if cond else "") for sid, cond in sorted(cell["sids"]))
                + " |"
            )
        return out + [""]

    def reviewed_matrix(self) -> list[str]:
        m = self.matrix
        roles = {principal_of(v.name): v.name for v in self.views}
        out = ["## Reviewed access expectations", "",
               "From the reviewed access matrix: what each principal is expected "
               "to do. The simulator proofs check the synthesized policies against it.", "",
               "| principal | role | asset (type) | operations | actions |", "|---|---|---|---|---|"]  # fmt: skip
        for principal in sorted(m["allow"]):
            role = roles.get(principal)
            for asset in sorted(m["allow"][principal]):
                atype = m["assets"][asset]["type"]
                ops = m["allow"][principal][asset]
                actions = sorted({a for op in ops for a in m["operations"][atype][op.split("@")[0]]})
                out.append(
                    f"| {_cell(principal)} | {_code(role) if role else '**no such role in the JSON**'} | "
                    f"{_cell(asset)} ({_cell(atype)}) | {', '.join(_cell(o) for o in ops)} | {_actions_text(actions)} |"
                )
        return out + [""]

    def guardrails(self) -> list[str]:
        out = ["## Guardrails", "", "### Permission boundaries", ""]
        used_by: dict[str, list[str]] = {}
        for v in self.views:
            if v.boundary_arn:
                used_by.setdefault(v.boundary_arn, []).append(v.name)
        if not self.boundaries:
            out += ["No permission boundary policy is in the JSON.", ""]
        for arn in sorted(self.boundaries, key=lambda a: self.body(self.boundaries[a].owner).get("name", a)):
            policy = self.boundaries[arn]
            body = self.body(policy.owner)
            out += [f"#### {body.get('name', arn)}", ""]
            if isinstance(body.get("description"), str):
                out.append(f"{_cell(body['description'])}.".replace("..", "."))
                out.append("")
            roles = sorted(used_by.get(arn, []))
            out.append(f"Boundary of {len(roles)} role(s): " + (", ".join(_code(r) for r in roles) or "none") + ".")
            out += [""] + self.denies(policy) + self.policy_table(policy)
        missing = sorted(set(used_by) - set(self.boundaries))
        for arn in missing:
            out += [f"- Boundary {_code(arn)} (used by {', '.join(_code(r) for r in sorted(used_by[arn]))}) "
                    "is not defined in these stacks; its content is not in the JSON.", ""]  # fmt: skip
        out += ["### Service and resource control policies", ""]
        org = self.ps.of_kind("scp") + self.ps.of_kind("rcp")
        if not org:
            out += ["No SCP or RCP is in the JSON.", ""]
        for policy in sorted(org, key=lambda p: str(p.owner)):
            body = self.body(policy.owner)
            out += [f"#### {body.get('name', policy.owner.address)} ({policy.kind.upper()})", ""]
            if isinstance(body.get("description"), str):
                out += [_cell(body["description"]), ""]
            targets = ", ".join(_code(self.names.text(policy.owner.stack, t)) for t in self._org_targets(policy))
            out += [f"Attached to: {targets or 'no target in the JSON'}.", ""]
            out += self.denies(policy) + self.policy_table(policy)
        return out

    def _org_targets(self, policy: ExtractedPolicy) -> list[str]:
        targets = []
        res = self.synth[policy.owner.stack].get("resource") or {}
        ref = re.compile(rf"\$\{{{re.escape(policy.owner.address)}\.(id|arn)\}}")
        for body in (res.get("aws_organizations_policy_attachment") or {}).values():
            if ref.fullmatch(str(body.get("policy_id", ""))):
                targets.append(str(body.get("target_id", "")))
        return sorted(targets)

    def denies(self, policy: ExtractedPolicy) -> list[str]:
        """One line per Deny statement: how many actions, of which access levels, on what, when."""
        readable = self.readable(policy.owner.stack)
        lines = []
        for st in _statements(policy.original):
            if st.get("Effect") != "Deny":
                continue
            if "NotAction" in st:
                what = "every action except " + ", ".join(_code(a) for a in _as_list(st["NotAction"]))
            else:
                actions = [str(a) for a in _as_list(st.get("Action"))]
                levels = _access_levels(actions)
                named = ", ".join(lv for lv in _LEVEL_ORDER if lv in levels)
                services = sorted({a.split(":")[0] for a in actions})
                if len(actions) <= 4:
                    what = ", ".join(_code(a) for a in actions) + f" ({named})"
                else:
                    what = f"{len(actions)} actions ({named}) in {', '.join(_code(x) for x in services)}"
            on = "every resource except " if "NotResource" in st else ""
            where = on + ", ".join(
                _code(readable(str(r))) for r in _as_list(st.get("Resource") or st.get("NotResource"))
            )
            cond = _condition_words(st.get("Condition") or {}, readable)
            lines.append(f"- {_code(st.get('Sid') or '(no Sid)')}: denies {what} on {where}"
                         + (f", {'; '.join(cond)}" if cond else ""))  # fmt: skip
        if not lines:
            return ["It denies nothing explicitly.", ""]
        return ["What it denies (the statements follow):", "", *lines, ""]

    def least_privilege(self) -> list[str]:
        out = ["## Least privilege", "",
               "Granted: distinct actions the role's identity policies allow, wildcards expanded; AWS managed "
               "policies not counted. Needed: the actions of the operations the reviewed access matrix lists "
               "for the role. Ratio granted/needed, target 1.0; n/a when the matrix has no row for the role.",
               "", "| role | granted | needed | ratio | missing | beyond needed | `Resource: \"*\"` statements |",
               "|---|---|---|---|---|---|---|"]  # fmt: skip
        for row in sorted(self.rows, key=lambda r: r["role"]):
            ratio = "n/a" if row["ratio"] is None else f"{row['ratio']:.2f}"
            needed = "n/a" if row["needed"] is None else row["needed"]
            missing = ", ".join(_code(a) for a in row["missing"]) or "none"
            extra = ", ".join(_code(a) for a in row["extra"]) or "none"
            out.append(f"| {_cell(row['role'])} | {row['granted']} | {needed} | {ratio} | {missing} | {extra} | "
                       f"{row['resource_star']} |")  # fmt: skip
        return out + [""]


def render_iam_doc(
    synth: dict[str, dict],
    *,
    account_id: str,
    region: str,
    matrix: dict | None = None,
    report_rows: list[dict] | None = None,
    partition: str = "aws",
    preface: list[str] = (),
    managed_policies: Mapping[str, dict] | None = None,
) -> str:
    """Markdown for docs/security/iam.md. Raises ValueError (RenderError) on input it cannot render truthfully.
    `preface`: Markdown lines that open the document (the privileged-access section the app proves).
    `managed_policies`: the platform's reviewed AWS managed policies (boi_iam.catalog.load_managed_policies)."""
    return _Doc(synth, account_id, region, matrix, report_rows, partition, preface, managed_policies).render()
