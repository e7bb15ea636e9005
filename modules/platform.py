"""Platform stack content: network, data, messaging, compute, API and edge."""

from __future__ import annotations

from constructs import Construct

from boi.settings import Settings
from modules.network import Network


class Platform(Construct):
    def __init__(self, scope: Construct, id: str, *, settings: Settings, foundation) -> None:
        super().__init__(scope, id)
        s = settings
        gov = foundation.governance
        self.network = Network(self, "network", settings=s, logs_key=foundation.key("logs"),
                               boundary_arn=gov.operational_boundary_arn)
