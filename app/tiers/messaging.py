"""Messaging tier: the filing queue with its dead-letter queue, and the domain event bus."""

from __future__ import annotations

import dataclasses
import json

from boi_iam.grants import Grant, Principal, statements_for
from boi_iam.resource_policy import ResourcePolicy
from boi_iam.role import lazy_json
from cdktn_provider_aws.cloudwatch_event_bus import CloudwatchEventBus
from cdktn_provider_aws.cloudwatch_event_bus_policy import CloudwatchEventBusPolicy
from cdktn_provider_aws.cloudwatch_event_rule import CloudwatchEventRule
from cdktn_provider_aws.cloudwatch_event_target import CloudwatchEventTarget
from cdktn_provider_aws.cloudwatch_metric_alarm import CloudwatchMetricAlarm
from cdktn_provider_aws.sqs_queue import SqsQueue
from cdktn_provider_aws.sqs_queue_policy import SqsQueuePolicy
from cdktn_provider_aws.sqs_queue_redrive_allow_policy import SqsQueueRedriveAllowPolicy
from constructs import Construct

from app.core import names
from app.core.assets import asset
from app.settings import Settings

MAX_RECEIVES = 5


class Messaging(Construct):
    def __init__(self, scope: Construct, id: str, *, settings: Settings, foundation) -> None:
        super().__init__(scope, id)
        s = settings
        key = foundation.key("messaging")
        self.dlq = SqsQueue(
            self,
            "filing_dlq",
            name=names.filing_dlq(s),
            kms_master_key_id=key.arn,
            kms_data_key_reuse_period_seconds=300,
            message_retention_seconds=14 * 86400,
        )
        self.queue = SqsQueue(
            self,
            "filing_queue",
            name=names.filing_queue(s),
            kms_master_key_id=key.arn,
            kms_data_key_reuse_period_seconds=300,
            message_retention_seconds=4 * 86400,
            visibility_timeout_seconds=300,
            redrive_policy=json.dumps({"deadLetterTargetArn": self.dlq.arn, "maxReceiveCount": MAX_RECEIVES}),
        )
        if not s.skips("sqs_redrive_allow_policy"):
            SqsQueueRedriveAllowPolicy(
                self,
                "dlq_redrive_allow",
                queue_url=self.dlq.url,
                redrive_allow_policy=json.dumps({"redrivePermission": "byQueue", "sourceQueueArns": [self.queue.arn]}),
            )
        self.queue_policy = ResourcePolicy(
            "filing queue",
            guards=[
                {
                    "Sid": "DenyInsecureTransport",
                    "Effect": "Deny",
                    "Principal": "*",
                    "Action": "sqs:*",
                    "Resource": self.queue.arn,
                    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                }
            ],
        )
        SqsQueuePolicy(
            self, "filing_queue_policy", queue_url=self.queue.url, policy=lazy_json(self.queue_policy.render)
        )
        SqsQueuePolicy(
            self,
            "filing_dlq_policy",
            queue_url=self.dlq.url,
            policy=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Sid": "DenyInsecureTransport",
                            "Effect": "Deny",
                            "Principal": "*",
                            "Action": "sqs:*",
                            "Resource": self.dlq.arn,
                            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                        }
                    ],
                }
            ),
        )
        CloudwatchMetricAlarm(
            self,
            "dlq_depth",
            alarm_name=f"{s.prefix}-filing-dlq-not-empty",
            namespace="AWS/SQS",
            metric_name="ApproximateNumberOfMessagesVisible",
            dimensions={"QueueName": self.dlq.name},
            statistic="Maximum",
            period=300,
            evaluation_periods=1,
            threshold=0,
            comparison_operator="GreaterThanThreshold",
            treat_missing_data="notBreaching",
            alarm_description="A filing failed five times and needs a person",
            alarm_actions=[foundation.audit.alert_topic.arn],
            ok_actions=[foundation.audit.alert_topic.arn],
        )

        self.bus = CloudwatchEventBus(self, "domain_bus", name=names.domain_bus(s), kms_key_identifier=key.arn)
        self.bus_policy = ResourcePolicy("domain bus")
        CloudwatchEventBusPolicy(
            self, "domain_bus_policy", event_bus_name=self.bus.name, policy=lazy_json(self._bus_policy)
        )
        rule = CloudwatchEventRule(
            self,
            "filing_requested",
            name=f"{s.prefix}-filing-requested",
            event_bus_name=self.bus.name,
            description="Filing requests go to the FinCEN worker's queue",
            event_pattern=json.dumps({"source": ["boi.reporting-company"], "detail-type": ["FilingRequested"]}),
        )
        CloudwatchEventTarget(
            self,
            "filing_requested_to_queue",
            rule=rule.name,
            event_bus_name=self.bus.name,
            arn=self.queue.arn,
            target_id="filing-queue",
        )
        self.assets = {
            "filing_queue": asset(
                s, "sqs_queue", "filing queue", self.queue.arn, sensitive=True, policy=self.queue_policy
            ),
            "filing_dlq": asset(s, "sqs_queue", "filing DLQ", self.dlq.arn, sensitive=True),
            "domain_bus": asset(s, "event_bus", "domain event bus", self.bus.arn),
        }
        self.assets["domain_bus"].sink = self._bus_sink
        # EventBridge is a service principal: only the queue policy can let it deliver, and only
        # for this one rule (confused-deputy guard through aws:SourceArn).
        events = Principal(name="EventBridge", service="events.amazonaws.com")
        queue = self.assets["filing_queue"]
        grant = Grant(
            events,
            queue,
            "send",
            "deliver FilingRequested events",
            sid="EventBridgeFilingRequested",
            source_arn=rule.arn,
        )
        for statement in statements_for(grant).resource:
            queue.sink(grant, statement)
        key.allow_service(
            "EventBridgeEncryptToQueue",
            "events.amazonaws.com",
            ("kms:GenerateDataKey", "kms:Decrypt"),
            {"StringEquals": {"aws:SourceAccount": s.account_id}},
            "EventBridge encrypts events it delivers to the encrypted filing queue",
        )

    def _bus_sink(self, grant, statement) -> None:
        # One bus, several publishers: the Sid names the publishing role to stay unique.
        who = "".join(w.title() for w in grant.principal.name.split("-")[2:])
        self.bus_policy.add(dataclasses.replace(statement, sid=f"{who}{statement.sid}"))

    def _bus_policy(self) -> dict:
        """Each publisher's grant allows its own source; nobody else may publish at all, so no role
        (and no person) can forge another service's events, FilingRequested included."""
        doc = self.bus_policy.render()
        publishers = sorted({st.principals["AWS"] for st in self.bus_policy.statements})
        doc["Statement"].insert(
            0,
            {
                "Sid": "DenyOtherPublishers",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "events:PutEvents",
                "Resource": self.bus.arn,
                "Condition": {"ArnNotEquals": {"aws:PrincipalArn": publishers}},
            },
        )
        return doc


def protect(registry, s: Settings) -> None:
    base = f"{s.region}:{s.account_id}"
    deployer = (names.role_arn(s, names.platform_deployer(s)),)
    registry.protect(
        "platform queues",
        "pii",
        [("sqs:queue", f"arn:aws:sqs:{base}:{s.prefix}-*")],
        managers=deployer,
        reason="queued filings and failed invocations carry PII",
    )
    bus = f"arn:aws:events:{base}:event-bus/{names.domain_bus(s)}"
    registry.protect(
        "domain event bus and its rules",
        "pii",
        [
            ("events:event-bus", bus),
            ("events:rule-on-custom-event-bus", f"arn:aws:events:{base}:rule/{names.domain_bus(s)}/*"),
        ],
        managers=deployer,
        reason="a forged or re-routed FilingRequested files a report with FinCEN",
    )
