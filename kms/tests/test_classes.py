"""Key class catalog and its validation (pure: no cdktn import)."""

from dataclasses import replace

import pytest
from boi_kms.classes import load_key_classes, parse_key_classes, resolve_classes
from boi_kms.errors import ConfigError

REQUIRED_CLASSES = {"pii", "documents", "database", "logs", "secrets", "messaging", "backups"}


def test_catalog_has_the_required_classes_with_decided_rotation():
    classes = load_key_classes()
    assert set(classes) >= REQUIRED_CLASSES
    assert classes["pii"].rotation_days == 180
    assert classes["documents"].rotation_days == 180
    for name in REQUIRED_CLASSES - {"pii", "documents"}:
        assert classes[name].rotation_days == 365, name
    for key_class in classes.values():
        assert key_class.deletion_window_days == 30
        assert key_class.key_spec == "SYMMETRIC_DEFAULT"
        assert key_class.multi_region is False
        assert key_class.rotation_justification.strip()


def test_catalog_restricts_pii_context_and_documents_to_s3():
    classes = load_key_classes()
    assert {"tenant_id", "record_type", "schema_v"} <= set(classes["pii"].allowed_encryption_context_keys)
    assert classes["pii"].allowed_via_services == ()
    assert classes["documents"].allowed_via_services == ("s3",)
    assert "logs.us-west-2.amazonaws.com" in classes["logs"].service_principals_in("us-west-2")


def test_overrides_apply_and_accept_the_bounds():
    classes = resolve_classes({"pii": 90, "logs": 2560})
    assert classes["pii"].rotation_days == 90
    assert classes["logs"].rotation_days == 2560
    assert classes["documents"].rotation_days == 180


@pytest.mark.parametrize("days", [89, 2561, 0, "180", True, None])
def test_override_outside_range_is_rejected(days):
    with pytest.raises(ConfigError) as error:
        resolve_classes({"pii": days})
    assert "rotation_overrides.pii" in str(error.value)
    assert "90" in str(error.value) and "2560" in str(error.value)


def test_unknown_class_names_the_known_ones():
    with pytest.raises(ConfigError) as error:
        resolve_classes({"pi": 180})
    message = str(error.value)
    assert "rotation_overrides.pi" in message and "'pi'" in message
    assert "documents" in message and "pii" in message


def test_rotation_for_a_non_symmetric_key_is_rejected():
    catalog = load_key_classes()
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
    ("changes", "field"),
    [
        ({"rotation_days": 30}, "key_classes.k.rotation_days"),
        ({"key_spec": "AES_256"}, "key_classes.k.key_spec"),
        ({"key_spec": "RSA_2048"}, "key_classes.k.rotation_days"),
        ({"deletion_window_days": 6}, "key_classes.k.deletion_window_days"),
        ({"multi_region": "no"}, "key_classes.k.multi_region"),
        ({"allowed_via_services": ["S3 bucket"]}, "key_classes.k.allowed_via_services[0]"),
        ({"allowed_service_principals": ["cloudtrail"]}, "key_classes.k.allowed_service_principals[0]"),
        ({"colour": "red"}, "key_classes.k.colour"),
    ],
)
def test_bad_catalog_entries_name_the_field(changes, field):
    with pytest.raises(ConfigError) as error:
        parse_key_classes(_entry(**changes))
    assert error.value.field == field


def test_missing_field_is_reported():
    document = _entry()
    del document["key_classes"]["k"]["description"]
    with pytest.raises(ConfigError, match="key_classes.k.description"):
        parse_key_classes(document)
