"""Read the keys a KeyRing put into synthesized Terraform JSON (cdk.tf.json), and what uses them."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from boi_model import meta, refs
from boi_model.synth import Synth

REASONS_KEY = meta.KMS_REASONS


@dataclass
class SynthKey:
    stack: str
    logical_id: str
    alias: str | None
    class_name: str | None
    rotation_enabled: bool
    rotation_days: int | None
    description: str
    policy: dict
    reasons: dict[str, str]
    used_by: list[str] = field(default_factory=list)

    @property
    def address(self) -> str:
        return f"aws_kms_key.{self.logical_id}"


def _strings(value, path: str = ""):
    """Every string inside a JSON value, with the attribute path that holds it."""
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for k, v in value.items():
            if k != meta.COMMENT:
                yield from _strings(v, f"{path}.{k}" if path else k)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _strings(v, f"{path}[{i}]")


def keys_from_synth(synth: dict[str, dict]) -> list[SynthKey]:
    model = Synth(synth)
    keys: list[SynthKey] = []
    by_stack_id: dict[tuple[str, str], SynthKey] = {}
    for res in model.resources("aws_kms_key"):
        body = res.body
        try:
            policy = json.loads(body.get("policy") or "{}")
        except json.JSONDecodeError:
            policy = {}
        tags = body.get("tags") or {}
        days = body.get("rotation_period_in_days")
        enabled = bool(body.get("enable_key_rotation"))
        key = SynthKey(
            stack=res.stack,
            logical_id=res.name,
            alias=None,
            class_name=tags.get("data-class"),
            rotation_enabled=enabled,
            rotation_days=(int(days) if days is not None else 365) if enabled else None,
            description=body.get("description", ""),
            policy=policy,
            reasons=dict(res.meta.get(meta.KMS_REASONS) or {}),
        )
        keys.append(key)
        by_stack_id[(res.stack, res.name)] = key
    for res in model.resources("aws_kms_alias"):
        target = refs.whole(str(res.body.get("target_key_id", "")))
        if target and target.type == "aws_kms_key" and (res.stack, target.name) in by_stack_id:
            by_stack_id[(res.stack, target.name)].alias = res.body.get("name")
    _attach_users(model, by_stack_id)
    return keys


def _key_of(model: Synth, resolver: refs.Resolver, stack: str, ref: refs.Ref, by_stack_id) -> SynthKey | None:
    """The key a reference points at, following a cross-stack output to the stack that exports it."""
    if ref.kind == "resource" and ref.type == "aws_kms_key":
        return by_stack_id.get((stack, ref.name))
    if ref.kind == "remote":
        found = resolver.source_of(stack, ref)
        if isinstance(found, tuple):
            source, text = found
            for inner in refs.find(text):
                if inner.kind == "resource" and inner.type == "aws_kms_key":
                    return by_stack_id.get((source, inner.name))
    return None


def _attach_users(model: Synth, by_stack_id: dict[tuple[str, str], SynthKey]) -> None:
    resolver = refs.Resolver(model, refs.Strategy())
    for res in model.resources():
        if res.type in ("aws_kms_key", "aws_kms_alias"):
            continue
        found: dict[int, SynthKey] = {}
        attributes: dict[int, list[str]] = {}
        for path, text in _strings(res.body):
            for ref in refs.find(text):
                key = _key_of(model, resolver, res.stack, ref, by_stack_id)
                if key is not None:
                    found[id(key)] = key
                    attributes.setdefault(id(key), []).append(path)
        for key_ref, key in found.items():
            where = "" if res.stack == key.stack else f" (stack {res.stack})"
            paths = ", ".join(sorted(set(attributes[key_ref])))
            key.used_by.append(f"{res.address}{where}: {paths}")
