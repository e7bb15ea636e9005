"""boi.iam_report on a fixture out dir (no synth), and once on a fresh dev synth."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

from boi.iam_report import main

ROOT = Path(__file__).resolve().parent.parent
FIXTURE_OUT = ROOT / "iam" / "tests" / "fixtures" / "render"  # stacks/boi-dev-*/cdk.tf.json

MATRIX = {
    "operations": {
        "bucket-prefix": {"read": ["s3:GetObject", "s3:GetObjectVersion"]},
        "queue": {"send": ["sqs:SendMessage"]},
        "key": {"decrypt": ["kms:Decrypt"]},
    },
    "assets": {
        "documents-uploads": {"type": "bucket-prefix"},
        "filing-queue": {"type": "queue"},
        "pii-key": {"type": "key"},
    },
    "allow": {
        "intake-task": {"documents-uploads": ["read"], "filing-queue": ["send"], "pii-key": ["decrypt"]},
        "ghost-service": {"filing-queue": ["send"]},
    },
}


@pytest.fixture
def matrix_file(tmp_path):
    path = tmp_path / "access_matrix.yaml"
    path.write_text(yaml.safe_dump(MATRIX))
    return path


def line_of(text: str, start: str) -> str:
    [match] = [line for line in text.splitlines() if line.startswith(start)]
    return match


def test_table_and_details_with_a_matrix(capsys, matrix_file):
    assert main(["--out", str(FIXTURE_OUT), "--matrix", str(matrix_file)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("IAM least-privilege report: boi-dev (account 111122223333, us-east-1); matrix: ")
    assert line_of(out, "role ").split() == ["role", "granted", "needed", "ratio", 'Resource', '"*"',
                                             "conditions", "managed"]  # fmt: skip
    assert line_of(out, "boi-dev-intake-task ").split() == [
        "boi-dev-intake-task",
        "6",
        "4",
        "1.50",
        "1",
        "1",
        "0",
    ]
    assert line_of(out, "boi-dev-ci-deploy ").split() == [
        "boi-dev-ci-deploy",
        "2",
        "n/a",
        "n/a",
        "0",
        "0",
        "0",
    ]
    details = out.split("\nboi-dev-intake-task\n", 1)[1].split("\n\n", 1)[0]
    assert "actions granted (6): kms:Decrypt, logs:PutLogEvents, s3:GetObject" in details
    assert "    XrayWrite: xray:PutTraceSegments (send X-Ray traces)" in details
    assert "conditions: DecryptPii: StringEquals kms:ViaService" in details
    assert "needed: 4, ratio granted/needed: 1.50 (target 1.00)" in details
    assert "beyond needed: logs:PutLogEvents, xray:PutTraceSegments" in details
    auditor = out.split("\nboi-dev-security-auditor\n", 1)[1].split("\n\n", 1)[0]
    assert "needed: n/a (no row for this role in the matrix)" in auditor
    assert "arn:aws:iam::aws:policy/SecurityAudit" in auditor
    assert "matrix principals with no role in the synthesized JSON: ghost-service" in out


def test_without_a_matrix_every_ratio_is_na(capsys):
    assert main(["--out", str(FIXTURE_OUT)]) == 0
    out = capsys.readouterr().out
    assert "matrix: none (ratios are n/a" in out
    assert line_of(out, "boi-dev-intake-task ").split()[2:4] == ["n/a", "n/a"]


def test_json_output(capsys, matrix_file):
    assert main(["--out", str(FIXTURE_OUT), "--matrix", str(matrix_file), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert (data["environment"], data["account_id"], data["region"]) == ("dev", "111122223333", "us-east-1")
    roles = {r["role"]: r for r in data["roles"]}
    intake = roles["boi-dev-intake-task"]
    assert (intake["granted"], intake["needed"], intake["ratio"], intake["missing"]) == (6, 4, 1.5, [])
    assert intake["resource_star"] == [
        {
            "sid": "XrayWrite",
            "policy": "boi-dev-platform:aws_iam_role_policy.intake_grants",
            "actions": ["xray:PutTraceSegments"],
            "reason": "send X-Ray traces",
        }
    ]
    assert intake["conditions"] == [{"sid": "DecryptPii", "operator": "StringEquals", "key": "kms:ViaService"}]
    assert roles["boi-dev-ci-deploy"]["ratio"] is None
    assert data["matrix_principals_without_role"] == ["ghost-service"]


def test_bad_inputs_exit_2_with_one_clear_message(capsys, tmp_path, matrix_file):
    assert main(["--out", str(tmp_path / "nothing")]) == 2
    assert "run the synth first" in capsys.readouterr().err

    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump({**MATRIX, "allow": {"intake-task": {"no-such-asset": ["read"]}}}))
    assert main(["--out", str(FIXTURE_OUT), "--matrix", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "--matrix" in err and f"{bad}: allow.intake-task.no-such-asset: unknown asset; allowed: " in err

    assert main(["--out", str(FIXTURE_OUT), "--matrix", str(tmp_path / "absent.yaml")]) == 2
    assert "absent.yaml does not exist" in capsys.readouterr().err

    mixed = tmp_path / "mixed"
    shutil.copytree(FIXTURE_OUT / "stacks", mixed / "stacks")
    platform = mixed / "stacks" / "boi-dev-platform" / "cdk.tf.json"
    data = json.loads(platform.read_text())
    data["//"]["boi_environment"]["name"] = "prod"
    platform.write_text(json.dumps(data))
    assert main(["--out", str(mixed)]) == 2
    assert "synthesized for different environments" in capsys.readouterr().err


@pytest.mark.slow
def test_fresh_dev_synth_reports_every_role_and_every_managed_policy_is_reviewed(synth_env, capsys):
    from boi_iam.extract import extract_policies
    from boi_iam.render import missing_managed_policies

    from boi import catalogs

    out_dir, synth = synth_env("dev")
    policy_set = extract_policies(synth, account_id="111122223333", region="us-east-1")
    missing = missing_managed_policies(policy_set, catalogs.managed_policies())
    assert missing == [], "add them to catalogs/iam/managed_policies.yaml"
    assert main(["--out", str(out_dir), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert {r["role"] for r in data["roles"]} == {v.name for v in policy_set.roles()}
