"""Shared fixtures: each environment is synthesized at most once per test session."""

from __future__ import annotations

from pathlib import Path

import pytest
from boi_model.synth import load_out

from app.node import use_bundled_node

# Every jsii process the tests start (construct tests, synth) runs on the bundled Node 24.
use_bundled_node()

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def synth_env(tmp_path_factory):
    """synth_env("dev") -> (out_dir, {stack: cdk.tf.json}), cached per environment."""
    cache: dict[str, tuple[Path, dict]] = {}

    def get(env: str):
        if env not in cache:
            from app.stacks.synth import synth

            out = tmp_path_factory.mktemp(f"synth-{env}") / "cdktf.out"
            synth(env, str(out))
            cache[env] = (out, load_out(out))
        return cache[env]

    return get


@pytest.fixture(scope="session")
def dev(synth_env):
    return synth_env("dev")[1]


@pytest.fixture(scope="session")
def simulator():
    """One IAM simulator process (AGPL, test-time only) for the whole session."""
    from boi_iam.simulate import Simulator

    with Simulator() as sim:
        yield sim


@pytest.fixture(scope="session")
def evaluator(simulator):
    """One answer cache for the session: a mutated synth re-simulates only the requests it changes."""
    from boi_iam import escalation

    from boi.privileges import _run

    return escalation.Evaluator(lambda requests: _run(simulator, requests))


@pytest.fixture(scope="session")
def dev_privileges(dev, simulator, evaluator):
    """The escalation proofs of the dev synth, shared by the proof tests and the documents."""
    from boi.docs import privileges_of

    return privileges_of(dev, dev.environment(), simulator=simulator, evaluator=evaluator)


SIXTH_SERVICE = ROOT / "tests" / "fixtures" / "sixth_service"


@pytest.fixture(scope="session")
def sixth_service(tmp_path_factory):
    """A copy of the app with the README's sixth service added (its file and its config line only),
    synthesized for dev: (out_dir, synth)."""
    import os
    import shutil
    import subprocess
    import sys

    copy = tmp_path_factory.mktemp("sixth")
    for part in ("app", "config", "catalogs"):
        shutil.copytree(ROOT / part, copy / part, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "main.py", copy / "main.py")
    shutil.copy(SIXTH_SERVICE / "notifications.py", copy / "app" / "services" / "notifications.py")
    config = copy / "config" / "dev.yaml"
    lines = [line for line in (SIXTH_SERVICE / "config.yaml").read_text().splitlines() if not line.startswith("#")]
    config.write_text(config.read_text().replace("artifacts:", "artifacts:\n" + "\n".join(lines), 1))
    out = copy / "cdktf.out"
    env = {**os.environ, "BOI_ENV": "dev", "BOI_OUT_DIR": str(out), "PYTHONPATH": str(copy)}
    run = subprocess.run([sys.executable, "main.py"], cwd=copy, env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    return out, load_out(out)


# The sixth service's platform stack, gated beside dev and prod under its own folder name.
SIXTH_PLATFORM = "sixth-boi-dev-platform"


@pytest.fixture(scope="session")
def sixth_stack() -> str:
    return SIXTH_PLATFORM


@pytest.fixture(scope="session")
def gated(synth_env, sixth_service, tmp_path_factory):
    """One checkov run (its start-up dominates) over dev, prod and the sixth service's platform stack."""
    import shutil

    from boi import gate

    out = tmp_path_factory.mktemp("gated") / "cdktf.out"
    for env in ("dev", "prod"):
        for stack in (synth_env(env)[0] / "stacks").iterdir():
            shutil.copytree(stack, out / "stacks" / stack.name)
    shutil.copytree(sixth_service[0] / "stacks" / "boi-dev-platform", out / "stacks" / SIXTH_PLATFORM)
    return gate.run_gate(out)
