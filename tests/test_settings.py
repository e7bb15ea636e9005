"""Settings validation: good files load, each kind of bad input is named precisely."""

from __future__ import annotations

import copy
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from app.settings import SettingsError, load_settings, parse_settings

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def dev_data():
    return yaml.safe_load((ROOT / "config" / "dev.yaml").read_text())


@pytest.mark.parametrize("env", ["local", "dev", "prod"])
def test_every_environment_file_is_valid(env):
    settings = load_settings(env)
    assert settings.environment == env
    assert settings.prefix == f"boi-{env}"


def problems(data) -> list[str]:
    with pytest.raises(SettingsError) as err:
        parse_settings(data, "test.yaml")
    return err.value.problems


def mutate(data, path: str, value):
    data = copy.deepcopy(data)
    *parents, leaf = path.split(".")
    node = data
    for part in parents:
        node = node[part]
    if value is KeyError:
        del node[leaf]
    else:
        node[leaf] = value
    return data


@pytest.mark.parametrize(
    "path, value, expected",
    [
        ("network.vpc_cidr", "10.20.0.0/33", ["network.vpc_cidr", "not an IPv4 network", "10.20.0.0/33"]),
        ("network.vpc_cidr", "10.20.1.0/16", ["network.vpc_cidr", "host bits set"]),
        ("network.vpc_cidr", "8.8.0.0/16", ["network.vpc_cidr", "private"]),
        ("network.az_count", 1, ["network.az_count", "greater than or equal to 2", "1"]),
        ("keys.rotation_days", {"cats": 365}, ["keys.rotation_days", "unknown key class 'cats'", "pii"]),
        ("keys.rotation_days", {"pii": 30}, ["keys.rotation_days", "pii: rotation period 30", "90-2560"]),
        ("account_id", KeyError, ["account_id: required field is missing"]),
        ("account_id", "12345", ["account_id", "12345"]),
        ("colour", "blue", ["colour: unknown field", "blue"]),
        ("retention.archive_days", 365, ["retention.archive_days", "1825"]),
        ("fincen.environment", "staging", ["fincen.environment", "'sandbox' or 'production'", "staging"]),
        ("artifacts.fincen-worker", "repo/worker:latest", ["artifacts.fincen-worker", "repo/worker:latest", "digest"]),
        ("artifacts.document", "https://x/y.zip", ["artifacts.document", "s3://<bucket>/<key> package"]),
        ("environment", "Prod!", ["environment", "Prod!"]),
        ("backend.bucket", "Boi_State", ["backend.s3.bucket", "Boi_State"]),
        ("backend.kms_key_id", "arn:aws:kms:us-east-1:1:key/x", ["backend.s3.kms_key_id", "alias/"]),
        ("access.bootstrap_administrators", KeyError, ["access.bootstrap_administrators: required field is missing"]),
        ("access.bootstrap_administrators", ["root"], ["access.bootstrap_administrators", "root"]),
    ],
)
def test_bad_settings_name_field_value_and_what_is_allowed(dev_data, path, value, expected):
    found = problems(mutate(dev_data, path, value))
    assert len(found) == 1, found
    for text in expected:
        assert text in found[0], f"{text!r} not in {found[0]!r}"


def test_every_problem_is_reported_at_once(dev_data):
    data = mutate(mutate(dev_data, "network.az_count", 1), "network.vpc_cidr", "nonsense")
    data["extra"] = 1
    assert len(problems(data)) == 3


def test_region_must_be_allowed(dev_data):
    found = problems(mutate(dev_data, "region", "eu-west-1"))
    assert "eu-west-1" in found[0] and "allowed_regions" in found[0]


def test_environment_must_match_file_name(tmp_path, dev_data):
    (tmp_path / "prod.yaml").write_text(yaml.safe_dump(dev_data))
    with pytest.raises(SettingsError, match="does not match the file name"):
        load_settings("prod", tmp_path)


