"""How a microservice declares itself: its runtime, its exposure, its environment, its queues and its grants.

A service is one file in app/services/ with a SERVICE; everything the platform builds for it (roles,
security group, log group, queues with their dead-letter queues, API route, target group, the
people's view of its queues) follows from this declaration. Its artifact (image or package) comes
from the environment's settings, keyed by the service name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

Exposure = Literal["public", "authenticated", "internal"]
EXPOSURES = ("public", "authenticated", "internal")
_NAME = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
_ENV_VAR = re.compile(r"^[A-Z][A-Z0-9_]*$")
_DETAIL_TYPE = re.compile(r"^[A-Z][A-Za-z0-9]+$")


class ServiceError(ValueError):
    """A service file declares something the platform cannot build."""


@dataclass(frozen=True)
class Need:
    """One grant a service asks for. `asset` names an entry of the platform's asset catalog."""

    asset: str
    operation: str
    reason: str
    prefix: str = ""
    via: str | None = None
    db_user: str | None = None


@dataclass(frozen=True)
class Queue:
    """A work queue the service owns and consumes. The platform builds it with a dead-letter queue,
    the messaging key, a TLS-only policy and a DLQ alarm; its assets are `<name>_queue` and
    `<name>_dlq`, and (as every `boi-<env>-*` queue) it is a protected asset."""

    name: str
    purpose: str
    routed_events: tuple[str, str] | None = None  # (publishing service, detail-type) from the domain bus
    max_receives: int = 5
    retention_days: int = 4
    visibility_seconds: int = 300

    @property
    def id(self) -> str:
        return self.name.replace("-", "_")


def event_source(service_name: str) -> str:
    """The EventBridge `source` a service publishes under; the only one its role may use."""
    return f"boi.{service_name}"


# Values of a service's environment that come from the environment's settings, not the service file.
SETTINGS_VALUES = {
    "fincen.endpoint": lambda s: s.fincen.endpoint,
    "environment": lambda s: s.environment,
}


@dataclass(frozen=True)
class Service:
    name: str
    runtime: str  # "fargate" or "lambda"
    description: str
    needs: tuple[Need, ...]
    route: str | None = None  # API path served, if any
    exposure: Exposure = "authenticated"  # public: no token (sign-in); authenticated: Cognito JWT; internal: no route
    environment: dict[str, str] = field(default_factory=dict)  # env var -> literal, or "settings:<key>"
    queues: tuple[Queue, ...] = ()
    port: int = 8080
    cpu: int = 512
    memory: int = 1024
    reserved_concurrency: int = 10
    secrets: dict[str, str] = field(default_factory=dict)  # env var -> asset name of a secret
    egress_internet_https: bool = False  # for calls outside AWS (FinCEN)
    database: bool = False

    def __post_init__(self) -> None:
        problems = []
        if not _NAME.match(self.name):
            problems.append(f"name {self.name!r} is not lower-case words joined by '-'")
        if self.runtime not in ("fargate", "lambda"):
            problems.append(f"runtime {self.runtime!r} is not fargate or lambda")
        if self.exposure not in EXPOSURES:
            problems.append(f"exposure {self.exposure!r} is not one of {', '.join(EXPOSURES)}")
        if (self.exposure == "internal") != (self.route is None):
            problems.append("a route needs exposure public or authenticated; exposure internal takes no route")
        for var, value in self.environment.items():
            if not _ENV_VAR.match(var):
                problems.append(f"environment variable {var!r} is not UPPER_SNAKE_CASE")
            key = value.removeprefix("settings:")
            if value.startswith("settings:") and key not in SETTINGS_VALUES:
                problems.append(f"environment {var}: {value!r} names no setting (allowed: {sorted(SETTINGS_VALUES)})")
        for queue in self.queues:
            if not _NAME.match(queue.name):
                problems.append(f"queue {queue.name!r} is not lower-case words joined by '-'")
            if queue.routed_events and not _DETAIL_TYPE.match(queue.routed_events[1]):
                problems.append(f"queue {queue.name}: detail-type {queue.routed_events[1]!r} is not PascalCase")
        if problems:
            raise ServiceError(f"service {self.name}: " + "; ".join(problems))

    @property
    def id(self) -> str:
        return self.name.replace("-", "_")

    def environment_values(self, settings) -> dict[str, str]:
        return {
            var: SETTINGS_VALUES[value.removeprefix("settings:")](settings) if value.startswith("settings:") else value
            for var, value in self.environment.items()
        }
