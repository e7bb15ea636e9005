"""Wrap platform resources as grant assets, wiring each asset's resource-policy sink."""

from __future__ import annotations

import re

from boi_iam.grants import Asset, Grant
from boi_iam.policy import Statement
from boi_iam.resource_policy import ResourcePolicy

from boi.settings import Settings


def _camel(text: str) -> str:
    return "".join(w[:1].upper() + w[1:] for w in re.split(r"[^A-Za-z0-9]+", text) if w)


def key_asset(settings: Settings, handle) -> Asset:
    """A KMS key: the grant's resource side becomes a usage statement in the key policy."""

    def sink(grant: Grant, statement: Statement) -> None:
        # One key is used by several roles; the key-policy Sid names the role to stay unique.
        sid = _camel(grant.principal.name.removeprefix(settings.prefix)) + statement.sid
        handle.allow_use(sid, grant.principal.arn, statement.actions, grant.via, grant.reason)

    return Asset(kind="kms_key", name=f"{handle.class_name} key", arn=handle.arn, account_id=settings.account_id,
                 region=settings.region, sensitive=True, sink=sink)


def asset(settings: Settings, kind: str, name: str, arn: str, *, sensitive: bool = False,
          policy: ResourcePolicy | None = None, key_arn: str | None = None) -> Asset:
    return Asset(kind=kind, name=name, arn=arn, account_id=settings.account_id, region=settings.region,
                 sensitive=sensitive, key_arn=key_arn, sink=policy.sink if policy else None)
