"""Data tier: PostgreSQL, the documents bucket, the sessions table and the FinCEN secret."""

from __future__ import annotations

import json

from boi_audit.documents_protection import DocumentsBucketProtection
from boi_iam.resource_policy import ResourcePolicy, deny_insecure_transport
from boi_iam.role import lazy_json, policy_reasons
from cdktn import TerraformResourceLifecycle
from cdktn_provider_aws.backup_plan import BackupPlan
from cdktn_provider_aws.backup_selection import BackupSelection
from cdktn_provider_aws.backup_vault import BackupVault
from cdktn_provider_aws.backup_vault_lock_configuration import BackupVaultLockConfiguration
from cdktn_provider_aws.backup_vault_policy import BackupVaultPolicy
from cdktn_provider_aws.db_instance import DbInstance
from cdktn_provider_aws.db_parameter_group import DbParameterGroup
from cdktn_provider_aws.db_subnet_group import DbSubnetGroup
from cdktn_provider_aws.dynamodb_table import DynamodbTable
from cdktn_provider_aws.s3_bucket import S3Bucket
from cdktn_provider_aws.s3_bucket_lifecycle_configuration import S3BucketLifecycleConfiguration
from cdktn_provider_aws.s3_bucket_logging import S3BucketLoggingA
from cdktn_provider_aws.s3_bucket_notification import S3BucketNotification
from cdktn_provider_aws.s3_bucket_ownership_controls import S3BucketOwnershipControls
from cdktn_provider_aws.s3_bucket_policy import S3BucketPolicy
from cdktn_provider_aws.s3_bucket_public_access_block import S3BucketPublicAccessBlock
from cdktn_provider_aws.s3_bucket_server_side_encryption_configuration import (
    S3BucketServerSideEncryptionConfigurationA,
)
from cdktn_provider_aws.s3_bucket_versioning import S3BucketVersioningA
from cdktn_provider_aws.secretsmanager_secret import SecretsmanagerSecret
from cdktn_provider_aws.secretsmanager_secret_policy import SecretsmanagerSecretPolicy
from cdktn_provider_aws.security_group import SecurityGroup
from constructs import Construct

from app.core import names, perimeter
from app.core.assets import asset, key_asset
from app.core.blocks import blocks
from app.settings import Settings


def private_bucket(
    scope: Construct,
    id: str,
    *,
    name: str,
    kms_key_arn: str | None,
    log_bucket: str | None,
    object_ownership: str = "BucketOwnerEnforced",
    noncurrent_days: int = 90,
    prevent_destroy: bool = True,
) -> S3Bucket:
    """A bucket that is private, versioned, encrypted and logged, whatever it holds."""
    lifecycle = TerraformResourceLifecycle(prevent_destroy=True) if prevent_destroy else None
    bucket = S3Bucket(scope, id, bucket=name, force_destroy=not prevent_destroy, lifecycle=lifecycle)
    S3BucketPublicAccessBlock(
        scope,
        f"{id}_public_access",
        bucket=bucket.id,
        block_public_acls=True,
        block_public_policy=True,
        ignore_public_acls=True,
        restrict_public_buckets=True,
    )
    S3BucketOwnershipControls(scope, f"{id}_ownership", bucket=bucket.id, rule={"object_ownership": object_ownership})
    S3BucketVersioningA(scope, f"{id}_versioning", bucket=bucket.id, versioning_configuration={"status": "Enabled"})
    if kms_key_arn:
        rule = {
            "apply_server_side_encryption_by_default": {"sse_algorithm": "aws:kms", "kms_master_key_id": kms_key_arn},
            "bucket_key_enabled": True,
        }
    else:
        rule = {"apply_server_side_encryption_by_default": {"sse_algorithm": "AES256"}}
    S3BucketServerSideEncryptionConfigurationA(scope, f"{id}_encryption", bucket=bucket.id, rule=blocks([rule]))
    S3BucketLifecycleConfiguration(
        scope,
        f"{id}_lifecycle",
        bucket=bucket.id,
        rule=blocks(
            [
                {
                    "id": "expire-old-versions",
                    "status": "Enabled",
                    "filter": [{"prefix": ""}],
                    "noncurrent_version_expiration": [{"noncurrent_days": noncurrent_days}],
                    "abort_incomplete_multipart_upload": [{"days_after_initiation": 7}],
                }
            ]
        ),
    )
    # Object events go to EventBridge, where malware scanning and audit rules can pick them up.
    S3BucketNotification(scope, f"{id}_events", bucket=bucket.id, eventbridge=True)
    if log_bucket:
        S3BucketLoggingA(
            scope, f"{id}_logging", bucket=bucket.id, target_bucket=log_bucket, target_prefix=f"s3/{name}/"
        )
    return bucket


