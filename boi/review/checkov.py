"""checkov on both sides: failed checks new and fixed, suppressions new (the gate, run twice)."""

from __future__ import annotations

from pathlib import Path

from boi.review.model import CheckovDiff


def diff_gate(before, after) -> CheckovDiff:
    """Two `boi.gate.GateResult`s (base, head) -> failed checks new and fixed, suppressions new."""

    def key(r) -> str:
        return f"{r.stack} {r.resource} {r.check_id} ({r.check_name})"

    b_fail, a_fail = {key(r) for r in before.failures}, {key(r) for r in after.failures}
    b_sup = {key(s.record) for s in before.suppressed}
    a_sup = {key(s.record): s.reason for s in after.suppressed}
    return CheckovDiff(
        new_failures=sorted(a_fail - b_fail),
        fixed=sorted(b_fail - a_fail),
        new_suppressions=sorted(f"{k}: {reason}" for k, reason in a_sup.items() if k not in b_sup),
    )


def run_checkov_diff(base_out: Path, head_out: Path) -> CheckovDiff:
    """The gate on both sides, each with the suppressions its own synth attached."""
    from boi import gate

    try:
        before = gate.run_gate(base_out)
        after = gate.run_gate(head_out)
    except gate.GateError as err:
        return CheckovDiff(skipped=f"the gate could not run: {err}")
    return diff_gate(before, after)
