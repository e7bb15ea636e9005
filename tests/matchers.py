"""A small matcher for synthesized Terraform JSON whose failures say what differed.

cdktn's own Python matchers return a bare bool; these name the resource, the path and both values.
"""

from __future__ import annotations

import json


def resources(stack: dict, rtype: str) -> dict[str, dict]:
    return stack.get("resource", {}).get(rtype, {})


def only(stack: dict, rtype: str, name_contains: str = "") -> tuple[str, dict]:
    found = {k: v for k, v in resources(stack, rtype).items() if name_contains in k}
    assert len(found) == 1, f"expected one {rtype} matching {name_contains!r}, found {sorted(found)}"
    return next(iter(found.items()))


def differences(actual, expected, path: str = "") -> list[str]:
    """Expected is a subset: every key given must match; lists match item by item."""
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return [f"{path or '.'}: expected an object, got {actual!r}"]
        out = []
        for key, value in expected.items():
            if key not in actual:
                out.append(f"{path}.{key}: missing (expected {value!r})")
            else:
                out.extend(differences(actual[key], value, f"{path}.{key}"))
        return out
    if isinstance(expected, list):
        if not isinstance(actual, list) or len(actual) != len(expected):
            return [f"{path}: expected {expected!r}, got {actual!r}"]
        return [
            d for i, (a, e) in enumerate(zip(actual, expected, strict=True)) for d in differences(a, e, f"{path}[{i}]")
        ]
    return [] if actual == expected else [f"{path}: expected {expected!r}, got {actual!r}"]


def assert_props(resource: dict, expected: dict, label: str = "resource") -> None:
    diffs = differences(resource, expected)
    assert not diffs, f"{label} differs:\n  " + "\n  ".join(diffs)


def policy(resource: dict, attribute: str = "policy") -> dict:
    return json.loads(resource[attribute])
