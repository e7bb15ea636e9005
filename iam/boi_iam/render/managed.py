"""AWS managed policies: the reviewed catalog (what, why, size) and the document's section on them."""

# Markdown table rows read best as one f-string each, so some lines are long.
# ruff: noqa: E501
from __future__ import annotations

import re
from collections.abc import Mapping
from importlib import resources
from typing import Any

import yaml

from boi_iam.extract import PolicySet
from boi_iam.render.common import NOT_RECORDED, RenderError, _cell, _code

MANAGED_POLICIES_FILE = "data/managed_policies.yaml"
_AWS_MANAGED = re.compile(r"^arn:aws[a-z-]*:iam::aws:policy/(.+)$")


def load_managed_policies(text: str | None = None) -> dict[str, dict]:
    """The reviewed catalog of AWS managed policies, validated; ``text`` overrides the packaged file."""
    if text is None:
        text = resources.files("boi_iam").joinpath(MANAGED_POLICIES_FILE).read_text(encoding="utf-8")
    data = yaml.safe_load(text) or {}
    if not isinstance(data, dict):
        raise RenderError(f"{MANAGED_POLICIES_FILE}: expected a mapping of policy name -> entry")
    problems = []
    for name, entry in sorted(data.items()):
        where = f"{MANAGED_POLICIES_FILE}: {name}"
        if not isinstance(entry, dict):
            problems.append(f"{where}: expected a mapping with what, why, size")
            continue
        for field in ("what", "why"):
            if not isinstance(entry.get(field), str) or not entry[field].strip():
                problems.append(f"{where}.{field}: a non-empty text is required")
        size = entry.get("size")
        if isinstance(size, dict):
            for field in ("statements", "action_entries"):
                if not isinstance(size.get(field), int) or size[field] < 1:
                    problems.append(f"{where}.size.{field}: expected a positive integer, got {size.get(field)!r}")
            if not isinstance(size.get("source"), str):
                problems.append(f"{where}.size.source: say where the size was measured")
        elif size != "not measured offline":
            problems.append(
                f"{where}.size: expected {{statements, action_entries, source}} or the text "
                f"'not measured offline', got {size!r}"
            )
    if problems:
        raise RenderError("\n".join(problems))
    return data


def managed_policy_name(arn: str) -> str | None:
    """``arn:aws:iam::aws:policy/service-role/X`` -> ``service-role/X``; None for customer policies."""
    m = _AWS_MANAGED.match(arn)
    return m.group(1) if m else None


def missing_managed_policies(policy_set: PolicySet, catalog: Mapping[str, dict] | None = None) -> list[str]:
    """AWS managed policies attached in the synth but absent from the reviewed catalog."""
    catalog = load_managed_policies() if catalog is None else catalog
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
            f"its size come from the reviewed file `boi_iam/{MANAGED_POLICIES_FILE}`.",
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
