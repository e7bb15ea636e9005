"""The exceptions register: every reviewed checkov suppression and accepted IAM lint finding in a synth.

Both live in reviewed catalogs (catalogs/gate/suppressions.yaml, catalogs/iam/accepted_findings.yaml)
and the synth writes them into the metadata of the constructs they cover, so the register is read
from the same JSON as the documents: what an auditor samples is exactly what the gate and the lint
honoured for this environment.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from boi_model import meta
from boi_model.refs import labels
from boi_model.reviewed import suppressions_of
from boi_model.synth import Resource, as_synth

# A resource that only configures another one is named by its owner ("bucket policy of boi-dev-x bucket").
OWNER_ATTRS = ("role", "bucket")
NAME_ATTRS = {"aws_s3_bucket": ("bucket",)}


@dataclass(frozen=True)
class Exception_:
    kind: str  # "checkov suppression" | "IAM lint acceptance"
    check: str  # checkov id or lint issue
    reason: str
    entry: str  # the reviewed catalog entry (construct path glob) it came from
    resources: tuple[str, ...]  # readable names of the resources it covers


def register(synth, select: Callable[[Resource], bool] = lambda r: True) -> list[Exception_]:
    """Exceptions attached to the selected resources, one row per reviewed entry and check."""
    synth = as_synth(synth)
    env = synth.environment()
    resolver = labels(synth, env.account_id, env.region)
    grouped: dict[tuple[str, str, str, str], set[str]] = {}
    for r in synth.resources():
        if not select(r):
            continue
        label = _readable(resolver, r)
        for check, note in suppressions_of(r.body).items():
            modes = "/".join(note.get("modes", []))
            key = ("checkov suppression", f"{check} ({modes})" if modes else check, note["reason"], note["entry"])
            grouped.setdefault(key, set()).add(label)
        accepted = (r.body.get(meta.COMMENT) or {}).get(meta.ACCEPT) or {}
        for sid, issues in accepted.items():
            for issue, note in issues.items():
                key = ("IAM lint acceptance", f"{issue} (Sid {sid})", note["reason"], note["entry"])
                grouped.setdefault(key, set()).add(label)
    return [Exception_(*key, tuple(sorted(found))) for key, found in sorted(grouped.items())]


def _readable(resolver, r: Resource) -> str:
    """AWS names first: a role's inline policy by its role, anything else by its name; the address last."""
    for attr in OWNER_ATTRS:
        if isinstance(r.body.get(attr), str) and attr not in NAME_ATTRS.get(r.type, ()):
            owner = resolver.text(r.stack, r.body[attr]).strip("()")
            for prefix in ("name of ", "id of ", "bucket of "):
                owner = owner.removeprefix(prefix)
            noun = r.type.removeprefix("aws_").removeprefix("iam_").removeprefix("s3_").replace("_", " ")
            return f"{noun} of {owner}"
    return resolver.strategy.label(r.stack, r.type, r.name) or r.address


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def section(
    rows: list[Exception_], *, heading: str = "## Exceptions register", not_covered: list[str] = ()
) -> list[str]:
    """Markdown: the register as a table, then what the document's checks do not cover."""
    out = [
        heading,
        "",
        f"{len(rows)} reviewed exceptions apply to the resources this document describes. Each comes from a "
        "reviewed catalog entry (`catalogs/gate/suppressions.yaml`, `catalogs/iam/accepted_findings.yaml`, "
        "both owned by the security reviewers in CODEOWNERS) and is written into the synthesized JSON of the "
        "construct it covers; an entry that matches nothing fails the tests.",
        "",
    ]
    if rows:
        out += ["| kind | check | covers | reason | reviewed entry |", "|---|---|---|---|---|"]
        for row in rows:
            shown = ", ".join(row.resources[:4]) + (
                f" and {len(row.resources) - 4} more" if len(row.resources) > 4 else ""
            )
            out.append(f"| {row.kind} | `{row.check}` | {_cell(shown)} | {_cell(row.reason)} | `{_cell(row.entry)}` |")
        out.append("")
    if not_covered:
        out += ["### Not covered by these checks", "", *[f"- {line}" for line in not_covered], ""]
    return out
