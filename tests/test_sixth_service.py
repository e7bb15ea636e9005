"""Adding a service touches only its own file, its config lines and its access-matrix rows.

A copy of the app gets tests/fixtures/sixth_service/notifications.py (a Lambda consuming its own
queue, fed by a domain event) and one artifact line in config/dev.yaml, and is synthesized. What the
platform must then build on its own: the function with its roles, the queue with DLQ, alarm, TLS
policy and event route, the consumer's event source mapping, the people's view of the queue, the
boundary denies over it, and the reviewed gate and lint exceptions its constructs match.
"""

from __future__ import annotations

import json

import pytest
from boi_iam.extract import extract_policies
from boi_iam.lint import apply_accepted, lint_policy_set

from boi import gate

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def sixth(sixth_service):
    return sixth_service


def test_the_function_its_queue_and_its_wiring_are_built(sixth):
    _, synth = sixth
    functions = {r.body["function_name"]: r.body for r in synth.resources("aws_lambda_function")}
    assert "boi-dev-notifications" in functions
    fn = functions["boi-dev-notifications"]
    assert fn["environment"]["variables"]["FINCEN_ENVIRONMENT_ENDPOINT"].startswith("https://")
    queues = {r.body["name"]: r for r in synth.resources("aws_sqs_queue")}
    assert {"boi-dev-notices", "boi-dev-notices-dlq"} <= set(queues)
    assert "notices_dlq" in json.loads(queues["boi-dev-notices"].body["redrive_policy"])["deadLetterTargetArn"]
    alarms = [r.body["alarm_name"] for r in synth.resources("aws_cloudwatch_metric_alarm")]
    assert "boi-dev-notices-dlq-not-empty" in alarms
    [rule] = [
        r.body for r in synth.resources("aws_cloudwatch_event_rule") if "FilingOutcome" in r.body["event_pattern"]
    ]
    assert json.loads(rule["event_pattern"])["source"] == ["boi.fincen-worker"]
    [mapping] = [r.body for r in synth.resources("aws_lambda_event_source_mapping")]
    assert "notices_queue" in mapping["event_source_arn"] and "notifications" in mapping["function_name"]


def test_its_role_people_and_boundaries_follow(sixth):
    _, synth = sixth
    s = synth.environment()
    policies = extract_policies(synth, account_id=s.account_id, region=s.region)
    role = policies.role("boi-dev-notifications-execution")
    actions = {a for p in role.identity for st in p.document["Statement"] for a in st["Action"]}
    assert {"sqs:ReceiveMessage", "sqs:DeleteMessage"} <= actions
    officer = policies.role("boi-dev-compliance-officer")
    inspected = json.dumps([p.document for p in officer.identity])
    assert "boi-dev-notices" in inspected and "boi-dev-notices-dlq" in inspected
    # The people's guard policies deny PII reads on every platform queue, this one included.
    guards = [p for p in policies.policies if "governance_guard" in str(p.owner)]
    reads = [st for p in guards for st in p.document["Statement"] if st["Sid"].startswith("DenyPiiRead")]
    assert any(
        f"arn:aws:sqs:{s.region}:{s.account_id}:boi-dev-*" in st["Resource"] and "sqs:ReceiveMessage" in st["Action"]
        for st in reads
    )


def test_the_reviewed_exceptions_cover_it_with_no_new_entry(sixth, gated, sixth_stack):
    _, synth = sixth
    s = synth.environment()
    policies = extract_policies(synth, account_id=s.account_id, region=s.region)
    assert apply_accepted(lint_policy_set(policies), synth) == []
    mine = [r for r in gated.failures if r.stack == sixth_stack]
    stale = [m for m in gated.stale if sixth_stack in m]
    assert gated.stacks[sixth_stack].passed > 400 and not mine and not stale, gate.format_summary(gated)
