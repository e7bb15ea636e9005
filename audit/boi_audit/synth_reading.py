"""Walks synthesized cdk.tf.json documents through the one model of the output (boi_model)."""

from __future__ import annotations

from collections.abc import Iterator

from boi_model import refs
from boi_model.synth import Resource, Synth

SKIPPED_LOCAL = "boi_audit_skipped_services"

__all__ = ["Resource", "block", "blocks", "of_type", "ref", "resources", "skipped_services"]


def resources(synth: dict[str, dict], type_prefix: str = "") -> Iterator[Resource]:
    return (r for r in Synth(synth).resources() if r.type.startswith(type_prefix))


def of_type(synth: dict[str, dict], rtype: str) -> list[Resource]:
    return list(Synth(synth).resources(rtype))


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
    """`${aws_kms_key.logs.arn}` -> `aws_kms_key.logs` (what follows the reference kept); literals stay."""
    if not isinstance(value, str):
        return str(value)
    m = refs.TOKEN.match(value)
    if m and m.group(1) is not None:
        parsed = refs.parse(m.group(1))
        if parsed.kind in ("resource", "data"):
            return parsed.address + value[m.end() :]
    return value
