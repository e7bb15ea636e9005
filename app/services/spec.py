"""How a microservice declares what it needs: its runtime, its network reach and its grants."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Need:
    """One grant a service asks for. `asset` names an entry of the platform's asset catalog."""

    asset: str
    operation: str
    reason: str
    prefix: str = ""
    via: str | None = None
    db_user: str | None = None


def event_source(service_name: str) -> str:
    """The EventBridge `source` a service publishes under; the only one its role may use."""
    return f"boi.{service_name}"


@dataclass(frozen=True)
class Service:
    name: str
    runtime: str  # "fargate" or "lambda"
    description: str
    needs: tuple[Need, ...]
    route: str | None = None  # API path served, if any
    port: int = 8080
    cpu: int = 512
    memory: int = 1024
    reserved_concurrency: int = 10
    secrets: dict[str, str] = field(default_factory=dict)  # env var -> asset name of a secret
    egress_internet_https: bool = False  # for calls outside AWS (FinCEN)
    database: bool = False

    def __post_init__(self) -> None:
        if self.runtime not in ("fargate", "lambda"):
            raise ValueError(f"service {self.name}: runtime {self.runtime!r} is not fargate or lambda")
