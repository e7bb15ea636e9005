"""The gate over the real synthesized environments: dev and prod must pass with the reviewed suppressions."""

from __future__ import annotations

import shutil

import pytest

from boi import gate

pytestmark = pytest.mark.slow


def test_dev_and_prod_pass_the_gate(synth_env, tmp_path):
    # One checkov process over both environments' stacks (its start-up dominates the run time).
    out = tmp_path / "both"
    for env in ("dev", "prod"):
        for stack in (synth_env(env)[0] / "stacks").iterdir():
            shutil.copytree(stack, out / "stacks" / stack.name)
    result = gate.run_gate(out)
    assert result.ok, gate.format_summary(result)
    assert len(result.stacks) == 6 and all(s.passed > 30 for s in result.stacks.values())
    assert sum(s.suppressed for s in result.stacks.values()) >= 90
