"""The retention and disposal schedule (catalogs/records/retention.yaml) checked against the synthesized JSON.

Each record names where the JSON sets its retention (`source`); the value is read from there, never copied
from the catalog, and a value shorter than the record's minimum, or a source that names nothing, stops the
documents from rendering. Records whose retention only the application enforces say so.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal

from boi_model.catalog import CatalogError, Strict, load
from boi_model.reviewed import glob_match
from boi_model.synth import Resource, as_synth
from pydantic import StringConstraints, model_validator

Text = Annotated[str, StringConstraints(min_length=3)]


class Source(Strict):
    kind: Literal["object_lock", "log_group", "bucket_expiration", "backup_plan", "ttl", "application"]
    resource: str | None = None  # Terraform resource name glob
    name: str | None = None  # log group name glob

    @model_validator(mode="after")
    def _selector(self):
        needs = {"log_group": "name", "application": None}.get(self.kind, "resource")
        if needs and getattr(self, needs) is None:
            raise ValueError(f"source kind {self.kind} needs `{needs}`")
        return self


class Record(Strict):
    record: Text
    system: Text
    pii: bool
    min_days: int
    basis: Text
    disposal: Text
    owner: Text
    source: Source


class RetentionCatalog(Strict):
    bases: dict[str, Text]
    records: list[Record]

    @model_validator(mode="after")
    def _bases_exist(self):
        unknown = sorted({r.basis for r in self.records} - set(self.bases))
        if unknown:
            raise ValueError(f"records name bases that are not defined: {', '.join(unknown)}")
        return self


@dataclass(frozen=True)
class Row:
    record: Record
    days: int | None  # None: enforced by the application, not by the JSON
    where: str


def load_retention(path: str | Path) -> RetentionCatalog:
    return load(RetentionCatalog, path)


def _days_of(r: Resource, kind: str) -> int | None:
    body = r.body

    def first(value):
        return (value[0] if value else {}) if isinstance(value, list) else (value or {})

    if kind == "object_lock":
        ret = first(first(body.get("rule")).get("default_retention"))
        return ret.get("days") or (ret.get("years") * 365 if ret.get("years") else None)
    if kind == "log_group":
        return body.get("retention_in_days")
    if kind == "bucket_expiration":
        days = [first(rule.get("expiration")).get("days") for rule in body.get("rule") or []]
        return min((d for d in days if d), default=None)
    if kind == "backup_plan":
        days = [first(rule.get("lifecycle")).get("delete_after") for rule in body.get("rule") or []]
        return min((d for d in days if d), default=None)
    return None


SOURCES = {
    "object_lock": "aws_s3_bucket_object_lock_configuration",
    "log_group": "aws_cloudwatch_log_group",
    "bucket_expiration": "aws_s3_bucket_lifecycle_configuration",
    "backup_plan": "aws_backup_plan",
    "ttl": "aws_dynamodb_table",
}


def check(synth, catalog: RetentionCatalog) -> list[Row]:
    synth = as_synth(synth)
    rows, problems = [], []
    for record in catalog.records:
        src = record.source
        if src.kind == "application":
            rows.append(Row(record, None, "application (no infrastructure setting)"))
            continue
        found = [
            r
            for r in synth.resources(SOURCES[src.kind])
            if glob_match(str(r.body.get("name")) if src.kind == "log_group" else r.name, src.name or src.resource)
        ]
        if not found:
            problems.append(
                f"catalogs/records/retention.yaml: {record.record!r}: its source matches nothing in the synth"
            )
            continue
        if src.kind == "ttl":
            off = [r.address for r in found if not (r.body.get("ttl") or {}).get("enabled")]
            if off:
                problems.append(f"{record.record!r}: TTL is not enabled on {', '.join(off)}")
            rows.append(Row(record, 0, ", ".join(r.address for r in found) + " (TTL)"))
            continue
        values = {r.address: _days_of(r, src.kind) for r in found}
        short = {a: d for a, d in values.items() if d is None or d < record.min_days}
        if short:
            problems.append(
                f"{record.record!r}: needs at least {record.min_days} days; "
                + ", ".join(f"{a} keeps {d if d is not None else 'no limit set'}" for a, d in short.items())
            )
            continue
        rows.append(Row(record, min(values.values()), ", ".join(sorted(values))))
    if problems:
        raise CatalogError("the retention schedule does not hold for this synth:\n  " + "\n  ".join(problems))
    return rows


def section(rows: list[Row], catalog: RetentionCatalog) -> list[str]:
    def kept(row: Row) -> str:
        if row.days is None:
            return f"{row.record.min_days} days, **enforced by the application only** (not verified here)"
        if row.record.source.kind == "ttl":
            return "until the item's expiry time (TTL)"
        return f"{row.days} days ({row.days / 365:.1f} years), read from the JSON"

    out = [
        "## Retention and disposal schedule",
        "",
        "One row per record type (catalogs/records/retention.yaml). The retention is read from the synthesized "
        "JSON where an infrastructure setting enforces it, and checked against the record's minimum: a shorter "
        "value stops the documents from rendering.",
        "",
        "| record | system | PII | kept | basis | disposal | owner |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        r = row.record
        out.append(
            f"| {r.record} | {r.system} | {'yes' if r.pii else 'no'} | {kept(row)} | {r.basis} | {r.disposal} | "
            f"{r.owner} |"
        )
    out += ["", "Bases:", ""]
    out += [f"- **{key}**: {' '.join(text.split())}" for key, text in sorted(catalog.bases.items())]
    return [*out, ""]
