"""BOI_LOCAL_ENDPOINT points every AWS provider of the local stacks at the embedded AWS, and only
for the local environment (runs in `make test`: a synth, no Terraform)."""

from __future__ import annotations

import json

import pytest

from app.stacks.stacks import LOCAL_ENDPOINT_ENV
from app.stacks.synth import synth

pytestmark = pytest.mark.slow
URL = "http://127.0.0.1:4566"


def providers(out):
    return {p.parent.name: json.loads(p.read_text())["provider"]["aws"] for p in out.glob("stacks/*/cdk.tf.json")}


def test_local_synth_points_every_provider_at_the_endpoint(tmp_path, monkeypatch):
    monkeypatch.setenv(LOCAL_ENDPOINT_ENV, URL)
    found = providers(synth("local", str(tmp_path / "out")))
    assert set(found) == {"boi-local-bootstrap", "boi-local-foundation", "boi-local-platform"}
    for stack, blocks in found.items():
        for block in blocks:  # the platform's us_east_1 alias too
            assert block["skip_credentials_validation"] is True, stack
            assert block["skip_requesting_account_id"] is True
            assert block["skip_metadata_api_check"] == "true"
            assert block["s3_use_path_style"] is True
            assert block["access_key"] == "testing" and "allowed_account_ids" not in block
            endpoints = block["endpoints"][0]
            assert {"s3", "kms", "iam", "sts", "cloudtrail", "configservice", "lambda", "sqs"} <= set(endpoints)
            assert set(endpoints.values()) == {URL}
    # The state too: the S3 backend and the platform's remote state of the foundation use the endpoint
    # (the bucket is the one the local bootstrap stack creates there).
    out = tmp_path / "out"
    platform = json.loads((out / "stacks" / "boi-local-platform" / "cdk.tf.json").read_text())
    backend = platform["terraform"]["backend"]["s3"]
    [remote] = platform["data"]["terraform_remote_state"].values()
    for config in (backend, remote["config"]):
        assert set(config["endpoints"].values()) == {URL} and config["use_path_style"] is True
        assert config["bucket"] == "boi-terraform-state-123456789012"


def test_without_the_variable_or_outside_local_nothing_changes(tmp_path, monkeypatch):
    monkeypatch.delenv(LOCAL_ENDPOINT_ENV, raising=False)
    for block in sum(providers(synth("local", str(tmp_path / "local"))).values(), []):
        assert "endpoints" not in block and "access_key" not in block
    monkeypatch.setenv(LOCAL_ENDPOINT_ENV, URL)
    for block in sum(providers(synth("dev", str(tmp_path / "dev"))).values(), []):
        assert "endpoints" not in block and "skip_credentials_validation" not in block
