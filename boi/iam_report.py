"""Least-privilege report per role, from the synthesized JSON (and the reviewed access matrix).

    boi iam-report --out cdktf.out [--matrix catalogs/iam/access_matrix.yaml] [--json]      (make iam-report)

For each role: the actions its identity policies grant (wildcards expanded against the IAM action
data), its `Resource: "*"` statements with their reasons, the condition keys it uses, and the ratio
granted/needed, where "needed" is the actions of the operations the access matrix allows the role
(target 1.0; "n/a" when the matrix has no row for it). AWS managed policies are listed, not counted:
their content is not in the JSON. Account and region come from the settings of the environment the
stacks were synthesized for (stack names are boi-<env>-...). Exit 0 on success, 2 on bad input.
"""

from __future__ import annotations

import argparse
import json
import sys
import textwrap
from pathlib import Path


class ReportInputError(Exception):
    """The out directory, the environment or the matrix cannot be used."""


def load_matrix(path: Path) -> dict:
    """A reviewed access matrix, checked against boi_iam.catalog.AccessMatrix (placeholders left as written)."""
    from boi_iam.catalog import load_access_matrix
    from boi_model.catalog import CatalogError

    if not path.is_file():
        raise ReportInputError(f"--matrix: {path} does not exist")
    try:
        return load_access_matrix(path)
    except CatalogError as exc:
        raise ReportInputError(f"--matrix:\n{exc}") from exc


def build(out: Path, matrix_path: Path | None) -> dict:
    """The report as plain data: environment, account, region and one entry per role."""
    from boi_iam.extract import extract_policies
    from boi_iam.render import least_privilege_rows, statement_reason
    from boi_model.synth import SynthError, load_out

    try:
        synth = load_out(out).home()  # the environment's account (organization stacks: boi/organization.py)
        settings = synth.environment()
    except SynthError as exc:
        raise ReportInputError(str(exc)) from exc
    matrix = load_matrix(matrix_path) if matrix_path else None
    policy_set = extract_policies(synth, account_id=settings.account_id, region=settings.region)
    views = {v.name: v for v in policy_set.roles()}
    roles = []
    for row in least_privilege_rows(policy_set, matrix):
        report = row["report"]
        owners = {str(p.owner): p.owner for p in views[row["role"]].identity}
        star = [
            {
                "sid": s["sid"],
                "policy": s["owner"],
                "actions": s["actions"],
                "reason": statement_reason(synth, owners[s["owner"]], s["sid"]) if s["owner"] in owners else None,
            }
            for s in report["resource_star"]
        ]
        roles.append(
            {
                "role": row["role"],
                "principal": row["principal"],
                "granted": row["granted"],
                "needed": row["needed"],
                "ratio": row["ratio"],
                "granted_actions": report["granted_actions"],
                "missing": row["missing"],
                "beyond_needed": row["extra"],
                "resource_star": star,
                "conditions": [
                    {"sid": c["sid"], "operator": c["operator"], "key": c["key"]} for c in report["conditions"]
                ],
                "not_action_statements": [s["sid"] for s in report["not_action_statements"]],
                "managed_policy_arns": report["managed_policy_arns"],
            }
        )
    unknown = sorted(set(matrix["allow"]) - {r["principal"] for r in roles}) if matrix else []
    return {
        "environment": settings.name,
        "account_id": settings.account_id,
        "region": settings.region,
        "matrix": str(matrix_path) if matrix_path else None,
        "matrix_principals_without_role": unknown,
        "roles": roles,
        "warnings": list(policy_set.warnings),
    }


def _wrap(label: str, items: list[str], width: int = 100) -> list[str]:
    text = ", ".join(items) if items else "none"
    return textwrap.wrap(
        f"{label}: {text}",
        width=width,
        initial_indent="  ",
        subsequent_indent="      ",
        break_on_hyphens=False,
    )


def format_text(data: dict) -> str:
    matrix = data["matrix"] or "none (ratios are n/a; pass --matrix catalogs/iam/access_matrix.yaml)"
    lines = [
        f"IAM least-privilege report: boi-{data['environment']} "
        f"(account {data['account_id']}, {data['region']}); matrix: {matrix}",
        "granted = distinct actions allowed by the role's identity policies, wildcards expanded; "
        "AWS managed policies are listed, not counted",
        "",
    ]
    header = ("role", "granted", "needed", "ratio", 'Resource "*"', "conditions", "managed")
    table = [header]
    for r in data["roles"]:
        table.append(
            (
                r["role"],
                str(r["granted"]),
                "n/a" if r["needed"] is None else str(r["needed"]),
                "n/a" if r["ratio"] is None else f"{r['ratio']:.2f}",
                str(len(r["resource_star"])),
                str(len(r["conditions"])),
                str(len(r["managed_policy_arns"])),
            )
        )
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    for i, row in enumerate(table):
        cells = [row[0].ljust(widths[0])] + [c.rjust(w) for c, w in zip(row[1:], widths[1:], strict=True)]
        lines.append("  ".join(cells).rstrip())
        if i == 0:
            lines.append("  ".join("-" * w for w in widths))
    for r in data["roles"]:
        lines += ["", r["role"]]
        lines += _wrap(f"actions granted ({r['granted']})", r["granted_actions"])
        if r["resource_star"]:
            lines.append('  Resource "*" statements:')
            for s in r["resource_star"]:
                reason = s["reason"] or "no reason recorded in the JSON"
                lines += textwrap.wrap(
                    f"{s['sid']}: {', '.join(s['actions'])} ({reason})",
                    width=100,
                    initial_indent="    ",
                    subsequent_indent="      ",
                )
        conditions = sorted({f"{c['sid']}: {c['operator']} {c['key']}" for c in r["conditions"]})
        lines += _wrap("conditions", conditions)
        if r["needed"] is None:
            lines.append("  needed: n/a (no row for this role in the matrix)")
        else:
            ratio = "n/a" if r["ratio"] is None else f"{r['ratio']:.2f}"
            lines.append(f"  needed: {r['needed']}, ratio granted/needed: {ratio} (target 1.00)")
            lines += _wrap("missing", r["missing"])
            lines += _wrap("beyond needed", r["beyond_needed"])
        if r["not_action_statements"]:
            lines += _wrap("NotAction/NotResource statements (not expanded)", r["not_action_statements"])
        if r["managed_policy_arns"]:
            lines += _wrap("AWS managed policies (content not in the JSON, not counted)", r["managed_policy_arns"])
    if data["matrix_principals_without_role"]:
        lines += ["", "matrix principals with no role in the synthesized JSON: "
                  + ", ".join(data["matrix_principals_without_role"])]  # fmt: skip
    if data["warnings"]:
        lines += ["", "extraction warnings:"] + [f"  {w}" for w in data["warnings"]]
    return "\n".join(lines) + "\n"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", type=Path, default=Path("cdktf.out"), help="synth output directory")
    parser.add_argument("--matrix", type=Path, help="reviewed access matrix (catalogs/iam/access_matrix.yaml)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of tables")


def run(args: argparse.Namespace) -> int:
    try:
        data = build(args.out, args.matrix)
    except ReportInputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    sys.stdout.write(json.dumps(data, indent=2, sort_keys=True) + "\n" if args.json else format_text(data))
    return 0


def main(argv: list[str] | None = None) -> int:
    from boi.cli import run_command

    return run_command("iam-report", argv)


if __name__ == "__main__":
    sys.exit(main())
