"""AWS managed policies: checked against their reviewed catalog (what, why, size) and the document's
section on them."""

# Markdown table rows read best as one f-string each, so some lines are long.
# ruff: noqa: E501
from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from boi_iam.extract import PolicySet
from boi_iam.render.common import NOT_RECORDED, _cell, _code

_AWS_MANAGED = re.compile(r"^arn:aws[a-z-]*:iam::aws:policy/(.+)$")


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


class ManagedPolicySection:
    """The section on the AWS managed policies attached to the roles (a part of the document)."""

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
