"""Attribute-level change text shared by the control and resource diffs."""

from __future__ import annotations

import difflib
import json


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


def short(value, limit: int = 60) -> str:
    text = json.dumps(value) if not isinstance(value, str) else value
    return text if len(text) <= limit else text[: limit - 1] + "…"


def attribute_changes(before: dict, after: dict) -> list[str]:
    b, a = _flatten(before), _flatten(after)
    out = []
    for path in sorted(set(b) | set(a)):
        if path.startswith("depends_on"):
            continue
        if path not in a:
            out.append(f"`{path}` removed (was {short(b[path])})")
        elif path not in b:
            out.append(f"`{path}` = {short(a[path])} added")
        elif a[path] != b[path]:
            out.append(f"`{path}`: {_changed_text(b[path], a[path])}")
    return out


def _changed_text(old, new) -> str:
    """`old → new`; for multi-line text (a Guard rule, a script) only the lines that differ, each
    group after the unindented line that opens its block (e.g. `rule rotation_documents …`)."""
    if not (isinstance(old, str) and isinstance(new, str) and ("\n" in old or "\n" in new)):
        return f"{short(old)} → {short(new)}"
    a, b = old.splitlines(), new.splitlines()
    parts: list[str] = []
    groups = [op for op in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes() if op[0] != "equal"]
    for _, i1, i2, j1, j2 in groups[:3]:
        opener = next((line for line in reversed(a[:i1]) if line and not line[0].isspace()), "")
        where = f"in `{short(opener, 40)}`: " if opener else ""
        lines = [f"−`{short(x.strip())}`" for x in a[i1:i2]] + [f"+`{short(x.strip())}`" for x in b[j1:j2]]
        parts.append(where + " ".join(lines))
    more = f" (+{len(groups) - 3} more changes)" if len(groups) > 3 else ""
    return "; ".join(parts) + more
