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
