"""SQS: every planned redrive policy (failed messages are kept in the dead-letter queue)."""

from __future__ import annotations

import json

from boi_model.policies import matches

from boi.live_audit.registry import ANY, Finding, check, error_code, resources


@check(
    "sqs redrive",
    title="every planned queue's redrive policy: dead-letter queue and receive count",
    severity="medium",
)
def check_queues(synth, state, session) -> list[Finding]:
    findings = []
    sqs = session.client("sqs")
    for stack, _, cfg in resources(synth, "aws_sqs_queue"):
        if not cfg.get("redrive_policy") or not cfg.get("name"):
            continue
        queue = cfg["name"]
        planned = json.loads(state.text(stack, cfg["redrive_policy"]))
        try:
            url = sqs.get_queue_url(QueueName=queue)["QueueUrl"]
            attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["RedrivePolicy"]).get("Attributes", {})
        except Exception as exc:  # noqa: BLE001
            findings.append(Finding("sqs redrive", queue, f"cannot read the queue ({error_code(exc)})"))
            continue
        if not attrs.get("RedrivePolicy"):
            findings.append(Finding("sqs redrive", queue, "no redrive policy (failed messages are not kept)"))
            continue
        live = json.loads(attrs["RedrivePolicy"])
        if not matches(planned.get("deadLetterTargetArn", ANY), live.get("deadLetterTargetArn", ""), ANY):
            findings.append(
                Finding(
                    "sqs redrive",
                    queue,
                    f"dead-letter queue {live.get('deadLetterTargetArn')} "
                    f"is not the planned {planned.get('deadLetterTargetArn')}",
                )
            )
        if int(live.get("maxReceiveCount", 0)) != int(planned.get("maxReceiveCount", 0)):
            findings.append(
                Finding(
                    "sqs redrive",
                    queue,
                    f"maxReceiveCount {live.get('maxReceiveCount')} is not "
                    f"the planned {planned.get('maxReceiveCount')}",
                )
            )
    return findings
