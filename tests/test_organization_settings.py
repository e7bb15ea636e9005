"""The organization section: the layout of accounts, each kind of bad input named on its own line."""

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
def prod_data():
    return yaml.safe_load((ROOT / "config" / "prod.yaml").read_text())


def problems(data) -> list[str]:
    with pytest.raises(SettingsError) as err:
        parse_settings(data, "test.yaml")
    return err.value.problems


def test_prod_is_organization_mode_and_dev_local_stay_single_account():
    prod = load_settings("prod")
    assert prod.organization_mode and prod.organization is not None
    assert prod.organization.workloads["prod"].account_id == prod.account_id
    assert set(prod.organization.accounts()) >= {"management", "log_archive", "security_tooling", "workload-prod"}
    for env in ("dev", "local"):
        assert not load_settings(env).organization_mode


def test_every_account_id_is_twelve_digits(prod_data):
    data = copy.deepcopy(prod_data)
    data["organization"]["log_archive"]["account_id"] = "12345"
    data["organization"]["management"]["account_id"] = "abcdefabcdef"
    found = problems(data)
    assert any(p.startswith("organization.log_archive.account_id:") and "'12345'" in p for p in found), found
    assert any(p.startswith("organization.management.account_id:") for p in found), found


def test_the_same_account_for_two_parts_is_refused(prod_data):
    data = copy.deepcopy(prod_data)
    data["organization"]["log_archive"]["account_id"] = data["organization"]["workloads"]["dev"]["account_id"]
    found = problems(data)
    assert len([p for p in found if "already the" in p]) == 1, found
    assert any("workloads.dev.account_id" in p and "log_archive" in p for p in found), found


def test_a_workload_region_outside_the_allowed_regions_is_refused(prod_data):
    data = copy.deepcopy(prod_data)
    data["organization"]["workloads"]["dev"]["regions"] = ["us-east-1", "eu-west-1"]
    found = problems(data)
    assert found == [
        "organization.workloads.dev.regions: 'eu-west-1' is outside organization.allowed_regions "
        "['us-east-1', 'us-west-2']; the region-lock SCP would deny it"
    ]


def test_a_delegated_administrator_must_be_a_member_account(prod_data):
    data = copy.deepcopy(prod_data)
    management = data["organization"]["management"]["account_id"]
    data["organization"]["delegated_administrators"]["guardduty.amazonaws.com"] = management
    data["organization"]["delegated_administrators"]["macie.amazonaws.com"] = "999999999999"
    found = problems(data)
    assert any("guardduty.amazonaws.com" in p and "the management account" in p for p in found), found
    assert any("macie.amazonaws.com" in p and "no account of the layout" in p for p in found), found


def test_an_unknown_delegated_service_is_refused(prod_data):
    data = copy.deepcopy(prod_data)
    data["organization"]["delegated_administrators"]["ec2.amazonaws.com"] = "300040005000"
    assert any(p.startswith("organization.delegated_administrators") for p in problems(data))


def test_organization_mode_needs_the_section_and_the_environment_workload(prod_data):
    data = copy.deepcopy(prod_data)
    del data["organization"]
    assert problems(data) == ["organization: required when organization_mode is true (the accounts of the layout)"]
    data = copy.deepcopy(prod_data)
    data["organization"]["workloads"]["prod"]["account_id"] = "555566667777"
    assert any("differs from account_id 444455556666" in p for p in problems(data))


def test_every_problem_is_reported_at_once(prod_data):
    data = copy.deepcopy(prod_data)
    org = data["organization"]
    org["workloads"]["dev"]["account_id"] = org["log_archive"]["account_id"]
    org["workloads"]["prod"]["regions"] = ["us-east-1", "ap-south-1"]
    org["delegated_administrators"]["config.amazonaws.com"] = org["management"]["account_id"]
    assert len(problems(data)) == 3


def test_cli_exits_2_one_line_per_problem_and_writes_nothing(tmp_path, prod_data):
    data = copy.deepcopy(prod_data)
    org = data["organization"]
    org["log_archive"]["account_id"] = org["workloads"]["prod"]["account_id"]
    org["workloads"]["dev"]["regions"] = ["eu-central-1"]
    config = tmp_path / "config"
    config.mkdir()
    (config / "prod.yaml").write_text(yaml.safe_dump(data))
    out = tmp_path / "out"
    env = {**os.environ, "BOI_ENV": "prod", "BOI_OUT_DIR": str(out), "BOI_CONFIG_DIR": str(config)}
    result = subprocess.run([sys.executable, "main.py"], cwd=ROOT, env=env, capture_output=True, text=True)
    assert result.returncode == 2, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip().startswith("- organization.")]
    assert len(lines) == 2, result.stderr
    assert not out.exists()
