"""The platform's catalogs (reviewed data at the root, `catalogs/`), loaded once and validated against the
components' models before anything is built: a file that does not fit fails the synth with one line per
problem (file, path inside it, what is allowed) and exit 2."""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

from boi_audit.catalog import Catalog, load_catalog
from boi_kms.catalog import KmsCatalog, load_kms_catalog
from boi_model.catalog import CatalogError
from boi_model.reviewed import ReviewedExceptions

# BOI_CATALOGS_DIR points the synth at another catalogs folder (the tests use it for broken catalogs).
CATALOGS = Path(os.environ.get("BOI_CATALOGS_DIR") or Path(__file__).resolve().parents[1] / "catalogs")


def shown(root: Path) -> Path:
    """The folder as error lines name it: relative to the working directory when under it."""
    try:
        return root.relative_to(Path.cwd())
    except ValueError:
        return root


@cache
def kms(root: Path = CATALOGS) -> KmsCatalog:
    """Key classes, secret material, compromise runbook, field-level encryption (catalogs/kms/)."""
    return load_kms_catalog(shown(root) / "kms")


@cache
def audit(root: Path = CATALOGS) -> Catalog:
    """Config rules, CIS alarms, Security Hub standards, paging rules, controls (catalogs/audit/)."""
    return load_catalog(shown(root) / "audit")


def reviewed(root: Path = CATALOGS) -> ReviewedExceptions:
    """Checkov suppressions and accepted IAM lint findings (catalogs/gate/, catalogs/iam/)."""
    root = shown(root)
    return ReviewedExceptions.load(root / "gate" / "suppressions.yaml", root / "iam" / "accepted_findings.yaml")


def load_all(root: Path = CATALOGS) -> ReviewedExceptions:
    """Every catalog the synth reads, all problems of all files at once; returns the reviewed exceptions."""
    problems: list[str] = []
    found = None
    for load in (kms, audit, reviewed):
        try:
            result = load(root)
        except CatalogError as err:
            problems += str(err).splitlines()
        else:
            found = result if load is reviewed else found
    if problems:
        raise CatalogError("\n".join(problems))
    return found
