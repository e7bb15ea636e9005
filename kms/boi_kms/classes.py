"""Key classes: the KeyClass values a catalog (boi_kms.catalog) is validated into, and per-environment
rotation overrides on top of them."""

from __future__ import annotations

from dataclasses import dataclass, replace

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
    used_by: tuple[str, ...] = ()  # resource types that must use each key of the class

    @property
    def key_usage(self) -> str:
        return "GENERATE_VERIFY_MAC" if self.key_spec.startswith("HMAC_") else "ENCRYPT_DECRYPT"

    def service_principals_in(self, region: str) -> tuple[str, ...]:
        return tuple(p.replace("<region>", region) for p in self.allowed_service_principals)

    def via_service_endpoint(self, short_name: str, region: str) -> str:
        return f"{short_name}.{region}.amazonaws.com"


def rotation_problem(key_spec: str, rotation_days: object) -> tuple[str, str] | None:
    """(what is wrong, what is allowed) for a rotation period of a key spec; None when it fits."""
    period = f"an integer from {ROTATION_MIN_DAYS} to {ROTATION_MAX_DAYS} (days)"
    if key_spec not in ROTATABLE_KEY_SPECS:
        if rotation_days is None:
            return None
        return (
            f"key spec {key_spec} has no automatic rotation (only {', '.join(ROTATABLE_KEY_SPECS)} rotates; "
            "rotate by a new key and an alias swap)",
            "null",
        )
    if rotation_days is None:
        return f"key spec {key_spec} rotates automatically and needs a period", period
    if (
        isinstance(rotation_days, bool)
        or not isinstance(rotation_days, int)
        or not ROTATION_MIN_DAYS <= rotation_days <= ROTATION_MAX_DAYS
    ):
        return "rotation period out of range", period
    return None


def resolve_classes(
    rotation_overrides: dict[str, int] | None = None,
    *,
    catalog: dict[str, KeyClass],
) -> dict[str, KeyClass]:
    """The platform's key classes (`boi_kms.catalog.load_key_classes(<file>)`) with per-environment
    rotation periods applied and validated."""
    classes = dict(catalog)
    overrides = rotation_overrides or {}
    if not isinstance(overrides, dict):
        raise ConfigError("rotation_overrides", overrides, "a mapping of key class name to days")
    for name, days in overrides.items():
        field = f"rotation_overrides.{name}"
        if name not in classes:
            raise ConfigError(field, name, f"a known key class: {', '.join(sorted(classes))}")
        key_class = classes[name]
        problem = rotation_problem(key_class.key_spec, days)
        if problem:
            reason, allowed = problem
            raise ConfigError(field, days, f"{allowed} ({reason}, class {name!r})")
        classes[name] = replace(key_class, rotation_days=days)
    return classes