class Data(Construct):
    def _backups(self, s: Settings, foundation, gov) -> None:
        """AWS Backup copies of the database and the sessions table, in a vault under the backups key."""
        key = foundation.key("backups")
        vault = BackupVault(
            self, "vault", name=names.backup_vault(s), kms_key_arn=key.arn, force_destroy=not s.keys.prevent_destroy
        )
        # Compliance-mode lock: after the grace period nobody (root included) can delete a recovery point
        # before its retention ends or shorten it; the vault policy says the same for the grace period.
        BackupVaultLockConfiguration(
            self,
            "vault_lock",
            backup_vault_name=vault.name,
            min_retention_days=s.retention.backup_days,
            max_retention_days=s.retention.archive_days,
            changeable_for_days=3,
        )
        BackupVaultPolicy(
            self,
            "vault_policy",
            backup_vault_name=vault.name,
            policy=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Sid": "DenyRecoveryPointDeletion",
                            "Effect": "Deny",
                            "Principal": "*",
                            "Action": [
                                "backup:DeleteRecoveryPoint",
                                "backup:UpdateRecoveryPointLifecycle",
                                "backup:DisassociateRecoveryPoint",
                            ],
                            "Resource": "*",
                        }
                    ],
                }
            ),
        )
        plan = BackupPlan(
            self,
            "plan",
            name=f"{s.prefix}-daily",
            rule=blocks(
                [
                    {
                        "rule_name": "daily",
                        "target_vault_name": vault.name,
                        "schedule": "cron(0 5 * * ? *)",
                        "start_window": 60,
                        "completion_window": 360,
                        "lifecycle": {"delete_after": s.retention.archive_days},
                    }
                ]
            ),
        )
        BackupSelection(
            self,
            "selection",
            name=f"{s.prefix}-data",
            plan_id=plan.id,
            iam_role_arn=names.service_role_arn(s, "backup"),
            resources=[self.database.arn, self.sessions.arn],
        )

    def __init__(self, scope: Construct, id: str, *, settings: Settings, foundation, network) -> None:
        super().__init__(scope, id)
        s = self.settings = settings
        keep = s.keys.prevent_destroy
        gov = foundation.governance
        self.keys = {
            c: key_asset(s, foundation.key(c)) for c in ("pii", "documents", "database", "secrets", "messaging")
        }
        # Server access logs cannot be delivered to an SSE-KMS bucket, so this one uses SSE-S3.
        self.access_logs = private_bucket(
            self,
            "access_logs",
            name=f"{s.prefix}-access-logs-{s.account_id}",
            kms_key_arn=None,
            log_bucket=None,
            object_ownership="BucketOwnerPreferred",
            prevent_destroy=keep,
        )
        documents_key = foundation.key("documents")
        bucket_name = names.documents_bucket(s)
        self.documents = private_bucket(
            self,
            "documents",
            name=bucket_name,
            kms_key_arn=documents_key.arn,
            log_bucket=self.access_logs.bucket,
            prevent_destroy=keep,
        )
        arn = self.documents.arn
        self.documents_policy = ResourcePolicy(
            "documents bucket",
            guards=[
                deny_insecure_transport([arn, f"{arn}/*"]),
                *perimeter.resource_guards(
                    s,
                    [arn, f"{arn}/*"],
                    "s3:*",
                    source_vpce=network.endpoint_ids(s.perimeter.endpoints["documents_bucket"]),
                ),
                {
                    "Sid": "DenyOldTls",
                    "Effect": "Deny",
                    "Principal": "*",
                    "Action": "s3:*",
                    "Resource": [arn, f"{arn}/*"],
                    "Condition": {"NumericLessThan": {"s3:TlsVersion": "1.2"}},
                },
                {
                    "Sid": "DenyWrongKey",
                    "Effect": "Deny",
                    "Principal": "*",
                    "Action": "s3:PutObject",
                    "Resource": f"{arn}/*",
                    "Condition": {
                        "StringNotEqualsIfExists": {"s3:x-amz-server-side-encryption-aws-kms-key-id": documents_key.arn}
                    },
                },
                {
                    "Sid": "DenyUnencryptedUploads",
                    "Effect": "Deny",
                    "Principal": "*",
                    "Action": "s3:PutObject",
                    "Resource": f"{arn}/*",
                    "Condition": {"StringNotEquals": {"s3:x-amz-server-side-encryption": "aws:kms"}},
                },
            ],
            reasons={
                "DenyOldTls": "TLS older than 1.2 is refused for PII documents",
                "DenyWrongKey": "uploads encrypted with any key but the documents key are refused",
                "DenyUnencryptedUploads": "uploads without SSE-KMS are refused",
            },
        )
        policy_reasons(
            S3BucketPolicy(
                self, "documents_policy", bucket=self.documents.id, policy=lazy_json(self.documents_policy.render)
            ),
            self.documents_policy,
        )

        self.database_sg = SecurityGroup(
            self,
            "database_sg",
            name=f"{s.prefix}-database",
            vpc_id=network.vpc.id,
            description="PostgreSQL: only from the services that hold a database grant",
        )
        params = DbParameterGroup(
            self,
            "postgres_params",
            name=f"{s.prefix}-postgres16",
            family="postgres16",
            description="TLS only, TLS 1.2 or newer, log connections",
            parameter=[
                {"name": "rds.force_ssl", "value": "1"},
                {"name": "ssl_min_protocol_version", "value": "TLSv1.2"},
                {"name": "log_connections", "value": "1"},
                {"name": "log_disconnections", "value": "1"},
            ],
        )
        subnets = DbSubnetGroup(
            self, "database_subnets", name=f"{s.prefix}-data", subnet_ids=network.subnet_ids("data")
        )
        self.database = DbInstance(
            self,
            "postgres",
            identifier=names.database(s),
            engine="postgres",
            engine_version="16.4",
            instance_class="db.m6g.large",
            allocated_storage=100,
            max_allocated_storage=500,
            storage_type="gp3",
            storage_encrypted=True,
            kms_key_id=foundation.key("database").arn,
            multi_az=True,
            db_name="boi",
            username="boi_admin",
            manage_master_user_password=True,
            master_user_secret_kms_key_id=foundation.key("secrets").arn,
            iam_database_authentication_enabled=True,
            parameter_group_name=params.name,
            db_subnet_group_name=subnets.name,
            vpc_security_group_ids=[self.database_sg.id],
            publicly_accessible=False,
            deletion_protection=keep,
            skip_final_snapshot=not keep,
            final_snapshot_identifier=f"{s.prefix}-postgres-final" if keep else None,
            backup_retention_period=s.retention.backup_days,
            copy_tags_to_snapshot=True,
            auto_minor_version_upgrade=True,
            enabled_cloudwatch_logs_exports=["postgresql", "upgrade"],
            performance_insights_enabled=True,
            performance_insights_kms_key_id=foundation.key("database").arn,
            performance_insights_retention_period=7,
            monitoring_interval=60,
            monitoring_role_arn=names.service_role_arn(s, "rds-monitoring"),
            ca_cert_identifier="rds-ca-rsa2048-g1",
        )

        self.sessions = DynamodbTable(
            self,
            "sessions",
            name=names.sessions_table(s),
            billing_mode="PAY_PER_REQUEST",
            hash_key="pk",
            range_key="sk",
            attribute=[{"name": "pk", "type": "S"}, {"name": "sk", "type": "S"}],
            ttl={"attribute_name": "expires_at", "enabled": True},
            point_in_time_recovery={"enabled": True},
            deletion_protection_enabled=keep,
            server_side_encryption={"enabled": True, "kms_key_arn": foundation.key("database").arn},
        )

        self.fincen_secret = SecretsmanagerSecret(
            self,
            "fincen_secret",
            name=f"{s.prefix}/fincen/api-client",
            description=f"FinCEN BOIR API client id and secret ({s.fincen.environment}: {s.fincen.endpoint})",
            kms_key_id=foundation.key("secrets").arn,
            recovery_window_in_days=30 if keep else 0,
        )
        secret_arn = self.fincen_secret.arn
        self.fincen_secret_policy = ResourcePolicy(
            "FinCEN secret",
            guards=[
                deny_insecure_transport("*", "secretsmanager:GetSecretValue"),
                *perimeter.resource_guards(
                    s, "*", "secretsmanager:*", source_vpce=network.endpoint_ids(s.perimeter.endpoints["secrets"])
                ),
            ],
        )
        policy_reasons(
            SecretsmanagerSecretPolicy(
                self,
                "fincen_secret_policy",
                secret_arn=secret_arn,
                policy=lazy_json(self.fincen_secret_policy.render),
                block_public_policy=True,
            ),
            self.fincen_secret_policy,
        )

        # Macie classifies uploads and GuardDuty scans them for malware; the scanner's key use is
        # granted in the documents key policy (S3 decrypts for it).
        DocumentsBucketProtection(
            self,
            "documents_protection",
            settings=foundation.audit_settings,
            bucket_name=bucket_name,
            bucket_arn=arn,
            permissions_boundary_arn=gov.operational_boundary_arn,
            bucket_key_arn=documents_key.arn,
            object_prefixes=["uploads/"],
            depends_on=[self.documents],
            role_arn=names.service_role_arn(s, "documents-malware-scan"),
        )
        if not s.skips("backup"):
            self._backups(s, foundation, gov)
        self.assets = {
            "documents_bucket": asset(
                s,
                "s3_bucket",
                "documents bucket",
                arn,
                sensitive=True,
                policy=self.documents_policy,
                key_arn=documents_key.arn,
            ),
            "database": asset(s, "database", "database", self.database.resource_id, sensitive=True),
            "sessions_table": asset(s, "dynamodb_table", "sessions table", self.sessions.arn, sensitive=True),
            "fincen_secret": asset(
                s, "secret", "FinCEN API secret", secret_arn, sensitive=True, policy=self.fincen_secret_policy
            ),
            "pii_key": self.keys["pii"],
            "documents_key": self.keys["documents"],
            "database_key": self.keys["database"],
            "secrets_key": self.keys["secrets"],
            "messaging_key": self.keys["messaging"],
        }


