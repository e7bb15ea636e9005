"""Wrap platform resources as grant assets, wiring each asset's resource-policy sink."""

from __future__ import annotations

import re

from boi_iam.grants import Asset, Grant
from boi_iam.policy import Statement
from boi_iam.protect import Part, ProtectedAsset
from boi_iam.resource_policy import ResourcePolicy
from boi_iam.role import PlatformRole

from app.settings import Settings


def _camel(text: str) -> str:
    return "".join(w[:1].upper() + w[1:] for w in re.split(r"[^A-Za-z0-9]+", text) if w)


def key_asset(settings: Settings, handle) -> Asset:
    """A KMS key: the grant's resource side becomes a usage statement in the key policy."""

    def sink(grant: Grant, statement: Statement) -> None:
        # One key is used by several roles; the key-policy Sid names the role to stay unique.
        sid = _camel(grant.principal.name.removeprefix(settings.prefix)) + statement.sid
        handle.allow_use(
            sid, grant.principal.arn, statement.actions, grant.via, grant.reason, context=dict(grant.context) or None
        )

    return Asset(
        kind="kms_key",
        name=f"{handle.class_name} key",
        arn=handle.arn,
        account_id=settings.account_id,
        region=settings.region,
        sensitive=True,
        sink=sink,
    )


def asset(
    settings: Settings,
    kind: str,
    name: str,
    arn: str,
    *,
    sensitive: bool = False,
    policy: ResourcePolicy | None = None,
    key_arn: str | None = None,
) -> Asset:
    return Asset(
        kind=kind,
        name=name,
        arn=arn,
        account_id=settings.account_id,
        region=settings.region,
        sensitive=sensitive,
        key_arn=key_arn,
        sink=policy.sink if policy else None,
    )


class Registry:
    """The platform's protected assets. Each module registers what it creates in a `protect(registry, s)`
    function beside its construct; the registry is complete before any construct is built, so every
    boundary and guard is generated from it, in every stack, with no hand-kept list to forget. ARNs are
    literal (or patterns) so a boundary in any stack can name an asset of another.
    """

    def __init__(self) -> None:
        self._assets: dict[str, ProtectedAsset] = {}

    def protect(
        self,
        name: str,
        cls: str,
        parts: list[tuple[str, str]],
        *,
        readers: tuple[str, ...] = (),
        writers: tuple[str, ...] = (),
        managers: tuple[str, ...] = (),
        reason: str = "",
    ) -> ProtectedAsset:
        if name in self._assets:
            raise ValueError(f"protected asset {name!r} is registered twice")
        for iam_type, arn in parts:
            if "${" in arn:
                raise ValueError(
                    f"protected asset {name!r}: {iam_type} ARN {arn!r} is a Terraform reference; "
                    "boundaries in other stacks need a literal ARN or pattern"
                )
        protected = ProtectedAsset(
            name=name,
            cls=cls,
            parts=tuple(Part(t, a) for t, a in parts),
            readers=tuple(readers),
            writers=tuple(writers),
            managers=tuple(managers),
            reason=reason,
        )
        self._assets[name] = protected
        return protected

    def assets(self) -> list[ProtectedAsset]:
        return list(self._assets.values())

    def metadata(self) -> list[dict]:
        """The registry as written into the synthesized JSON (read by the proofs and the documents)."""
        return [
            {
                "name": a.name,
                "class": a.cls,
                "reason": a.reason,
                "parts": [{"iam_type": p.iam_type, "arn": p.arn} for p in a.parts],
                "readers": list(a.readers),
                "writers": list(a.writers),
                "managers": list(a.managers),
            }
            for a in self._assets.values()
        ]


def platform_role(
    scope, id: str, *, settings: Settings, name: str, purpose: str, trust: dict, boundary_arn: str, **kw
) -> PlatformRole:
    """A workload role: under the platform IAM path, which is all the platform deployer may manage."""
    from app.core import names

    return PlatformRole(
        scope,
        id,
        name=name,
        account_id=settings.account_id,
        purpose=purpose,
        trust=trust,
        boundary_arn=boundary_arn,
        path=names.platform_role_path(settings),
        **kw,
    )
