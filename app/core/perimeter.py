"""The data perimeter as the platform applies it: who the workload principals are, who is exempt where,
and which account or organization is "inside". The statements themselves are boi_model.policies's.

Resource side: the PII and documents keys (foundation, aws:SourceVpc: the foundation owns the VPC and may
not name platform resources), the documents bucket, the queues and the FinCEN secret (platform,
aws:SourceVpce of the endpoints settings.perimeter names). Identity side: the workload boundary.
"""

from __future__ import annotations

from boi_model.policies import credentials_perimeter, data_perimeter

from app.core import names
from app.settings import Settings

# What the workload boundary keeps inside the VPC: every data API the workloads use. SQS is left to the
# queue policies (which exempt the Lambda roles whose queue calls the Lambda service makes); rds-db:connect
# carries no network context (the database is reachable only from the VPC's data subnets anyway); logs,
# X-Ray, ENI and ECR calls are made by Lambda and ECS for the role from their own networks.
CREDENTIALS_PERIMETER_ACTIONS = ["kms:*", "s3:*", "secretsmanager:*", "dynamodb:*", "events:*"]


def workload_principals(s: Settings) -> list[str]:
    """Every workload role (task, function and ECS execution roles) lives under the platform path."""
    return [names.platform_roles_pattern(s)]


def lambda_roles(s: Settings, services) -> list[str]:
    """Roles whose queue calls the Lambda service makes from its own network (event source mappings,
    dead-letter delivery), where neither aws:SourceVpce nor aws:ViaAWSService is set."""
    return [
        names.platform_role_arn(s, f"{s.prefix}-{svc.name}-execution") for svc in services if svc.runtime == "lambda"
    ]


def resource_guards(
    s: Settings,
    resources: list[str] | str,
    actions: list[str] | str,
    *,
    source_vpce: list[str] | None = None,
    source_vpc: list[str] | str | None = None,
    exempt: list[str] | tuple[str, ...] = (),
) -> list[dict]:
    inside = {"organization_id": s.organization_id} if s.organization_mode else {"account_id": s.account_id}
    return data_perimeter(
        resources,
        actions,
        principals=workload_principals(s),
        source_vpce=source_vpce,
        source_vpc=source_vpc,
        exempt_principals=exempt,
        **inside,
    )


def boundary_statement(vpc_id: str) -> dict:
    return credentials_perimeter(CREDENTIALS_PERIMETER_ACTIONS, source_vpc=vpc_id)
