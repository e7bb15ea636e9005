"""Athena: the investigations workgroup, its own results bucket, the Glue table over the trail files and the
named queries.

Results never go into the archive: the archive is Object-Locked for years (a result would be kept as long)
and nobody but the delivery services writes there. The results bucket is private, versioned, encrypted
with the logs key, logs its accesses to the audit access-log bucket and expires results after
RESULTS_EXPIRY_DAYS.
"""

from __future__ import annotations

from boi_model import meta
from cdktn_provider_aws.athena_named_query import AthenaNamedQuery
from cdktn_provider_aws.athena_workgroup import (
    AthenaWorkgroup,
    AthenaWorkgroupConfiguration,
    AthenaWorkgroupConfigurationResultConfiguration,
    AthenaWorkgroupConfigurationResultConfigurationEncryptionConfiguration,
)
from cdktn_provider_aws.glue_catalog_database import GlueCatalogDatabase
from cdktn_provider_aws.glue_catalog_table import (
    GlueCatalogTable,
    GlueCatalogTableStorageDescriptor,
    GlueCatalogTableStorageDescriptorColumns,
    GlueCatalogTableStorageDescriptorSerDeInfo,
)
from cdktn_provider_aws.s3_bucket import S3Bucket
from cdktn_provider_aws.s3_bucket_lifecycle_configuration import (
    S3BucketLifecycleConfiguration,
    S3BucketLifecycleConfigurationRule,
    S3BucketLifecycleConfigurationRuleAbortIncompleteMultipartUpload,
    S3BucketLifecycleConfigurationRuleExpiration,
    S3BucketLifecycleConfigurationRuleFilter,
    S3BucketLifecycleConfigurationRuleNoncurrentVersionExpiration,
)
from cdktn_provider_aws.s3_bucket_logging import S3BucketLoggingA
from cdktn_provider_aws.s3_bucket_policy import S3BucketPolicy
from cdktn_provider_aws.s3_bucket_server_side_encryption_configuration import (
    S3BucketServerSideEncryptionConfigurationA,
    S3BucketServerSideEncryptionConfigurationRuleA,
    S3BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultA,
)

from boi_audit import policies, queries
from boi_audit.baseline.common import _fix, _json, note, private_bucket

# Investigation results are working copies: the evidence stays in the archive.
RESULTS_EXPIRY_DAYS = 30


def build_results_bucket(baseline, logs_key) -> S3Bucket:
    s = baseline.settings
    bucket = _fix(
        S3Bucket(
            baseline,
            "athena_results",
            bucket=s.athena_results_bucket_name,
            force_destroy=not s.prevent_destroy,
            tags={"boi:data-class": "audit-investigations"},
        ),
        "audit_athena_results",
    )
    private_bucket(baseline, "athena_results", "audit_athena_results", bucket)
    _fix(
        S3BucketServerSideEncryptionConfigurationA(
            baseline,
            "athena_results_sse",
            bucket=bucket.id,
            rule=[
                S3BucketServerSideEncryptionConfigurationRuleA(
                    bucket_key_enabled=True,
                    apply_server_side_encryption_by_default=(
                        S3BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultA(
                            sse_algorithm="aws:kms", kms_master_key_id=logs_key.arn
                        )
                    ),
                )
            ],
        ),
        "audit_athena_results_sse",
    )
    _fix(
        S3BucketLifecycleConfiguration(
            baseline,
            "athena_results_lifecycle",
            bucket=bucket.id,
            rule=[
                S3BucketLifecycleConfigurationRule(
                    id="expire-results",
                    status="Enabled",
                    filter=[S3BucketLifecycleConfigurationRuleFilter(prefix="")],
                    expiration=[S3BucketLifecycleConfigurationRuleExpiration(days=RESULTS_EXPIRY_DAYS)],
                    noncurrent_version_expiration=[
                        S3BucketLifecycleConfigurationRuleNoncurrentVersionExpiration(noncurrent_days=1)
                    ],
                    abort_incomplete_multipart_upload=[
                        S3BucketLifecycleConfigurationRuleAbortIncompleteMultipartUpload(days_after_initiation=1)
                    ],
                )
            ],
        ),
        "audit_athena_results_lifecycle",
    )
    doc = policies.results_bucket_policy(bucket_arn=bucket.arn, key_arn=logs_key.arn, custodian_arns=s.custodian_arns)
    policy = _fix(
        S3BucketPolicy(baseline, "athena_results_policy", bucket=bucket.id, policy=_json(doc)),
        "audit_athena_results_policy",
    )
    note(policy, meta.REASONS, {st["Sid"]: policies.RESULTS_REASONS[st["Sid"]] for st in doc["Statement"]})
    # Server access logs must land in a bucket of the same account: with a log archive in another account
    # (organization mode) there is no such target here; the gate finding is a reviewed suppression.
    if getattr(baseline, "access_log_bucket", None) is not None:
        _fix(
            S3BucketLoggingA(
                baseline,
                "athena_results_logging",
                bucket=bucket.id,
                target_bucket=baseline.access_log_bucket.id,
                target_prefix="athena-results/",
            ),
            "audit_athena_results_logging",
        )
    return bucket


