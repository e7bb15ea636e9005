"""One stack per account of the organization layout, each with its own provider (assume_role into its
account) and its own state. Cross-account values travel as cdktn cross-stack references (outputs of one
stack read through remote state by the next), as between the foundation and the platform."""

from __future__ import annotations

from boi_model import meta
from cdktn import App, TerraformStack

from app.organization import layout
from app.organization.accounts import LogArchiveAccount, SecurityToolingAccount
from app.organization.identity_center import IdentityCenter
from app.organization.management import Management
from app.settings import Settings
from app.stacks.stacks import configure_stack


def _configure(stack: TerraformStack, s: Settings, name: str, part: str) -> None:
    account = s.organization.accounts()[part]
    configure_stack(
        stack, s, name, account_id=account.account_id, region=account.region, assume_role_arn=account.role_arn()
    )
    # Every stack carries the same environment description (the tooling checks they agree); what differs
    # per account is written beside it.
    stack.add_override(
        f"{meta.COMMENT}.{meta.ACCOUNT}",
        {"part": part, "account_id": account.account_id, "region": account.region, "role_arn": account.role_arn()},
    )


class ManagementStack(TerraformStack):
    def __init__(self, scope: App, name: str, settings: Settings, guard_count: int) -> None:
        super().__init__(scope, name)
        _configure(self, settings, name, "management")
        self.management = Management(self, "management", settings=settings)
        if not settings.skips("identity_center"):
            self.identity_center = IdentityCenter(self, "identity_center", settings=settings, guard_count=guard_count)


class LogArchiveStack(TerraformStack):
    def __init__(self, scope: App, name: str, settings: Settings) -> None:
        super().__init__(scope, name)
        _configure(self, settings, name, "log_archive")
        self.log_archive = LogArchiveAccount(self, "log_archive", settings=settings)


class SecurityToolingStack(TerraformStack):
    def __init__(self, scope: App, name: str, settings: Settings, log_archive: LogArchiveAccount) -> None:
        super().__init__(scope, name)
        _configure(self, settings, name, "security_tooling")
        self.security_tooling = SecurityToolingAccount(
            self, "security_tooling", settings=settings, archive=log_archive.archive
        )


def build_organization(app: App, settings: Settings, *, foundation, bootstrap) -> list[TerraformStack]:
    s = settings
    management = ManagementStack(app, layout.stack_name("management"), s, guard_count=len(foundation.governance.guards))
    archive = LogArchiveStack(app, layout.stack_name("log_archive"), s)
    tooling = SecurityToolingStack(app, layout.stack_name("security_tooling"), s, archive.log_archive)
    archive.add_dependency(management)
    tooling.add_dependency(archive)
    # The workload account is created (and its deployer role exists) once the management stack applied.
    bootstrap.add_dependency(management)
    return [management, archive, tooling]
