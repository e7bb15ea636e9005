"""Compare the rotation plan in synthesized Terraform JSON with a live account.

Usage: python -m boi_kms.rotation_report --synth-dir cdktf.out [--json]
Exit status: 0 all on plan, 1 something off-plan, missing, unknown or overdue, 2 bad arguments.
boto3 honours AWS_ENDPOINT_URL, so the same command reads a moto server.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from boi_model.synth import SynthError, load_out
from botocore.exceptions import ClientError

from boi_kms.synth_reading import keys_from_synth

OK = "ok"
OFF_PLAN = "off-plan"
OVERDUE = "overdue"
MISSING = "missing"
UNKNOWN = "unknown"
# KMS rotates within about a day of the due date; more than that late is a finding.
ROTATION_GRACE = timedelta(days=1)
MANUAL_SECRET_MAX_AGE_DAYS = 365
CERTIFICATE_MIN_DAYS_LEFT = 30


@dataclass(frozen=True)
class PlannedKey:
    alias: str
    class_name: str
    rotation_days: int | None
    stack: str


@dataclass(frozen=True)
class PlannedSecret:
    name: str
    rotation_expected: bool
    stack: str


@dataclass(frozen=True)
class Plan:
    keys: tuple[PlannedKey, ...]
    secrets: tuple[PlannedSecret, ...]


@dataclass(frozen=True)
class ObservedKey:
    key_id: str
    rotation_enabled: bool
    period_days: int | None
    period_source: str
    created: datetime | None
    last_rotation: datetime | None
    next_rotation: datetime | None


@dataclass(frozen=True)
class Row:
    kind: str
    name: str
    status: str
    expected: str
    observed: str
    last_rotation: str
    next_rotation: str
    detail: str


def _iso(value: datetime | None) -> str:
    return value.date().isoformat() if value else "-"


def plan_from_synth(synth: dict[str, dict]) -> Plan:
    keys = tuple(
        PlannedKey(k.alias, k.class_name or "?", k.rotation_days, k.stack) for k in keys_from_synth(synth) if k.alias
    )
    secrets = []
    for stack in sorted(synth):
        resources = synth[stack].get("resource") or {}
        rotated_refs = " ".join(
            str(body.get("secret_id", ""))
            for body in (resources.get("aws_secretsmanager_secret_rotation") or {}).values()
        )
        for logical_id, body in sorted((resources.get("aws_secretsmanager_secret") or {}).items()):
            name = body.get("name")
            if not isinstance(name, str) or "${" in name:
                continue
            rotated = f"aws_secretsmanager_secret.{logical_id}." in rotated_refs
            secrets.append(PlannedSecret(name, rotated, stack))
    return Plan(keys, tuple(secrets))


def evaluate_key(planned: PlannedKey, observed: ObservedKey | None, now: datetime) -> Row:
    """Pure judgement of one key against its plan."""
    expected = f"{planned.rotation_days} days" if planned.rotation_days else "manual"

    def row(status: str, observed_text: str, detail: str, nxt: datetime | None = None) -> Row:
        last = observed.last_rotation if observed else None
        return Row("key", planned.alias, status, expected, observed_text, _iso(last), _iso(nxt), detail)

    if observed is None:
        return row(MISSING, "-", "alias not found in the account")
    if planned.rotation_days is None:
        return row(OK, "manual", "rotated by a new key and an alias swap")
    if not observed.rotation_enabled:
        return row(OFF_PLAN, "disabled", "automatic rotation is disabled")
    if observed.period_days is None:
        return row(UNKNOWN, "enabled, period unknown", "no RotationPeriodInDays from the API and no tag")
    observed_text = f"{observed.period_days} days ({observed.period_source})"
    base = observed.last_rotation or observed.created
    nxt = observed.next_rotation or (base + timedelta(days=observed.period_days) if base else None)
    if observed.period_days != planned.rotation_days:
        return row(OFF_PLAN, observed_text, f"rotation period differs from the plan ({expected})", nxt)
    if nxt is not None and nxt + ROTATION_GRACE < now:
        return row(OVERDUE, observed_text, "the next rotation date has passed", nxt)
    return row(OK, observed_text, "", nxt)


def evaluate_secret(name: str, planned: PlannedSecret | None, description: dict, now: datetime) -> Row:
    rotation_on = bool(description.get("RotationEnabled"))
    last = description.get("LastRotatedDate") or description.get("LastChangedDate")
    nxt = description.get("NextRotationDate")
    expected = "unplanned" if planned is None else ("rotating" if planned.rotation_expected else "manual")
    observed = "rotating" if rotation_on else "rotation off"

    def row(status: str, detail: str) -> Row:
        return Row("secret", name, status, expected, observed, _iso(last), _iso(nxt), detail)

    if rotation_on:
        if nxt is not None and nxt + ROTATION_GRACE < now:
            return row(OVERDUE, "the next rotation date has passed")
        return row(OK, "")
    if planned is not None and not planned.rotation_expected:
        changed = last or description.get("CreatedDate")
        if changed is not None and changed + timedelta(days=MANUAL_SECRET_MAX_AGE_DAYS) < now:
            return row(OVERDUE, f"manual secret unchanged for more than {MANUAL_SECRET_MAX_AGE_DAYS} days")
        return row(OK, "manual rotation, within its maximum age")
    return row(OFF_PLAN, "rotation is off")


def evaluate_certificate(description: dict, now: datetime) -> Row:
    name = description.get("DomainName", description.get("CertificateArn", "?"))
    not_after = description.get("NotAfter")
    kind = description.get("Type", "?")
    observed = f"{kind}, {description.get('Status', '?')}"

    def row(status: str, detail: str) -> Row:
        return Row("certificate", name, status, "ACM managed renewal", observed, "-", _iso(not_after), detail)

    if kind == "IMPORTED":
        return row(OFF_PLAN, "imported certificates are not renewed by ACM")
    if not_after is None:
        return row(OK, "not issued yet")
    if not_after - now < timedelta(days=CERTIFICATE_MIN_DAYS_LEFT):
        return row(OVERDUE, f"expires in fewer than {CERTIFICATE_MIN_DAYS_LEFT} days")
    return row(OK, "")


def _paginate(client, operation: str, result_key: str, **kwargs) -> list:
    items: list = []
    for page in client.get_paginator(operation).paginate(**kwargs):
        items += page.get(result_key, [])
    return items


def observe_key(kms, key_id: str) -> ObservedKey:
    status = kms.get_key_rotation_status(KeyId=key_id)
    period = status.get("RotationPeriodInDays")
    source = "api"
    if period is None:
        # Some endpoints (moto) omit the period; the KeyRing also records it in the rotation-days tag.
        tags = {t["TagKey"]: t["TagValue"] for t in kms.list_resource_tags(KeyId=key_id).get("Tags", [])}
        value = tags.get("rotation-days", "")
        period, source = (int(value), "tag") if value.isdigit() else (None, "-")
    try:
        rotations = _paginate(kms, "list_key_rotations", "Rotations", KeyId=key_id)
    except ClientError:  # endpoints without ListKeyRotations: fall back to the creation date
        rotations = []
    automatic = [r["RotationDate"] for r in rotations if r.get("RotationType", "AUTOMATIC") == "AUTOMATIC"]
    metadata = kms.describe_key(KeyId=key_id)["KeyMetadata"]
    return ObservedKey(
        key_id=key_id,
        rotation_enabled=bool(status.get("KeyRotationEnabled")),
        period_days=period,
        period_source=source,
        created=metadata.get("CreationDate"),
        last_rotation=max(automatic) if automatic else None,
        next_rotation=status.get("NextRotationDate"),
    )


def collect(session, plan: Plan, now: datetime | None = None) -> list[Row]:
    """Rows for every planned key, every secret and every ACM certificate in the account."""
    now = now or datetime.now(UTC)
    kms = session.client("kms")
    aliases = {a["AliasName"]: a.get("TargetKeyId") for a in _paginate(kms, "list_aliases", "Aliases")}
    rows = []
    for planned in plan.keys:
        key_id = aliases.get(planned.alias)
        rows.append(evaluate_key(planned, observe_key(kms, key_id) if key_id else None, now))
    secrets = session.client("secretsmanager")
    planned_secrets = {s.name: s for s in plan.secrets}
    seen = set()
    for summary in _paginate(secrets, "list_secrets", "SecretList"):
        description = secrets.describe_secret(SecretId=summary["ARN"])
        seen.add(description["Name"])
        rows.append(evaluate_secret(description["Name"], planned_secrets.get(description["Name"]), description, now))
    for name in sorted(set(planned_secrets) - seen):
        rows.append(Row("secret", name, MISSING, "planned", "-", "-", "-", "secret not found in the account"))
    acm = session.client("acm")
    for summary in _paginate(acm, "list_certificates", "CertificateSummaryList"):
        certificate = acm.describe_certificate(CertificateArn=summary["CertificateArn"])["Certificate"]
        rows.append(evaluate_certificate(certificate, now))
    return rows


def format_table(rows: list[Row]) -> str:
    headers = ["kind", "name", "status", "expected", "observed", "last", "next", "detail"]
    cells = [headers] + [
        [r.kind, r.name, r.status, r.expected, r.observed, r.last_rotation, r.next_rotation, r.detail] for r in rows
    ]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in cells)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="boi-kms-rotation-report", description=__doc__.splitlines()[0])
    parser.add_argument("--synth-dir", required=True, type=Path, help="the cdktf.out directory")
    parser.add_argument("--json", action="store_true", help="print rows as JSON")
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:
        return 0 if exit_.code == 0 else 2
    try:
        synth = load_out(args.synth_dir)
    except SynthError as exc:
        print(f"--synth-dir {args.synth_dir}: {exc}", file=sys.stderr)
        return 2
    import boto3  # imported late so --help and argument errors need no AWS SDK setup

    rows = collect(boto3.Session(), plan_from_synth(synth))
    if args.json:
        print(json.dumps([asdict(r) for r in rows], indent=2))
    else:
        print(format_table(rows))
    return 0 if all(r.status == OK for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
