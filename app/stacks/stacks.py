"""The app's stacks, split by lifecycle and blast radius.

- foundation: KMS keys, identity guardrails and the audit baseline. Changes rarely; a mistake
  here affects every workload, so it is reviewed and applied on its own.
- platform: network, data, messaging, compute, API and edge. Changes with every release.

The platform refers to foundation keys through cdktn cross-stack references; the foundation
refers to platform resources only by literal names (modules/names.py), so there is no cycle.
"""

from __future__ import annotations

import os

import jsii
from boi_model import meta
from cdktn import App, Aspects, IAspect, LocalBackend, S3Backend, TerraformStack
from cdktn_provider_aws.provider import AwsProvider, AwsProviderAssumeRole
from constructs import Construct, IConstruct

from app.core.blocks import blocks
from app.settings import Settings

# The tested versions: AWS provider 5.100 (the image's mirror) and Terraform 1.11. The provider is capped
# at the tested major; app/stacks/locks/aws.terraform.lock.hcl pins 5.100.0 with its hashes for every
# platform, and its `constraints` line must equal PROVIDER_CONSTRAINT (tests/test_stacks.py).
PROVIDER_CONSTRAINT = "~> 5.100"

# Native S3 state locking (use_lockfile) needs Terraform >= 1.10; 1.11 is what the pipeline runs.
TERRAFORM_CONSTRAINT = "~> 1.11"

# Local environment only: an embedded AWS endpoint (a moto server on loopback, `make e2e`).
LOCAL_ENDPOINT_ENV = "BOI_LOCAL_ENDPOINT"
# Every service the stacks call, in the provider's `endpoints` names (AWS provider 5.x).
LOCAL_ENDPOINT_SERVICES = (
    "accessanalyzer",
    "acm",
    "apigateway",
    "athena",
    "cloudfront",
    "cloudtrail",
    "cloudwatch",
    "cognitoidp",
    "configservice",
    "dynamodb",
    "ec2",
    "ecr",
    "ecs",
    "elbv2",
    "events",
    "guardduty",
    "iam",
    "identitystore",
    "kms",
    "lambda",
    "logs",
    "macie2",
    "organizations",
    "rds",
    "route53",
    "s3",
    "secretsmanager",
    "securityhub",
    "signer",
    "sns",
    "sqs",
    "ssm",
    "ssoadmin",
    "sts",
    "wafv2",
    "xray",
)


@jsii.implements(IAspect)
class _LocalEndpoint:
    """Points every AWS provider of a stack (aliases included) at the embedded endpoint."""

    def __init__(self, url: str) -> None:
        self.url = url

    def visit(self, node: IConstruct) -> None:
        if isinstance(node, AwsProvider):
            node.endpoints = [{service: self.url for service in LOCAL_ENDPOINT_SERVICES}]
            node.access_key, node.secret_key = "testing", "testing"  # fake: moto accepts any
            node.skip_credentials_validation = True
            node.skip_requesting_account_id = True
            node.skip_metadata_api_check = "true"
            node.s3_use_path_style = True
            # With skip_requesting_account_id the provider knows no account id to check against.
            node.reset_allowed_account_ids()


def local_endpoint(settings: Settings) -> str | None:
    """The embedded AWS endpoint URL ($BOI_LOCAL_ENDPOINT), only ever for the local environment."""
    if settings.environment != "local":
        return None
    return os.environ.get(LOCAL_ENDPOINT_ENV, "").strip() or None


def _tags(s: Settings, name: str):
    return blocks([{"tags": {"project": "boi", "environment": s.environment, "stack": name, "managed-by": "cdktn"}}])


def regional_providers(stack: TerraformStack, settings: Settings, name: str) -> dict[str, AwsProvider]:
    """One provider alias per allowed Region besides the home Region (alias: the Region with `_`), for what
    must exist in every Region the account may use (the audit's recorder, detectors and paging rules)."""
    s = settings
    return {
        region: AwsProvider(
            stack,
            f"aws_{region.replace('-', '_')}",
            alias=region.replace("-", "_"),
            region=region,
            allowed_account_ids=[s.account_id],
            default_tags=_tags(s, name),
        )
        for region in s.allowed_regions
        if region != s.region
    }


