"""Policy documents and key-policy statement specs of the audit component (pure dicts).

Resource ARNs may be cdktn tokens embedded in strings; they resolve at synth.
"""

from __future__ import annotations

from dataclasses import dataclass

from boi_model.policies import deny_insecure_transport


@dataclass(frozen=True)
class KeyUse:
    """One statement the audit component asks a key handle to add (see allow_service)."""

    sid: str
    service_principal: str
    actions: tuple[str, ...]
    conditions: dict
    reason: str


# What would shorten, redirect or stop the archive without touching a single object.
ARCHIVE_CONFIGURATION_ACTIONS = [
    "s3:PutBucketPolicy",
    "s3:DeleteBucketPolicy",
    "s3:PutLifecycleConfiguration",
    "s3:PutBucketVersioning",
    "s3:PutBucketObjectLockConfiguration",
    "s3:PutEncryptionConfiguration",
    "s3:PutBucketLogging",
    "s3:PutBucketOwnershipControls",
    "s3:PutBucketPublicAccessBlock",
    "s3:PutBucketAcl",
    "s3:PutReplicationConfiguration",
    "s3:PutBucketNotification",
]


def custodian_guard(bucket_arn: str, custodian_arns: list[str]) -> list[dict]:
    """Only the custodians (the audit baseline's deployer) may change how a bucket keeps what it holds."""
    if not custodian_arns:
        return []
    return [
        {
            "Sid": "DenyConfigurationChangesExceptCustodians",
            "Effect": "Deny",
            "Principal": "*",
            "Action": ARCHIVE_CONFIGURATION_ACTIONS,
            "Resource": bucket_arn,
            "Condition": {"ArnNotLike": {"aws:PrincipalArn": list(custodian_arns)}},
        }
    ]


def archive_bucket_policy(
    *,
    bucket_arn: str,
    account_id: str,
    trail_arn: str,
    organization_mode: bool = False,
    prevent_destroy: bool = True,
    custodian_arns: list[str] | None = None,
    delivery_account_ids: list[str] | None = None,
) -> dict:
    """TLS only, no object or bucket deletion, and delivery for CloudTrail and Config from this account only,
    or (a central log archive) from the member accounts named in `delivery_account_ids`."""
    deny_delete = ["s3:DeleteObject", "s3:DeleteObjectVersion"]
    if prevent_destroy:
        # Environments that must be torn down (local) keep DeleteBucket so `terraform destroy` works.
        deny_delete += ["s3:DeleteBucket", "s3:DeleteBucketPolicy"]
    objects = f"{bucket_arn}/*"
    senders = sorted(set(delivery_account_ids or [account_id]))
    source = {"aws:SourceAccount": senders if len(senders) > 1 else senders[0]}
    config_objects = (
        [f"{bucket_arn}/config/AWSLogs/{a}/Config/*" for a in senders]
        if len(senders) > 1
        else f"{bucket_arn}/config/AWSLogs/{senders[0]}/Config/*"
    )
    # An organization trail writes under AWSLogs/<org id>/<account>/, unknown to this component.
    trail_prefix = f"{bucket_arn}/AWSLogs/*" if organization_mode else f"{bucket_arn}/AWSLogs/{account_id}/*"
    return {
        "Version": "2012-10-17",
        "Statement": [
            deny_insecure_transport([bucket_arn, objects]),
            {
                # Object Lock already blocks deleting locked versions; this also stops delete markers
                # and (outside teardown environments) deleting the bucket or its policy, whoever asks.
                "Sid": "DenyDeletion",
                "Effect": "Deny",
                "Principal": "*",
                "Action": deny_delete,
                "Resource": [bucket_arn, objects],
            },
            *custodian_guard(bucket_arn, custodian_arns or []),
            {
                "Sid": "CloudTrailAclCheck",
                "Effect": "Allow",
                "Principal": {"Service": "cloudtrail.amazonaws.com"},
                "Action": "s3:GetBucketAcl",
                "Resource": bucket_arn,
                "Condition": {"StringEquals": {"aws:SourceArn": trail_arn}},
            },
            {
                "Sid": "CloudTrailWrite",
                "Effect": "Allow",
                "Principal": {"Service": "cloudtrail.amazonaws.com"},
                "Action": "s3:PutObject",
                "Resource": trail_prefix,
                "Condition": {
                    "StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control", "aws:SourceArn": trail_arn}
                },
            },
            {
                "Sid": "ConfigAclCheck",
                "Effect": "Allow",
                "Principal": {"Service": "config.amazonaws.com"},
                "Action": ["s3:GetBucketAcl", "s3:ListBucket"],
                "Resource": bucket_arn,
                "Condition": {"StringEquals": source},
            },
            {
                "Sid": "ConfigWrite",
                "Effect": "Allow",
                "Principal": {"Service": "config.amazonaws.com"},
                "Action": "s3:PutObject",
                "Resource": config_objects,
                "Condition": {"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control", **source}},
            },
        ],
    }


