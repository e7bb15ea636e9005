"""Key classes: the catalog in data/key_classes.yaml, validated into KeyClass values."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from importlib import resources

import yaml

from boi_kms.errors import ConfigError

ROTATION_MIN_DAYS = 90
ROTATION_MAX_DAYS = 2560
DELETION_WINDOW_MIN_DAYS = 7
DELETION_WINDOW_MAX_DAYS = 30
# Automatic rotation exists only for symmetric encryption keys with AWS_KMS origin.
ROTATABLE_KEY_SPECS = ("SYMMETRIC_DEFAULT",)
KEY_SPECS = (
    "SYMMETRIC_DEFAULT",
    "RSA_2048",
    "RSA_3072",
    "RSA_4096",
    "ECC_NIST_P256",
    "ECC_NIST_P384",
    "ECC_NIST_P521",
    "ECC_SECG_P256K1",
    "HMAC_224",
    "HMAC_256",
    "HMAC_384",
    "HMAC_512",
)
_CLASS_NAME = re.compile(r"^[a-z][a-z0-9-]*$")
_SERVICE_SHORT_NAME = re.compile(r"^[a-z][a-z0-9-]*$")
_SERVICE_PRINCIPAL = re.compile(r"^[a-z0-9.-]+(<region>)?[a-z0-9.-]*\.amazonaws\.com$")


@dataclass(frozen=True)
class KeyClass:
    name: str
    description: str
    protects: tuple[str, ...]
    rotation_days: int | None
    rotation_justification: str
    deletion_window_days: int
    multi_region: bool
    key_spec: str
    allowed_via_services: tuple[str, ...]
    allowed_service_principals: tuple[str, ...]
    allowed_encryption_context_keys: tuple[str, ...]

    @property
    def key_usage(self) -> str:
        return "GENERATE_VERIFY_MAC" if self.key_spec.startswith("HMAC_") else "ENCRYPT_DECRYPT"

    def service_principals_in(self, region: str) -> tuple[str, ...]:
        return tuple(p.replace("<region>", region) for p in self.allowed_service_principals)

    def via_service_endpoint(self, short_name: str, region: str) -> str:
        return f"{short_name}.{region}.amazonaws.com"


def _require(entry: dict, name: str, field: str, kind: type | tuple[type, ...], allowed: str):
    path = f"key_classes.{name}.{field}"
    if field not in entry:
        raise ConfigError(path, None, f"a value is required ({allowed})")
    value = entry[field]
    # bool is an int subclass: a rotation period of `true` must not pass as 1.
    if isinstance(value, bool) and kind is int:
        raise ConfigError(path, value, allowed)
    if not isinstance(value, kind):
        raise ConfigError(path, value, allowed)
    return value


def _string_list(entry: dict, name: str, field: str, pattern: re.Pattern | None = None) -> tuple[str, ...]:
    values = _require(entry, name, field, list, "a list of strings")
    for i, value in enumerate(values):
        if not isinstance(value, str) or (pattern is not None and not pattern.match(value)):
            allowed = "a string" if pattern is None else f"a string matching {pattern.pattern}"
            raise ConfigError(f"key_classes.{name}.{field}[{i}]", value, allowed)
    return tuple(values)


def _check_rotation(name: str, key_spec: str, rotation_days: object, field: str) -> None:
    if rotation_days is None:
        if key_spec in ROTATABLE_KEY_SPECS:
            raise ConfigError(field, None, f"{ROTATION_MIN_DAYS}..{ROTATION_MAX_DAYS} days")
        return
    if key_spec not in ROTATABLE_KEY_SPECS:
        raise ConfigError(
            field,
            rotation_days,
            f"no automatic rotation for key spec {key_spec} of class {name!r} (only "
            f"{', '.join(ROTATABLE_KEY_SPECS)} rotates; rotate by a new key and an alias swap)",
        )
    if (
        isinstance(rotation_days, bool)
        or not isinstance(rotation_days, int)
        or not ROTATION_MIN_DAYS <= rotation_days <= ROTATION_MAX_DAYS
    ):
        raise ConfigError(field, rotation_days, f"an integer from {ROTATION_MIN_DAYS} to {ROTATION_MAX_DAYS}")


def parse_key_class(name: str, entry: object) -> KeyClass:
    if not _CLASS_NAME.match(str(name)):
        raise ConfigError(f"key_classes.{name}", name, "a lower-case name matching ^[a-z][a-z0-9-]*$")
    if not isinstance(entry, dict):
        raise ConfigError(f"key_classes.{name}", entry, "a mapping of class fields")
    known = set(KeyClass.__dataclass_fields__) - {"name"}
    for field in entry:
        if field not in known:
            raise ConfigError(f"key_classes.{name}.{field}", entry[field], f"fields {sorted(known)}")
    key_spec = _require(entry, name, "key_spec", str, f"one of {', '.join(KEY_SPECS)}")
    if key_spec not in KEY_SPECS:
        raise ConfigError(f"key_classes.{name}.key_spec", key_spec, f"one of {', '.join(KEY_SPECS)}")
    rotation_days = entry.get("rotation_days")
    _check_rotation(name, key_spec, rotation_days, f"key_classes.{name}.rotation_days")
    window = _require(entry, name, "deletion_window_days", int, "an integer from 7 to 30")
    if not DELETION_WINDOW_MIN_DAYS <= window <= DELETION_WINDOW_MAX_DAYS:
        raise ConfigError(f"key_classes.{name}.deletion_window_days", window, "an integer from 7 to 30")
    return KeyClass(
        name=name,
        description=_require(entry, name, "description", str, "a non-empty string"),
        protects=_string_list(entry, name, "protects"),
        rotation_days=rotation_days,
        rotation_justification=_require(entry, name, "rotation_justification", str, "a non-empty string"),
        deletion_window_days=window,
        multi_region=_require(entry, name, "multi_region", bool, "true or false"),
        key_spec=key_spec,
        allowed_via_services=_string_list(entry, name, "allowed_via_services", _SERVICE_SHORT_NAME),
        allowed_service_principals=_string_list(entry, name, "allowed_service_principals", _SERVICE_PRINCIPAL),
        allowed_encryption_context_keys=_string_list(entry, name, "allowed_encryption_context_keys"),
    )


def parse_key_classes(document: object) -> dict[str, KeyClass]:
    if not isinstance(document, dict) or not isinstance(document.get("key_classes"), dict):
        raise ConfigError("key_classes", document, "a mapping of class name to class fields")
    return {name: parse_key_class(name, entry) for name, entry in document["key_classes"].items()}


def load_key_classes() -> dict[str, KeyClass]:
    text = resources.files("boi_kms").joinpath("data/key_classes.yaml").read_text(encoding="utf-8")
    return parse_key_classes(yaml.safe_load(text))


def resolve_classes(
    rotation_overrides: dict[str, int] | None = None,
    catalog: dict[str, KeyClass] | None = None,
) -> dict[str, KeyClass]:
    """The catalog with per-environment rotation periods applied and validated."""
    classes = dict(load_key_classes() if catalog is None else catalog)
    overrides = rotation_overrides or {}
    if not isinstance(overrides, dict):
        raise ConfigError("rotation_overrides", overrides, "a mapping of key class name to days")
    for name, days in overrides.items():
        field = f"rotation_overrides.{name}"
        if name not in classes:
            raise ConfigError(field, name, f"a known key class: {', '.join(sorted(classes))}")
        key_class = classes[name]
        _check_rotation(name, key_class.key_spec, days, field)
        classes[name] = replace(key_class, rotation_days=days)
    return classes
