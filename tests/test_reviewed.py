"""The reviewed exceptions catalog against the real synth: every entry names a construct that exists."""

from __future__ import annotations

import pytest
from boi_model.reviewed import unused

from app.stacks.synth import load_reviewed

pytestmark = pytest.mark.slow


def test_every_reviewed_entry_matches_a_construct_in_dev_or_prod(synth_env):
    reviewed = load_reviewed()
    assert reviewed.suppressions and reviewed.accepted
    assert unused(reviewed, [synth_env("dev")[1], synth_env("prod")[1]]) == []


def test_the_synth_attaches_suppressions_to_the_constructs_they_name(dev):
    stage = next(r for r in dev.resources("aws_api_gateway_stage"))
    attached = stage.meta.get("boi_suppress", {})
    assert {"CKV_AWS_120", "CKV2_AWS_51", "CKV2_AWS_77"} <= set(attached)
    assert all(entry["reason"] and entry["modes"] for entry in attached.values())
