"""Rotation report against a real moto server on loopback."""

import json
from datetime import UTC, datetime, timedelta

import boto3
import pytest
from boi_kms.rotation_report import (
    OFF_PLAN,
    OK,
    OVERDUE,
    ObservedKey,
    PlannedKey,
    collect,
    evaluate_certificate,
    evaluate_key,
    main,
    plan_from_synth,
)

pytestmark = pytest.mark.slow  # jsii, a moto server or the Node simulator: not the pure core


def synth_for(keys: dict[str, tuple[str, int]], secrets: dict[str, bool]) -> dict:
    """A cdk.tf.json-shaped stack: keys {class: (alias, days)}, secrets {name: rotated?}."""
    resource: dict = {"aws_kms_key": {}, "aws_kms_alias": {}, "aws_secretsmanager_secret": {}}
    rotations = {}
    for class_name, (alias, days) in keys.items():
        resource["aws_kms_key"][class_name] = {
            "enable_key_rotation": True,
            "rotation_period_in_days": days,
            "tags": {"data-class": class_name},
            "policy": "{}",
        }
        resource["aws_kms_alias"][f"{class_name}_alias"] = {
            "name": alias,
            "target_key_id": f"${{aws_kms_key.{class_name}.key_id}}",
        }
    for i, (name, rotated) in enumerate(secrets.items()):
        resource["aws_secretsmanager_secret"][f"s{i}"] = {"name": name}
        if rotated:
            rotations[f"s{i}"] = {"secret_id": f"${{aws_secretsmanager_secret.s{i}.id}}"}
    resource["aws_secretsmanager_secret_rotation"] = rotations
    return {"security": {"resource": resource}}


PLANNED = synth_for(
    {
        "pii": ("alias/boi-test-pii", 180),
        "documents": ("alias/boi-test-documents", 180),
        "logs": ("alias/boi-test-logs", 365),
        "backups": ("alias/boi-test-backups", 365),
    },
    {"boi-test/fincen-api": False, "boi-test/db-app": True},
)


@pytest.fixture(scope="module")
def moto_endpoint():
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    port = server._server.server_port
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{port}")
        patch.setenv("AWS_ACCESS_KEY_ID", "testing")
        patch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        patch.delenv("AWS_SESSION_TOKEN", raising=False)
        patch.delenv("AWS_PROFILE", raising=False)
        patch.setenv("AWS_DEFAULT_REGION", "us-east-1")
        yield f"http://127.0.0.1:{port}"
    server.stop()


def create_key(kms, alias: str, tag_days: int, rotation_days: int | None):
    key_id = kms.create_key(Tags=[{"TagKey": "rotation-days", "TagValue": str(tag_days)}])["KeyMetadata"]["KeyId"]
    kms.create_alias(AliasName=alias, TargetKeyId=key_id)
    if rotation_days is not None:
        kms.enable_key_rotation(KeyId=key_id, RotationPeriodInDays=rotation_days)
    return key_id


@pytest.fixture(scope="module")
def account(moto_endpoint):
    session = boto3.Session(region_name="us-east-1")
    kms = session.client("kms")
    create_key(kms, "alias/boi-test-pii", 180, 180)
    create_key(kms, "alias/boi-test-documents", 365, 365)  # wrong period
    create_key(kms, "alias/boi-test-logs", 365, None)  # rotation never enabled
    # backups is planned but never created
    secrets = session.client("secretsmanager")
    secrets.create_secret(Name="boi-test/fincen-api", SecretString="x")
    secrets.create_secret(Name="boi-test/db-app", SecretString="x")  # planned rotation, but off
    return session


@pytest.fixture(scope="module")
def rows(account):
    return {(r.kind, r.name): r for r in collect(account, plan_from_synth(PLANNED))}


def test_key_created_as_planned_passes(rows):
    row = rows[("key", "alias/boi-test-pii")]
    assert row.status == OK, row
    assert row.next_rotation != "-"


def test_wrong_period_is_reported(rows):
    row = rows[("key", "alias/boi-test-documents")]
    assert row.status == OFF_PLAN
    assert "365" in row.observed and "180" in row.expected


def test_disabled_rotation_is_reported(rows):
    row = rows[("key", "alias/boi-test-logs")]
    assert (row.status, row.observed) == (OFF_PLAN, "disabled")


def test_missing_key_is_reported(rows):
    assert rows[("key", "alias/boi-test-backups")].status == "missing"


def test_secret_with_rotation_off_is_reported(rows):
    assert rows[("secret", "boi-test/db-app")].status == OFF_PLAN
    assert rows[("secret", "boi-test/fincen-api")].status == OK


def test_cli_exit_codes_and_json(account, tmp_path, capsys, monkeypatch):
    stack_dir = tmp_path / "bad" / "stacks" / "security"
    stack_dir.mkdir(parents=True)
    (stack_dir / "cdk.tf.json").write_text(json.dumps(PLANNED["security"]))
    assert main(["--synth-dir", str(tmp_path / "bad"), "--json"]) == 1
    printed = json.loads(capsys.readouterr().out)
    assert {r["name"] for r in printed if r["status"] != OK} == {
        "alias/boi-test-documents",
        "alias/boi-test-logs",
        "alias/boi-test-backups",
        "boi-test/db-app",
    }
    # A region holding only what its plan asks for is clean.
    good = synth_for({"pii": ("alias/boi-west-pii", 180)}, {})
    create_key(boto3.Session(region_name="us-west-2").client("kms"), "alias/boi-west-pii", 180, 180)
    good_dir = tmp_path / "good" / "stacks" / "security"
    good_dir.mkdir(parents=True)
    (good_dir / "cdk.tf.json").write_text(json.dumps(good["security"]))
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-west-2")
    assert main(["--synth-dir", str(tmp_path / "good")]) == 0
    assert "alias/boi-west-pii" in capsys.readouterr().out


def test_cli_bad_arguments(tmp_path, capsys):
    assert main([]) == 2
    assert main(["--synth-dir", str(tmp_path / "nowhere")]) == 2
    assert main(["--bogus"]) == 2
    capsys.readouterr()


def test_overdue_key_and_expiring_certificate_pure():
    now = datetime(2026, 6, 1, tzinfo=UTC)
    planned = PlannedKey("alias/x", "pii", 180, "s")
    stale = ObservedKey("k", True, 180, "api", now - timedelta(days=400), now - timedelta(days=200), None)
    assert evaluate_key(planned, stale, now).status == OVERDUE
    fresh = ObservedKey("k", True, 180, "api", now - timedelta(days=400), now - timedelta(days=10), None)
    assert evaluate_key(planned, fresh, now).status == OK
    expiring = {"DomainName": "boi.example", "Type": "AMAZON_ISSUED", "NotAfter": now + timedelta(days=5)}
    assert evaluate_certificate(expiring, now).status == OVERDUE
    assert evaluate_certificate({**expiring, "Type": "IMPORTED"}, now).status == OFF_PLAN