ARCHIVE_REASONS = {
    "DenyInsecureTransport": "requests without TLS are refused, whoever sends them",
    "DenyDeletion": "no delete markers, no deleted versions (and outside teardown environments no deleted "
    "bucket or policy), whoever asks",
    "DenyConfigurationChangesExceptCustodians": "only the deployer of the audit baseline may change how the "
    "archive keeps what it holds (policy, lifecycle, versioning, Object Lock, encryption, logging)",
    "CloudTrailAclCheck": "CloudTrail checks the bucket before it delivers, for this account's trail only",
    "CloudTrailWrite": "CloudTrail delivers this account's trail files (and digests) under AWSLogs/",
    "ConfigAclCheck": "AWS Config checks the bucket before it delivers, for this account only",
    "ConfigWrite": "AWS Config delivers this account's configuration history under config/",
}

# Elastic Load Balancing's log-delivery account per Region (Regions opened before August 2022); the others
# use the service principal. From the ELB user guide ("Attach a policy to your S3 bucket").
ELB_LOG_DELIVERY_ACCOUNTS = {
    "us-east-1": "127311923021",
    "us-east-2": "033677994240",
    "us-west-1": "027434742980",
    "us-west-2": "797873946194",
    "ca-central-1": "985666609251",
    "eu-central-1": "054676820928",
    "eu-west-1": "156460612806",
    "eu-west-2": "652711504416",
    "eu-west-3": "009996457667",
    "eu-north-1": "897822967062",
    "ap-northeast-1": "582318560864",
    "ap-northeast-2": "600734575887",
    "ap-south-1": "718504428378",
    "ap-southeast-1": "114774131450",
    "ap-southeast-2": "783225319266",
    "sa-east-1": "507241528517",
}
ELB_LOG_DELIVERY_SERVICE = "logdelivery.elasticloadbalancing.amazonaws.com"

ACCESS_LOG_REASONS = {
    "DenyInsecureTransport": "requests without TLS are refused, whoever sends them",
    "DenyConfigurationChangesExceptCustodians": "only the deployer of the audit baseline may change how the "
    "bucket keeps what it holds",
    "S3ServerAccessLogsDelivery": "S3 server access logging writes the access logs of the named buckets of "
    "this account, nothing else",
    "AlbAccessLogsDelivery": "Elastic Load Balancing writes the application load balancers' access logs of "
    "this account under their prefix",
    "NlbAccessLogsDelivery": "the log delivery service writes the network load balancers' access logs of this "
    "account under their prefix",
    "NlbAccessLogsAclCheck": "the log delivery service checks the bucket before it writes network load balancer logs",
}


