"""The app's stacks, split by lifecycle and blast radius.

- foundation: KMS keys, identity guardrails and the audit baseline. Changes rarely; a mistake
  here affects every workload, so it is reviewed and applied on its own.
- platform: network, data, messaging, compute, API and edge. Changes with every release.

The platform refers to foundation keys through cdktn cross-stack references; the foundation
refers to platform resources only by literal names (modules/names.py), so there is no cycle.
"""

from __future__ import annotations

from cdktn import App, LocalBackend, S3Backend, TerraformStack
from cdktn_provider_aws.provider import AwsProvider
from constructs import Construct

from boi.settings import Settings
from modules.blocks import blocks

PROVIDER_CONSTRAINT = ">= 5.100, < 7"


def configure_stack(stack: TerraformStack, settings: Settings, name: str) -> None:
    """Provider, backend and the version constraint every stack shares."""
    s = settings
    AwsProvider(stack, "aws", region=s.region, allowed_account_ids=[s.account_id],
                default_tags=blocks([{"tags": {"project": "boi", "environment": s.environment, "stack": name,
                                        "managed-by": "cdktn"}}]))
    # Both the image's 5.100 mirror and 6.x must satisfy the constraint. No required_version:
    # checkov crashes on it in JSON (checkov#7454).
    stack.add_override("terraform.required_providers.aws.version", PROVIDER_CONSTRAINT)
    if s.backend.type == "s3":
        S3Backend(stack, bucket=s.backend.bucket, key=f"{s.backend.key_prefix}/{name}.tfstate",
                  region=s.backend.region, encrypt=True, kms_key_id=s.backend.kms_key_id, use_lockfile=True)
    else:
        LocalBackend(stack, path=f"terraform.{name}.tfstate")


class FoundationStack(TerraformStack):
    def __init__(self, scope: Construct, name: str, settings: Settings) -> None:
        super().__init__(scope, name)
        configure_stack(self, settings, name)
        from modules.foundation import Foundation

        self.foundation = Foundation(self, "foundation", settings=settings)


class PlatformStack(TerraformStack):
    def __init__(self, scope: Construct, name: str, settings: Settings, foundation) -> None:
        super().__init__(scope, name)
        configure_stack(self, settings, name)
        from modules.platform import Platform

        self.platform = Platform(self, "platform", settings=settings, foundation=foundation)


def build(app: App, settings: Settings) -> list[TerraformStack]:
    foundation = FoundationStack(app, f"{settings.prefix}-foundation", settings)
    platform = PlatformStack(app, f"{settings.prefix}-platform", settings, foundation.foundation)
    platform.add_dependency(foundation)
    return [foundation, platform]
