"""The reviewed IAM catalogs a platform passes in: their models (the schema) and loaders (pure).

- `ManagedPoliciesCatalog`: the AWS managed policies the platform accepts, each with what it is, why it
  is accepted and its measured size; the IAM document refuses to render a role that carries one not
  listed (`boi_iam.render`).
- `AccessMatrix`: which principal may do which operation on which sensitive asset (`operations` per
  asset type, `assets`, `allow`), the privileged-access section (`privileges`) and the operational
  actions each role needs besides (`runtime_needs`). Proofs, least-privilege rows and the IAM document
  read it.

Both are checked by `boi_model.catalog` (one line per problem naming the file, the path inside it and what
is allowed); the matrix is cross-checked as well (asset types, assets and operations it names exist).
The component ships examples in `EXAMPLE` (`managed_policies.yaml`, `access_matrix.yaml`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from boi_model.catalog import CatalogError, Strict, load, read_yaml, validate
from pydantic import Field, StringConstraints, model_validator

from boi_iam.escalation import PATH_KINDS

EXAMPLE = Path(__file__).resolve().parent / "example"

Text = Annotated[str, StringConstraints(min_length=1)]
Count = Annotated[int, Field(strict=True, ge=1)]
Action = Annotated[str, StringConstraints(pattern=r"^[a-z0-9-]+:[A-Za-z0-9*?]+$")]
Operation = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9-]*$")]
# "decrypt@s3": the operation "decrypt" made through S3 (kms:ViaService).
OperationVia = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9-]*(@[a-z0-9-]+)?$")]
PathKind = Literal[PATH_KINDS]  # type: ignore[valid-type]


# ---- AWS managed policies ------------------------------------------------------------------------


class MeasuredSize(Strict):
    statements: Count
    action_entries: Count = Field(description="strings in the Action elements as written (a wildcard counts once)")
    not_action: list[Action] = Field(default_factory=list)
    version: str = ""
    source: Text = Field(description="where the size was measured")


class ManagedPolicy(Strict):
    what: Text = Field(description="what the policy is (AWS's description, in short)")
    why: Text = Field(description="why the platform accepts a document it does not control, and what limits it")
    size: MeasuredSize | Literal["not measured offline"]


class ManagedPoliciesCatalog(Strict):
    """managed_policies.yaml: policy name after arn:aws:iam::aws:policy/ (with its path) -> review."""

    managed_policies: dict[Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9+=,.@_/-]+$")], ManagedPolicy]


def load_managed_policies(path: str | Path) -> dict[str, dict]:
    """The reviewed AWS managed policies of a file, validated: name -> {what, why, size}."""
    return load(ManagedPoliciesCatalog, path).model_dump()["managed_policies"]


# ---- access matrix -------------------------------------------------------------------------------

# Asset types the proofs know how to address, and the fields each needs for that.
ASSET_FIELDS = {
    "s3_object": ("bucket", "key"),
    "kms_key": ("alias",),
    "secret": ("name",),
    "sqs_queue": ("name",),
    "dynamodb_table": ("name",),
    "rds_db_user": ("user",),
}


class Asset(Strict):
    type: Text = Field(description="an asset type of `operations`")
    bucket: Text | None = None
    key: Text | None = None
    alias: Text | None = None
    context_keys: list[Text] | None = Field(default=None, description="encryption context keys a real call sends")
    context: dict[Text, Text] | None = Field(
        default=None, description="encryption context values a real call sends (checked by value by the key policy)"
    )
    name: Text | None = None
    user: Text | None = None

    @model_validator(mode="after")
    def _addressable(self) -> Asset:
        missing = [f for f in ASSET_FIELDS.get(self.type, ()) if getattr(self, f) is None]
        if missing:
            raise ValueError(
                f"an asset of type {self.type} needs {', '.join(missing)}; allowed fields for it: "
                f"type, {', '.join(ASSET_FIELDS[self.type])}"
                + (", context_keys, context" if self.type == "kms_key" else "")
            )
        return self


class TrustedBase(Strict):
    why: Text
    control: Text = Field(description="the compensating control (preventive and detective)")
    reviewer: Text = Field(description="who reviews its use")


class AcceptedPath(Strict):
    principal: Text
    kinds: list[PathKind] = Field(min_length=1)
    to: list[Text] = Field(min_length=1, description="node name patterns")
    control: Text
    reviewer: Text


class Privileges(Strict):
    trusted_base: dict[Text, TrustedBase] = Field(default_factory=dict)
    accepted_paths: list[AcceptedPath] = Field(default_factory=list)
    holders: dict[Text, dict[Text, Text]] = Field(
        default_factory=dict, description="outcome class -> principal -> ARN pattern of what it may touch"
    )


class Perimeter(Strict):
    """What the data perimeter must hold, written apart from the policies that implement it."""

    workloads: list[Text] = Field(min_length=1, description="principal name patterns whose credentials it confines")
    resource_policies: list[Text] = Field(
        default_factory=list, description="asset name patterns whose own resource policy must refuse outsiders"
    )
    boundary_services: list[Text] = Field(
        default_factory=list, description="IAM service prefixes the workload boundary keeps inside the VPC"
    )


class AccessMatrix(Strict):
    """access_matrix.yaml"""

    operations: dict[Text, dict[Operation, Annotated[list[Action], Field(min_length=1)]]] = Field(
        description="asset type -> operation -> the actions it takes"
    )
    assets: dict[Text, Asset]
    allow: dict[Text, dict[Text, Annotated[list[OperationVia], Field(min_length=1)]]] = Field(
        description="principal (role name without the environment prefix) -> asset -> operations"
    )
    privileges: Privileges | None = None
    perimeter: Perimeter | None = None
    runtime_needs: dict[Text, list[Action]] = Field(
        default_factory=dict, description="principal -> operational actions outside the assets"
    )


def matrix_problems(matrix: AccessMatrix, source: str) -> list[str]:
    """What the matrix names that it does not define, one line each."""
    problems = []
    for name, asset in matrix.assets.items():
        if asset.type not in matrix.operations:
            problems.append(
                f"{source}: assets.{name}.type: {asset.type!r} has no operations; "
                f"allowed: {', '.join(sorted(matrix.operations))}"
            )
    for principal, grants in matrix.allow.items():
        for asset_name, ops in grants.items():
            asset = matrix.assets.get(asset_name)
            if asset is None:
                allowed = ", ".join(sorted(matrix.assets))
                problems.append(f"{source}: allow.{principal}.{asset_name}: unknown asset; allowed: {allowed}")
                continue
            known = matrix.operations.get(asset.type, {})
            for i, op in enumerate(ops):
                if op.split("@")[0] not in known:
                    problems.append(
                        f"{source}: allow.{principal}.{asset_name}.{i}: operation {op!r} is not defined for type "
                        f"{asset.type!r}; allowed: {', '.join(sorted(known))}"
                    )
    return problems


def validate_access_matrix(data: Any, source: str = "access matrix") -> dict:
    """The matrix checked against `AccessMatrix` and cross-checked; returns the data as given."""
    matrix = validate(AccessMatrix, data, source)
    problems = matrix_problems(matrix, source)
    if problems:
        raise CatalogError("\n".join(problems))
    return data


def load_access_matrix(path: str | Path, placeholders: dict[str, str] | None = None) -> dict:
    """An access-matrix file with `{name}` placeholders (env, account, region, ...) filled in, validated."""
    read_yaml(path)  # a missing or malformed file, named
    text = Path(path).read_text(encoding="utf-8")
    for name, value in (placeholders or {}).items():
        text = text.replace("{" + name + "}", value)
    return validate_access_matrix(yaml.safe_load(text), str(path))
