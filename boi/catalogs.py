"""The platform's catalogs (`catalogs/`) as the tooling reads them, and their JSON Schemas.

    python -m boi.catalogs check      # every catalog against its model; stale schemas (exit 1); bad catalog: exit 2
    python -m boi.catalogs schemas    # write catalogs/schemas/<folder>.<name>.schema.json from the models

Each catalog has a pydantic model in the component that consumes it (boi_kms.catalog, boi_audit.catalog,
boi_iam.catalog) or in boi_model.reviewed; the schemas committed under catalogs/schemas/ are exported
from those models (editors can validate with them) and a test fails when one is stale.
"""

from __future__ import annotations

import argparse
import os
import sys
from functools import cache
from pathlib import Path

from boi_audit import catalog as audit_catalog
from boi_iam import catalog as iam_catalog
from boi_kms import catalog as kms_catalog
from boi_model import reviewed
from boi_model.catalog import CatalogError, load, schema_text
from boi_model.synth import Environment
from pydantic import BaseModel

from boi import alerts

ROOT = Path(__file__).resolve().parent.parent
# BOI_CATALOGS_DIR: read another catalogs folder (as the synth does); the schemas are always the repository's.
CATALOGS = Path(os.environ.get("BOI_CATALOGS_DIR") or ROOT / "catalogs")
SCHEMAS = ROOT / "catalogs" / "schemas"
REGENERATE = "uv run --frozen python -m boi.catalogs schemas"

# catalog file (relative to catalogs/) -> its model
MODELS: dict[str, type[BaseModel]] = {
    **{f"kms/{name}.yaml": model for name, model in kms_catalog.MODELS.items()},
    **{f"audit/{name}.yaml": model for name, model in audit_catalog.MODELS.items()},
    "iam/access_matrix.yaml": iam_catalog.AccessMatrix,
    "iam/managed_policies.yaml": iam_catalog.ManagedPoliciesCatalog,
    "iam/accepted_findings.yaml": reviewed.AcceptedFindings,
    "gate/suppressions.yaml": reviewed.Suppressions,
    "oncall/alerts.yaml": alerts.AlertsCatalog,
}


def schema_name(catalog: str) -> str:
    """`kms/key_classes.yaml` -> `kms.key_classes.schema.json`"""
    return catalog.removesuffix(".yaml").replace("/", ".") + ".schema.json"


def shown(path: Path) -> Path:
    """A path as error lines name it: relative to the working directory when under it."""
    try:
        return path.relative_to(Path.cwd())
    except ValueError:
        return path


@cache
def kms(root: Path = CATALOGS) -> kms_catalog.KmsCatalog:
    return kms_catalog.load_kms_catalog(shown(root) / "kms")


@cache
def audit(root: Path = CATALOGS) -> audit_catalog.Catalog:
    return audit_catalog.load_catalog(shown(root) / "audit")


@cache
def managed_policies(root: Path = CATALOGS) -> dict[str, dict]:
    return iam_catalog.load_managed_policies(shown(root) / "iam" / "managed_policies.yaml")


@cache
def oncall_alerts(root: Path = CATALOGS) -> alerts.AlertsCatalog:
    return alerts.load_alerts(shown(root) / "oncall" / "alerts.yaml")


ACCESS_MATRIX = CATALOGS / "iam" / "access_matrix.yaml"


def access_matrix(env: Environment, path: Path = ACCESS_MATRIX) -> dict:
    """The reviewed access matrix with the environment's names ({env}, {account}, {region}) filled in."""
    placeholders = {"env": env.name, "account": env.account_id, "region": env.region}
    return iam_catalog.load_access_matrix(shown(path), placeholders)


def problems(root: Path = CATALOGS) -> list[str]:
    """Every problem of every catalog (schema and cross-checks), one line each."""
    found: list[str] = []
    root = shown(root)
    for name, model in MODELS.items():
        try:
            load(model, root / name)
        except CatalogError as err:
            found += str(err).splitlines()
    if found:
        return found
    for cross_checked in (
        lambda: kms_catalog.load_kms_catalog(root / "kms"),
        lambda: audit_catalog.load_catalog(root / "audit"),
        lambda: iam_catalog.load_access_matrix(root / "iam" / "access_matrix.yaml"),
    ):
        try:
            cross_checked()
        except CatalogError as err:
            found += str(err).splitlines()
    return found


def schemas() -> dict[str, str]:
    """Schema file name -> the JSON Schema text the model exports."""
    return {schema_name(name): schema_text(model) for name, model in MODELS.items()}


def write_schemas(folder: Path = SCHEMAS) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in schemas().items():
        path = folder / name
        if not path.is_file() or path.read_text() != text:
            path.write_text(text)
            written.append(path)
    for stale in sorted(set(folder.glob("*.schema.json")) - {folder / n for n in schemas()}):
        stale.unlink()
        written.append(stale)
    return written


def _shown(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def stale_schemas(folder: Path = SCHEMAS) -> list[str]:
    """One line per committed schema that differs from its model (or is missing, or has no model)."""
    out = []
    expected = schemas()
    for name, text in expected.items():
        path = folder / name
        if not path.is_file():
            out.append(f"{_shown(path)}: missing; run `{REGENERATE}`")
        elif path.read_text() != text:
            out.append(f"{_shown(path)}: stale (its model changed); run `{REGENERATE}` and commit it")
    for path in sorted(folder.glob("*.schema.json")):
        if path.name not in expected:
            out.append(f"{_shown(path)}: no catalog has this schema; run `{REGENERATE}`")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m boi.catalogs",
        description=__doc__.splitlines()[0],
        formatter_class=argparse.RawTextHelpFormatter,
    )
    parser.add_argument("--catalogs", type=Path, default=CATALOGS, help="the catalogs folder (default: %(default)s)")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("check", help="validate every catalog and compare the committed schemas with the models")
    sub.add_parser("schemas", help="write catalogs/schemas/*.schema.json from the models")
    args = parser.parse_args(argv)
    if args.command == "schemas":
        written = write_schemas()
        print(f"{len(schemas())} schemas in {_shown(SCHEMAS)} ({len(written)} written)")
        return 0
    bad = problems(args.catalogs)
    for line in bad:
        print(f"error: catalog {line}", file=sys.stderr)
    stale = stale_schemas()
    for line in stale:
        print(f"error: schema {line}", file=sys.stderr)
    if bad:
        return 2
    if stale:
        return 1
    print(f"{len(MODELS)} catalogs valid, schemas current")
    return 0


if __name__ == "__main__":
    sys.exit(main())