def access_log_bucket_policy(
    *,
    bucket_arn: str,
    account_id: str,
    source_bucket_arns: list[str],
    custodian_arns: list[str] | None = None,
    region: str | None = None,
    partition: str = "aws",
    alb_prefix: str | None = None,
    nlb_prefix: str | None = None,
) -> dict:
    """TLS only; only the delivery services write, and only for this account's resources:
    S3 server access logging for the named source buckets, Elastic Load Balancing for the application
    load balancers (under alb_prefix), the log delivery service for the network load balancers (under
    nlb_prefix). Nothing else is allowed here: people read through their identity policies."""
    source = {"aws:SourceAccount": account_id}
    statements = [
        deny_insecure_transport([bucket_arn, f"{bucket_arn}/*"]),
        *custodian_guard(bucket_arn, custodian_arns or []),
        {
            "Sid": "S3ServerAccessLogsDelivery",
            "Effect": "Allow",
            "Principal": {"Service": "logging.s3.amazonaws.com"},
            "Action": "s3:PutObject",
            "Resource": f"{bucket_arn}/*",
            "Condition": {
                "ArnLike": {"aws:SourceArn": list(source_bucket_arns)},
                "StringEquals": source,
            },
        },
    ]
    if alb_prefix is not None:
        if not region:
            raise ValueError("access_log_bucket_policy: alb_prefix needs the region (its log-delivery principal)")
        elb_account = ELB_LOG_DELIVERY_ACCOUNTS.get(region)
        principal = (
            {"AWS": f"arn:{partition}:iam::{elb_account}:root"}
            if elb_account
            else {"Service": ELB_LOG_DELIVERY_SERVICE}
        )
        statements.append(
            {
                "Sid": "AlbAccessLogsDelivery",
                "Effect": "Allow",
                "Principal": principal,
                "Action": "s3:PutObject",
                # The account in the key is the scope: ELB writes each account's logs under its own id.
                "Resource": f"{bucket_arn}/{alb_prefix}/AWSLogs/{account_id}/*",
            }
        )
    if nlb_prefix is not None:
        if not region:
            raise ValueError("access_log_bucket_policy: nlb_prefix needs the region (the source ARN)")
        delivery = {
            "StringEquals": source,
            "ArnLike": {"aws:SourceArn": f"arn:{partition}:logs:{region}:{account_id}:*"},
        }
        statements += [
            {
                "Sid": "NlbAccessLogsDelivery",
                "Effect": "Allow",
                "Principal": {"Service": "delivery.logs.amazonaws.com"},
                "Action": "s3:PutObject",
                "Resource": f"{bucket_arn}/{nlb_prefix}/AWSLogs/{account_id}/*",
                "Condition": {
                    **delivery,
                    "StringEquals": {**source, "s3:x-amz-acl": "bucket-owner-full-control"},
                },
            },
            {
                "Sid": "NlbAccessLogsAclCheck",
                "Effect": "Allow",
                "Principal": {"Service": "delivery.logs.amazonaws.com"},
                "Action": "s3:GetBucketAcl",
                "Resource": bucket_arn,
                "Condition": delivery,
            },
        ]
    return {"Version": "2012-10-17", "Statement": statements}


def results_bucket_policy(*, bucket_arn: str, key_arn: str, custodian_arns: list[str] | None = None) -> dict:
    """Athena's investigation results: TLS only, written only under the logs key, configuration kept by the
    custodians."""
    objects = f"{bucket_arn}/*"
    return {
        "Version": "2012-10-17",
        "Statement": [
            deny_insecure_transport([bucket_arn, objects]),
            *custodian_guard(bucket_arn, custodian_arns or []),
            {
                "Sid": "DenyUnencryptedResults",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:PutObject",
                "Resource": objects,
                "Condition": {"StringNotEquals": {"s3:x-amz-server-side-encryption": "aws:kms"}},
            },
            {
                "Sid": "DenyOtherKeys",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:PutObject",
                "Resource": objects,
                "Condition": {"StringNotEqualsIfExists": {"s3:x-amz-server-side-encryption-aws-kms-key-id": key_arn}},
            },
        ],
    }


RESULTS_REASONS = {
    "DenyInsecureTransport": ACCESS_LOG_REASONS["DenyInsecureTransport"],
    "DenyConfigurationChangesExceptCustodians": ACCESS_LOG_REASONS["DenyConfigurationChangesExceptCustodians"],
    "DenyUnencryptedResults": "query results hold trail records: they are written under SSE-KMS only",
    "DenyOtherKeys": "query results are written under the logs key only",
}


