"""Walks synthesized cdk.tf.json documents (pure)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

SKIPPED_LOCAL = "boi_audit_skipped_services"
_REF = re.compile(r"^\$\{([a-z0-9_]+\.[A-Za-z0-9_-]+)(\.[a-z_]+)?\}(.*)$")


@dataclass(frozen=True)
class Resource:
    stack: str
    type: str
    name: str
    body: dict

    @property
    def address(self) -> str:
        return f"{self.type}.{self.name}"


def resources(synth: dict[str, dict], type_prefix: str = "") -> Iterator[Resource]:
    for stack in sorted(synth):
        for rtype, by_name in sorted((synth[stack].get("resource") or {}).items()):
            if not rtype.startswith(type_prefix):
                continue
            for name in sorted(by_name):
                yield Resource(stack, rtype, name, by_name[name])


def of_type(synth: dict[str, dict], rtype: str) -> list[Resource]:
    return [r for r in resources(synth, rtype) if r.type == rtype]


def skipped_services(synth: dict[str, dict]) -> set[str]:
    skipped: set[str] = set()
    for doc in synth.values():
        skipped |= set((doc.get("locals") or {}).get(SKIPPED_LOCAL, []))
    return skipped


def block(value) -> dict:
    """Nested blocks synthesize as a dict or a one-element list depending on the schema."""
    if isinstance(value, list):
        return value[0] if value else {}
    return value or {}


def blocks(value) -> list[dict]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def ref(value) -> str:
    """`${aws_kms_key.logs.arn}` -> `aws_kms_key.logs`; literals stay as they are."""
    if not isinstance(value, str):
        return str(value)
    m = _REF.match(value)
    if m:
        return m.group(1) + m.group(3)
    return value
