"""Least-privilege report for one role, from its extracted identity policies (pure).

Counts what the Allow statements grant; Deny statements, boundaries and SCPs are not subtracted here
(the simulator proofs judge effective access). Wildcard actions are expanded with ``actiondb`` so
``s3:Get*`` counts as every action it really grants today.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable

from boi_iam import actiondb


def _as_list(value) -> list:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _expand(pattern: str) -> list[str]:
    if "*" in pattern or "?" in pattern:
        return actiondb.expand(pattern)
    return [pattern]


def _check_needed(needed: Iterable) -> set[tuple[str, str]]:
    checked = set()
    for i, item in enumerate(needed):
        if not (isinstance(item, tuple) and len(item) == 2 and all(isinstance(x, str) for x in item)):
            raise ValueError(f"needed[{i}]: expected an (action, resource ARN) tuple of strings, got {item!r}")
        checked.add(item)
    return checked


def role_report(role_view, needed: set[tuple[str, str]] | None = None) -> dict:
    grants: set[tuple[str, str]] = set()  # (action, resource pattern)
    resource_star, conditions, not_action = [], [], []
    for policy in role_view.identity:
        owner = str(policy.owner)
        for i, st in enumerate(_as_list(policy.document.get("Statement"))):
            if not isinstance(st, dict) or st.get("Effect") != "Allow":
                continue
            sid = st.get("Sid") or f"#{i}"
            if "NotAction" in st or "NotResource" in st:
                # Grants "everything except": cannot be listed, so it is reported for review instead.
                not_action.append({"owner": owner, "sid": sid})
                continue
            actions = sorted({a for p in _as_list(st.get("Action")) if isinstance(p, str) for a in _expand(p)})
            resources = [r for r in _as_list(st.get("Resource")) if isinstance(r, str)]
            grants.update((a, r) for a in actions for r in resources)
            if "*" in resources:
                resource_star.append({"owner": owner, "sid": sid, "actions": actions})
            for operator, keys in sorted((st.get("Condition") or {}).items()):
                for key in sorted(keys):
                    conditions.append({"owner": owner, "sid": sid, "operator": operator, "key": key})

    granted_actions = sorted({a for a, _ in grants}, key=str.lower)
    report = {
        "role": role_view.name,
        "arn": role_view.arn,
        "granted_actions": granted_actions,
        "grants": sorted(grants),
        "resource_star": resource_star,
        "conditions": conditions,
        "not_action_statements": not_action,
        # Their content is not in the synthesized JSON, so their grants are not counted above.
        "managed_policy_arns": list(role_view.managed_policy_arns),
    }
    if needed is not None:
        wanted = _check_needed(needed)

        def covers(grant: tuple[str, str], need: tuple[str, str]) -> bool:
            return grant[0].lower() == need[0].lower() and fnmatch.fnmatchcase(need[1], grant[1])

        missing = sorted(n for n in wanted if not any(covers(g, n) for g in grants))
        unused = sorted(g for g in grants if not any(covers(g, n) for n in wanted))
        report.update(
            needed=len(wanted),
            granted=len(grants),
            ratio=round(len(grants) / len(wanted), 3) if wanted else None,
            missing=missing,
            unused=unused,
        )
    return report