def protect(registry, s: Settings) -> None:
    """The data stores and everything that copies them (snapshots, recovery points, exports)."""
    base = f"{s.region}:{s.account_id}"
    deployer = names.role_arn(s, names.platform_deployer(s))
    backup = names.service_role_arn(s, "backup")
    docs = f"arn:aws:s3:::{names.documents_bucket(s)}"
    scanner = names.service_role_arn(s, "documents-malware-scan")
    # GuardDuty's scanner wires the bucket's notifications and tags each upload with its verdict.
    registry.protect(
        "documents bucket",
        "pii",
        [("s3:bucket", docs)],
        managers=(deployer, scanner),
        reason="identity documents and filing records",
    )
    registry.protect(
        "identity document uploads",
        "pii",
        [("s3:object", f"{docs}/uploads/*")],
        readers=(scanner,),
        writers=(scanner,),
        reason="passport and licence images",
    )
    registry.protect(
        "filing records",
        "pii",
        [("s3:object", f"{docs}/reports/*")],
        readers=(names.role_arn(s, names.human_role(s, "compliance-officer")),),
        reason="BOIR transcripts and receipts",
    )
    registry.protect(
        "other documents",
        "pii",
        [("s3:object", f"{docs}/*")],
        readers=(scanner, names.role_arn(s, names.human_role(s, "compliance-officer"))),
        reason="anything else in the documents bucket",
    )
    logs = f"arn:aws:s3:::{names.platform_access_logs_bucket(s)}"
    registry.protect(
        "platform access-log bucket",
        "audit",
        [("s3:bucket", logs), ("s3:object", f"{logs}/*")],
        readers=(names.role_arn(s, names.human_role(s, "security-auditor")),),
        managers=(deployer,),
        reason="load balancer and bucket access records",
    )
    registry.protect(
        "database",
        "pii",
        [
            ("rds:db", f"arn:aws:rds:{base}:db:{names.database(s)}"),
            ("rds-db:db-user", f"arn:aws:rds-db:{base}:dbuser:*/*"),
            ("rds:snapshot", f"arn:aws:rds:{base}:snapshot:*"),
        ],
        managers=(deployer, backup),
        reason="company and beneficial-owner records",
    )
    table = f"arn:aws:dynamodb:{base}:table/{names.sessions_table(s)}"
    registry.protect(
        "sessions table",
        "pii",
        [("dynamodb:table", table), ("dynamodb:table", f"{table}/*"), ("dynamodb:stream", f"{table}/stream/*")],
        managers=(deployer, backup),
        reason="signed-in users' sessions",
    )
    registry.protect(
        "application secrets",
        "pii",
        [("secretsmanager:Secret", f"arn:aws:secretsmanager:{base}:secret:{s.prefix}/*")],
        writers=tuple(names.role_arn(s, names.human_role(s, r)) for r in ("platform-admin", "break-glass")),
        managers=(deployer,),
        reason="the FinCEN API client credentials (rotated by people when leaked)",
    )
    registry.protect(
        "backup vault and recovery points",
        "pii",
        [
            ("backup:backupVault", f"arn:aws:backup:{base}:backup-vault:{names.backup_vault(s)}"),
            ("backup:recoveryPoint", f"arn:aws:backup:{base}:recovery-point:*"),
        ],
        managers=(deployer, backup),
        reason="copies of the database and sessions table",
    )
