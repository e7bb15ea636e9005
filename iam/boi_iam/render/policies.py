"""Policy tables (one row per statement, with its reason) and the guardrails: permission boundaries,
SCPs and RCPs, each with what it denies in words."""

# Markdown table rows read best as one f-string each, so some lines are long.
# ruff: noqa: E501
from __future__ import annotations

import json
import re

from boi_iam.extract import ExtractedPolicy
from boi_iam.render.common import (
    _LEVEL_ORDER,
    NOT_RECORDED,
    _access_levels,
    _actions_text,
    _as_list,
    _cell,
    _code,
    _conditions_text,
    _statements,
)
from boi_iam.render.trust import _condition_words


class PolicyTables:
    """Statement tables and the guardrail sections (a part of the document)."""

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
