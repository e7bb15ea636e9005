"""The protected-asset registry of one environment, collected from every module before anything is built."""

from __future__ import annotations

from boi_audit.baseline import protected_resources as audit_resources

from app.core import names
from app.core.assets import Registry
from app.settings import Settings
from app.tiers import api, compute, data, messaging, network

# Each module's `protect(registry, settings)` sits next to the construct that creates the resources.
MODULES = (data, messaging, compute, api, network)


def build_registry(s: Settings, audit_settings) -> Registry:
    registry = Registry()
    auditor = names.role_arn(s, names.human_role(s, "security-auditor"))
    for entry in audit_resources(audit_settings):
        registry.protect(
            entry["name"],
            "audit",
            entry["parts"],
            readers=(auditor,),
            writers=(*entry.get("writers", ()), *((auditor,) if entry.get("investigators_write") else ())),
            reason="records, keeps or pages on what happens in the account",
        )
    for module in MODULES:
        module.protect(registry, s)
    return registry
