"""Thin construct: an IAM role whose identity policy is rendered from its grants."""

from __future__ import annotations

import json

import jsii
from boi_model import meta
from cdktn import IAnyProducer, IStringProducer, Lazy
from cdktn_provider_aws.iam_role import IamRole
from cdktn_provider_aws.iam_role_policy import IamRolePolicy
from cdktn_provider_aws.iam_role_policy_attachment import IamRolePolicyAttachment
from constructs import Construct

from .errors import GrantError
from .grants import Grant, Principal, statements_for
from .policy import Statement, document


@jsii.implements(IStringProducer)
class _Producer:
    def __init__(self, produce) -> None:
        self._produce = produce

    def produce(self, context) -> str:
        return self._produce()


def note(resource, key: str, value) -> None:
    """Write one `"//"` metadata entry (Terraform ignores `"//"`; the documents and proofs read it)."""
    resource.add_override(f"{meta.COMMENT}.{key}", value)


def lazy_value(produce):
    """Any JSON value rendered at synth time (after every grant has been made)."""
    return Lazy.any_value(_AnyProducer(produce))


def policy_reasons(resource, policy) -> None:
    """The Sid -> reason map of a resource policy, rendered at synth time into its resource's metadata."""
    note(resource, meta.REASONS, Lazy.any_value(_AnyProducer(policy.reasons)))


def lazy_json(produce) -> str:
    """A string attribute rendered at synth time, after every grant has been added."""
    return Lazy.string_value(_Producer(lambda: json.dumps(produce(), indent=None)))


class PlatformRole(Construct):
    """A role with a permission boundary, a purpose, and an inline policy built only from grants."""

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        name: str,
        account_id: str,
        purpose: str,
        trust: dict,
        boundary_arn: str,
        max_session_seconds: int = 3600,
        partition: str = "aws",
        inline_policy: bool = True,
        path: str = "/",
    ) -> None:
        super().__init__(scope, id)
        if not boundary_arn:
            raise GrantError(f"role {name}: every role needs a permission boundary")
        if not (path.startswith("/") and path.endswith("/")):
            raise GrantError(f"role {name}: path {path!r} must start and end with '/'")
        self.name = name
        self.purpose = purpose
        self.path = path
        self.principal = Principal(
            name=name, arn=f"arn:{partition}:iam::{account_id}:role{path}{name}", account_id=account_id
        )
        self._statements: list[Statement] = []
        self._grants: list[Grant] = []
        self.managed_policies: dict[str, str] = {}
        self.role = IamRole(
            self,
            "role",
            name=name,
            description=purpose[:1000],
            assume_role_policy=json.dumps(trust),
            permissions_boundary=boundary_arn,
            max_session_duration=max_session_seconds,
            path=path,
            tags={"purpose": purpose[:256]},
        )
        note(self.role, meta.PURPOSE, purpose)
        self._inline = inline_policy
        if inline_policy:
            policy = IamRolePolicy(
                self, "grants", name=f"{name}-grants", role=self.role.name, policy=lazy_json(self._document)
            )
            # Reasons cannot live inside an IAM document; Terraform JSON ignores "//" keys, so the
            # generated docs read each statement's reason from here.
            note(policy, meta.REASONS, Lazy.any_value(_AnyProducer(self._reasons)))

    def _document(self) -> dict:
        if not self._statements:
            raise GrantError(f"role {self.name}: has an inline policy but no grants")
        return document(self._statements)

    @property
    def arn(self) -> str:
        return self.role.arn

    def _reasons(self) -> dict:
        return {s.sid: s.reason for s in self._statements}

    def grant(self, grant: Grant) -> Grant:
        if grant.principal != self.principal:
            raise GrantError(f"grant {grant.statement_id()}: principal {grant.principal.name} is not role {self.name}")
        result = statements_for(grant)
        if result.identity and not self._inline:
            raise GrantError(
                f"role {self.name}: built without an inline policy, cannot take grant {grant.statement_id()}"
            )
        self._statements.extend(result.identity)
        if result.resource:
            if grant.asset.sink is None:
                raise GrantError(f"grant {grant.statement_id()}: asset {grant.asset.name} takes no resource policy")
            for statement in result.resource:
                grant.asset.sink(grant, statement)
        self._grants.append(grant)
        return grant

    def add_statement(self, statement: Statement) -> None:
        """For the few statements that are not about an asset (for example explicit denies)."""
        self._statements.append(statement)

    def attach_managed(self, policy_arn: str, reason: str) -> None:
        if not reason.strip():
            raise GrantError(f"role {self.name}: managed policy {policy_arn} needs a reason")
        self.managed_policies[policy_arn] = reason
        idx = len(self.managed_policies)
        attachment = IamRolePolicyAttachment(self, f"managed{idx}", role=self.role.name, policy_arn=policy_arn)
        note(attachment, meta.REASON, reason)

    @property
    def statements(self) -> list[Statement]:
        return list(self._statements)

    @property
    def grants(self) -> list[Grant]:
        return list(self._grants)


@jsii.implements(IAnyProducer)
class _AnyProducer:
    def __init__(self, produce) -> None:
        self._produce = produce

    def produce(self, context):
        return self._produce()