def alert_topic_policy(*, topic_arn: str, account_id: str) -> dict:
    """Only CloudWatch alarms and EventBridge rules of this account may publish; TLS only."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "AllowAlarmsAndRulesOfThisAccount",
                "Effect": "Allow",
                "Principal": {"Service": ["cloudwatch.amazonaws.com", "events.amazonaws.com"]},
                "Action": "sns:Publish",
                "Resource": topic_arn,
                "Condition": {"StringEquals": {"aws:SourceAccount": account_id}},
            },
            deny_insecure_transport(topic_arn, "sns:Publish"),
        ],
    }


def service_trust_policy(service: str, account_id: str, source_arn: str | None = None) -> dict:
    condition: dict = {"StringEquals": {"aws:SourceAccount": account_id}}
    if source_arn:
        condition["ArnLike"] = {"aws:SourceArn": source_arn}
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "TrustService",
                "Effect": "Allow",
                "Principal": {"Service": service},
                "Action": "sts:AssumeRole",
                "Condition": condition,
            }
        ],
    }


def forward_to_bus_policy(bus_arn: str) -> dict:
    """EventBridge, forwarding a paging rule's events from another Region, may put them on this bus only."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "ForwardToHomeBus", "Effect": "Allow", "Action": "events:PutEvents", "Resource": bus_arn}
        ],
    }


def trail_to_logs_policy(log_group_arn: str) -> dict:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "DeliverTrailEvents",
                "Effect": "Allow",
                "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                "Resource": f"{log_group_arn}:log-stream:*",
            }
        ],
    }


def config_delivery_policy(*, bucket_arn: str, account_id: str, key_arn: str, topic_arn: str | None = None) -> dict:
    statements = [
        {
            "Sid": "CheckBucket",
            "Effect": "Allow",
            "Action": ["s3:GetBucketAcl", "s3:ListBucket"],
            "Resource": bucket_arn,
        },
        {
            "Sid": "WriteSnapshots",
            "Effect": "Allow",
            "Action": "s3:PutObject",
            "Resource": f"{bucket_arn}/config/AWSLogs/{account_id}/Config/*",
            "Condition": {"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control"}},
        },
        {
            "Sid": "EncryptSnapshots",
            "Effect": "Allow",
            "Action": ["kms:GenerateDataKey", "kms:Decrypt"],
            "Resource": key_arn,
        },
    ]
    return {"Version": "2012-10-17", "Statement": statements}


def malware_protection_policy(
    *,
    bucket_name: str,
    bucket_arn: str,
    partition: str,
    region: str,
    account_id: str,
    key_arn: str | None = None,
    object_prefixes: list[str] | None = None,
) -> dict:
    """What GuardDuty Malware Protection for S3 needs on one bucket (per the AWS guide), with object
    access limited to the prefixes the plan scans."""
    scanned = [f"{bucket_arn}/{prefix}*" for prefix in object_prefixes] if object_prefixes else f"{bucket_arn}/*"
    rule_arn = f"arn:{partition}:events:{region}:{account_id}:rule/DO-NOT-DELETE-AmazonGuardDutyMalwareProtectionS3*"
    statements = [
        {
            "Sid": "ManageEventBridgeRule",
            "Effect": "Allow",
            "Action": ["events:PutRule", "events:DeleteRule", "events:PutTargets", "events:RemoveTargets"],
            "Resource": rule_arn,
            "Condition": {"StringLike": {"events:ManagedBy": "malware-protection-plan.guardduty.amazonaws.com"}},
        },
        {
            "Sid": "DescribeEventBridgeRule",
            "Effect": "Allow",
            "Action": ["events:DescribeRule", "events:ListTargetsByRule"],
            "Resource": rule_arn,
        },
        {
            "Sid": "BucketNotifications",
            "Effect": "Allow",
            "Action": [
                "s3:PutBucketNotification",
                "s3:GetBucketNotification",
                "s3:GetBucketLocation",
                "s3:ListBucket",
            ],
            "Resource": bucket_arn,
        },
        {
            "Sid": "ScanAndTagObjects",
            "Effect": "Allow",
            "Action": [
                "s3:GetObject",
                "s3:GetObjectVersion",
                "s3:GetObjectTagging",
                "s3:GetObjectVersionTagging",
                "s3:PutObjectTagging",
                "s3:PutObjectVersionTagging",
            ],
            "Resource": scanned,
        },
        {
            "Sid": "ValidationObject",
            "Effect": "Allow",
            "Action": "s3:PutObject",
            "Resource": f"{bucket_arn}/malware-protection-resource-validation-object",
        },
    ]
    if key_arn:
        statements.append(
            {
                "Sid": "DecryptScannedObjects",
                "Effect": "Allow",
                "Action": "kms:Decrypt",
                "Resource": key_arn,
                "Condition": {"StringLike": {"kms:ViaService": f"s3.{region}.amazonaws.com"}},
            }
        )
    return {"Version": "2012-10-17", "Statement": statements}


