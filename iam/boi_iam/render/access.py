"""The access sections: principal × asset × access level from the identity statements, the reviewed
expectations of the access matrix, and the least-privilege table."""

# Markdown table rows read best as one f-string each, so some lines are long.
# ruff: noqa: E501
from __future__ import annotations

from boi_iam import actiondb
from boi_iam.render.common import _access_levels, _actions_text, _as_list, _cell, _code, _levels_text, _statements
from boi_iam.render.matrix import principal_of


class AccessSections:
    """Access matrix, reviewed expectations and least privilege (a part of the document)."""

    def access_matrix(self) -> list[str]:
        cells: dict[tuple[str, str], dict[str, set]] = {}
        for v in self.views:
            for policy in v.identity:
                readable = self.readable(policy.owner.stack)
                for st in _statements(policy.original):
                    if st.get("Effect") != "Allow":
                        continue
                    if "NotAction" in st:
                        levels = {"all actions except": {str(a) for a in _as_list(st["NotAction"])}}
                    else:
                        levels = _access_levels([str(a) for a in _as_list(st.get("Action"))])
                    if "NotResource" in st:
                        assets = [
                            "every resource except " + ", ".join(readable(str(r)) for r in _as_list(st["NotResource"]))
                        ]
                    else:
                        assets = [readable(str(r)) for r in _as_list(st.get("Resource"))]
                    sid = (st.get("Sid") or "(no Sid)", bool(st.get("Condition")))
                    for asset in assets:
                        cell = cells.setdefault((asset, v.name), {"levels": {}, "sids": set()})
                        for level, acts in levels.items():
                            cell["levels"].setdefault(level, set()).update(acts)
                        cell["sids"].add(sid)
        out = [
            "## Access matrix: principal × asset × access level",
            "",
            "Derived from the Allow statements of each role's identity policies (resources as written, so "
            "object prefixes stay apart); access levels are those of the IAM service reference "
            f"(iam-data {actiondb.data_version()}). Denies in boundaries and SCPs are not subtracted here "
            "(see Guardrails); AWS managed policies are not included (see above). *(conditional)* marks a "
            "statement that only applies under its conditions.",
            "",
            "| asset | principal | access levels | statements |",
            "|---|---|---|---|",
        ]
        for (asset, role), cell in sorted(cells.items()):
            out.append(
                f"| {_code(asset)} | {_cell(role)} | {_levels_text(cell['levels'])} | "
                + ", ".join(_code(sid) + (" *(conditional)*" if cond else "") for sid, cond in sorted(cell["sids"]))
                + " |"
            )
        return out + [""]

    def reviewed_matrix(self) -> list[str]:
        m = self.matrix
        roles = {principal_of(v.name): v.name for v in self.views}
        out = ["## Reviewed access expectations", "",
               "From the reviewed access matrix: what each principal is expected "
               "to do. The simulator proofs check the synthesized policies against it.", "",
               "| principal | role | asset (type) | operations | actions |", "|---|---|---|---|---|"]  # fmt: skip
        for principal in sorted(m["allow"]):
            role = roles.get(principal)
            for asset in sorted(m["allow"][principal]):
                atype = m["assets"][asset]["type"]
                ops = m["allow"][principal][asset]
                actions = sorted({a for op in ops for a in m["operations"][atype][op.split("@")[0]]})
                out.append(
                    f"| {_cell(principal)} | {_code(role) if role else '**no such role in the JSON**'} | "
                    f"{_cell(asset)} ({_cell(atype)}) | {', '.join(_cell(o) for o in ops)} | {_actions_text(actions)} |"
                )
        return out + [""]

    def least_privilege(self) -> list[str]:
        out = ["## Least privilege", "",
               "Granted: distinct actions the role's identity policies allow, wildcards expanded; AWS managed "
               "policies not counted. Needed: the actions of the operations the reviewed access matrix lists "
               "for the role. Ratio granted/needed, target 1.0; n/a when the matrix has no row for the role.",
               "", "| role | granted | needed | ratio | missing | beyond needed | `Resource: \"*\"` statements |",
               "|---|---|---|---|---|---|---|"]  # fmt: skip
        for row in sorted(self.rows, key=lambda r: r["role"]):
            ratio = "n/a" if row["ratio"] is None else f"{row['ratio']:.2f}"
            needed = "n/a" if row["needed"] is None else row["needed"]
            missing = ", ".join(_code(a) for a in row["missing"]) or "none"
            extra = ", ".join(_code(a) for a in row["extra"]) or "none"
            out.append(f"| {_cell(row['role'])} | {row['granted']} | {needed} | {ratio} | {missing} | {extra} | "
                       f"{row['resource_star']} |")  # fmt: skip
        return out + [""]
