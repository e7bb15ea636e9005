"""The plan-mode gate on REAL plans: Terraform plans the dev and prod foundation (made for AWS) against a
moto server (review-only: local state, the provider at the endpoint), and checkov scans the
`terraform show -json` output with the reviewed plan-mode suppressions. In plan JSON checkov sees the
resolved policies it never sees in the synth (CKV_AWS_286-290 and 355 on the boundaries, for
example); the scan must pass with nothing unsuppressed, nothing stale and nothing unparsed."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from boi import e2e, gate, plan

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_a_real_foundation_plan_passes_the_plan_mode_scan(env, tmp_path):
    out = tmp_path / "out"
    synth = subprocess.run(
        [sys.executable, "-m", "boi.cli", "synth", "--env", env, "--out", str(out)],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    assert synth.returncode == 0, synth.stderr[-3000:]
    stack = f"boi-{env}-foundation"
    with e2e.MotoServer() as server, e2e.aws_env(server.url, "us-east-1"):
        done, failed, skipped = plan.run_plans(out, out / "plans", only=[stack], review_only=server.url)
    assert skipped is None and failed == {}, failed
    shown = done[stack].read_text()
    assert '"resource_changes"' in shown and '"aws_iam_policy"' in shown  # a real plan, with the boundaries
    result = plan.scan_plans(out / "plans", out)
    assert result.parsing_errors == []
    assert result.stacks[stack].passed > 100, "checkov scanned the plan's resources"
    assert result.failures == [], gate.format_summary(result)
    assert result.stale == [], result.stale
    assert result.suppressed, "the plan-mode suppressions were applied"
    assert all(s.reason.strip() for s in result.suppressed)
    # A review-only plan can be scanned, never applied.
    plan.record_reviewed(out / "plans", result)
    with pytest.raises(plan.PlanError, match="review-only"):
        plan.check_saved_plan(out / "plans", stack, expect_commit=None)
