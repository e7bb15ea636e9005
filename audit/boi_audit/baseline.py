"""AuditBaseline: thin construct mapping the audit core onto AWS provider resources.

Every resource gets a fixed Terraform logical id (see _fix) because the control catalog and the
documents name resources by address; one AuditBaseline per stack.
"""

from __future__ import annotations

import json

from cdktn import TerraformLocal, TerraformResourceLifecycle
from cdktn_provider_aws.accessanalyzer_analyzer import (
    AccessanalyzerAnalyzer,
    AccessanalyzerAnalyzerConfiguration,
    AccessanalyzerAnalyzerConfigurationUnusedAccess,
)
from cdktn_provider_aws.athena_named_query import AthenaNamedQuery
from cdktn_provider_aws.athena_workgroup import (
    AthenaWorkgroup,
    AthenaWorkgroupConfiguration,
    AthenaWorkgroupConfigurationResultConfiguration,
    AthenaWorkgroupConfigurationResultConfigurationEncryptionConfiguration,
)
from cdktn_provider_aws.cloudtrail import (
    Cloudtrail,
    CloudtrailAdvancedEventSelector,
    CloudtrailAdvancedEventSelectorFieldSelector,
    CloudtrailInsightSelector,
)
from cdktn_provider_aws.cloudwatch_event_rule import CloudwatchEventRule
from cdktn_provider_aws.cloudwatch_event_target import CloudwatchEventTarget
from cdktn_provider_aws.cloudwatch_log_group import CloudwatchLogGroup
from cdktn_provider_aws.cloudwatch_log_metric_filter import (
    CloudwatchLogMetricFilter,
    CloudwatchLogMetricFilterMetricTransformation,
)
from cdktn_provider_aws.cloudwatch_metric_alarm import CloudwatchMetricAlarm
from cdktn_provider_aws.config_config_rule import (
    ConfigConfigRule,
    ConfigConfigRuleScope,
    ConfigConfigRuleSource,
    ConfigConfigRuleSourceCustomPolicyDetails,
    ConfigConfigRuleSourceSourceDetail,
)
from cdktn_provider_aws.config_configuration_aggregator import (
    ConfigConfigurationAggregator,
    ConfigConfigurationAggregatorOrganizationAggregationSource,
)
from cdktn_provider_aws.config_configuration_recorder import (
    ConfigConfigurationRecorder,
    ConfigConfigurationRecorderRecordingGroup,
)
from cdktn_provider_aws.config_configuration_recorder_status import ConfigConfigurationRecorderStatus
from cdktn_provider_aws.config_delivery_channel import ConfigDeliveryChannel
from cdktn_provider_aws.glue_catalog_database import GlueCatalogDatabase
from cdktn_provider_aws.glue_catalog_table import (
    GlueCatalogTable,
    GlueCatalogTableStorageDescriptor,
    GlueCatalogTableStorageDescriptorColumns,
    GlueCatalogTableStorageDescriptorSerDeInfo,
)
from cdktn_provider_aws.guardduty_detector import GuarddutyDetector
from cdktn_provider_aws.guardduty_detector_feature import (
    GuarddutyDetectorFeature,
    GuarddutyDetectorFeatureAdditionalConfiguration,
)
from cdktn_provider_aws.iam_role import IamRole
from cdktn_provider_aws.iam_role_policy import IamRolePolicy
from cdktn_provider_aws.iam_role_policy_attachment import IamRolePolicyAttachment
from cdktn_provider_aws.macie2_account import Macie2Account
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
from cdktn_provider_aws.s3_bucket_ownership_controls import (
    S3BucketOwnershipControls,
    S3BucketOwnershipControlsRule,
)
from cdktn_provider_aws.s3_bucket_policy import S3BucketPolicy
from cdktn_provider_aws.s3_bucket_public_access_block import S3BucketPublicAccessBlock
from cdktn_provider_aws.s3_bucket_server_side_encryption_configuration import (
    S3BucketServerSideEncryptionConfigurationA,
    S3BucketServerSideEncryptionConfigurationRuleA,
    S3BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultA,
)
from cdktn_provider_aws.s3_bucket_versioning import (
    S3BucketVersioningA,
    S3BucketVersioningVersioningConfiguration,
)
from cdktn_provider_aws.securityhub_account import SecurityhubAccount
from cdktn_provider_aws.securityhub_standards_control_association import (
    SecurityhubStandardsControlAssociation,
)
from cdktn_provider_aws.securityhub_standards_subscription import SecurityhubStandardsSubscription
from cdktn_provider_aws.sns_topic import SnsTopic
from cdktn_provider_aws.sns_topic_policy import SnsTopicPolicy
from cdktn_provider_aws.sns_topic_subscription import SnsTopicSubscription
from constructs import Construct