def configure_stack(
    stack: TerraformStack,
    settings: Settings,
    name: str,
    *,
    account_id: str | None = None,
    region: str | None = None,
    assume_role_arn: str | None = None,
    state_key_sse: bool = True,
) -> None:
    """Provider, backend and the version constraint every stack shares. An organization stack names
    its own account and Region and the role its provider assumes into that account. `state_key_sse=False`:
    the state object is SSE-S3 instead of SSE-KMS with the state key (the bootstrap stack: its appliers
    administer that key and, by separation of duties, never use it)."""
    s = settings
    AwsProvider(
        stack,
        "aws",
        region=region or s.region,
        allowed_account_ids=[account_id or s.account_id],
        assume_role=[AwsProviderAssumeRole(role_arn=assume_role_arn, session_name=name)] if assume_role_arn else None,
        default_tags=_tags(s, name),
    )
    stack.add_override("terraform.required_providers.aws.version", PROVIDER_CONSTRAINT)
    # checkov 3.3.30 crashes on required_version in JSON (checkov#7454): the gate and the plan scan
    # hand checkov a copy without it (boi.gate.checkov_copy); Terraform reads it here.
    stack.add_override("terraform.required_version", TERRAFORM_CONSTRAINT)
    stack.add_override(f"{meta.COMMENT}.{meta.ENVIRONMENT}", s.description())
    url = local_endpoint(s)
    if s.backend.type == "s3":
        # On an embedded AWS the state bucket is the one the bootstrap stack created there.
        S3Backend(
            stack,
            bucket=s.backend.bucket,
            key=state_key(s, name),
            region=s.backend.region,
            encrypt=True,
            **({"kms_key_id": s.backend.kms_key_id} if state_key_sse else {}),
            use_lockfile=True,
            **(local_backend_endpoint(url) if url else {}),
        )
    else:
        # Relative to the stack folder (<out>/stacks/<name>): beside <out>, so a re-synth keeps the state
        # and every stack's terraform_remote_state resolves the same file.
        LocalBackend(stack, path=f"../../../terraform.{name}.tfstate")
    if url:
        Aspects.of(stack).add(_LocalEndpoint(url))


def state_key(s: Settings, stack_name: str) -> str:
    """The object key of a stack's state in the state bucket."""
    return f"{s.backend.key_prefix}/{stack_name}.tfstate"


def local_backend_endpoint(url: str) -> dict:
    """S3 backend settings for the embedded AWS: every call to the endpoint, fake credentials."""
    return {
        "endpoints": {"s3": url, "sts": url, "iam": url, "dynamodb": url},
        "use_path_style": True,
        "skip_credentials_validation": True,
        "skip_requesting_account_id": True,
        "skip_metadata_api_check": True,
        "access_key": "testing",
        "secret_key": "testing",
    }


class BootstrapStack(TerraformStack):
    def __init__(self, scope: Construct, name: str, settings: Settings, registry) -> None:
        super().__init__(scope, name)
        # In organization mode the bootstrap is applied through the workload account's deployer role
        # (the management account's way in); the foundation and platform by their own OIDC roles.
        org = settings.organization if settings.organization_mode else None
        configure_stack(
            self,
            settings,
            name,
            assume_role_arn=org.workloads[settings.environment].role_arn() if org else None,
            state_key_sse=False,
        )
        from app.foundation.bootstrap import Bootstrap

        self.bootstrap = Bootstrap(self, "bootstrap", settings=settings, registry=registry)


class FoundationStack(TerraformStack):
    def __init__(self, scope: Construct, name: str, settings: Settings, registry) -> None:
        super().__init__(scope, name)
        configure_stack(self, settings, name)
        from app.foundation.foundation import Foundation

        self.foundation = Foundation(
            self,
            "foundation",
            settings=settings,
            registry=registry,
            regional_providers=regional_providers(self, settings, name),
        )
        # The protected assets every boundary was generated from, for the proofs and the documents.
        self.add_override(f"{meta.COMMENT}.{meta.PROTECTED_ASSETS}", registry.metadata())


class PlatformStack(TerraformStack):
    def __init__(self, scope: Construct, name: str, settings: Settings, foundation) -> None:
        super().__init__(scope, name)
        configure_stack(self, settings, name)
        from app.tiers.platform import Platform

        self.platform = Platform(self, "platform", settings=settings, foundation=foundation)


def build(app: App, settings: Settings) -> list[TerraformStack]:
    from app.foundation.foundation import audit_settings
    from app.stacks.protected import build_registry

    registry = build_registry(settings, audit_settings(settings))
    bootstrap = BootstrapStack(app, f"{settings.prefix}-bootstrap", settings, registry)
    foundation = FoundationStack(app, f"{settings.prefix}-foundation", settings, registry)
    platform = PlatformStack(app, f"{settings.prefix}-platform", settings, foundation.foundation)
    foundation.add_dependency(bootstrap)
    platform.add_dependency(foundation)
    stacks: list[TerraformStack] = [bootstrap, foundation, platform]
    if settings.organization_mode:
        from app.stacks.organization import build_organization

        stacks += build_organization(app, settings, foundation=foundation.foundation, bootstrap=bootstrap)
    return stacks
