"""Offline Terraform: CLI and mirror discovery, CLI config, and init + validate on fixture stacks."""

import shutil
from pathlib import Path

import pytest

from boi import terraform

FIXTURES = Path(__file__).parent / "fixtures" / "gate" / "terraform"


def make_mirror(root: Path) -> Path:
    (root / "registry.terraform.io" / "hashicorp" / "aws" / "5.100.0" / "linux_amd64").mkdir(parents=True)
    return root


@pytest.fixture
def no_mirror_env(monkeypatch, tmp_path):
    monkeypatch.delenv("TF_PROVIDER_MIRROR", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))


# ---------------------------------------------------------------- discovery (no terraform needed)


def test_mirror_from_env_var(monkeypatch, tmp_path):
    mirror = make_mirror(tmp_path / "mirror")
    monkeypatch.setenv("TF_PROVIDER_MIRROR", str(mirror))
    assert terraform.find_provider_mirror() == mirror


def test_env_var_pointing_at_a_non_mirror_names_the_variable(monkeypatch, tmp_path):
    (tmp_path / "empty").mkdir()
    monkeypatch.setenv("TF_PROVIDER_MIRROR", str(tmp_path / "empty"))
    monkeypatch.setattr(terraform, "find_terraform", lambda: "/bin/true")
    reason = terraform.terraform_available()
    assert reason is not None
    assert "TF_PROVIDER_MIRROR=" in reason and "registry.terraform.io/hashicorp/aws" in reason


def test_mirror_in_terraform_conventional_folder(no_mirror_env, tmp_path):
    mirror = make_mirror(tmp_path / "home" / ".terraform.d" / "plugins")
    assert terraform.find_provider_mirror(scan_root=tmp_path / "nowhere") == mirror


def test_shallow_scan_finds_mirror_at_depth_three_only(no_mirror_env, tmp_path):
    root = tmp_path / "root"
    make_mirror(root / "srv" / "plugins")  # root/srv/plugins/registry.terraform.io: depth 3
    assert terraform.find_provider_mirror(scan_root=root) == root / "srv" / "plugins"

    deep = tmp_path / "deep"
    make_mirror(deep / "a" / "b" / "c")  # registry.terraform.io at depth 4
    assert terraform.find_provider_mirror(scan_root=deep) is None


def test_scan_ignores_registry_folder_without_aws(no_mirror_env, tmp_path):
    (tmp_path / "root" / "x" / "registry.terraform.io" / "hashicorp").mkdir(parents=True)
    assert terraform.find_provider_mirror(scan_root=tmp_path / "root") is None


def test_bad_terraform_env_var_is_named(monkeypatch):
    monkeypatch.setenv("TERRAFORM", "/no/such/terraform")
    reason = terraform.terraform_available()
    assert reason is not None and "TERRAFORM='/no/such/terraform'" in reason


def test_cli_env_overrides_a_missing_cli_config(monkeypatch, tmp_path):
    mirror = make_mirror(tmp_path / "mirror")
    monkeypatch.setenv("TF_PROVIDER_MIRROR", str(mirror))
    monkeypatch.setenv("TF_CLI_CONFIG_FILE", str(tmp_path / "does-not-exist"))
    env = terraform.cli_env(tmp_path / "tfcli")
    config = Path(env["TF_CLI_CONFIG_FILE"])
    assert config.is_file() and config.parent == (tmp_path / "tfcli").resolve()
    text = config.read_text()
    assert f'path    = "{mirror.as_posix()}"' in text
    assert 'include = ["registry.terraform.io/hashicorp/*"]' in text
    assert 'exclude = ["registry.terraform.io/*/*"]' in text
    assert Path(env["TF_PLUGIN_CACHE_DIR"]).is_dir()
    assert env["TF_IN_AUTOMATION"] == "1" and env["CHECKPOINT_DISABLE"] == "1"


def test_without_a_mirror_terraform_uses_the_registry(no_mirror_env, monkeypatch, tmp_path):
    monkeypatch.setattr(terraform, "find_provider_mirror", lambda: None)
    monkeypatch.setattr(terraform, "find_terraform", lambda: "/bin/true")
    assert terraform.terraform_available() is None
    text = Path(terraform.cli_env(tmp_path / "tfcli")["TF_CLI_CONFIG_FILE"]).read_text()
    assert "plugin_cache_dir" in text and "provider_installation" not in text


def test_init_refuses_a_stack_without_the_committed_lock_file(tmp_path):
    (tmp_path / "cdk.tf.json").write_text("{}")
    with pytest.raises(terraform.TerraformSetupError, match=r"no \.terraform\.lock\.hcl.*app/stacks/locks"):
        terraform.init(tmp_path)


def test_parse_validate_output():
    stdout = """{"valid": false, "error_count": 1, "diagnostics": [{"severity": "error",
      "summary": "Extraneous JSON object property", "detail": "No argument or block type is named \\"x\\".",
      "range": {"filename": "cdk.tf.json", "start": {"line": 4}}}]}"""
    [diag] = terraform.parse_validate_output("s", stdout)
    assert (diag.stack, diag.severity, diag.filename, diag.line) == ("s", "error", "cdk.tf.json", 4)
    assert '"x"' in str(diag)


def test_non_json_validate_output_is_an_error():
    with pytest.raises(terraform.TerraformSetupError, match="printed no JSON"):
        terraform.parse_validate_output("s", "Error: boom")


# ---------------------------------------------------------------- real terraform, offline

_UNAVAILABLE = terraform.terraform_available()
needs_terraform = pytest.mark.skipif(_UNAVAILABLE is not None, reason=f"terraform validate SKIPPED: {_UNAVAILABLE}")


@pytest.mark.slow
@pytest.mark.terraform
@needs_terraform
def test_valid_stack_with_s3_backend_and_remote_state_validates(tmp_path):
    stack = tmp_path / "valid"
    shutil.copytree(FIXTURES / "valid", stack)
    assert terraform.init_and_validate(stack) == []


@pytest.mark.slow
@pytest.mark.terraform
@needs_terraform
def test_unknown_argument_is_reported(tmp_path, capsys):
    out = tmp_path / "out" / "stacks"
    shutil.copytree(FIXTURES / "invalid", out / "broken")
    assert terraform.main(["validate", "--out", str(tmp_path / "out")]) == 1
    printed = capsys.readouterr().out
    assert "broken: 1 error(s)" in printed
    assert "no_such_argument" in printed
