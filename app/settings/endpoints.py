"""The VPC endpoints the network tier creates, by the name of their service (`com.amazonaws.<region>.<name>`).

Settings and the network tier both read this list: a perimeter may only name an endpoint the platform
creates, so the endpoint IDs written into resource policies are always the platform's own.
"""

from __future__ import annotations

GATEWAY_ENDPOINTS = ("s3", "dynamodb")
INTERFACE_ENDPOINTS = (
    "kms",
    "secretsmanager",
    "sqs",
    "sts",
    "ecr.api",
    "ecr.dkr",
    "logs",
    "ssm",
    "ssmmessages",
    "events",
    "xray",
    "cognito-idp",
)
ENDPOINTS = GATEWAY_ENDPOINTS + INTERFACE_ENDPOINTS


def iam_prefix(endpoint: str) -> str:
    """The IAM service prefix of the API an endpoint serves (ecr.api and ecr.dkr are both `ecr`)."""
    return endpoint.split(".")[0]


def endpoint_for(action: str) -> str | None:
    """The endpoint a call of this IAM action goes through from inside the VPC, or None (no route)."""
    service = action.split(":")[0]
    if service == "ecr":
        return "ecr.api"
    return service if service in ENDPOINTS else None
