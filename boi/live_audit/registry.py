"""The checks' registry and what every check shares: a finding, the check's metadata (id, title,
severity, the controls it verifies), reading the plan and comparing documents."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from boi_model.policies import policy_differences as _differences
from boi_model.synth import Synth, SynthError, load_out

ANY = "\u29fcany\u29fd"  # an unresolved reference (JSON-safe marker): matches any value
SEVERITIES = ("critical", "high", "medium", "low")


@dataclass(frozen=True)
class Finding:
    check: str  # the id of the check that found it
    resource: str
    problem: str


@dataclass(frozen=True)
class Gap:
    """Something a check cannot verify in this environment (a service the embedded AWS does not have, left
    out of the synth on purpose): never a pass, always printed, with what covers it instead."""

    check: str
    what: str
    why: str
    covered_by: str


class AuditError(Exception):
    """The audit cannot run (bad arguments, no synthesized stacks)."""


@dataclass(frozen=True)
class Check:
    """One live check: what it verifies, how bad a finding is, which controls it evidences
    (CIS AWS Foundations v3.0, AWS FSBP / Security Hub control ids, the platform's AUD-nn controls
    of boi_audit's catalog), and the function that reads the account."""

    id: str
    title: str
    severity: str
    controls: tuple[str, ...]
    run: Callable  # (synth, state, session) -> list[Finding]
    gaps: Callable | None = None  # (synth) -> list[Gap]: what this environment's plan keeps it from verifying

    def metadata(self) -> dict:
        return {"id": self.id, "title": self.title, "severity": self.severity, "controls": list(self.controls)}


CHECKS: dict[str, Check] = {}  # id -> check, in the order they run


def check(
    id: str, *, title: str, severity: str, controls: tuple[str, ...] = (), gaps: Callable | None = None
) -> Callable:
    """Register a check function under its metadata."""
    if severity not in SEVERITIES:
        raise ValueError(f"check {id!r}: severity {severity!r}; allowed: {', '.join(SEVERITIES)}")

    def register(function: Callable) -> Callable:
        if id in CHECKS:
            raise ValueError(f"check {id!r} is registered twice")
        CHECKS[id] = Check(id, title, severity, tuple(controls), function, gaps)
        return function

    return register


# ---------------------------------------------------------------- reading the plan


def load_synth(out: Path) -> Synth:
    try:
        return load_out(out)
    except SynthError as exc:
        raise AuditError(f"{out}: {exc}") from None


def resources(synth: dict[str, dict], rtype: str) -> list[tuple[str, str, dict]]:
    """(stack, name, config) for every resource of a type, stacks in order."""
    return [(r.stack, r.name, r.body) for r in Synth(synth).resources(rtype)]


def name_of(rtype: str, stack: str, ref: str, names: dict[tuple[str, str], str]) -> str | None:
    """The literal name behind `${<rtype>.<id>.id|name|bucket}`, or the value itself when literal."""
    m = re.fullmatch(r"\$\{" + rtype + r"\.([^.]+)\.(?:id|name|bucket)\}", ref or "")
    if m:
        return names.get((stack, m.group(1)))
    return ref if ref and "${" not in ref else None


# ---------------------------------------------------------------- comparing


def error_code(exc: Exception) -> str:
    return getattr(exc, "response", {}).get("Error", {}).get("Code", type(exc).__name__)


def policy_differences(planned_doc, live_doc) -> list[str]:
    return _differences(planned_doc, live_doc, ANY)
