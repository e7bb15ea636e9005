"""What every builder of the baseline shares: fixed logical ids, JSON documents, service roles
under the permission boundary, and the private-bucket settings."""

from __future__ import annotations

import json

from boi_model import meta
from cdktn_provider_aws.iam_role import IamRole
from cdktn_provider_aws.s3_bucket_ownership_controls import (
    S3BucketOwnershipControls,
    S3BucketOwnershipControlsRule,
)
from cdktn_provider_aws.s3_bucket_public_access_block import S3BucketPublicAccessBlock
from cdktn_provider_aws.s3_bucket_versioning import (
    S3BucketVersioningA,
    S3BucketVersioningVersioningConfiguration,
)

from boi_audit import policies


def _fix(resource, logical_id: str):
    resource.override_logical_id(logical_id)
    return resource


def _json(doc: dict) -> str:
    return json.dumps(doc, sort_keys=False)


def note(resource, key: str, value) -> None:
    """One `"//"` metadata entry (Terraform ignores it; the IAM document and the proofs read it)."""
    resource.add_override(f"{meta.COMMENT}.{key}", value)


def reasons(doc: dict, why: dict[str, str]) -> dict[str, str]:
    """Sid -> reason for every statement of a policy document; a statement without one is a bug here."""
    missing = [st["Sid"] for st in doc["Statement"] if st["Sid"] not in why]
    if missing:
        raise ValueError(f"no reason for the statements {missing}")
    return {st["Sid"]: why[st["Sid"]] for st in doc["Statement"]}


def service_role(
    baseline,
    id: str,
    logical_id: str,
    *,
    name: str,
    service: str,
    purpose: str,
    source_arn: str | None = None,
) -> IamRole:
    role = _fix(
        IamRole(
            baseline,
            id,
            name=name,
            permissions_boundary=baseline._boundary,
            assume_role_policy=_json(policies.service_trust_policy(service, baseline.settings.account_id, source_arn)),
        ),
        logical_id,
    )
    note(role, meta.PURPOSE, purpose)
    baseline.roles.append(role)
    return role


def private_bucket(baseline, id: str, logical_id: str, bucket) -> None:
    _fix(
        S3BucketPublicAccessBlock(
            baseline,
            f"{id}_pab",
            bucket=bucket.id,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
        ),
        f"{logical_id}_pab",
    )
    _fix(
        S3BucketOwnershipControls(
            baseline,
            f"{id}_ownership",
            bucket=bucket.id,
            rule=S3BucketOwnershipControlsRule(object_ownership="BucketOwnerEnforced"),
        ),
        f"{logical_id}_ownership",
    )
    _fix(
        S3BucketVersioningA(
            baseline,
            f"{id}_versioning",
            bucket=bucket.id,
            versioning_configuration=S3BucketVersioningVersioningConfiguration(status="Enabled"),
        ),
        f"{logical_id}_versioning",
    )
