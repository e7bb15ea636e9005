"""Shared fixtures: each environment is synthesized at most once per test session."""

from __future__ import annotations

from pathlib import Path

import pytest

from boi.docs import load_out
from boi.node import use_bundled_node

# Every jsii process the tests start (construct tests, synth) runs on the bundled Node 24.
use_bundled_node()

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def synth_env(tmp_path_factory):
    """synth_env("dev") -> (out_dir, {stack: cdk.tf.json}), cached per environment."""
    cache: dict[str, tuple[Path, dict]] = {}

    def get(env: str):
        if env not in cache:
            from boi.app import synth

            out = tmp_path_factory.mktemp(f"synth-{env}") / "cdktf.out"
            synth(env, str(out))
            cache[env] = (out, load_out(out))
        return cache[env]

    return get


@pytest.fixture(scope="session")
def dev(synth_env):
    return synth_env("dev")[1]
