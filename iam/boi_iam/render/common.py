"""What every part of the document shares: the error, how a missing fact reads, Markdown cells,
actions grouped by service, access levels, readable names and the reasons kept in the JSON."""

# Markdown table rows read best as one f-string each, so some lines are long.
# ruff: noqa: E501
from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from boi_model import meta
from boi_model.refs import Placeholders, Resolver, labels
from boi_model.synth import as_synth

from boi_iam import actiondb

NOT_RECORDED = "_not recorded in the JSON_"


class RenderError(ValueError):
    """The input cannot be rendered truthfully (unknown managed policy, malformed matrix or rows)."""


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
