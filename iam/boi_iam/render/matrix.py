"""The reviewed access matrix (boi_iam.catalog.AccessMatrix): its checks, the actions a principal needs,
and the least-privilege rows (granted against needed, per role)."""

from __future__ import annotations

import re
from typing import Any

from boi_model.catalog import CatalogError

from boi_iam import actiondb
from boi_iam.catalog import validate_access_matrix
from boi_iam.extract import PolicySet
from boi_iam.render.common import RenderError

_ENV_PREFIX = re.compile(r"^(boi-[a-z0-9]+-)")


def check_access_matrix(matrix: Any) -> dict:
    """Validate the reviewed matrix (boi_iam.catalog.AccessMatrix); every problem at once, one line each."""
    try:
        return validate_access_matrix(matrix, "matrix")
    except CatalogError as err:
        raise RenderError(str(err)) from None


def needed_actions(matrix: dict, principal: str) -> set[str] | None:
    """The actions of every operation ``allow`` lists for ``principal``; None when it has no row."""
    check_access_matrix(matrix)
    grants = matrix["allow"].get(principal)
    runtime = matrix.get("runtime_needs", {}).get(principal)
    if grants is None and runtime is None:
        return None
    grants = grants or {}
    # Operational actions outside the sensitive assets (logs, tracing, network interfaces) are
    # reviewed in the matrix's runtime_needs.
    needed: set[str] = set(matrix.get("runtime_needs", {}).get(principal, []))
    for asset_name, ops in grants.items():
        atype = matrix["assets"][asset_name]["type"]
        for op in ops:
            for action in matrix["operations"][atype][op.split("@")[0]]:
                needed.update(actiondb.expand(action) if ("*" in action or "?" in action) else [action])
    return needed


def principal_of(role_name: str) -> str:
    """The matrix principal of a role: its name without the ``boi-<env>-`` prefix."""
    m = _ENV_PREFIX.match(role_name)
    return role_name[len(m.group(1)) :] if m else role_name


# ---- least-privilege rows ------------------------------------------------------------------------

ROW_KEYS = ("role", "principal", "granted", "needed", "ratio", "missing", "extra", "resource_star")


def least_privilege_rows(policy_set: PolicySet, matrix: dict | None = None) -> list[dict]:
    """One row per role: granted actions (wildcards expanded) against the matrix's needed actions.

    ``granted`` counts the distinct actions Allow statements of the role's identity policies grant;
    AWS managed policies are not counted (their content is not in the JSON). ``ratio`` is
    granted/needed (target 1.0), None when the matrix has no row for the role.
    """
    from boi_iam.report import role_report

    if matrix is not None:
        check_access_matrix(matrix)
    rows = []
    for view in sorted(policy_set.roles(), key=lambda v: v.name):
        report = role_report(view)
        granted = {a.lower(): a for a in report["granted_actions"]}
        principal = principal_of(view.name)
        needed = needed_actions(matrix, principal) if matrix is not None else None
        row = {
            "role": view.name,
            "principal": principal,
            "granted": len(granted),
            "needed": None,
            "ratio": None,
            "missing": [],
            "extra": [],
            "resource_star": len(report["resource_star"]),
            "managed_policies": len(view.managed_policy_arns),
            "report": report,
        }
        if needed is not None:
            want = {a.lower(): a for a in needed}
            row.update(
                needed=len(want),
                ratio=round(len(granted) / len(want), 2) if want else None,
                missing=sorted((want[k] for k in want.keys() - granted.keys()), key=str.lower),
                extra=sorted((granted[k] for k in granted.keys() - want.keys()), key=str.lower),
            )
        rows.append(row)
    return rows


def _check_rows(rows: Any) -> list[dict]:
    if not isinstance(rows, list):
        raise RenderError(f"report_rows: expected a list of dicts, got {type(rows).__name__}")
    for i, row in enumerate(rows):
        missing = [k for k in ROW_KEYS if not isinstance(row, dict) or k not in row]
        if missing:
            raise RenderError(f"report_rows[{i}]: missing keys {missing}; rows come from least_privilege_rows()")
    return rows
