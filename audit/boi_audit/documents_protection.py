"""DocumentsBucketProtection: Macie classification and GuardDuty malware scanning for the documents bucket.

Separate from AuditBaseline because the documents bucket lives in another stack; the app creates this
construct next to the bucket and passes its name and ARN.
"""

from __future__ import annotations

import json

from cdktn_provider_aws.guardduty_malware_protection_plan import (
    GuarddutyMalwareProtectionPlan,
    GuarddutyMalwareProtectionPlanActions,
    GuarddutyMalwareProtectionPlanActionsTagging,
    GuarddutyMalwareProtectionPlanProtectedResource,
    GuarddutyMalwareProtectionPlanProtectedResourceS3Bucket,
)
from cdktn_provider_aws.iam_role import IamRole
from cdktn_provider_aws.iam_role_policy import IamRolePolicy
from cdktn_provider_aws.macie2_classification_job import (
    Macie2ClassificationJob,
    Macie2ClassificationJobS3JobDefinition,
    Macie2ClassificationJobS3JobDefinitionBucketDefinitions,
    Macie2ClassificationJobScheduleFrequency,
)
from constructs import Construct

from boi_audit import policies
from boi_audit.errors import ConfigError
from boi_audit.settings import AuditSettings


class DocumentsBucketProtection(Construct):
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        settings: AuditSettings,
        bucket_name: str,
        bucket_arn: str,
        permissions_boundary_arn: str,
        bucket_key_arn: str | None = None,
        object_prefixes: list[str] | None = None,
        depends_on: list | None = None,
        role_arn: str | None = None,
    ):
        super().__init__(scope, id)
        if not bucket_name:
            raise ConfigError("DocumentsBucketProtection.bucket_name", bucket_name, "the documents bucket name")
        if not permissions_boundary_arn:
            raise ConfigError(
                "DocumentsBucketProtection.permissions_boundary_arn",
                permissions_boundary_arn,
                "an IAM policy ARN",
            )
        s = settings
        self.role = None
        self.classification_job = None
        self.malware_plan = None
        if s.creates("macie"):
            # Daily scan of new objects; depends_on lets the app order it after the Macie account.
            self.classification_job = Macie2ClassificationJob(
                self,
                "classification",
                name=f"{s.name_prefix}-documents-classification",
                job_type="SCHEDULED",
                schedule_frequency=Macie2ClassificationJobScheduleFrequency(daily_schedule=True),
                initial_run=True,
                sampling_percentage=100,
                s3_job_definition=Macie2ClassificationJobS3JobDefinition(
                    bucket_definitions=[
                        Macie2ClassificationJobS3JobDefinitionBucketDefinitions(
                            account_id=s.account_id, buckets=[bucket_name]
                        )
                    ]
                ),
                depends_on=depends_on,
            )
        if s.creates("guardduty"):
            # The app may create the scanner's role elsewhere (where roles are deployed) and pass its ARN.
            if role_arn is None:
                self.role = IamRole(
                    self,
                    "malware_role",
                    name=f"{s.name_prefix}-documents-malware-scan",
                    permissions_boundary=permissions_boundary_arn,
                    assume_role_policy=json.dumps(
                        policies.service_trust_policy("malware-protection-plan.guardduty.amazonaws.com", s.account_id),
                        sort_keys=False,
                    ),
                )
                IamRolePolicy(
                    self,
                    "malware_role_policy",
                    role=self.role.id,
                    name="scan-documents-bucket",
                    policy=json.dumps(
                        policies.malware_protection_policy(
                            bucket_name=bucket_name,
                            bucket_arn=bucket_arn,
                            partition=s.partition,
                            region=s.region,
                            account_id=s.account_id,
                            key_arn=bucket_key_arn,
                            object_prefixes=object_prefixes,
                        ),
                        sort_keys=False,
                    ),
                )
                role_arn = self.role.arn
            self.malware_plan = GuarddutyMalwareProtectionPlan(
                self,
                "malware_plan",
                role=role_arn,
                protected_resource=[
                    GuarddutyMalwareProtectionPlanProtectedResource(
                        s3_bucket=[
                            GuarddutyMalwareProtectionPlanProtectedResourceS3Bucket(
                                bucket_name=bucket_name, object_prefixes=object_prefixes
                            )
                        ]
                    )
                ],
                actions=[
                    GuarddutyMalwareProtectionPlanActions(
                        tagging=[GuarddutyMalwareProtectionPlanActionsTagging(status="ENABLED")]
                    )
                ],
                depends_on=depends_on,
            )
