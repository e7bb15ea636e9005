"""The KMS catalogs a platform passes in: their models (the schema) and the loader of a catalog folder.

A catalog folder holds four files, each checked against its model (`boi_model.catalog.load`: one line
per problem naming the file, the path inside it and what is allowed):

- `key_classes.yaml` (`KeyClassesCatalog`): one customer managed key per class, its rotation period
  with the reason for it, deletion window, key spec and who may use it;
- `secret_material.yaml` (`SecretMaterialCatalog`): secrets that are not KMS keys and how each is renewed;
- `compromise_runbook.yaml` (`CompromiseRunbookCatalog`): per data store, when on-demand rotation is
  enough and when a new key and re-encryption are needed;
- `field_encryption.yaml` (`FieldEncryptionCatalog`): the application's field-level encryption standard.

The component ships a complete example folder (`EXAMPLE`, used by its own tests and as documentation);
a platform keeps its own folder and passes `load_kms_catalog(<folder>)` to the renderer and
`resolve_classes(catalog=...)`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal

from boi_model.catalog import CatalogError, Strict, load
from pydantic import Field, StringConstraints, field_validator

from boi_kms.classes import KEY_SPECS, ROTATION_MAX_DAYS, ROTATION_MIN_DAYS, KeyClass, rotation_problem

EXAMPLE = Path(__file__).resolve().parent / "example"

ClassName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9-]*$")]
ServiceShortName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9-]*$")]
ServicePrincipal = Annotated[str, StringConstraints(pattern=r"^[a-z0-9.-]+(<region>)?[a-z0-9.-]*\.amazonaws\.com$")]
Text = Annotated[str, StringConstraints(min_length=1)]
TerraformType = Annotated[str, StringConstraints(pattern=r"^aws_[a-z0-9_]+$")]
Days = Annotated[int, Field(strict=True, ge=1)]
KeySpec = Literal[KEY_SPECS]  # type: ignore[valid-type]


class KeyClassEntry(Strict):
    """One key class. `key_spec` comes first: the rotation period is checked against it."""

    key_spec: KeySpec = Field(description="KMS key spec; only SYMMETRIC_DEFAULT rotates automatically")
    description: Text
    protects: list[Text] = Field(min_length=1, description="what the keys of this class protect")
    rotation_days: Annotated[int, Field(strict=True, ge=ROTATION_MIN_DAYS, le=ROTATION_MAX_DAYS)] | None = Field(
        default=None,
        validate_default=True,
        description="automatic rotation period, 90..2560 days; null for key specs that do not rotate",
    )
    rotation_justification: Text
    deletion_window_days: Annotated[int, Field(strict=True, ge=7, le=30)]
    multi_region: Annotated[bool, Field(strict=True)]
    allowed_via_services: list[ServiceShortName] = Field(description="kms:ViaService short names, e.g. s3, rds")
    allowed_service_principals: list[ServicePrincipal] = Field(
        description="AWS service principals; <region> is replaced by the deployment region"
    )
    allowed_encryption_context_keys: list[Text]
    used_by: list[TerraformType] = Field(
        default_factory=list,
        description="resource types that must use each key of the class (binds `protects` to the synthesized JSON)",
    )

    @field_validator("rotation_days")
    @classmethod
    def _rotation_fits_the_key_spec(cls, days: int | None, info) -> int | None:
        spec = info.data.get("key_spec")
        if spec is not None:
            problem = rotation_problem(spec, days)
            if problem:
                reason, allowed = problem
                raise ValueError(f"{reason}; allowed: {allowed}")
        return days


class KeyClassesCatalog(Strict):
    """key_classes.yaml"""

    key_classes: dict[ClassName, KeyClassEntry] = Field(min_length=1)

    def classes(self) -> dict[str, KeyClass]:
        return {
            name: KeyClass(
                name=name,
                description=e.description,
                protects=tuple(e.protects),
                rotation_days=e.rotation_days,
                rotation_justification=e.rotation_justification,
                deletion_window_days=e.deletion_window_days,
                multi_region=e.multi_region,
                key_spec=e.key_spec,
                allowed_via_services=tuple(e.allowed_via_services),
                allowed_service_principals=tuple(e.allowed_service_principals),
                allowed_encryption_context_keys=tuple(e.allowed_encryption_context_keys),
                used_by=tuple(e.used_by),
            )
            for name, e in self.key_classes.items()
        }


class ResourceFact(Strict):
    """A resource the claim needs: at least one of `type` whose attributes equal `where`."""

    type: TerraformType
    where: dict[str, str | int | bool] = Field(default_factory=dict)


class Evidence(Strict):
    """What the synthesized JSON must show for the entry's text to be true; the document refuses to render
    an entry whose evidence is missing."""

    present: list[ResourceFact] = Field(default_factory=list)
    absent: list[TerraformType] = Field(default_factory=list, description="resource types that must not exist")


class SecretMaterial(Strict):
    name: Text
    mechanism: Text
    rotated_by: Text
    rotation: Text
    max_age_days: Days | None = Field(description="the longest one value may live; null: no stored long-lived value")
    key_class: ClassName | None = Field(description="the key class that encrypts it, if any")
    notes: Text
    evidence: Evidence = Field(
        default_factory=Evidence, description="the facts in the synthesized JSON this entry's text rests on"
    )


class SecretMaterialCatalog(Strict):
    """secret_material.yaml"""

    secret_material: list[SecretMaterial] = Field(min_length=1)


class RunbookEntry(Strict):
    store: Text
    key_class: ClassName
    on_demand_rotation_enough_when: Text
    new_key_needed_when: Text


class CompromiseRunbookCatalog(Strict):
    """compromise_runbook.yaml"""

    compromise_runbook: list[RunbookEntry] = Field(min_length=1)


class DataKeyCaching(Strict):
    use: Text
    max_age_seconds: Days
    max_messages_encrypted: Days
    max_bytes_encrypted: Days
    scope: Text


RecordType = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$")]


class RecordTypeEntry(Strict):
    """One kind of encrypted record: the value of the `record_type` encryption-context key."""

    what: Text
    written_by: list[ServiceShortName] = Field(
        min_length=1, description="services that encrypt (and decrypt) records of this type"
    )
    read_by: list[ServiceShortName] = Field(default_factory=list, description="services that only decrypt them")


class FieldEncryption(Strict):
    library: Text
    algorithm_suite: Annotated[str, StringConstraints(pattern=r"^AES_(128|192|256)_GCM_[A-Z0-9_]+$")] = Field(
        description="an AWS Encryption SDK algorithm suite name"
    )
    algorithm_suite_why: Text
    commitment_policy: Literal[
        "REQUIRE_ENCRYPT_REQUIRE_DECRYPT", "REQUIRE_ENCRYPT_ALLOW_DECRYPT", "FORBID_ENCRYPT_ALLOW_DECRYPT"
    ]
    keyring: Text
    key_class: ClassName
    context_rules: list[Text] = Field(min_length=1)
    data_key_caching: DataKeyCaching
    record_types: dict[RecordType, RecordTypeEntry] = Field(
        default_factory=dict,
        description="record_type context values and who may use them: each service's key-policy grant admits "
        "only its own record types (kms:EncryptionContext:record_type)",
    )

    def record_types_of(self, service: str) -> dict[str, tuple[str, ...]]:
        """{"encrypt": types the service writes, "decrypt": types it writes or reads}."""
        writes = sorted(t for t, e in self.record_types.items() if service in e.written_by)
        reads = sorted(t for t, e in self.record_types.items() if service in e.written_by or service in e.read_by)
        return {"encrypt": tuple(writes), "decrypt": tuple(reads)}


class FieldEncryptionCatalog(Strict):
    """field_encryption.yaml"""

    field_encryption: FieldEncryption


MODELS: dict[str, type[Strict]] = {
    "key_classes": KeyClassesCatalog,
    "secret_material": SecretMaterialCatalog,
    "compromise_runbook": CompromiseRunbookCatalog,
    "field_encryption": FieldEncryptionCatalog,
}


@dataclass(frozen=True)
class KmsCatalog:
    """A platform's KMS catalogs, validated and cross-checked (every key class named exists)."""

    classes: dict[str, KeyClass]
    secret_material: list[SecretMaterial]
    compromise_runbook: list[RunbookEntry]
    field_encryption: FieldEncryption