def test_cli_exits_2_and_writes_nothing(tmp_path, dev_data):
    config = tmp_path / "config"
    config.mkdir()
    bad = mutate(dev_data, "network.az_count", 1)
    (config / "dev.yaml").write_text(yaml.safe_dump(bad))
    out = tmp_path / "cdktf.out"
    env = {**os.environ, "BOI_ENV": "dev", "BOI_OUT_DIR": str(out), "BOI_CONFIG_DIR": str(config)}
    result = subprocess.run(
        [sys.executable, str(ROOT / "main.py")], env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 2, result.stderr
    assert "network.az_count" in result.stderr
    assert not out.exists()
    assert not list(tmp_path.glob(".synth-*"))


def test_log_retention_must_be_a_cloudwatch_value(dev_data):
    found = problems(mutate(dev_data, "retention.log_days", 730))
    assert "retention.log_days" in found[0] and "731" in found[0] and "730" in found[0]


def test_artifacts_are_checked_against_the_declared_services(dev_data):
    data = mutate(mutate(dev_data, "artifacts.fincen-worker", KeyError), "artifacts.billing", "s3://b/k.zip")
    found = problems(data)
    assert found == [
        "artifacts.fincen-worker: missing; service fincen-worker (fargate) needs an image pinned by digest "
        "(<registry>/<repository>@sha256:<digest>)",
        "artifacts.billing: no service of that name (declared: authentication, beneficial-owner, document, "
        "fincen-worker, reporting-company)",
    ]


def test_a_missing_artifact_fails_the_synth_naming_service_and_file(tmp_path, dev_data):
    config = tmp_path / "config"
    config.mkdir()
    (config / "dev.yaml").write_text(yaml.safe_dump(mutate(dev_data, "artifacts.document", KeyError)))
    env = {**os.environ, "BOI_ENV": "dev", "BOI_OUT_DIR": str(tmp_path / "out"), "BOI_CONFIG_DIR": str(config)}
    result = subprocess.run(
        [sys.executable, str(ROOT / "main.py")], env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 2
    assert f"{config / 'dev.yaml'}: 1 problem(s)" in result.stderr
    assert (
        "artifacts.document: missing; service document (lambda) needs an s3://<bucket>/<key> package" in result.stderr
    )
    assert "Traceback" not in result.stderr and not (tmp_path / "out").exists()


def test_any_config_file_that_validates_is_an_environment(tmp_path, dev_data):
    data = {**copy.deepcopy(dev_data), "environment": "staging"}
    (tmp_path / "staging.yaml").write_text(yaml.safe_dump(data))
    settings = load_settings("staging", tmp_path)
    assert settings.prefix == "boi-staging"


API = "boiefiling-api.user-test.fincen.gov"


@pytest.mark.parametrize(
    "path, value, expected",
    [
        ("fincen.egress_hosts", [API, "not a host"], ["fincen.egress_hosts", "'not a host' is not a domain name"]),
        ("fincen.egress_hosts", [API, "https://iam.fincen.gov"], ["fincen.egress_hosts", "https://iam.fincen.gov"]),
        ("fincen.egress_hosts", [API, "*.gov"], ["fincen.egress_hosts", "'*.gov': a wildcard at the top level"]),
        ("fincen.egress_hosts", [API, ".gov"], ["fincen.egress_hosts", "'.gov': a wildcard at the top level"]),
        ("fincen.egress_hosts", ["*"], ["fincen.egress_hosts", "every host on the internet"]),
        ("fincen.egress_hosts", [API, "api.*.gov"], ["fincen.egress_hosts", "only as the first label"]),
        ("fincen.egress_hosts", ["iam.fincen.gov"], ["fincen", "do not cover the API host", API]),
        (
            "perimeter",
            {"endpoints": {"documents_bucket": ["vpce-0a1b2c3d4e5f60718"]}},
            ["perimeter.endpoints", "documents_bucket", "'vpce-0a1b2c3d4e5f60718' is an endpoint ID"],
        ),
        (
            "perimeter",
            {"endpoints": {"queues": ["sqs", "glue"]}},
            ["perimeter.endpoints", "queues: 'glue' is not an endpoint the platform creates", "secretsmanager"],
        ),
        (
            "perimeter",
            {"endpoints": {"secrets": ["kms"]}},
            ["perimeter.endpoints", "the kms endpoint does not serve secretsmanager"],
        ),
        ("perimeter", {"endpoints": {"tables": ["dynamodb"]}}, ["perimeter.endpoints.tables", "documents_bucket"]),
        ("organization_mode", True, ["organization_mode needs organization_id"]),
        ("organization_id", "org-1", ["organization_id", "org-1"]),
    ],
)
def test_bad_perimeter_settings_are_named(dev_data, path, value, expected):
    found = problems(mutate(dev_data, path, value))
    assert len(found) == 1, found
    for text in expected:
        assert text in found[0], f"{text!r} not in {found[0]!r}"


def test_egress_hosts_default_to_the_environments_fincen_hosts(dev_data):
    settings = parse_settings(mutate(dev_data, "fincen.egress_hosts", KeyError))
    assert settings.fincen.hosts == (API, "iam.fincen.gov")
    wildcard = parse_settings(mutate(dev_data, "fincen.egress_hosts", ["*.user-test.fincen.gov"]))
    assert wildcard.fincen.firewall_domains == [".user-test.fincen.gov"]


@pytest.mark.parametrize(
    "path, value, line",
    [
        ("fincen.egress_hosts", [API, "*.gov"], "fincen.egress_hosts: '*.gov': a wildcard at the top level"),
        ("fincen.egress_hosts", [API, "fincen gov"], "fincen.egress_hosts: 'fincen gov' is not a domain name"),
        (
            "perimeter",
            {"endpoints": {"documents_bucket": ["s3", "vpce-0a1b2c3d4e5f60718"]}},
            "perimeter.endpoints: documents_bucket: 'vpce-0a1b2c3d4e5f60718' is an endpoint ID",
        ),
    ],
)
def test_a_bad_perimeter_setting_exits_2_naming_it(tmp_path, dev_data, path, value, line):
    config = tmp_path / "config"
    config.mkdir()
    (config / "dev.yaml").write_text(yaml.safe_dump(mutate(dev_data, path, value)))
    env = {**os.environ, "BOI_ENV": "dev", "BOI_OUT_DIR": str(tmp_path / "out"), "BOI_CONFIG_DIR": str(config)}
    result = subprocess.run(
        [sys.executable, str(ROOT / "main.py")], env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 2, result.stderr
    assert "1 problem(s)" in result.stderr and line in result.stderr, result.stderr
    assert "Traceback" not in result.stderr and not (tmp_path / "out").exists()
