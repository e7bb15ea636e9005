"""Running the registered checks and reporting: a table (each finding with its check's severity,
then every check with its metadata and count) or JSON (the checks' metadata beside the findings)."""

from __future__ import annotations

from dataclasses import asdict

from boi.live_audit import checks as _checks  # noqa: F401  (registers the checks)
from boi.live_audit.registry import CHECKS, SEVERITIES, Check, Finding, Gap
from boi.live_audit.state import State


def audit(
    synth: dict[str, dict], session, state: State | None = None, checks: list[Check] | None = None
) -> list[Finding]:
    """Every registered check (or the ones given), in order; the findings of all."""
    state = state or State()
    findings = []
    for check in CHECKS.values() if checks is None else checks:
        findings += check.run(synth, state, session)
    return findings


def gaps(synth: dict[str, dict], checks: list[Check] | None = None) -> list[Gap]:
    """What the registered checks cannot verify for this plan (printed by every report, never a pass)."""
    found = []
    for check in CHECKS.values() if checks is None else checks:
        if check.gaps is not None:
            found += check.gaps(synth)
    return found


def _severity(finding: Finding) -> str:
    check = CHECKS.get(finding.check)
    return check.severity if check else "?"


def format_table(findings: list[Finding], not_verified: list[Gap] = ()) -> str:
    lines = []
    if not findings:
        qualifier = f", except the {len(not_verified)} item(s) NOT VERIFIED below" if not_verified else ""
        lines.append(f"live audit: clean (the account matches the plan{qualifier})")
    else:
        rank = {s: i for i, s in enumerate(SEVERITIES)}
        ordered = sorted(findings, key=lambda f: rank.get(_severity(f), len(rank)))
        widths = [max(len(h), *(len(getattr(f, h)) for f in findings)) for h in ("check", "resource")]
        lines.append(f"{'SEVERITY':<8}  {'CHECK':<{widths[0]}}  {'RESOURCE':<{widths[1]}}  PROBLEM")
        lines += [f"{_severity(f):<8}  {f.check:<{widths[0]}}  {f.resource:<{widths[1]}}  {f.problem}" for f in ordered]
        lines.append(f"live audit: {len(findings)} finding(s)")
    lines += ["", "checks:"] + format_checks(findings, not_verified)
    if not_verified:
        lines += [
            "",
            f"NOT VERIFIED HERE ({len(not_verified)}): the environment leaves these out, so no check passed them",
        ]
        for gap in not_verified:
            lines += [f"  [{gap.check}] {gap.what}", f"      why: {gap.why}", f"      covered by: {gap.covered_by}"]
    return "\n".join(lines)


def format_checks(findings: list[Finding] = (), not_verified: list[Gap] = ()) -> list[str]:
    """One line per registered check: severity, id, findings, title, controls."""
    width = max(len(c.id) for c in CHECKS.values())
    lines = []
    for c in CHECKS.values():
        count = sum(f.check == c.id for f in findings)
        unverified = sum(g.check == c.id for g in not_verified)
        verdict = f"{count} finding(s)" if count else "NOT VERIFIED" if unverified else "ok"
        controls = ", ".join(c.controls) or "no framework control named"
        lines.append(f"  {c.severity:<8}  {c.id:<{width}}  {verdict:<13}  {c.title} [{controls}]")
    return lines


def to_json(findings: list[Finding], environment: str, resolved_from_state: bool, not_verified: list[Gap] = ()) -> dict:
    return {
        "environment": environment,
        "resolved_from_state": resolved_from_state,
        "checks": [
            {
                **c.metadata(),
                "findings": sum(f.check == c.id for f in findings),
                "not_verified": sum(g.check == c.id for g in not_verified),
            }
            for c in CHECKS.values()
        ],
        "findings": [asdict(f) for f in findings],
        "not_verified": [asdict(g) for g in not_verified],
    }