def build_athena(baseline, logs_key, pii_key_arns: list[str], break_glass_role_arn: str | None) -> None:
    s = baseline.settings
    bucket = baseline.archive_bucket_name
    baseline.athena_results = build_results_bucket(baseline, logs_key)
    baseline.athena_workgroup = _fix(
        AthenaWorkgroup(
            baseline,
            "athena",
            name=f"{s.name_prefix}-audit-investigations",
            force_destroy=not s.prevent_destroy,
            tags={"boi:data-class": "audit-investigations"},
            configuration=AthenaWorkgroupConfiguration(
                enforce_workgroup_configuration=True,
                publish_cloudwatch_metrics_enabled=True,
                result_configuration=AthenaWorkgroupConfigurationResultConfiguration(
                    output_location=f"s3://{baseline.athena_results.bucket}/results/",
                    expected_bucket_owner=s.account_id,
                    encryption_configuration=AthenaWorkgroupConfigurationResultConfigurationEncryptionConfiguration(
                        encryption_option="SSE_KMS", kms_key_arn=logs_key.arn
                    ),
                ),
            ),
        ),
        "audit_investigations",
    )
    db_name = f"{s.name_prefix.replace('-', '_')}_audit"
    database = _fix(GlueCatalogDatabase(baseline, "glue_db", name=db_name), "audit_glue_database")
    trail_prefix = "AWSLogs/" if s.organization_mode else f"AWSLogs/{s.account_id}/CloudTrail/"
    _fix(
        GlueCatalogTable(
            baseline,
            "cloudtrail_table",
            name="cloudtrail",
            database_name=database.name,
            table_type="EXTERNAL_TABLE",
            parameters={"classification": "cloudtrail", "EXTERNAL": "TRUE"},
            storage_descriptor=GlueCatalogTableStorageDescriptor(
                location=f"s3://{bucket}/{trail_prefix}",
                input_format=queries.INPUT_FORMAT,
                output_format=queries.OUTPUT_FORMAT,
                ser_de_info=GlueCatalogTableStorageDescriptorSerDeInfo(serialization_library=queries.SERDE),
                columns=[GlueCatalogTableStorageDescriptorColumns(name=n, type=t) for n, t in queries.TRAIL_COLUMNS],
            ),
        ),
        "audit_cloudtrail",
    )
    table = f"{db_name}.cloudtrail"
    for name, (description, sql) in queries.named_queries(
        table, pii_key_arns=pii_key_arns, investigated_role_arn=break_glass_role_arn
    ).items():
        _fix(
            AthenaNamedQuery(
                baseline,
                f"query_{name}",
                name=f"{s.name_prefix}-{name}",
                description=description,
                database=database.name,
                workgroup=baseline.athena_workgroup.name,
                query=sql,
            ),
            f"audit_query_{name.replace('-', '_')}",
        )
