"""Role pages: the role index, one section per role (purpose, boundary, trust, managed policies,
statements) and the resource and key policies that name it."""

# Markdown table rows read best as one f-string each, so some lines are long.
# ruff: noqa: E501
from __future__ import annotations

import json

from boi_iam.extract import RoleView
from boi_iam.render.common import (
    NOT_RECORDED,
    _actions_text,
    _anchor,
    _as_list,
    _cell,
    _code,
    _conditions_text,
    _statements,
)
from boi_iam.render.managed import _size_text, managed_policy_name
from boi_iam.render.trust import role_kind, trust_in_words

_KIND_RULE = (
    "Kind is read from the trust policy and the boundary: a federated (web identity) principal makes a "
    "**CI** role, an AWS account or role principal a **human** role, an AWS service principal a "
    "**workload** role when its boundary's name contains `workload` and an **operational** role otherwise."
)


class RolePages:
    """The role index and the role sections (a part of the document)."""

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
