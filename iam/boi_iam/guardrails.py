"""Guardrail documents: permission boundaries and organization SCPs, as plain data.

Boundaries cap what a role can ever do, whatever its identity policy says; SCPs cap a whole
account. Both are deny-lists around audit, keys and identity, because those are the controls an
attacker (or a mistake) would switch off first.
"""

from __future__ import annotations

AUDIT_TAMPER_ACTIONS = [
    "cloudtrail:StopLogging", "cloudtrail:DeleteTrail", "cloudtrail:UpdateTrail", "cloudtrail:PutEventSelectors",
    "config:StopConfigurationRecorder", "config:DeleteConfigurationRecorder", "config:DeleteDeliveryChannel",
    "config:DeleteConfigRule", "guardduty:DeleteDetector", "guardduty:UpdateDetector",
    "guardduty:DisassociateFromMasterAccount", "securityhub:DisableSecurityHub",
    "securityhub:BatchDisableStandards", "access-analyzer:DeleteAnalyzer", "macie2:DisableMacie",
]
OBJECT_READ_ACTIONS = ["s3:GetObject", "s3:GetObjectVersion"]
OBJECT_WRITE_ACTIONS = ["s3:PutObject", "s3:DeleteObject", "s3:DeleteObjectVersion", "s3:PutObjectAcl"]
OBJECT_DATA_ACTIONS = OBJECT_READ_ACTIONS + OBJECT_WRITE_ACTIONS
KEY_ADMIN_ACTIONS = ["kms:PutKeyPolicy", "kms:ScheduleKeyDeletion", "kms:DisableKey",
                     "kms:DisableKeyRotation", "kms:CreateGrant", "kms:RevokeGrant"]
IDENTITY_ESCALATION_ACTIONS = ["iam:CreateUser", "iam:CreateAccessKey", "iam:CreateLoginProfile",
                               "iam:UpdateLoginProfile", "iam:DeleteRolePermissionsBoundary",
                               "iam:DeleteUserPermissionsBoundary"]
PUBLIC_ACCESS_ACTIONS = ["s3:PutAccountPublicAccessBlock", "s3:PutBucketPublicAccessBlock",
                         "s3:DeleteBucketPolicy"]


def workload_boundary(granted_actions: list[str]) -> dict:
    """Workloads may never do more than the union of what grants gave them, and never tamper."""
    return {"Version": "2012-10-17", "Statement": [
        {"Sid": "CeilingFromGrants", "Effect": "Allow", "Action": sorted(set(granted_actions)), "Resource": "*"},
        {"Sid": "DenyAuditTampering", "Effect": "Deny", "Action": AUDIT_TAMPER_ACTIONS, "Resource": "*"},
        {"Sid": "DenyKeyAdministration", "Effect": "Deny", "Action": KEY_ADMIN_ACTIONS, "Resource": "*",
         # AWS services create grants on a role's behalf (RDS, DynamoDB); those keep working.
         "Condition": {"Bool": {"kms:GrantIsForAWSResource": "false"}}},
        {"Sid": "DenyIdentityChanges", "Effect": "Deny", "Action": ["iam:*", "organizations:*", "sts:AssumeRole"],
         "Resource": "*"},
    ]}


