"""The log archive: the Object Lock (COMPLIANCE) archive bucket, its access-log bucket, encryption,
policies, lifecycle and access logging."""

from __future__ import annotations

from boi_model import meta
from cdktn_provider_aws.s3_bucket import S3Bucket
from cdktn_provider_aws.s3_bucket_lifecycle_configuration import (
    S3BucketLifecycleConfiguration,
    S3BucketLifecycleConfigurationRule,
    S3BucketLifecycleConfigurationRuleAbortIncompleteMultipartUpload,
    S3BucketLifecycleConfigurationRuleExpiration,
    S3BucketLifecycleConfigurationRuleFilter,
    S3BucketLifecycleConfigurationRuleNoncurrentVersionExpiration,
    S3BucketLifecycleConfigurationRuleTransition,
)
from cdktn_provider_aws.s3_bucket_logging import S3BucketLoggingA
from cdktn_provider_aws.s3_bucket_object_lock_configuration import (
    S3BucketObjectLockConfigurationA,
    S3BucketObjectLockConfigurationRuleA,
    S3BucketObjectLockConfigurationRuleDefaultRetentionA,
)
from cdktn_provider_aws.s3_bucket_policy import S3BucketPolicy
from cdktn_provider_aws.s3_bucket_server_side_encryption_configuration import (
    S3BucketServerSideEncryptionConfigurationA,
    S3BucketServerSideEncryptionConfigurationRuleA,
    S3BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultA,
)

from boi_audit import policies
from boi_audit.baseline.common import _fix, _json, note, private_bucket


