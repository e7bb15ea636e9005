"""Messaging tier: the domain event bus, and the work queues the services declare."""

from __future__ import annotations

import dataclasses
import json
import re

from boi_iam.grants import Grant, Principal, statements_for
from boi_iam.resource_policy import ResourcePolicy, deny_insecure_transport
from boi_iam.role import lazy_json, policy_reasons
from cdktn_provider_aws.cloudwatch_event_bus import CloudwatchEventBus
from cdktn_provider_aws.cloudwatch_event_bus_policy import CloudwatchEventBusPolicy
from cdktn_provider_aws.cloudwatch_event_rule import CloudwatchEventRule
from cdktn_provider_aws.cloudwatch_event_target import CloudwatchEventTarget
from cdktn_provider_aws.cloudwatch_metric_alarm import CloudwatchMetricAlarm
from cdktn_provider_aws.sqs_queue import SqsQueue
from cdktn_provider_aws.sqs_queue_policy import SqsQueuePolicy
from cdktn_provider_aws.sqs_queue_redrive_allow_policy import SqsQueueRedriveAllowPolicy
from constructs import Construct

from app.core import names, perimeter
from app.core.assets import asset
from app.services.spec import Queue, event_source
from app.settings import Settings


class Messaging(Construct):
    """The domain event bus, and every work queue the services declare (each with its dead-letter queue)."""

    def __init__(self, scope: Construct, id: str, *, settings: Settings, foundation, network, services) -> None:
        super().__init__(scope, id)
        s = settings
        self.settings, self.foundation = s, foundation
        self._trusted_endpoints = network.endpoint_ids(s.perimeter.endpoints["queues"])
        self._lambda_roles = perimeter.lambda_roles(s, services)
        self.key = foundation.key("messaging")
        self.bus = CloudwatchEventBus(self, "domain_bus", name=names.domain_bus(s), kms_key_identifier=self.key.arn)
        self.bus_policy = ResourcePolicy(
            "domain bus",
            reasons={"DenyOtherPublishers": "only the services granted put_events publish, each under its own source"},
        )
        bus_policy = CloudwatchEventBusPolicy(
            self, "domain_bus_policy", event_bus_name=self.bus.name, policy=lazy_json(self._bus_policy)
        )
        policy_reasons(bus_policy, self.bus_policy)
        self.assets = {"domain_bus": asset(s, "event_bus", "domain event bus", self.bus.arn)}
        self.assets["domain_bus"].sink = self._bus_sink
        self.queues: dict[str, SqsQueue] = {}
        routed = False
        for service in services:
            for queue in service.queues:
                routed |= self._queue(queue)
        if routed:
            self.key.allow_service(
                "EventBridgeEncryptToQueue",
                "events.amazonaws.com",
                ("kms:GenerateDataKey", "kms:Decrypt"),
                {"StringEquals": {"aws:SourceAccount": s.account_id}},
                "EventBridge encrypts the events it delivers to encrypted work queues",
            )

    def _guards(self, queue_arn: str) -> list[dict]:
        return [
            deny_insecure_transport(queue_arn, "sqs:*"),
            *perimeter.resource_guards(
                self.settings, queue_arn, "sqs:*", source_vpce=self._trusted_endpoints, exempt=self._lambda_roles
            ),
        ]

    def _queue(self, spec: Queue) -> bool:
        """One work queue with its DLQ, policies and alarm; True when events are routed to it."""
        s = self.settings
        dlq = SqsQueue(
            self,
            f"{spec.id}_dlq",
            name=names.dlq(s, spec.name),
            kms_master_key_id=self.key.arn,
            kms_data_key_reuse_period_seconds=300,
            message_retention_seconds=14 * 86400,
        )
        queue = SqsQueue(
            self,
            f"{spec.id}_queue",
            name=names.queue(s, spec.name),
            kms_master_key_id=self.key.arn,
            kms_data_key_reuse_period_seconds=300,
            message_retention_seconds=spec.retention_days * 86400,
            visibility_timeout_seconds=spec.visibility_seconds,
            redrive_policy=json.dumps({"deadLetterTargetArn": dlq.arn, "maxReceiveCount": spec.max_receives}),
        )
        self.queues[spec.name] = queue
        if not s.skips("sqs_redrive_allow_policy"):
            SqsQueueRedriveAllowPolicy(
                self,
                f"{spec.id}_dlq_redrive_allow",
                queue_url=dlq.url,
                redrive_allow_policy=json.dumps({"redrivePermission": "byQueue", "sourceQueueArns": [queue.arn]}),
            )
        policy = ResourcePolicy(f"{spec.name} queue", guards=self._guards(queue.arn))
        policy_reasons(
            SqsQueuePolicy(self, f"{spec.id}_queue_policy", queue_url=queue.url, policy=lazy_json(policy.render)),
            policy,
        )
        dlq_policy = ResourcePolicy(f"{spec.name} DLQ", guards=self._guards(dlq.arn))
        policy_reasons(
            SqsQueuePolicy(self, f"{spec.id}_dlq_policy", queue_url=dlq.url, policy=lazy_json(dlq_policy.render)),
            dlq_policy,
        )
        topic = self.foundation.audit.alert_topic.arn
        CloudwatchMetricAlarm(
            self,
            f"{spec.id}_dlq_depth",
            alarm_name=f"{s.prefix}-{spec.name}-dlq-not-empty",
            namespace="AWS/SQS",
            metric_name="ApproximateNumberOfMessagesVisible",
            dimensions={"QueueName": dlq.name},
            statistic="Maximum",
            period=300,
            evaluation_periods=1,
            threshold=0,
            comparison_operator="GreaterThanThreshold",
            treat_missing_data="notBreaching",
            alarm_description=f"A message of the {spec.name} queue failed {spec.max_receives} times and needs a person",
            alarm_actions=[topic],
            ok_actions=[topic],
        )
        self.assets[f"{spec.id}_queue"] = asset(
            s, "sqs_queue", f"{spec.name} queue", queue.arn, sensitive=True, policy=policy
        )
        self.assets[f"{spec.id}_dlq"] = asset(s, "sqs_queue", f"{spec.name} DLQ", dlq.arn, sensitive=True)
        if spec.routed_events is None:
            return False
        publisher, detail_type = spec.routed_events
        rule_id = re.sub(r"(?<!^)(?=[A-Z])", "_", detail_type).lower()
        rule = CloudwatchEventRule(
            self,
            rule_id,
            name=f"{s.prefix}-{rule_id.replace('_', '-')}",
            event_bus_name=self.bus.name,
            description=f"{detail_type} events go to the {spec.name} queue",
            event_pattern=json.dumps({"source": [event_source(publisher)], "detail-type": [detail_type]}),
        )
        CloudwatchEventTarget(
            self,
            f"{rule_id}_to_queue",
            rule=rule.name,
            event_bus_name=self.bus.name,
            arn=queue.arn,
            target_id=f"{spec.name}-queue",
        )
        # EventBridge is a service principal: only the queue policy can let it deliver, and only
        # for this one rule (confused-deputy guard through aws:SourceArn).
        events = Principal(name="EventBridge", service="events.amazonaws.com")
        target = self.assets[f"{spec.id}_queue"]
        grant = Grant(
            events,
            target,
            "send",
            f"deliver {detail_type} events",
            sid=f"EventBridge{detail_type}",
            source_arn=rule.arn,
        )
        for statement in statements_for(grant).resource:
            target.sink(grant, statement)
        return True

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
