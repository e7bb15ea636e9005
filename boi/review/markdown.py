"""The review as Markdown for a pull-request comment (cut to GitHub's comment limit)."""

from __future__ import annotations

from collections.abc import Sequence

from boi_model.policies import Stmt

from boi.review.model import Review, StatementChange

MAX_REPORT_CHARS = 60_000  # GitHub comments stop at 65,536 characters
MAX_ROWS = 60


def _cell(values: Sequence[str], limit: int = 8) -> str:
    if not values:
        return "—"
    shown = [f"`{v}`" for v in values[:limit]]
    if len(values) > limit:
        shown.append(f"… (+{len(values) - limit})")
    return "<br>".join(shown).replace("|", "\\|")


def _conditions_cell(stmt: Stmt) -> str:
    if not stmt.conditions:
        return "—"
    return "<br>".join(f"`{op}` `{k}`: {', '.join(f'`{v}`' for v in vals)}" for op, k, vals in stmt.conditions).replace(
        "|", "\\|"
    )


def _statement_table(changes: list[StatementChange]) -> list[str]:
    lines = [
        "| | Effect | Actions | Resources | Principals | Conditions | Broadens |",
        "|---|---|---|---|---|---|---|",
    ]
    for c in sorted(changes, key=lambda c: (c.sign != "-", c.statement.effect, c.statement.actions)):
        s = c.statement
        actions = list(s.actions) + [f"NOT {a}" for a in s.not_actions]
        resources = list(s.resources) + [f"NOT {r}" for r in s.not_resources]
        principals = list(s.principals) + [f"NOT {p}" for p in s.not_principals]
        flag = f"**⚠ {c.broadens}**" if c.broadens else ""
        sid = f" ({s.sid})" if s.sid else ""
        lines.append(
            f"| {c.sign} | {s.effect}{sid} | {_cell(actions)} | {_cell(resources)} | {_cell(principals, 4)} "
            f"| {_conditions_cell(s)} | {flag} |"
        )
    return lines


def _bullets(items: Sequence[str], limit: int = MAX_ROWS) -> list[str]:
    lines = [f"- {i}" for i in items[:limit]]
    if len(items) > limit:
        lines.append(f"- … and {len(items) - limit} more")
    return lines


SECTION_TITLES = {
    "role": "Roles",
    "boundary": "Permissions boundaries",
    "managed": "Managed policies not attached to a role",
    "resource": "Resource policies",
    "key": "Key policies",
    "scp": "Service control policies",
    "rcp": "Resource control policies",
    "endpoint": "VPC endpoint policies",
}


def render_markdown(review: Review) -> str:
    lines = ["## Security review", ""]
    if review.base or review.head:
        lines += [f"Base `{review.base}` → head `{review.head}`.", ""]
    if review.permissions_broadened:
        lines += ["### ⚠ PERMISSIONS BROADENED", ""]
        lines += _bullets(review.broadening_reasons())
        lines += [
            "",
            "A reviewer who accepts this adds the `security-reviewed` label to the pull request.",
            "",
        ]
    else:
        lines += ["**No permissions broadened.**", ""]
    weak = review.weakened()
    if weak:
        lines += ["### ⚠ Controls weakened", ""] + _bullets(weak) + [""]

    lines += ["### IAM", ""]
    if not review.policies:
        lines += ["No policy statement changed.", ""]
    for section, title in SECTION_TITLES.items():
        diffs = [p for p in review.policies if p.section == section]
        if not diffs:
            continue
        lines += [f"#### {title}", ""]
        for p in diffs:
            flag = " — **⚠ permissions broadened**" if p.broadened else ""
            status = "" if p.status == "changed" else f" ({p.status})"
            lines += [f"**{p.subject}** · {p.part}{status} · {p.stacks}{flag}", ""]
            lines += [f"- {text}" + (f" **⚠ {why}**" if why else "") for text, why in p.notes]
            if p.notes:
                lines.append("")
            if p.changes:
                lines += _statement_table(p.changes) + [""]

    lines += ["### KMS keys", ""]
    if not review.keys:
        lines += ["No key added, removed or changed (key policy statements are under IAM).", ""]
    for k in review.keys:
        weak = f" — **⚠ {'; '.join(k.weakened)}**" if k.weakened else ""
        lines.append(f"- **{k.key}** ({k.stack}) {k.status}: {'; '.join(k.changes) or 'no attribute change'}{weak}")
    if review.keys:
        lines.append("")

    lines += ["### Audit controls (trails, Config rules, alarms, Security Hub, GuardDuty)", ""]
    if not review.controls:
        lines += ["No change.", ""]
    else:
        rows = []
        for c in review.controls:
            weak = f" — **⚠ {c.weakened}**" if c.weakened else ""
            detail = f": {'; '.join(c.changes[:6])}" + (" …" if len(c.changes) > 6 else "") if c.changes else ""
            rows.append(f"{c.category} `{c.identity}` ({c.stack}) {c.status}{detail}{weak}")
        lines += _bullets(rows) + [""]

    lines += ["### checkov", ""]
    if review.checkov is None:
        lines += ["Not run (`--no-checkov`).", ""]
    elif review.checkov.skipped:
        lines += [f"Skipped: {review.checkov.skipped}", ""]
    else:
        ck = review.checkov
        if not (ck.new_failures or ck.fixed or ck.new_suppressions):
            lines += ["No change in failed or suppressed checks.", ""]
        for title, items in (
            ("New failed checks", ck.new_failures),
            ("Fixed", ck.fixed),
            ("New suppressions", ck.new_suppressions),
        ):
            if items:
                lines += [f"{title} ({len(items)}):", ""] + _bullets(items) + [""]

    lines += ["### Resources", ""]
    if not review.resources:
        lines += ["No resource added, removed or changed.", ""]
    for stack, res in review.resources.items():
        lines += [
            f"**{stack}**: {len(res.added)} added, {len(res.removed)} removed, {len(res.replaced)} replaced, "
            f"{len(res.moved)} moved, {len(res.modified)} modified",
            "",
        ]
        for title, items in (
            ("Added", res.added),
            ("Removed", res.removed),
            ("Replaced (destroyed and re-created)", res.replaced),
            ("Moved (new address, same content: add a `moved` block or Terraform re-creates it)", res.moved),
            ("Modified in place", res.modified),
        ):
            if items:
                lines += [f"<details><summary>{title} ({len(items)})</summary>", ""]
                lines += _bullets([f"`{i}`" for i in items]) + ["", "</details>", ""]

    if review.plans is not None or review.plans_note:
        lines += ["### Terraform plan", ""]
        if review.plans_note:
            lines += [review.plans_note, ""]
        if review.plans:
            lines += ["| stack | create | update | delete | replace |", "|---|---|---|---|---|"]
            for stack, c in review.plans.items():
                lines.append(f"| {stack} | {c['create']} | {c['update']} | {c['delete']} | {c['replace']} |")
            lines.append("")

    if review.warnings:
        lines += ["### Warnings (new in head)", ""] + _bullets(review.warnings, 20) + [""]
    text = "\n".join(lines).rstrip() + "\n"
    if len(text) > MAX_REPORT_CHARS:
        cut = text.rfind("\n", 0, MAX_REPORT_CHARS)
        text = text[:cut] + "\n\n… report truncated; run `make review` locally for the full text.\n"
    return text