def load_key_classes(path: str | Path) -> dict[str, KeyClass]:
    """A key_classes.yaml file, validated into KeyClass values."""
    return load(KeyClassesCatalog, path).classes()


def load_kms_catalog(folder: str | Path) -> KmsCatalog:
    """The four files of a KMS catalog folder; CatalogError with every problem, one line each."""
    folder = Path(folder)
    loaded: dict[str, Strict] = {}
    problems: list[str] = []
    for name, model in MODELS.items():
        try:
            loaded[name] = load(model, folder / f"{name}.yaml")
        except CatalogError as err:
            problems += str(err).splitlines()
    if problems:
        raise CatalogError("\n".join(problems))
    classes = loaded["key_classes"].classes()
    allowed = f"allowed: a class of {folder / 'key_classes.yaml'}: {', '.join(sorted(classes))}"

    def unknown(file: str, where: str, name: str | None) -> None:
        if name is not None and name not in classes:
            problems.append(f"{folder / file}: {where}: unknown key class {name!r}; {allowed}")

    for i, item in enumerate(loaded["secret_material"].secret_material):
        unknown("secret_material.yaml", f"secret_material.{i}.key_class", item.key_class)
    for i, entry in enumerate(loaded["compromise_runbook"].compromise_runbook):
        unknown("compromise_runbook.yaml", f"compromise_runbook.{i}.key_class", entry.key_class)
    standard = loaded["field_encryption"].field_encryption
    unknown("field_encryption.yaml", "field_encryption.key_class", standard.key_class)
    if problems:
        raise CatalogError("\n".join(problems))
    return KmsCatalog(
        classes=classes,
        secret_material=list(loaded["secret_material"].secret_material),
        compromise_runbook=list(loaded["compromise_runbook"].compromise_runbook),
        field_encryption=standard,
    )


def example() -> KmsCatalog:
    """The example catalog shipped with the component (its tests and documentation use it)."""
    return load_kms_catalog(EXAMPLE)