def guarded_boundary(*, key_admin_arns: list[str], documents_arn: str, record_reader_arns: list[str],
                     key_arns: list[str], secret_arns: list[str], db_user_arns: list[str], queue_arns: list[str],
                     table_arns: list[str], boundary_arns: list[str], boundary_editor_arns: list[str],
                     archive_arn: str, log_reader_arns: list[str], secret_writer_arns: list[str]) -> dict:
    """Roles that need broad service access (people, AWS service roles) may never read PII, switch off
    audit, or mint long-lived credentials."""
    return {"Version": "2012-10-17", "Statement": [
        # A boundary only caps; what each person can do comes from the role's own policies.
        {"Sid": "CeilingAll", "Effect": "Allow", "Action": "*", "Resource": "*"},
        {"Sid": "DenyAuditTampering", "Effect": "Deny", "Action": AUDIT_TAMPER_ACTIONS, "Resource": "*"},
        {"Sid": "DenyIdentityEscalation", "Effect": "Deny", "Action": IDENTITY_ESCALATION_ACTIONS, "Resource": "*"},
        {"Sid": "DenyKeyAdministrationExceptKeyAdmins", "Effect": "Deny", "Action": KEY_ADMIN_ACTIONS,
         "Resource": "*", "Condition": {"ArnNotLike": {"aws:PrincipalArn": key_admin_arns},
                                         "Bool": {"kms:GrantIsForAWSResource": "false"}}},
        {"Sid": "DenyIdentityDocuments", "Effect": "Deny", "Action": OBJECT_DATA_ACTIONS,
         "Resource": f"{documents_arn}/uploads/*"},
        {"Sid": "DenyFilingRecordChanges", "Effect": "Deny", "Action": OBJECT_WRITE_ACTIONS,
         "Resource": f"{documents_arn}/reports/*"},
        {"Sid": "DenyFilingRecordsExceptCompliance", "Effect": "Deny", "Action": OBJECT_READ_ACTIONS,
         "Resource": f"{documents_arn}/reports/*",
         "Condition": {"ArnNotLike": {"aws:PrincipalArn": record_reader_arns}}},
        {"Sid": "DenyDecryptExceptRecordAndLogReaders", "Effect": "Deny",
         "Action": ["kms:Decrypt", "kms:ReEncryptFrom"], "Resource": key_arns,
         "Condition": {"ArnNotLike": {"aws:PrincipalArn": record_reader_arns + log_reader_arns}}},
        {"Sid": "DenyAuditArchiveChanges", "Effect": "Deny", "Action": OBJECT_WRITE_ACTIONS,
         "Resource": f"{archive_arn}/*"},
        {"Sid": "DenyAuditArchiveReadExceptLogReaders", "Effect": "Deny", "Action": OBJECT_READ_ACTIONS,
         "Resource": f"{archive_arn}/*", "Condition": {"ArnNotLike": {"aws:PrincipalArn": log_reader_arns}}},
        {"Sid": "DenySecretChangesExceptOperators", "Effect": "Deny",
         "Action": ["secretsmanager:PutSecretValue", "secretsmanager:UpdateSecret"], "Resource": secret_arns,
         "Condition": {"ArnNotLike": {"aws:PrincipalArn": secret_writer_arns}}},
        {"Sid": "DenyQueuedFilings", "Effect": "Deny",
         "Action": ["sqs:ReceiveMessage", "sqs:SendMessage", "sqs:PurgeQueue", "sqs:DeleteMessage",
                    "sqs:ChangeMessageVisibility"],
         "Resource": queue_arns},
        {"Sid": "DenySessionData", "Effect": "Deny",
         "Action": ["dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query", "dynamodb:Scan",
                    "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem",
                    "dynamodb:ExportTableToPointInTime"],
         "Resource": table_arns},
        {"Sid": "DenyBoundaryEdits", "Effect": "Deny",
         "Action": ["iam:CreatePolicyVersion", "iam:SetDefaultPolicyVersion", "iam:DeletePolicyVersion",
                    "iam:DeletePolicy"],
         "Resource": boundary_arns, "Condition": {"ArnNotLike": {"aws:PrincipalArn": boundary_editor_arns}}},
        {"Sid": "DenyApplicationSecrets", "Effect": "Deny", "Action": "secretsmanager:GetSecretValue",
         "Resource": secret_arns},
        {"Sid": "DenyDatabaseLogin", "Effect": "Deny", "Action": "rds-db:connect", "Resource": db_user_arns},
        {"Sid": "DenyPublicAccessChanges", "Effect": "Deny", "Action": PUBLIC_ACCESS_ACTIONS, "Resource": "*"},
    ]}


GLOBAL_SERVICES = ["iam:*", "organizations:*", "sts:*", "support:*", "cloudfront:*", "route53:*",
                   "route53domains:*", "waf:*", "wafv2:*", "shield:*", "budgets:*", "ce:*", "health:*",
                   "trustedadvisor:*", "globalaccelerator:*", "acm:*", "kms:*", "account:*", "sso:*",
                   "identitystore:*", "access-analyzer:*", "securityhub:*", "config:*", "cloudtrail:*"]


