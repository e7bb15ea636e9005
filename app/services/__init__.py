"""The platform's microservices: every module in this package with a SERVICE is one.

Adding a service is adding its file here (see README, "Adding a service"); nothing else lists them.
"""

from __future__ import annotations

import importlib
import pkgutil

from app.services.spec import Service, ServiceError


def discover() -> tuple[Service, ...]:
    found: dict[str, tuple[str, Service]] = {}
    for module in sorted(m.name for m in pkgutil.iter_modules(__path__)):
        if module == "spec":
            continue
        service = getattr(importlib.import_module(f"{__name__}.{module}"), "SERVICE", None)
        if not isinstance(service, Service):
            raise ServiceError(f"app/services/{module}.py: defines no SERVICE = Service(...)")
        if service.name in found:
            raise ServiceError(
                f"app/services/{module}.py: service {service.name!r} is also in {found[service.name][0]}"
            )
        found[service.name] = (f"app/services/{module}.py", service)
    return tuple(service for _, service in sorted(found.values(), key=lambda pair: pair[1].name))


ALL = discover()
NAMES = tuple(s.name for s in ALL)
