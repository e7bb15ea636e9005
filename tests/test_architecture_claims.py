"""The hand-written architecture page states facts about the platform; each is checked here on the dev synth."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ARCHITECTURE = (Path(__file__).resolve().parent.parent / "docs" / "architecture.md").read_text()


def test_ecs_exec_is_off_on_every_service(dev):
    assert "ECS Exec is off on every service" in ARCHITECTURE
    services = list(dev.resources("aws_ecs_service"))
    assert services and all(s.body.get("enable_execute_command") is False for s in services)


def test_load_balancers_reach_tasks_over_https(dev):
    assert "Load balancers reach the tasks over HTTPS" in ARCHITECTURE
    groups = [g for g in dev.resources("aws_lb_target_group") if g.body.get("target_type") == "ip"]
    assert groups and all(g.body.get("protocol") == "HTTPS" for g in groups)


def test_the_fincen_worker_has_no_egress_to_the_internet_or_the_vpc(dev):
    assert "no rule to `0.0.0.0/0` or to the VPC" in ARCHITECTURE
    rules = [
        r.body
        for r in dev.resources("aws_vpc_security_group_egress_rule")
        if "fincen" in r.name and isinstance(r.body.get("cidr_ipv4"), str)
    ]
    assert all(rule["cidr_ipv4"] not in ("0.0.0.0/0",) and not rule["cidr_ipv4"].endswith("/16") for rule in rules)


def test_the_perimeter_statements_are_where_the_page_says(dev):
    assert "Data perimeter" in ARCHITECTURE
    sids = {
        (r.type, st.get("Sid"))
        for r in dev.resources()
        if isinstance(r.body.get("policy"), str) and r.body["policy"].startswith("{")
        for st in json.loads(r.body["policy"]).get("Statement", [])
    }
    for rtype in ("aws_s3_bucket_policy", "aws_sqs_queue_policy", "aws_secretsmanager_secret_policy"):
        assert (rtype, "DenyOutsideNetworkPerimeter") in sids, rtype
