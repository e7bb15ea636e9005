"""Key-class catalog model and rotation overrides, on the component's example catalog (pure: no cdktn)."""

from dataclasses import replace

import pytest
import yaml
from boi_kms.catalog import EXAMPLE, KeyClassesCatalog, example, load_key_classes, load_kms_catalog
from boi_kms.classes import resolve_classes
from boi_kms.errors import ConfigError
from boi_model.catalog import CatalogError, validate


@pytest.fixture(scope="module")
def classes():
    return example().classes


def test_example_catalog_loads_into_key_classes(classes):
    assert classes == load_key_classes(EXAMPLE / "key_classes.yaml")
    assert classes["pii"].rotation_days == 180
    assert {"tenant_id", "record_type", "schema_v"} <= set(classes["pii"].allowed_encryption_context_keys)
    assert classes["pii"].allowed_via_services == ()
    assert classes["documents"].allowed_via_services == ("s3",)
    assert "logs.us-west-2.amazonaws.com" in classes["logs"].service_principals_in("us-west-2")


def test_overrides_apply_and_accept_the_bounds(classes):
    resolved = resolve_classes({"pii": 90, "logs": 2560}, catalog=classes)
    assert resolved["pii"].rotation_days == 90
    assert resolved["logs"].rotation_days == 2560
    assert resolved["documents"].rotation_days == 180


def test_the_catalog_is_a_required_parameter():
    with pytest.raises(TypeError):
        resolve_classes({"pii": 90})


@pytest.mark.parametrize("days", [89, 2561, 0, "180", True, None])
def test_override_outside_range_is_rejected(classes, days):
    with pytest.raises(ConfigError) as error:
        resolve_classes({"pii": days}, catalog=classes)
    assert "rotation_overrides.pii" in str(error.value)
    assert "90" in str(error.value) and "2560" in str(error.value)


def test_unknown_class_names_the_known_ones(classes):
    with pytest.raises(ConfigError) as error:
        resolve_classes({"pi": 180}, catalog=classes)
    message = str(error.value)
    assert "rotation_overrides.pi" in message and "'pi'" in message
    assert "documents" in message and "pii" in message


def test_rotation_for_a_non_symmetric_key_is_rejected(classes):
    catalog = dict(classes)
    catalog["blind-index"] = replace(catalog["pii"], name="blind-index", key_spec="HMAC_256", rotation_days=None)
    assert resolve_classes({}, catalog=catalog)["blind-index"].key_usage == "GENERATE_VERIFY_MAC"
    with pytest.raises(ConfigError) as error:
        resolve_classes({"blind-index": 365}, catalog=catalog)
    assert "HMAC_256" in str(error.value) and "rotation_overrides.blind-index" in str(error.value)


def _entry(**changes):
    entry = {
        "description": "d",
        "protects": ["x"],
        "rotation_days": 365,
        "rotation_justification": "j",
        "deletion_window_days": 30,
        "multi_region": False,
        "key_spec": "SYMMETRIC_DEFAULT",
        "allowed_via_services": [],
        "allowed_service_principals": [],
        "allowed_encryption_context_keys": [],
    }
    entry.update(changes)
    return {"key_classes": {"k": entry}}


@pytest.mark.parametrize(
    ("changes", "line"),
    [
        ({"rotation_days": 30}, "key_classes.k.rotation_days: Input should be greater than or equal to 90 (got 30)"),
        ({"rotation_days": 3000}, "key_classes.k.rotation_days: Input should be less than or equal to 2560"),
        ({"rotation_days": "365"}, "key_classes.k.rotation_days: Input should be a valid integer"),
        ({"rotation_days": None}, "key_classes.k.rotation_days: Value error, key spec SYMMETRIC_DEFAULT rotates"),
        ({"key_spec": "AES_256"}, "key_classes.k.key_spec: Input should be 'SYMMETRIC_DEFAULT', 'RSA_2048'"),
        ({"key_spec": "RSA_2048"}, "key_classes.k.rotation_days: Value error, key spec RSA_2048 has no automatic"),
        ({"deletion_window_days": 6}, "key_classes.k.deletion_window_days: Input should be greater than or equal"),
        ({"multi_region": "no"}, "key_classes.k.multi_region: Input should be a valid boolean"),
        ({"allowed_via_services": ["S3 bucket"]}, "key_classes.k.allowed_via_services.0: String should match"),
        ({"allowed_service_principals": ["cloudtrail"]}, "key_classes.k.allowed_service_principals.0: String should"),
        ({"colour": "red"}, "key_classes.k.colour: Extra inputs are not permitted; allowed fields: key_spec, descr"),
    ],
)
def test_bad_catalog_entries_name_file_path_and_what_is_allowed(changes, line):
    with pytest.raises(CatalogError) as error:
        validate(KeyClassesCatalog, _entry(**changes), "key_classes.yaml")
    assert f"key_classes.yaml: {line}" in str(error.value)


def test_a_non_rotating_key_spec_needs_no_period():
    model = validate(KeyClassesCatalog, _entry(key_spec="HMAC_256", rotation_days=None), "key_classes.yaml")
    assert model.classes()["k"].rotation_days is None


def test_missing_field_and_every_problem_reported_at_once():
    document = _entry(deletion_window_days=60)
    del document["key_classes"]["k"]["description"]
    with pytest.raises(CatalogError) as error:
        validate(KeyClassesCatalog, document, "key_classes.yaml")
    lines = str(error.value).splitlines()
    assert lines == [
        "key_classes.yaml: key_classes.k.description: Field required",
        "key_classes.yaml: key_classes.k.deletion_window_days: Input should be less than or equal to 30 (got 60)",
    ]


def test_a_catalog_folder_is_cross_checked(tmp_path):
    for file in EXAMPLE.glob("*.yaml"):
        (tmp_path / file.name).write_text(file.read_text())
    runbook = yaml.safe_load((tmp_path / "compromise_runbook.yaml").read_text())
    runbook["compromise_runbook"][0]["key_class"] = "vault"
    (tmp_path / "compromise_runbook.yaml").write_text(yaml.safe_dump(runbook))
    with pytest.raises(CatalogError) as error:
        load_kms_catalog(tmp_path)
    assert str(error.value) == (
        f"{tmp_path / 'compromise_runbook.yaml'}: compromise_runbook.0.key_class: unknown key class 'vault'; "
        f"allowed: a class of {tmp_path / 'key_classes.yaml'}: "
        "backups, database, documents, logs, messaging, pii, secrets"
    )
