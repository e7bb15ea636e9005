"""Nested Terraform blocks for the jsii bindings.

The Python bindings turn a dict into a struct only where a single struct is expected; items of a
list of blocks are passed to jsii as they are and need the struct's camelCase property names, or
their fields are silently dropped (they synthesize as null). Every list of blocks goes through here.
"""

from __future__ import annotations


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def blocks(value):
    """Recursively rename snake_case keys to camelCase in a list (or dict) of block values."""
    if isinstance(value, list):
        return [blocks(v) for v in value]
    if isinstance(value, dict):
        return {_camel(k): blocks(v) for k, v in value.items()}
    return value
