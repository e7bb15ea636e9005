"""The platform's catalogs (catalogs/): every file fits its model, the committed JSON Schemas are the
models' own, a broken catalog is named line by line and stops the synth before anything is written, and
the decisions the platform made in them."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from boi_kms.catalog import load_kms_catalog
from boi_model.catalog import CatalogError, load

from boi import catalogs

ROOT = Path(__file__).resolve().parent.parent
REGENERATE = "uv run --frozen python -m boi.catalogs schemas"


# ---- (a) every catalog validates -------------------------------------------------------------------


def test_every_catalog_file_has_a_model():
    files = {str(p.relative_to(ROOT / "catalogs")) for p in (ROOT / "catalogs").glob("*/*.yaml")}
    assert files == set(catalogs.MODELS)


@pytest.mark.parametrize("name", sorted(catalogs.MODELS))
def test_every_catalog_file_validates_against_its_model(name):
    load(catalogs.MODELS[name], ROOT / "catalogs" / name)


def test_the_catalogs_are_cross_checked_and_clean():
    assert catalogs.problems() == []
    assert catalogs.main(["check"]) == 0


def test_each_catalog_names_its_schema_for_editors():
    for name in catalogs.MODELS:
        first = (ROOT / "catalogs" / name).read_text().splitlines()[0]
        assert first == f"# yaml-language-server: $schema=../schemas/{catalogs.schema_name(name)}", name


# ---- (b) the committed schemas are the models' --------------------------------------------------------


def test_committed_schemas_equal_the_models():
    assert catalogs.stale_schemas() == [], f"run `{REGENERATE}` and commit catalogs/schemas"


def test_a_stale_or_orphaned_schema_names_the_command(tmp_path):
    folder = tmp_path / "schemas"
    shutil.copytree(ROOT / "catalogs" / "schemas", folder)
    target = folder / "kms.key_classes.schema.json"
    target.write_text(target.read_text().replace('"maximum": 2560', '"maximum": 9999'))
    (folder / "kms.retired.schema.json").write_text("{}")
    (folder / "audit.controls.schema.json").unlink()
    lines = [line.replace(str(tmp_path), "<tmp>") for line in catalogs.stale_schemas(folder)]
    assert len(lines) == 3 and all(f"run `{REGENERATE}`" in line for line in lines)
    assert any("kms.key_classes.schema.json: stale" in line for line in lines)
    assert any("audit.controls.schema.json: missing" in line for line in lines)
    assert any("kms.retired.schema.json: no catalog has this schema" in line for line in lines)
    catalogs.write_schemas(folder)
    assert catalogs.stale_schemas(folder) == []


# ---- (c) a broken catalog ------------------------------------------------------------------------------


@pytest.fixture
def broken(tmp_path) -> Path:
    """A copy of catalogs/ whose key classes have an unknown field, a wrong key spec and a period out of range."""
    root = tmp_path / "catalogs"
    shutil.copytree(ROOT / "catalogs", root)
    path = root / "kms" / "key_classes.yaml"
    data = yaml.safe_load(path.read_text())
    data["key_classes"]["pii"]["colour"] = "red"
    data["key_classes"]["documents"]["key_spec"] = "AES_256"
    data["key_classes"]["logs"]["rotation_days"] = 3000
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return root


def expected_lines(root: Path) -> list[str]:
    file = root / "kms" / "key_classes.yaml"
    return [
        f"{file}: key_classes.pii.colour: Extra inputs are not permitted; allowed fields: key_spec, description, "
        "protects, rotation_days, rotation_justification, deletion_window_days, multi_region, allowed_via_services, "
        "allowed_service_principals, allowed_encryption_context_keys, used_by (got 'red')",
        f"{file}: key_classes.documents.key_spec: Input should be 'SYMMETRIC_DEFAULT', 'RSA_2048', 'RSA_3072', "
        "'RSA_4096', 'ECC_NIST_P256', 'ECC_NIST_P384', 'ECC_NIST_P521', 'ECC_SECG_P256K1', 'HMAC_224', 'HMAC_256', "
        "'HMAC_384' or 'HMAC_512' (got 'AES_256')",
        f"{file}: key_classes.logs.rotation_days: Input should be less than or equal to 2560 (got 3000)",
    ]


def test_a_broken_catalog_fails_with_one_line_per_problem(broken):
    with pytest.raises(CatalogError) as err:
        load_kms_catalog(broken / "kms")
    assert str(err.value).splitlines() == expected_lines(broken)


def test_the_check_command_exits_2_on_a_broken_catalog(broken, capsys):
    assert catalogs.main(["--catalogs", str(broken), "check"]) == 2
    assert capsys.readouterr().err.splitlines() == [f"error: catalog {line}" for line in expected_lines(broken)]


def test_the_synth_exits_2_with_those_lines_and_writes_nothing(broken, tmp_path):
    out = tmp_path / "out"
    env = {**os.environ, "BOI_ENV": "dev", "BOI_OUT_DIR": str(out), "BOI_CATALOGS_DIR": str(broken)}
    run = subprocess.run([sys.executable, "main.py"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode == 2, run.stderr
    assert "Traceback" not in run.stderr
    assert run.stderr.splitlines() == [f"error: catalog {line}" for line in expected_lines(broken)]
    assert not out.exists() and not any(tmp_path.glob(".synth-*"))


def test_a_catalog_another_catalog_names_is_cross_checked(tmp_path):
    root = tmp_path / "catalogs"
    shutil.copytree(ROOT / "catalogs", root)
    controls = root / "audit" / "controls.yaml"
    controls.write_text(controls.read_text().replace("config_rule:S3_BUCKET_DEFAULT_LOCK_ENABLED", "config_rule:NOPE"))
    (line,) = catalogs.problems(root)
    assert line.startswith(f"{controls}: controls.3.implemented_by.2: 'config_rule:NOPE' is not in config_rules.yaml;")
    assert "allowed: config_rule:BACKUP_RECOVERY_POINT_MANUAL_DELETION_DISABLED, " in line


# ---- the platform's decisions ----------------------------------------------------------------------------


REQUIRED_CLASSES = {"pii", "documents", "database", "logs", "secrets", "messaging", "backups"}


def test_key_classes_have_the_decided_rotation():
    classes = catalogs.kms().classes
    assert set(classes) >= REQUIRED_CLASSES
    assert classes["pii"].rotation_days == 180
    assert classes["documents"].rotation_days == 180
    for name in REQUIRED_CLASSES - {"pii", "documents"}:
        assert classes[name].rotation_days == 365, name
    for key_class in classes.values():
        assert key_class.deletion_window_days == 30
        assert key_class.key_spec == "SYMMETRIC_DEFAULT"
        assert key_class.multi_region is False
    assert {"tenant_id", "record_type", "schema_v"} <= set(classes["pii"].allowed_encryption_context_keys)
    assert classes["pii"].allowed_via_services == ()
    assert classes["documents"].allowed_via_services == ("s3",)


def test_the_runbook_covers_every_key_class_and_the_secret_material_is_bounded():
    kms = catalogs.kms()
    assert {entry.key_class for entry in kms.compromise_runbook} == set(kms.classes)
    items = {item.name: item for item in kms.secret_material}
    assert items["RDS master password"].max_age_days == 7
    assert items["FinCEN API client credentials"].max_age_days == 365
    assert "2027-03-15" in items["Public TLS certificates"].rotation


def test_deployed_config_rules_are_gaps_or_custom_parameters():
    """The duplicate policy: never deploy a rule Security Hub already runs with the same parameters."""
    for rule in catalogs.audit().rules:
        if rule.deploy:
            assert rule.reason_deployed.startswith(("gap", "custom parameter")), rule.identifier
            if rule.reason_deployed.startswith("custom parameter"):
                assert rule.parameters, rule.identifier
        else:
            assert rule.covered_by.startswith("Security Hub"), rule.identifier


def test_every_control_has_evidence_and_a_described_cadence():
    audit = catalogs.audit()
    assert set(audit.reviews) == {"daily", "weekly", "quarterly", "yearly"}
    assert [f.id for f in audit.cis_filters] == [f"4.{i}" for i in range(1, 16)]
    for standard in audit.standards:
        for disabled in standard.disabled_controls:
            assert len(disabled.reason) > 40, f"{standard.id} {disabled.control_id} needs a real reason"


def test_every_managed_policy_the_platform_attaches_today_is_reviewed_with_a_size():
    reviewed = catalogs.managed_policies()
    for name in ("PowerUserAccess", "SecurityAudit", "ReadOnlyAccess", "AdministratorAccess",
                 "service-role/AmazonRDSEnhancedMonitoringRole",
                 "service-role/AmazonAPIGatewayPushToCloudWatchLogs",
                 "service-role/AWS_ConfigRole"):  # fmt: skip
        assert name in reviewed
        size = reviewed[name]["size"]
        assert size == "not measured offline" or size["statements"] >= 1


def test_no_component_ships_this_platforms_catalogs():
    assert not (ROOT / "kms/boi_kms/data").exists() and not (ROOT / "audit/boi_audit/data").exists()
    # AWS facts and the component's own mechanism (IAM type categories, guardrail Sid reasons) stay in it.
    assert sorted(p.name for p in (ROOT / "iam/boi_iam/data").glob("*.yaml")) == [
        "guard_reasons.yaml",
        "iam_types.yaml",
    ]
    for example in ROOT.glob("*/boi_*/example/*.yaml"):
        text = example.read_text()
        for platform_word in ("FinCEN", "BOI", "beneficial owner", "PII columns in RDS PostgreSQL"):
            assert platform_word not in text, f"{example.relative_to(ROOT)} describes this platform: {platform_word}"


def test_every_platform_key_class_names_what_must_use_it():
    from boi import catalogs

    classes = catalogs.kms().classes
    assert classes and all(c.used_by for c in classes.values()), [n for n, c in classes.items() if not c.used_by]


def test_every_platform_secret_material_entry_rests_on_evidence():
    from boi import catalogs

    material = catalogs.kms().secret_material
    assert all(m.evidence.present or m.evidence.absent for m in material), [m.name for m in material]
