"""Data tier: PostgreSQL, the documents bucket, the sessions table and the FinCEN secret."""

from __future__ import annotations

from boi_audit.documents_protection import DocumentsBucketProtection
from boi_iam.grants import Grant
from boi_iam.policy import trust_document
from boi_iam.resource_policy import ResourcePolicy, deny_insecure_transport
from boi_iam.role import PlatformRole, lazy_json
from cdktn import TerraformResourceLifecycle
from cdktn_provider_aws.backup_plan import BackupPlan
from cdktn_provider_aws.backup_selection import BackupSelection
from cdktn_provider_aws.backup_vault import BackupVault
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

from boi.settings import Settings
from modules import names
from modules.assets import asset, key_asset
from modules.blocks import blocks


def private_bucket(scope: Construct, id: str, *, name: str, kms_key_arn: str | None,
                   log_bucket: str | None, object_ownership: str = "BucketOwnerEnforced",
                   noncurrent_days: int = 90, prevent_destroy: bool = True) -> S3Bucket:
    """A bucket that is private, versioned, encrypted and logged, whatever it holds."""
    lifecycle = TerraformResourceLifecycle(prevent_destroy=True) if prevent_destroy else None
    bucket = S3Bucket(scope, id, bucket=name, force_destroy=not prevent_destroy, lifecycle=lifecycle)
    S3BucketPublicAccessBlock(scope, f"{id}_public_access", bucket=bucket.id, block_public_acls=True,
                              block_public_policy=True, ignore_public_acls=True, restrict_public_buckets=True)
    S3BucketOwnershipControls(scope, f"{id}_ownership", bucket=bucket.id,
                              rule={"object_ownership": object_ownership})
    S3BucketVersioningA(scope, f"{id}_versioning", bucket=bucket.id,
                        versioning_configuration={"status": "Enabled"})
    if kms_key_arn:
        rule = {"apply_server_side_encryption_by_default": {"sse_algorithm": "aws:kms",
                                                            "kms_master_key_id": kms_key_arn},
                "bucket_key_enabled": True}
    else:
        rule = {"apply_server_side_encryption_by_default": {"sse_algorithm": "AES256"}}
    S3BucketServerSideEncryptionConfigurationA(scope, f"{id}_encryption", bucket=bucket.id, rule=blocks([rule]))
    S3BucketLifecycleConfiguration(scope, f"{id}_lifecycle", bucket=bucket.id, rule=blocks([{
        "id": "expire-old-versions", "status": "Enabled", "filter": [{"prefix": ""}],
        "noncurrent_version_expiration": [{"noncurrent_days": noncurrent_days}],
        "abort_incomplete_multipart_upload": [{"days_after_initiation": 7}]}]))
    # Object events go to EventBridge, where malware scanning and audit rules can pick them up.
    S3BucketNotification(scope, f"{id}_events", bucket=bucket.id, eventbridge=True)
    if log_bucket:
        S3BucketLoggingA(scope, f"{id}_logging", bucket=bucket.id, target_bucket=log_bucket,
                         target_prefix=f"s3/{name}/")
    return bucket


