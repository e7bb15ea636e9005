"""Platform stack content: network, data, messaging, compute, API and edge."""

from __future__ import annotations

from cdktn_provider_aws.provider import AwsProvider
from constructs import Construct

from app.services import ALL as SERVICES
from app.settings import Settings
from app.tiers.api import Api
from app.tiers.compute import Compute
from app.tiers.data import Data
from app.tiers.dns import Dns
from app.tiers.edge import Edge
from app.tiers.messaging import Messaging
from app.tiers.network import Network


class Platform(Construct):
    def __init__(self, scope: Construct, id: str, *, settings: Settings, foundation) -> None:
        super().__init__(scope, id)
        s = settings
        # CloudFront certificates and web ACLs live in us-east-1, whatever the platform's region.
        us_east_1 = AwsProvider(
            scope, "aws_us_east_1", alias="us_east_1", region="us-east-1", allowed_account_ids=[s.account_id]
        )
        self.network = Network(self, "network", settings=s, vpc=foundation.vpc, logs_key=foundation.key("logs"))
        self.data = Data(self, "data", settings=s, foundation=foundation, network=self.network)
        self.messaging = Messaging(
            self, "messaging", settings=s, foundation=foundation, network=self.network, services=SERVICES
        )
        assets = {**self.data.assets, **self.messaging.assets}
        self.compute = Compute(
            self,
            "compute",
            settings=s,
            foundation=foundation,
            network=self.network,
            assets=assets,
            services=SERVICES,
            database_sg=self.data.database_sg,
        )
        self.dns = Dns(self, "dns", zone_name=s.domains.hosted_zone)
        log_bucket = self.data.access_logs.bucket
        self.api = Api(
            self,
            "api",
            settings=s,
            foundation=foundation,
            network=self.network,
            compute=self.compute,
            dns=self.dns,
            access_log_bucket=log_bucket,
            services=SERVICES,
        )
        self.edge = Edge(
            self,
            "edge",
            settings=s,
            foundation=foundation,
            dns=self.dns,
            access_log_bucket=log_bucket,
            us_east_1=us_east_1,
        )