from boi_audit import policies, queries
from boi_audit.errors import ConfigError
from boi_audit.guard import guard_policies
from boi_audit.settings import AuditSettings

GUARDDUTY_FEATURES = ("S3_DATA_EVENTS", "RDS_LOGIN_EVENTS", "LAMBDA_NETWORK_LOGS", "RUNTIME_MONITORING")
UNUSED_ACCESS_AGE_DAYS = 90


def _fix(resource, logical_id: str):
    resource.override_logical_id(logical_id)
    return resource


def _json(doc: dict) -> str:
    return json.dumps(doc, sort_keys=False)


def protected_resources(settings: AuditSettings) -> list[dict]:
    """What the baseline records, keeps and pages with, by literal ARN (usable from any stack):
    [{"name": ..., "parts": [(IAM resource type, ARN or pattern), ...], "writers": [...]}] (writers: the
    roles that deliver into it). Whoever may change one of
    these can blind the audit, so the app denies their control actions to everyone but its custodians."""
    s = settings
    base = f"{s.region}:{s.account_id}"
    p, part = s.partition, s.name_prefix
    archive, access = f"{part}-audit-archive-{s.account_id}", f"{part}-audit-access-{s.account_id}"
    group = f"/{part}/audit/cloudtrail"
    out = [
        {"name": "audit trail", "parts": [("cloudtrail:trail", f"arn:{p}:cloudtrail:{base}:trail/{part}-audit-trail")]},
        {
            "name": "audit archive bucket",
            "parts": [("s3:bucket", f"arn:{p}:s3:::{archive}"), ("s3:object", f"arn:{p}:s3:::{archive}/*")],
        },
        {
            "name": "audit access-log bucket",
            "parts": [("s3:bucket", f"arn:{p}:s3:::{access}"), ("s3:object", f"arn:{p}:s3:::{access}/*")],
        },
        {
            "name": "trail log group and its metric filters",
            "writers": [f"arn:{p}:iam::{s.account_id}:role/{part}-audit-trail-to-logs"],
            "parts": [
                ("logs:log-group", f"arn:{p}:logs:{base}:log-group:{group}"),
                ("logs:log-group", f"arn:{p}:logs:{base}:log-group:{group}:*"),
                ("logs:log-stream", f"arn:{p}:logs:{base}:log-group:{group}:log-stream:*"),
            ],
        },
        {
            "name": "CIS alarms",
            "parts": [
                ("cloudwatch:alarm", f"arn:{p}:cloudwatch:{base}:alarm:{part}-{f.metric_name}")
                for f in s.catalog.cis_filters
            ],
        },
        {"name": "security alert topic", "parts": [("sns:topic", f"arn:{p}:sns:{base}:{part}-security-alerts")]},
        {
            "name": "paging rules",
            "parts": [
                ("events:rule-on-default-event-bus", f"arn:{p}:events:{base}:rule/{part}-{rule.name}")
                for rule in s.catalog.event_rules
            ],
        },
        {
            "name": "Config recorder, delivery channel and rules",
            "parts": [
                ("config:ConfigurationRecorder", f"arn:{p}:config:{base}:configuration-recorder/*"),
                ("config:ConfigRule", f"arn:{p}:config:{base}:config-rule/*"),
            ],
        },
    ]
    if s.creates("guardduty"):
        out.append(
            {
                "name": "GuardDuty detector",
                "parts": [
                    ("guardduty:detector", f"arn:{p}:guardduty:{base}:detector/*"),
                    ("guardduty:filter", f"arn:{p}:guardduty:{base}:detector/*/filter/*"),
                ],
            }
        )
    if s.creates("securityhub"):
        out.append({"name": "Security Hub", "parts": [("securityhub:hub", f"arn:{p}:securityhub:{base}:hub/default")]})
    if s.creates("accessanalyzer"):
        out.append(
            {
                "name": "Access Analyzer",
                "parts": [("access-analyzer:Analyzer", f"arn:{p}:access-analyzer:{base}:analyzer/{part}-*")],
            }
        )
    return out