def build_archive(baseline, logs_key) -> None:
    s = baseline.settings
    baseline.archive_bucket_name = s.archive_bucket_name
    baseline.access_log_bucket_name = s.access_log_bucket_name
    baseline.archive_bucket = _fix(
        S3Bucket(
            baseline,
            "archive",
            bucket=baseline.archive_bucket_name,
            object_lock_enabled=True,
            force_destroy=not s.prevent_destroy,
            lifecycle=baseline._lifecycle,
            tags={"boi:retention": "worm", "boi:data-class": "audit-logs"},
        ),
        "audit_log_archive",
    )
    baseline.archive_bucket_arn = baseline.archive_bucket.arn
    private_bucket(baseline, "archive", "audit_log_archive", baseline.archive_bucket)
    years = s.archive_retention_years
    retention = (
        S3BucketObjectLockConfigurationRuleDefaultRetentionA(mode="COMPLIANCE", years=years)
        if years
        else S3BucketObjectLockConfigurationRuleDefaultRetentionA(mode="COMPLIANCE", days=s.archive_retention_days)
    )
    _fix(
        S3BucketObjectLockConfigurationA(
            baseline,
            "archive_lock",
            bucket=baseline.archive_bucket.id,
            rule=S3BucketObjectLockConfigurationRuleA(default_retention=retention),
        ),
        "audit_log_archive_lock",
    )
    _fix(
        S3BucketServerSideEncryptionConfigurationA(
            baseline,
            "archive_sse",
            bucket=baseline.archive_bucket.id,
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
        "audit_log_archive_sse",
    )
    archive_doc = policies.archive_bucket_policy(
        bucket_arn=baseline.archive_bucket.arn,
        account_id=s.account_id,
        trail_arn=baseline.trail_arn,
        organization_mode=s.organization_mode,
        prevent_destroy=s.prevent_destroy,
        custodian_arns=s.custodian_arns,
        delivery_account_ids=getattr(baseline, "delivery_account_ids", None),
    )
    baseline.archive_policy = _fix(
        S3BucketPolicy(baseline, "archive_policy", bucket=baseline.archive_bucket.id, policy=_json(archive_doc)),
        "audit_log_archive_policy",
    )
    note(
        baseline.archive_policy,
        meta.REASONS,
        {st["Sid"]: policies.ARCHIVE_REASONS[st["Sid"]] for st in archive_doc["Statement"]},
    )
    # Colder storage as records age; nothing expires before the lock does (disposal is a decision).
    _fix(
        S3BucketLifecycleConfiguration(
            baseline,
            "archive_lifecycle",
            bucket=baseline.archive_bucket.id,
            rule=[
                S3BucketLifecycleConfigurationRule(
                    id="colder-with-age",
                    status="Enabled",
                    filter=[S3BucketLifecycleConfigurationRuleFilter(prefix="")],
                    transition=[
                        S3BucketLifecycleConfigurationRuleTransition(days=90, storage_class="GLACIER_IR"),
                        S3BucketLifecycleConfigurationRuleTransition(days=365, storage_class="DEEP_ARCHIVE"),
                    ],
                    abort_incomplete_multipart_upload=[
                        S3BucketLifecycleConfigurationRuleAbortIncompleteMultipartUpload(days_after_initiation=7)
                    ],
                )
            ],
        ),
        "audit_log_archive_lifecycle",
    )

    # S3 server access logging cannot deliver to SSE-KMS targets and must not hit a default lock.
    baseline.access_log_bucket = _fix(
        S3Bucket(
            baseline,
            "access_logs",
            bucket=baseline.access_log_bucket_name,
            force_destroy=not s.prevent_destroy,
            lifecycle=baseline._lifecycle,
            tags={"boi:data-class": "audit-access-logs"},
        ),
        "audit_access_logs",
    )
    private_bucket(baseline, "access_logs", "audit_access_logs", baseline.access_log_bucket)
    _fix(
        S3BucketServerSideEncryptionConfigurationA(
            baseline,
            "access_logs_sse",
            bucket=baseline.access_log_bucket.id,
            rule=[
                S3BucketServerSideEncryptionConfigurationRuleA(
                    apply_server_side_encryption_by_default=(
                        S3BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultA(
                            sse_algorithm="AES256"
                        )
                    )
                )
            ],
        ),
        "audit_access_logs_sse",
    )
    # The archive and Athena's results bucket log their accesses here (their names are literal: no cycle).
    sources = [f"arn:{s.partition}:s3:::{s.archive_bucket_name}"]
    if s.creates("athena"):
        sources.append(f"arn:{s.partition}:s3:::{s.athena_results_bucket_name}")
    doc = policies.access_log_bucket_policy(
        bucket_arn=baseline.access_log_bucket.arn,
        account_id=s.account_id,
        source_bucket_arns=sources,
        custodian_arns=s.custodian_arns,
    )
    access_policy = _fix(
        S3BucketPolicy(baseline, "access_logs_policy", bucket=baseline.access_log_bucket.id, policy=_json(doc)),
        "audit_access_logs_policy",
    )
    note(
        access_policy,
        meta.REASONS,
        {st["Sid"]: policies.ACCESS_LOG_REASONS[st["Sid"]] for st in doc["Statement"]},
    )
    _fix(
        S3BucketLifecycleConfiguration(
            baseline,
            "access_logs_lifecycle",
            bucket=baseline.access_log_bucket.id,
            rule=[
                S3BucketLifecycleConfigurationRule(
                    id="expire-after-retention",
                    status="Enabled",
                    filter=[S3BucketLifecycleConfigurationRuleFilter(prefix="")],
                    transition=[S3BucketLifecycleConfigurationRuleTransition(days=90, storage_class="STANDARD_IA")],
                    expiration=[S3BucketLifecycleConfigurationRuleExpiration(days=s.archive_retention_days)],
                    noncurrent_version_expiration=[
                        S3BucketLifecycleConfigurationRuleNoncurrentVersionExpiration(noncurrent_days=30)
                    ],
                    abort_incomplete_multipart_upload=[
                        S3BucketLifecycleConfigurationRuleAbortIncompleteMultipartUpload(days_after_initiation=7)
                    ],
                )
            ],
        ),
        "audit_access_logs_lifecycle",
    )
    _fix(
        S3BucketLoggingA(
            baseline,
            "archive_logging",
            bucket=baseline.archive_bucket.id,
            target_bucket=baseline.access_log_bucket.id,
            target_prefix="archive/",
        ),
        "audit_log_archive_logging",
    )