def service_control_policies(*, allowed_regions: list[str], protected_role_arns: list[str],
                             key_admin_arns: list[str]) -> dict[str, dict]:
    """SCPs for organization mode, by name. Protected roles (security admin, break-glass) are exempt
    from the audit and key guardrails so incidents can still be handled."""
    exempt = {"ArnNotLike": {"aws:PrincipalArn": protected_role_arns}}
    return {
        "deny-leave-organization": {"Version": "2012-10-17", "Statement": [
            {"Sid": "DenyLeaveOrganization", "Effect": "Deny", "Action": "organizations:LeaveOrganization",
             "Resource": "*"}]},
        "protect-audit": {"Version": "2012-10-17", "Statement": [
            {"Sid": "DenyAuditTampering", "Effect": "Deny", "Action": AUDIT_TAMPER_ACTIONS, "Resource": "*",
             "Condition": exempt}]},
        "protect-keys": {"Version": "2012-10-17", "Statement": [
            {"Sid": "DenyKeyDestruction", "Effect": "Deny",
             "Action": ["kms:ScheduleKeyDeletion", "kms:DisableKey", "kms:PutKeyPolicy", "kms:DisableKeyRotation"],
             "Resource": "*", "Condition": {"ArnNotLike": {"aws:PrincipalArn": key_admin_arns}}}]},
        "region-lock": {"Version": "2012-10-17", "Statement": [
            {"Sid": "DenyOtherRegions", "Effect": "Deny", "NotAction": GLOBAL_SERVICES, "Resource": "*",
             "Condition": {"StringNotEquals": {"aws:RequestedRegion": allowed_regions}}}]},
        "deny-root-and-long-lived-credentials": {"Version": "2012-10-17", "Statement": [
            {"Sid": "DenyRootUser", "Effect": "Deny", "Action": "*", "Resource": "*",
             "Condition": {"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:root"}}},
            {"Sid": "DenyIamUsersAndAccessKeys", "Effect": "Deny",
             "Action": ["iam:CreateUser", "iam:CreateAccessKey", "iam:CreateLoginProfile"], "Resource": "*"}]},
        "protect-public-access-blocks": {"Version": "2012-10-17", "Statement": [
            {"Sid": "DenyLooseningPublicAccessBlocks", "Effect": "Deny", "Action": PUBLIC_ACCESS_ACTIONS[:2],
             "Resource": "*", "Condition": exempt}]},
    }


def resource_control_policies(*, org_id: str) -> dict[str, dict]:
    """RCPs: whatever a resource policy says, TLS only and nobody outside the organization."""
    services = ["s3:*", "kms:*", "sqs:*", "secretsmanager:*"]
    return {"data-perimeter": {"Version": "2012-10-17", "Statement": [
        {"Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": services, "Resource": "*",
         "Condition": {"BoolIfExists": {"aws:SecureTransport": "false"}}},
        {"Sid": "DenyOutsideOrganization", "Effect": "Deny", "Principal": "*", "Action": services, "Resource": "*",
         "Condition": {"StringNotEqualsIfExists": {"aws:PrincipalOrgID": org_id},
                       "BoolIfExists": {"aws:PrincipalIsAWSService": "false"}}}]}}


def service_boundary() -> dict:
    """AWS service roles (log delivery, Config, monitoring, malware scanning) act on AWS's behalf
    with AWS-shaped permissions; their boundary forbids tampering and identity changes."""
    return {"Version": "2012-10-17", "Statement": [
        {"Sid": "CeilingAll", "Effect": "Allow", "Action": "*", "Resource": "*"},
        {"Sid": "DenyAuditTampering", "Effect": "Deny", "Action": AUDIT_TAMPER_ACTIONS, "Resource": "*"},
        {"Sid": "DenyIdentityChanges", "Effect": "Deny", "Action": ["iam:*", "organizations:*"], "Resource": "*"},
        {"Sid": "DenyKeyAdministration", "Effect": "Deny", "Action": KEY_ADMIN_ACTIONS, "Resource": "*",
         "Condition": {"Bool": {"kms:GrantIsForAWSResource": "false"}}},
    ]}
