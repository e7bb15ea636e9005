"""Running the registered checks and reporting: a table (each finding with its check's severity,
then every check with its metadata and count) or JSON (the checks' metadata beside the findings)."""

from __future__ import annotations

from dataclasses import asdict

from boi.live_audit import checks as _checks  # noqa: F401  (registers the checks)
from boi.live_audit.registry import CHECKS, SEVERITIES, Check, Finding
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


def _severity(finding: Finding) -> str:
    check = CHECKS.get(finding.check)
    return check.severity if check else "?"


def format_table(findings: list[Finding]) -> str:
    lines = []
    if not findings:
        lines.append("live audit: clean (the account matches the plan)")
    else:
        rank = {s: i for i, s in enumerate(SEVERITIES)}
        ordered = sorted(findings, key=lambda f: rank.get(_severity(f), len(rank)))
        widths = [max(len(h), *(len(getattr(f, h)) for f in findings)) for h in ("check", "resource")]
        lines.append(f"{'SEVERITY':<8}  {'CHECK':<{widths[0]}}  {'RESOURCE':<{widths[1]}}  PROBLEM")
        lines += [f"{_severity(f):<8}  {f.check:<{widths[0]}}  {f.resource:<{widths[1]}}  {f.problem}" for f in ordered]
        lines.append(f"live audit: {len(findings)} finding(s)")
    lines += ["", "checks:"] + format_checks(findings)
    return "\n".join(lines)


def format_checks(findings: list[Finding] = ()) -> list[str]:
    """One line per registered check: severity, id, findings, title, controls."""
    width = max(len(c.id) for c in CHECKS.values())
    lines = []
    for c in CHECKS.values():
        count = sum(f.check == c.id for f in findings)
        verdict = f"{count} finding(s)" if count else "ok"
        controls = ", ".join(c.controls) or "no framework control named"
        lines.append(f"  {c.severity:<8}  {c.id:<{width}}  {verdict:<13}  {c.title} [{controls}]")
    return lines


def to_json(findings: list[Finding], environment: str, resolved_from_state: bool) -> dict:
    return {
        "environment": environment,
        "resolved_from_state": resolved_from_state,
        "checks": [{**c.metadata(), "findings": sum(f.check == c.id for f in findings)} for c in CHECKS.values()],
        "findings": [asdict(f) for f in findings],
    }
