"""The `"//"` metadata keys: Terraform JSON ignores `"//"`, so the app writes what the readers need there.

Writers (the app and the components' constructs) and readers (documents, proofs, gate, review, live
audit) import these names; a key spelled anywhere else is a bug.
"""

from __future__ import annotations

COMMENT = "//"
# Top level of a stack.
ENVIRONMENT = "boi_environment"  # every stack: the environment it was synthesized for
ACCOUNT = "boi_account"  # organization stacks: the part of the layout, its account id and Region
PROTECTED_ASSETS = "boi_protected_assets"  # foundation stack: the registry every guardrail was generated from
# On a resource.
PURPOSE = "purpose"  # aws_iam_role: why the role exists
REASONS = "reasons"  # aws_iam_role_policy and resource policies: Sid -> why the statement exists
KMS_REASONS = "boi_kms_statement_reasons"  # aws_kms_key: Sid -> why the key-policy statement exists
REASON = "reason"  # aws_iam_role_policy_attachment: why the managed policy is attached
SUPPRESS = "boi_suppress"  # any resource: reviewed checkov suppressions {check id: reason}
ACCEPT = "boi_accept"  # IAM policies: reviewed lint findings {issue: reason}
