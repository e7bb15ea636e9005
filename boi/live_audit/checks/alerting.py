"""Alerting: the planned metric filters watch what the plan says and their alarms notify; the planned
paging rules exist, enabled, with the planned pattern and a target, in the Region each is planned for."""

from __future__ import annotations

import json

from boi.live_audit.registry import Finding, check, resources


def planned_region(cfg: dict, home: str) -> str:
    """The Region of a resource: its provider alias (`aws.us_west_2` -> us-west-2), else the home Region."""
    provider = cfg.get("provider")
    return provider.removeprefix("aws.").replace("_", "-") if provider else home


@check(
    "alarms",
    title="every planned metric filter has the planned pattern and its alarm notifies",
    severity="high",
    controls=("CIS 4.1-4.15", "AUD-08", "AUD-16"),
)
def check_alarms(synth, state, session) -> list[Finding]:
    findings = []
    filters = resources(synth, "aws_cloudwatch_log_metric_filter")
    if not filters:
        return findings
    logs, cw = session.client("logs"), session.client("cloudwatch")
    live = {}
    for page in logs.get_paginator("describe_metric_filters").paginate():
        live |= {f["filterName"]: f for f in page.get("metricFilters", [])}
    alarms = {}
    for page in cw.get_paginator("describe_alarms").paginate():
        alarms |= {a["MetricName"]: a for a in page.get("MetricAlarms", []) if a.get("MetricName")}
    for _, _, cfg in filters:
        name = cfg["name"]
        found = live.get(name)
        if found is None:
            findings.append(Finding("alarms", name, "metric filter does not exist"))
            continue
        if found.get("filterPattern", "").strip() != cfg["pattern"].strip():
            findings.append(Finding("alarms", name, "filter pattern differs from the plan"))
        metric = (
            cfg["metric_transformation"]["name"]
            if isinstance(cfg["metric_transformation"], dict)
            else (cfg["metric_transformation"][0]["name"])
        )
        alarm = alarms.get(metric)
        if alarm is None:
            findings.append(Finding("alarms", name, f"no alarm on metric {metric}"))
        elif not alarm.get("AlarmActions") or not alarm.get("ActionsEnabled", True):
            findings.append(Finding("alarms", alarm["AlarmName"], "alarm notifies nobody"))
    return findings


@check(
    "paging",
    title="every planned paging rule exists in its Region, enabled, with the planned pattern and a target",
    severity="high",
    controls=("CIS 4.3", "CIS 4.5", "CIS 4.7", "CIS 4.9", "AUD-09"),
)
def check_paging(synth, state, session) -> list[Finding]:
    findings = []
    home = session.region_name
    clients: dict[str, object] = {}
    for _, _, cfg in resources(synth, "aws_cloudwatch_event_rule"):
        if cfg.get("event_bus_name") not in (None, "default"):
            continue  # the domain bus's routing rules are the messaging tier's, not paging
        region = planned_region(cfg, home)
        events = clients.setdefault(region, session.client("events", region_name=region))
        name = cfg["name"]
        where = name if region == home else f"{name} ({region})"
        try:
            live = events.describe_rule(Name=name)
        except events.exceptions.ResourceNotFoundException:
            findings.append(Finding("paging", where, "rule does not exist"))
            continue
        if live.get("State") != "ENABLED":
            findings.append(Finding("paging", where, f"rule is {live.get('State')}"))
        if json.loads(live.get("EventPattern") or "{}") != json.loads(cfg["event_pattern"]):
            findings.append(Finding("paging", where, "event pattern differs from the plan"))
        if not events.list_targets_by_rule(Rule=name).get("Targets"):
            findings.append(Finding("paging", where, "rule has no target: it pages nobody"))
    return findings
