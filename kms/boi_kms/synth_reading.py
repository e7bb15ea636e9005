"""Read the keys a KeyRing put into synthesized Terraform JSON (cdk.tf.json), and what uses them."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

KEY_REFERENCE = re.compile(r"aws_kms_key\.([A-Za-z0-9_-]+)\.(arn|key_id|id)\b")
REMOTE_OUTPUT_REFERENCE = re.compile(
    r"data\.terraform_remote_state\.[A-Za-z0-9_-]+\.outputs\.([A-Za-z0-9_-]+)"
)
REASONS_KEY = "boi_kms_statement_reasons"


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
            if k != "//":
                yield from _strings(v, f"{path}.{k}" if path else k)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _strings(v, f"{path}[{i}]")


def _blocks(stack_json: dict):
    """(address, body) for every resource and data source of a stack."""
    for kind_prefix, section in (("", "resource"), ("data.", "data")):
        for rtype, items in (stack_json.get(section) or {}).items():
            for name, body in (items or {}).items():
                yield f"{kind_prefix}{rtype}.{name}", body


def keys_from_synth(synth: dict[str, dict]) -> list[SynthKey]:
    keys: list[SynthKey] = []
    by_stack_id: dict[tuple[str, str], SynthKey] = {}
    for stack in sorted(synth):
        stack_json = synth[stack]
        resources = stack_json.get("resource") or {}
        for logical_id, body in sorted((resources.get("aws_kms_key") or {}).items()):
            try:
                policy = json.loads(body.get("policy") or "{}")
            except json.JSONDecodeError:
                policy = {}
            tags = body.get("tags") or {}
            days = body.get("rotation_period_in_days")
            enabled = bool(body.get("enable_key_rotation"))
            key = SynthKey(
                stack=stack,
                logical_id=logical_id,
                alias=None,
                class_name=tags.get("data-class"),
                rotation_enabled=enabled,
                rotation_days=(int(days) if days is not None else 365) if enabled else None,
                description=body.get("description", ""),
                policy=policy,
                reasons=dict((body.get("//") or {}).get(REASONS_KEY) or {}),
            )
            keys.append(key)
            by_stack_id[(stack, logical_id)] = key
        for _alias_id, body in sorted((resources.get("aws_kms_alias") or {}).items()):
            match = KEY_REFERENCE.search(str(body.get("target_key_id", "")))
            if match and (stack, match.group(1)) in by_stack_id:
                by_stack_id[(stack, match.group(1))].alias = body.get("name")
    _attach_users(synth, by_stack_id)
    return keys


def _attach_users(synth: dict[str, dict], by_stack_id: dict[tuple[str, str], SynthKey]) -> None:
    # cdktn passes cross-stack references through an output of the producing stack and a
    # terraform_remote_state data source in the consuming one.
    outputs: dict[str, SynthKey] = {}
    for stack, stack_json in synth.items():
        for name, output in (stack_json.get("output") or {}).items():
            match = KEY_REFERENCE.search(str(output.get("value", "")))
            if match and (stack, match.group(1)) in by_stack_id:
                outputs[name] = by_stack_id[(stack, match.group(1))]
    for stack in sorted(synth):
        for address, body in _blocks(synth[stack]):
            if address.startswith(("aws_kms_key.", "aws_kms_alias.")):
                continue
            found: dict[int, SynthKey] = {}
            attributes: dict[int, list[str]] = {}
            for path, text in _strings(body):
                for match in KEY_REFERENCE.finditer(text):
                    key = by_stack_id.get((stack, match.group(1)))
                    if key is not None:
                        found[id(key)] = key
                        attributes.setdefault(id(key), []).append(path)
                for match in REMOTE_OUTPUT_REFERENCE.finditer(text):
                    key = outputs.get(match.group(1))
                    if key is not None:
                        found[id(key)] = key
                        attributes.setdefault(id(key), []).append(path)
            for key_ref, key in found.items():
                where = "" if stack == key.stack else f" (stack {stack})"
                paths = ", ".join(sorted(set(attributes[key_ref])))
                key.used_by.append(f"{address}{where}: {paths}")