class Data(Construct):
    def _backups(self, s: Settings, foundation, gov) -> None:
        """AWS Backup copies of the database and the sessions table, in a vault under the backups key."""
        key = foundation.key("backups")
        vault = BackupVault(self, "vault", name=f"{s.prefix}-vault", kms_key_arn=key.arn,
                            force_destroy=not s.keys.prevent_destroy)
        plan = BackupPlan(self, "plan", name=f"{s.prefix}-daily", rule=blocks([{
            "rule_name": "daily", "target_vault_name": vault.name, "schedule": "cron(0 5 * * ? *)",
            "start_window": 60, "completion_window": 360,
            "lifecycle": {"delete_after": s.retention.archive_days}}]))
        role = PlatformRole(
            self, "backup_role", name=f"{s.prefix}-backup", account_id=s.account_id,
            purpose="AWS Backup takes and restores recovery points of the database and sessions table",
            trust=trust_document("backup.amazonaws.com",
                                 conditions={"StringEquals": {"aws:SourceAccount": s.account_id}}),
            boundary_arn=gov.operational_boundary_arn)
        for policy in ("AWSBackupServiceRolePolicyForBackup", "AWSBackupServiceRolePolicyForRestores"):
            role.attach_managed(f"arn:aws:iam::aws:policy/service-role/{policy}",
                                "the AWS-maintained policies AWS Backup needs to snapshot and restore RDS and DynamoDB")
        role.grant(Grant(role.principal, key_asset(s, key), "encrypt_decrypt",
                         "AWS Backup encrypts recovery points in the vault", via="backup"))
        BackupSelection(self, "selection", name=f"{s.prefix}-data", plan_id=plan.id, iam_role_arn=role.arn,
                        resources=[self.database.arn, self.sessions.arn])

    def __init__(self, scope: Construct, id: str, *, settings: Settings, foundation, network) -> None:
        super().__init__(scope, id)
        s = self.settings = settings
        keep = s.keys.prevent_destroy
        gov = foundation.governance
        self.keys = {c: key_asset(s, foundation.key(c)) for c in ("pii", "documents", "database", "secrets",
                                                                  "messaging")}
        # Server access logs cannot be delivered to an SSE-KMS bucket, so this one uses SSE-S3.
        self.access_logs = private_bucket(self, "access_logs", name=f"{s.prefix}-access-logs-{s.account_id}",
                                          kms_key_arn=None, log_bucket=None, object_ownership="BucketOwnerPreferred",
                                          prevent_destroy=keep)
        documents_key = foundation.key("documents")
        bucket_name = names.documents_bucket(s)
        self.documents = private_bucket(self, "documents", name=bucket_name, kms_key_arn=documents_key.arn,
                                        log_bucket=self.access_logs.bucket, prevent_destroy=keep)
        arn = self.documents.arn
        self.documents_policy = ResourcePolicy("documents bucket", guards=[
            deny_insecure_transport([arn, f"{arn}/*"]),
            {"Sid": "DenyOldTls", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
             "Resource": [arn, f"{arn}/*"], "Condition": {"NumericLessThan": {"s3:TlsVersion": "1.2"}}},
            {"Sid": "DenyWrongKey", "Effect": "Deny", "Principal": "*", "Action": "s3:PutObject",
             "Resource": f"{arn}/*",
             "Condition": {"StringNotEqualsIfExists": {
                 "s3:x-amz-server-side-encryption-aws-kms-key-id": documents_key.arn}}},
            {"Sid": "DenyUnencryptedUploads", "Effect": "Deny", "Principal": "*", "Action": "s3:PutObject",
             "Resource": f"{arn}/*",
             "Condition": {"StringNotEquals": {"s3:x-amz-server-side-encryption": "aws:kms"}}},
        ])
        S3BucketPolicy(self, "documents_policy", bucket=self.documents.id,
                       policy=lazy_json(self.documents_policy.render))

        self.database_sg = SecurityGroup(
            self, "database_sg", name=f"{s.prefix}-database", vpc_id=network.vpc.id,
            description="PostgreSQL: only from the services that hold a database grant")
        params = DbParameterGroup(self, "postgres_params", name=f"{s.prefix}-postgres16", family="postgres16",
                                  description="TLS only, TLS 1.2 or newer, log connections", parameter=[
                                      {"name": "rds.force_ssl", "value": "1"},
                                      {"name": "ssl_min_protocol_version", "value": "TLSv1.2"},
                                      {"name": "log_connections", "value": "1"},
                                      {"name": "log_disconnections", "value": "1"}])
        subnets = DbSubnetGroup(self, "database_subnets", name=f"{s.prefix}-data",
                                subnet_ids=network.subnet_ids("data"))
        monitoring = PlatformRole(
            self, "rds_monitoring", name=f"{s.prefix}-rds-monitoring", account_id=s.account_id,
            purpose="RDS enhanced monitoring publishes OS metrics to CloudWatch Logs",
            trust=trust_document("monitoring.rds.amazonaws.com",
                                 conditions={"StringEquals": {"aws:SourceAccount": s.account_id}}),
            boundary_arn=gov.operational_boundary_arn, inline_policy=False)
        monitoring.attach_managed("arn:aws:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole",
                                  "the AWS-maintained policy RDS enhanced monitoring requires (logs to RDSOSMetrics)")
        self.monitoring_role = monitoring
        self.database = DbInstance(
            self, "postgres", identifier=f"{s.prefix}-postgres", engine="postgres", engine_version="16.4",
            instance_class="db.m6g.large", allocated_storage=100, max_allocated_storage=500, storage_type="gp3",
            storage_encrypted=True, kms_key_id=foundation.key("database").arn, multi_az=True,
            db_name="boi", username="boi_admin", manage_master_user_password=True,
            master_user_secret_kms_key_id=foundation.key("secrets").arn,
            iam_database_authentication_enabled=True, parameter_group_name=params.name,
            db_subnet_group_name=subnets.name, vpc_security_group_ids=[self.database_sg.id],
            publicly_accessible=False, deletion_protection=keep, skip_final_snapshot=not keep,
            final_snapshot_identifier=f"{s.prefix}-postgres-final" if keep else None,
            backup_retention_period=s.retention.backup_days, copy_tags_to_snapshot=True,
            auto_minor_version_upgrade=True, enabled_cloudwatch_logs_exports=["postgresql", "upgrade"],
            performance_insights_enabled=True, performance_insights_kms_key_id=foundation.key("database").arn,
            performance_insights_retention_period=7, monitoring_interval=60,
            monitoring_role_arn=monitoring.arn, ca_cert_identifier="rds-ca-rsa2048-g1")

        self.sessions = DynamodbTable(
            self, "sessions", name=f"{s.prefix}-sessions", billing_mode="PAY_PER_REQUEST", hash_key="pk",
            range_key="sk", attribute=[{"name": "pk", "type": "S"}, {"name": "sk", "type": "S"}],
            ttl={"attribute_name": "expires_at", "enabled": True},
            point_in_time_recovery={"enabled": True}, deletion_protection_enabled=keep,
            server_side_encryption={"enabled": True, "kms_key_arn": foundation.key("database").arn})

        self.fincen_secret = SecretsmanagerSecret(
            self, "fincen_secret", name=f"{s.prefix}/fincen/api-client",
            description=f"FinCEN BOIR API client id and secret ({s.fincen.environment}: {s.fincen.endpoint})",
            kms_key_id=foundation.key("secrets").arn, recovery_window_in_days=30 if keep else 0)
        secret_arn = self.fincen_secret.arn
        self.fincen_secret_policy = ResourcePolicy("FinCEN secret", guards=[
            {"Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*",
             "Action": "secretsmanager:GetSecretValue", "Resource": "*",
             "Condition": {"Bool": {"aws:SecureTransport": "false"}}},
        ])
        SecretsmanagerSecretPolicy(self, "fincen_secret_policy", secret_arn=secret_arn,
                                   policy=lazy_json(self.fincen_secret_policy.render), block_public_policy=True)

        # Macie classifies uploads and GuardDuty scans them for malware; the scanner's key use is
        # granted in the documents key policy (S3 decrypts for it).
        protection = DocumentsBucketProtection(
            self, "documents_protection", settings=foundation.audit_settings, bucket_name=bucket_name, bucket_arn=arn,
            permissions_boundary_arn=gov.operational_boundary_arn, bucket_key_arn=documents_key.arn,
            object_prefixes=["uploads/"], depends_on=[self.documents])
        if protection.role is not None:
            documents_key.allow_use("MalwareScannerDecryptsUploads", f"arn:aws:iam::{s.account_id}:role/"
                                    f"{s.prefix}-documents-malware-scan", ("kms:Decrypt",), "s3",
                                    "GuardDuty Malware Protection reads uploads through S3 to scan them")
        if not s.skips("backup"):
            self._backups(s, foundation, gov)
        self.assets = {
            "documents_bucket": asset(s, "s3_bucket", "documents bucket", arn, sensitive=True,
                                      policy=self.documents_policy, key_arn=documents_key.arn),
            "database": asset(s, "database", "database", self.database.resource_id, sensitive=True),
            "sessions_table": asset(s, "dynamodb_table", "sessions table", self.sessions.arn, sensitive=True),
            "fincen_secret": asset(s, "secret", "FinCEN API secret", secret_arn, sensitive=True,
                                   policy=self.fincen_secret_policy),
            "pii_key": self.keys["pii"], "documents_key": self.keys["documents"],
            "database_key": self.keys["database"], "secrets_key": self.keys["secrets"],
            "messaging_key": self.keys["messaging"],
        }