def logs_key_uses(
    *, partition: str, region: str, account_id: str, trail_arn: str, log_group_arn: str, skip: set[str]
) -> list[KeyUse]:
    """Statements the logs key needs so each AWS service that writes audit data can use it."""
    uses = [
        KeyUse(
            sid="AuditCloudTrailEncrypt",
            service_principal="cloudtrail.amazonaws.com",
            actions=("kms:GenerateDataKey",),
            conditions={
                "StringLike": {
                    "kms:EncryptionContext:aws:cloudtrail:arn": f"arn:{partition}:cloudtrail:*:{account_id}:trail/*"
                },
                "StringEquals": {"aws:SourceArn": trail_arn},
            },
            reason="CloudTrail encrypts trail and digest files for this account's trail only.",
        ),
        KeyUse(
            sid="AuditCloudTrailDescribe",
            service_principal="cloudtrail.amazonaws.com",
            actions=("kms:DescribeKey",),
            conditions={"StringEquals": {"aws:SourceArn": trail_arn}},
            reason="CloudTrail checks the key when the trail is created or updated.",
        ),
        KeyUse(
            sid="AuditCloudWatchLogs",
            service_principal=f"logs.{region}.amazonaws.com",
            actions=(
                "kms:Encrypt",
                "kms:Decrypt",
                "kms:ReEncryptFrom",
                "kms:ReEncryptTo",
                "kms:GenerateDataKey",
                "kms:DescribeKey",
            ),
            conditions={
                "ArnLike": {
                    "kms:EncryptionContext:aws:logs:arn": f"arn:{partition}:logs:{region}:{account_id}:log-group:*"
                }
            },
            reason="CloudWatch Logs encrypts this account's log groups (trail events and others).",
        ),
        KeyUse(
            sid="AuditConfigDelivery",
            service_principal="config.amazonaws.com",
            actions=("kms:Decrypt", "kms:GenerateDataKey"),
            conditions={"StringEquals": {"aws:SourceAccount": account_id}},
            reason="AWS Config writes encrypted configuration snapshots and history to the archive.",
        ),
    ]
    # Athena needs no key-policy statement: it encrypts results with the caller's own permissions.
    return uses


def alerts_key_uses(*, account_id: str) -> list[KeyUse]:
    """Publishers of the alert topic must be able to use its key."""
    return [
        KeyUse(
            sid="AuditAlarmsPublish",
            service_principal="cloudwatch.amazonaws.com",
            actions=("kms:Decrypt", "kms:GenerateDataKey"),
            conditions={"StringEquals": {"aws:SourceAccount": account_id}},
            reason="CloudWatch alarms publish to the encrypted alert topic.",
        ),
        KeyUse(
            sid="AuditEventBridgePublish",
            service_principal="events.amazonaws.com",
            actions=("kms:Decrypt", "kms:GenerateDataKey"),
            conditions={"StringEquals": {"aws:SourceAccount": account_id}},
            reason="EventBridge rules publish paging events to the encrypted alert topic.",
        ),
    ]
