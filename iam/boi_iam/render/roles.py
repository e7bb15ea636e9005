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
    """The role index, the trust patterns, the role sections and the shared policies (a part of the document)."""

    # -- what several roles share is written once

    def trust_patterns(self) -> dict[str, tuple[str, list[RoleView]]]:
        """Pattern id -> (canonical trust JSON, roles), numbered in role order."""
        found: dict[str, list[RoleView]] = {}
        for v in self.views:
            if v.trust is not None:
                key = self.names.text(v.trust.owner.stack, json.dumps(v.trust.original, sort_keys=True))
                found.setdefault(key, []).append(v)
        return {f"T{i}": (key, roles) for i, (key, roles) in enumerate(found.items(), start=1)}

    def pattern_of(self, v: RoleView) -> str | None:
        return next((pid for pid, (_, roles) in self.patterns.items() if v in roles), None)

    def shared_policies(self) -> dict[str, tuple]:
        """Customer managed policies attached to more than one role: owner -> (policy, role names)."""
        users: dict[str, tuple] = {}
        for v in self.views:
            for policy in v.identity:
                if policy.owner.address.startswith("aws_iam_policy."):
                    users.setdefault(str(policy.owner), (policy, []))[1].append(v.name)
        return {owner: entry for owner, entry in users.items() if len(entry[1]) > 1}

    def policy_name(self, policy) -> str:
        name = self.body(policy.owner).get("name")
        return name if isinstance(name, str) else str(policy.owner)

    # -- sections

    def index(self) -> list[str]:
        self.patterns = self.trust_patterns()
        out = ["## Roles", "", _KIND_RULE, "",
               "| role | kind | who may assume it | boundary | purpose |",
               "|---|---|---|---|---|"]  # fmt: skip
        for v in self.views:
            boundary = self.boundary_name(v)
            pattern = self.pattern_of(v)
            purpose = (self.meta(v.owner) or {}).get("purpose")
            if not boundary:
                bound = "**none**"
            elif v.boundary is None:
                bound = f"{_code(boundary)} (not in these stacks)"
            else:
                bound = f"[{boundary}](#{_anchor(boundary)})"
            out.append(
                f"| [{v.name}](#{_anchor(v.name)}) | {role_kind(v, boundary)} | "
                f"{f'[{pattern}](#trust-{pattern.lower()})' if pattern else 'no trust policy'} | {bound} | "
                f"{_cell(purpose) if isinstance(purpose, str) else NOT_RECORDED} |"
            )
        out += ["", "### Trust patterns", "",
                "Roles that trust the same principals under the same conditions share a pattern.", "",
                "| pattern | who may assume the role, and when | roles |", "|---|---|---|"]  # fmt: skip
        for pid, (_, roles) in self.patterns.items():
            words = "<br>".join(line.removeprefix("- ") for line in trust_in_words(roles[0].trust, self.names))
            out.append(
                f'| <a id="trust-{pid.lower()}"></a>{pid} | {words} | {", ".join(_code(r.name) for r in roles)} |'
            )
        return out + [""]

    def roles(self) -> list[str]:
        shared = self.shared_policies()
        out = ["## Role details", ""]
        for v in self.views:
            body = self.body(v.owner)
            purpose = self.meta(v.owner).get("purpose")
            boundary = self.boundary_name(v)
            pattern = self.pattern_of(v)
            out += [f"### {v.name}", ""]
            out.append(f"{_cell(purpose) if isinstance(purpose, str) else NOT_RECORDED}.".replace("..", "."))
            out.append("")
            facts = [f"**Kind:** {role_kind(v, boundary)}"]
            if pattern:
                facts.append(f"**Trust:** [{pattern}](#trust-{pattern.lower()})")
            if isinstance(body.get("max_session_duration"), int):
                facts.append(f"**Session:** at most {body['max_session_duration']} s")
            if boundary and v.boundary is not None:
                facts.append(f"**Boundary:** [{boundary}](#{_anchor(boundary)})")
            elif boundary:
                facts.append(f"**Boundary:** {_code(v.boundary_arn)} (not in these stacks)")
            else:
                facts.append("**Boundary:** **none**")
            out += [" · ".join(facts), ""]
            common = [p for p in v.identity if str(p.owner) in shared]
            if common:
                links = ", ".join(f"[{self.policy_name(p)}](#{_anchor(self.policy_name(p))})" for p in common)
                out += [
                    f"**Shared guard and policy attachments:** {links} (each listed once under Shared policies).",
                    "",
                ]
            if v.managed_policy_arns:
                out += ["**AWS managed policies**", "", "| policy | reason | what it is | size |", "|---|---|---|---|"]
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
            out += self.statement_tables(v, skip=set(shared))
            out += self.named_in(v)
        return out

    def shared(self) -> list[str]:
        shared = self.shared_policies()
        if not shared:
            return []
        out = ["## Shared policies", "",
               "Customer managed policies attached to several roles (the people's guard policies, generated from "
               "the protected assets), each written once.", ""]  # fmt: skip
        for _, (policy, roles) in sorted(shared.items(), key=lambda kv: self.policy_name(kv[1][0])):
            out += [f"### {self.policy_name(policy)}", "",
                    f"Attached to {len(roles)} roles: {', '.join(_code(r) for r in sorted(roles))}.", ""]  # fmt: skip
            out += self.denies(policy) + self.policy_table(policy)
        return out

    def statement_tables(self, v: RoleView, skip: set[str] = frozenset()) -> list[str]:
        own = [p for p in v.identity if str(p.owner) not in skip]
        if not own:
            return ["**Its own policy statements:** none in the JSON", ""] if not v.identity else []
        out = []
        for policy in own:
            out += [f"**Identity policy** {_code(self.policy_name(policy))}", "", *self.policy_table(policy)]
        return out

    def addresses(self) -> list[str]:
        """Appendix: every AWS name in this document with the stack and Terraform address it comes from."""
        out = ["## Appendix: Terraform addresses", "",
               "| AWS name | kind | stack | Terraform address |", "|---|---|---|---|"]  # fmt: skip
        rows = set()
        for v in self.views:
            rows.add((v.name, "role", v.owner.stack, v.owner.address))
            for policy in v.identity:
                rows.add((self.policy_name(policy), "identity policy", policy.owner.stack, policy.owner.address))
        for policy in self.boundaries.values():
            rows.add((self.policy_name(policy), "permission boundary", policy.owner.stack, policy.owner.address))
        for name, kind, stack, address in sorted(rows):
            out.append(f"| {_code(name)} | {kind} | {_code(stack)} | {_code(address)} |")
        return out + [""]

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