class AuditBaseline(Construct):
    """Trail, log archive, Config, Security Hub, GuardDuty, Macie, Access Analyzer, alarms and alerting.

    logs_key / alerts_key: duck-typed key handles with .arn, .key_id and .allow_service(...).
    guard_inputs: optional {"kms_rotation_days": {class: days}, "bucket_keys": {bucket: key_arn},
    "database_keys": {db_id: key_arn}}; one Guard rule per key given.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        settings: AuditSettings,
        logs_key,
        alerts_key,
        permissions_boundary_arn: str,
        guard_inputs: dict | None = None,
        break_glass_role_arn: str | None = None,
        pii_key_arns: list[str] | None = None,
    ):
        super().__init__(scope, id)
        if not permissions_boundary_arn:
            raise ConfigError("AuditBaseline.permissions_boundary_arn", permissions_boundary_arn, "an IAM policy ARN")
        self.settings = s = settings
        self._boundary = permissions_boundary_arn
        self._lifecycle = TerraformResourceLifecycle(prevent_destroy=True) if s.prevent_destroy else None
        self._guard_texts = guard_policies(guard_inputs)  # validate before building anything
        self.roles: list[IamRole] = []
        p = s.name_prefix
        self.trail_name = f"{p}-audit-trail"
        self.trail_arn = f"arn:{s.partition}:cloudtrail:{s.region}:{s.account_id}:trail/{self.trail_name}"

        _fix(TerraformLocal(self, "skipped", sorted(s.skip)), "boi_audit_skipped_services")
        self._archive(logs_key)
        self._trail(logs_key)
        self._config(logs_key)
        self._alerting(alerts_key, break_glass_role_arn)
        if s.creates("securityhub"):
            self._security_hub()
        if s.creates("guardduty"):
            self._guardduty()
        if s.creates("macie"):
            self.macie = _fix(
                Macie2Account(self, "macie", finding_publishing_frequency="FIFTEEN_MINUTES", status="ENABLED"),
                "audit_macie",
            )
        if s.creates("accessanalyzer"):
            self._access_analyzer()
        if s.creates("athena"):
            self._athena(logs_key, pii_key_arns or [], break_glass_role_arn)
        for use in policies.logs_key_uses(
            partition=s.partition,
            region=s.region,
            account_id=s.account_id,
            trail_arn=self.trail_arn,
            log_group_arn=self.log_group.arn,
            skip=s.skip,
        ):
            logs_key.allow_service(
                sid=use.sid,
                service_principal=use.service_principal,
                actions=use.actions,
                conditions=use.conditions,
                reason=use.reason,
            )
        for use in policies.alerts_key_uses(account_id=s.account_id):
            alerts_key.allow_service(
                sid=use.sid,
                service_principal=use.service_principal,
                actions=use.actions,
                conditions=use.conditions,
                reason=use.reason,
            )

    # -- helpers -------------------------------------------------------------------------------------
    def _role(self, id: str, logical_id: str, *, name: str, service: str, source_arn: str | None = None) -> IamRole:
        role = _fix(
            IamRole(
                self,
                id,
                name=name,
                permissions_boundary=self._boundary,
                assume_role_policy=_json(policies.service_trust_policy(service, self.settings.account_id, source_arn)),
            ),
            logical_id,
        )
        self.roles.append(role)
        return role

    def _private_bucket(self, id: str, logical_id: str, bucket) -> None:
        _fix(
            S3BucketPublicAccessBlock(
                self,
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
                self,
                f"{id}_ownership",
                bucket=bucket.id,
                rule=S3BucketOwnershipControlsRule(object_ownership="BucketOwnerEnforced"),
            ),
            f"{logical_id}_ownership",
        )
        _fix(
            S3BucketVersioningA(
                self,
                f"{id}_versioning",
                bucket=bucket.id,
                versioning_configuration=S3BucketVersioningVersioningConfiguration(status="Enabled"),
            ),
            f"{logical_id}_versioning",
        )

    # -- log archive -----------------------------------------------------------------------------------
    def _archive(self, logs_key) -> None:
        s = self.settings
        self.archive_bucket_name = f"{s.name_prefix}-audit-archive-{s.account_id}"
        self.access_log_bucket_name = f"{s.name_prefix}-audit-access-{s.account_id}"
        self.archive_bucket = _fix(
            S3Bucket(
                self,
                "archive",
                bucket=self.archive_bucket_name,
                object_lock_enabled=True,
                force_destroy=not s.prevent_destroy,
                lifecycle=self._lifecycle,
                tags={"boi:retention": "worm", "boi:data-class": "audit-logs"},
            ),
            "audit_log_archive",
        )
        self.archive_bucket_arn = self.archive_bucket.arn
        self._private_bucket("archive", "audit_log_archive", self.archive_bucket)
        years = s.archive_retention_years
        retention = (
            S3BucketObjectLockConfigurationRuleDefaultRetentionA(mode="COMPLIANCE", years=years)
            if years
            else S3BucketObjectLockConfigurationRuleDefaultRetentionA(mode="COMPLIANCE", days=s.archive_retention_days)
        )
        _fix(
            S3BucketObjectLockConfigurationA(
                self,
                "archive_lock",
                bucket=self.archive_bucket.id,
                rule=S3BucketObjectLockConfigurationRuleA(default_retention=retention),
            ),
            "audit_log_archive_lock",
        )
        _fix(
            S3BucketServerSideEncryptionConfigurationA(
                self,
                "archive_sse",
                bucket=self.archive_bucket.id,
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
        self.archive_policy = _fix(
            S3BucketPolicy(
                self,
                "archive_policy",
                bucket=self.archive_bucket.id,
                policy=_json(
                    policies.archive_bucket_policy(
                        bucket_arn=self.archive_bucket.arn,
                        account_id=s.account_id,
                        trail_arn=self.trail_arn,
                        organization_mode=s.organization_mode,
                        prevent_destroy=s.prevent_destroy,
                        custodian_arns=s.custodian_arns,
                    )
                ),
            ),
            "audit_log_archive_policy",
        )
        # Colder storage as records age; nothing expires before the lock does (disposal is a decision).
        _fix(
            S3BucketLifecycleConfiguration(
                self,
                "archive_lifecycle",
                bucket=self.archive_bucket.id,
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
        self.access_log_bucket = _fix(
            S3Bucket(
                self,
                "access_logs",
                bucket=self.access_log_bucket_name,
                force_destroy=not s.prevent_destroy,
                lifecycle=self._lifecycle,
                tags={"boi:data-class": "audit-access-logs"},
            ),
            "audit_access_logs",
        )
        self._private_bucket("access_logs", "audit_access_logs", self.access_log_bucket)
        _fix(
            S3BucketServerSideEncryptionConfigurationA(
                self,
                "access_logs_sse",
                bucket=self.access_log_bucket.id,
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
        _fix(
            S3BucketPolicy(
                self,
                "access_logs_policy",
                bucket=self.access_log_bucket.id,
                policy=_json(
                    policies.access_log_bucket_policy(
                        bucket_arn=self.access_log_bucket.arn,
                        source_bucket_arn=self.archive_bucket.arn,
                        account_id=s.account_id,
                        custodian_arns=s.custodian_arns,
                    )
                ),
            ),
            "audit_access_logs_policy",
        )
        _fix(
            S3BucketLifecycleConfiguration(
                self,
                "access_logs_lifecycle",
                bucket=self.access_log_bucket.id,
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
                self,
                "archive_logging",
                bucket=self.archive_bucket.id,
                target_bucket=self.access_log_bucket.id,
                target_prefix="archive/",
            ),
            "audit_log_archive_logging",
        )

    # -- CloudTrail ------------------------------------------------------------------------------------
    def _trail(self, logs_key) -> None:
        s = self.settings
        self.log_group = _fix(
            CloudwatchLogGroup(
                self,
                "trail_logs",
                name=f"/{s.name_prefix}/audit/cloudtrail",
                retention_in_days=s.log_retention_days,
                kms_key_id=logs_key.arn,
            ),
            "audit_trail_logs",
        )
        role = self._role(
            "trail_role",
            "audit_trail_to_logs",
            name=f"{s.name_prefix}-audit-trail-to-logs",
            service="cloudtrail.amazonaws.com",
            source_arn=self.trail_arn,
        )
        _fix(
            IamRolePolicy(
                self,
                "trail_role_policy",
                role=role.id,
                name="deliver-trail-events",
                policy=_json(policies.trail_to_logs_policy(self.log_group.arn)),
            ),
            "audit_trail_to_logs_policy",
        )
        selectors = [
            CloudtrailAdvancedEventSelector(
                name="Management events",
                field_selector=[
                    CloudtrailAdvancedEventSelectorFieldSelector(field="eventCategory", equal_to=["Management"])
                ],
            )
        ]
        if s.pii_bucket_arns:
            selectors.append(
                CloudtrailAdvancedEventSelector(
                    name="PII bucket object events",
                    field_selector=[
                        CloudtrailAdvancedEventSelectorFieldSelector(field="eventCategory", equal_to=["Data"]),
                        CloudtrailAdvancedEventSelectorFieldSelector(
                            field="resources.type", equal_to=["AWS::S3::Object"]
                        ),
                        CloudtrailAdvancedEventSelectorFieldSelector(
                            field="resources.ARN", starts_with=[f"{arn}/" for arn in s.pii_bucket_arns]
                        ),
                    ],
                )
            )
        self.trail = _fix(
            Cloudtrail(
                self,
                "trail",
                name=self.trail_name,
                s3_bucket_name=self.archive_bucket.id,
                include_global_service_events=True,
                is_multi_region_trail=True,
                enable_log_file_validation=True,
                is_organization_trail=s.organization_mode,
                kms_key_id=logs_key.arn,
                cloud_watch_logs_group_arn=f"{self.log_group.arn}:*",
                cloud_watch_logs_role_arn=role.arn,
                advanced_event_selector=selectors,
                insight_selector=[
                    CloudtrailInsightSelector(insight_type="ApiCallRateInsight"),
                    CloudtrailInsightSelector(insight_type="ApiErrorRateInsight"),
                ],
                depends_on=[self.archive_policy],
                lifecycle=self._lifecycle,
            ),
            "audit_trail",
        )

    # -- AWS Config ------------------------------------------------------------------------------------
    def _config(self, logs_key) -> None:
        s = self.settings
        role = self._role(
            "config_role",
            "audit_config",
            name=f"{s.name_prefix}-audit-config",
            service="config.amazonaws.com",
        )
        _fix(
            IamRolePolicyAttachment(
                self,
                "config_role_managed",
                role=role.name,
                policy_arn=f"arn:{s.partition}:iam::aws:policy/service-role/AWS_ConfigRole",
            ),
            "audit_config_managed",
        )
        _fix(
            IamRolePolicy(
                self,
                "config_role_policy",
                role=role.id,
                name="deliver-to-archive",
                policy=_json(
                    policies.config_delivery_policy(
                        bucket_arn=self.archive_bucket.arn, account_id=s.account_id, key_arn=logs_key.arn
                    )
                ),
            ),
            "audit_config_delivery_policy",
        )
        self.recorder = _fix(
            ConfigConfigurationRecorder(
                self,
                "recorder",
                name=f"{s.name_prefix}-recorder",
                role_arn=role.arn,
                recording_group=ConfigConfigurationRecorderRecordingGroup(
                    all_supported=True, include_global_resource_types=True
                ),
            ),
            "audit_recorder",
        )
        channel = _fix(
            ConfigDeliveryChannel(
                self,
                "delivery",
                name=f"{s.name_prefix}-delivery",
                s3_bucket_name=self.archive_bucket.id,
                s3_key_prefix="config",
                s3_kms_key_arn=logs_key.arn,
                depends_on=[self.recorder, self.archive_policy],
            ),
            "audit_delivery",
        )
        _fix(
            ConfigConfigurationRecorderStatus(
                self, "recorder_status", name=self.recorder.name, is_enabled=True, depends_on=[channel]
            ),
            "audit_recorder_status",
        )
        self.config_rules: dict[str, ConfigConfigRule] = {}
        for rule_id in s.config_rule_ids:
            rule = s.catalog.rule(rule_id)
            params = s.rule_parameters(rule_id)
            scope = (
                ConfigConfigRuleScope(tag_key=rule.scope_tag["key"], tag_value=rule.scope_tag["value"])
                if rule.scope_tag
                else None
            )
            self.config_rules[rule_id] = _fix(
                ConfigConfigRule(
                    self,
                    f"rule_{rule.name}",
                    name=f"{s.name_prefix}-{rule.name}",
                    description=rule.why,
                    input_parameters=_json(params) if params else None,
                    scope=scope,
                    source=ConfigConfigRuleSource(owner="AWS", source_identifier=rule.identifier),
                    depends_on=[self.recorder],
                ),
                f"audit_rule_{rule.name.replace('-', '_')}",
            )
        if s.creates("guard_rules"):
            for guard in s.catalog.guard_rules:
                text = self._guard_texts.get(guard.name)
                if text is None:
                    continue
                self.config_rules[guard.name] = _fix(
                    ConfigConfigRule(
                        self,
                        f"guard_{guard.name}",
                        name=f"{s.name_prefix}-{guard.name}",
                        description=guard.why,
                        scope=ConfigConfigRuleScope(compliance_resource_types=[guard.resource_type]),
                        source=ConfigConfigRuleSource(
                            owner="CUSTOM_POLICY",
                            source_detail=[
                                ConfigConfigRuleSourceSourceDetail(message_type="ConfigurationItemChangeNotification")
                            ],
                            custom_policy_details=ConfigConfigRuleSourceCustomPolicyDetails(
                                policy_runtime="guard-2.x.x", policy_text=text
                            ),
                        ),
                        depends_on=[self.recorder],
                    ),
                    f"audit_guard_{guard.name.replace('-', '_')}",
                )
        if s.organization_mode:
            agg_role = self._role(
                "aggregator_role",
                "audit_config_aggregator",
                service="config.amazonaws.com",
                name=f"{s.name_prefix}-audit-config-aggregator",
            )
            _fix(
                IamRolePolicyAttachment(
                    self,
                    "aggregator_managed",
                    role=agg_role.name,
                    policy_arn=f"arn:{s.partition}:iam::aws:policy/service-role/AWSConfigRoleForOrganizations",
                ),
                "audit_config_aggregator_managed",
            )
            _fix(
                ConfigConfigurationAggregator(
                    self,
                    "aggregator",
                    name=f"{s.name_prefix}-organization",
                    organization_aggregation_source=ConfigConfigurationAggregatorOrganizationAggregationSource(
                        all_regions=True, role_arn=agg_role.arn
                    ),
                ),
                "audit_org_aggregator",
            )

    # -- alerting --------------------------------------------------------------------------------------
    def _alerting(self, alerts_key, break_glass_role_arn: str | None) -> None:
        s = self.settings
        self.alert_topic = _fix(
            SnsTopic(self, "alerts", name=f"{s.name_prefix}-security-alerts", kms_master_key_id=alerts_key.arn),
            "audit_alerts",
        )
        _fix(
            SnsTopicPolicy(
                self,
                "alerts_policy",
                arn=self.alert_topic.arn,
                policy=_json(policies.alert_topic_policy(topic_arn=self.alert_topic.arn, account_id=s.account_id)),
            ),
            "audit_alerts_policy",
        )
        for i, email in enumerate(s.alert_emails):
            _fix(
                SnsTopicSubscription(
                    self, f"alert_email_{i}", topic_arn=self.alert_topic.arn, protocol="email", endpoint=email
                ),
                f"audit_alert_email_{i}",
            )
        alarm = s.catalog.alarm
        self.alarms: dict[str, CloudwatchMetricAlarm] = {}
        for f in s.catalog.cis_filters:
            key = f"cis_{f.id.replace('.', '_')}"
            _fix(
                CloudwatchLogMetricFilter(
                    self,
                    f"{key}_filter",
                    name=f.metric_name,
                    log_group_name=self.log_group.name,
                    pattern=f.pattern,
                    metric_transformation=CloudwatchLogMetricFilterMetricTransformation(
                        name=f.metric_name, namespace=alarm["namespace"], value="1"
                    ),
                ),
                f"audit_{key}_filter",
            )
            self.alarms[f.id] = _fix(
                CloudwatchMetricAlarm(
                    self,
                    f"{key}_alarm",
                    alarm_name=f"{s.name_prefix}-{f.metric_name}",
                    alarm_description=f"CIS {f.id}: {f.watches}",
                    metric_name=f.metric_name,
                    namespace=alarm["namespace"],
                    statistic=alarm["statistic"],
                    period=alarm["period_seconds"],
                    evaluation_periods=alarm["evaluation_periods"],
                    threshold=alarm["threshold"],
                    comparison_operator=alarm["comparison_operator"],
                    treat_missing_data="notBreaching",
                    alarm_actions=[self.alert_topic.arn],
                ),
                f"audit_{key}_alarm",
            )
        self.event_rules: dict[str, CloudwatchEventRule] = {}
        for rule in s.catalog.event_rules:
            pattern = rule.pattern
            if rule.requires == "break_glass_role_arn":
                if not break_glass_role_arn:
                    continue
                pattern = json.loads(json.dumps(pattern).replace("BREAK_GLASS_ROLE_ARN", break_glass_role_arn))
            key = rule.name.replace("-", "_")
            self.event_rules[rule.name] = _fix(
                CloudwatchEventRule(
                    self,
                    f"page_{key}",
                    name=f"{s.name_prefix}-{rule.name}",
                    description=rule.why,
                    event_pattern=_json(pattern),
                ),
                f"audit_page_{key}",
            )
            _fix(
                CloudwatchEventTarget(
                    self,
                    f"page_{key}_target",
                    rule=self.event_rules[rule.name].name,
                    target_id="alert-topic",
                    arn=self.alert_topic.arn,
                ),
                f"audit_page_{key}_target",
            )

    # -- Security Hub, GuardDuty, Access Analyzer --------------------------------------------------------
    def _security_hub(self) -> None:
        s = self.settings
        self.security_hub = _fix(
            SecurityhubAccount(
                self,
                "securityhub",
                enable_default_standards=False,
                control_finding_generator="SECURITY_CONTROL",
                auto_enable_controls=True,
            ),
            "audit_securityhub",
        )
        for sid in s.standards:
            std = s.catalog.standard(sid)
            key = sid.replace("-", "_")
            sub = _fix(
                SecurityhubStandardsSubscription(
                    self,
                    f"standard_{key}",
                    standards_arn=std.arn(s.partition, s.region),
                    depends_on=[self.security_hub],
                ),
                f"audit_standard_{key}",
            )
            for control in std.disabled_controls:
                ckey = control.control_id.replace(".", "_").lower()
                _fix(
                    SecurityhubStandardsControlAssociation(
                        self,
                        f"disable_{key}_{ckey}",
                        standards_arn=std.arn(s.partition, s.region),
                        security_control_id=control.control_id,
                        association_status="DISABLED",
                        updated_reason=control.reason,
                        depends_on=[sub],
                    ),
                    f"audit_disable_{key}_{ckey}",
                )

    def _guardduty(self) -> None:
        self.guardduty = _fix(
            GuarddutyDetector(self, "guardduty", enable=True, finding_publishing_frequency="FIFTEEN_MINUTES"),
            "audit_guardduty",
        )
        for feature in GUARDDUTY_FEATURES:
            extra = (
                [GuarddutyDetectorFeatureAdditionalConfiguration(name="ECS_FARGATE_AGENT_MANAGEMENT", status="ENABLED")]
                if feature == "RUNTIME_MONITORING"
                else None
            )
            _fix(
                GuarddutyDetectorFeature(
                    self,
                    f"guardduty_{feature.lower()}",
                    detector_id=self.guardduty.id,
                    name=feature,
                    status="ENABLED",
                    additional_configuration=extra,
                ),
                f"audit_guardduty_{feature.lower()}",
            )

    def _access_analyzer(self) -> None:
        s = self.settings
        scope = "ORGANIZATION" if s.organization_mode else "ACCOUNT"
        _fix(
            AccessanalyzerAnalyzer(
                self, "external_access", analyzer_name=f"{s.name_prefix}-external-access", type=scope
            ),
            "audit_external_access",
        )
        _fix(
            AccessanalyzerAnalyzer(
                self,
                "unused_access",
                analyzer_name=f"{s.name_prefix}-unused-access",
                type=f"{scope}_UNUSED_ACCESS",
                configuration=AccessanalyzerAnalyzerConfiguration(
                    unused_access=AccessanalyzerAnalyzerConfigurationUnusedAccess(
                        unused_access_age=UNUSED_ACCESS_AGE_DAYS
                    )
                ),
            ),
            "audit_unused_access",
        )

    # -- Athena ----------------------------------------------------------------------------------------
    def _athena(self, logs_key, pii_key_arns: list[str], break_glass_role_arn: str | None) -> None:
        s = self.settings
        bucket = self.archive_bucket_name
        self.athena_workgroup = _fix(
            AthenaWorkgroup(
                self,
                "athena",
                name=f"{s.name_prefix}-audit-investigations",
                force_destroy=not s.prevent_destroy,
                configuration=AthenaWorkgroupConfiguration(
                    enforce_workgroup_configuration=True,
                    publish_cloudwatch_metrics_enabled=True,
                    result_configuration=AthenaWorkgroupConfigurationResultConfiguration(
                        output_location=f"s3://{bucket}/athena-results/",
                        encryption_configuration=AthenaWorkgroupConfigurationResultConfigurationEncryptionConfiguration(
                            encryption_option="SSE_KMS", kms_key_arn=logs_key.arn
                        ),
                    ),
                ),
            ),
            "audit_investigations",
        )
        db_name = f"{s.name_prefix.replace('-', '_')}_audit"
        database = _fix(GlueCatalogDatabase(self, "glue_db", name=db_name), "audit_glue_database")
        trail_prefix = "AWSLogs/" if s.organization_mode else f"AWSLogs/{s.account_id}/CloudTrail/"
        _fix(
            GlueCatalogTable(
                self,
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
                    columns=[
                        GlueCatalogTableStorageDescriptorColumns(name=n, type=t) for n, t in queries.TRAIL_COLUMNS
                    ],
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
                    self,
                    f"query_{name}",
                    name=f"{s.name_prefix}-{name}",
                    description=description,
                    database=database.name,
                    workgroup=self.athena_workgroup.name,
                    query=sql,
                ),
                f"audit_query_{name.replace('-', '_')}",
            )
