"""AWS Config: the recorder records, every planned rule exists."""

from __future__ import annotations

from boi.live_audit.registry import Finding, check, resources


@check(
    "config",
    title="the Config recorder records and every planned rule exists",
    severity="high",
    controls=("CIS 3.3", "FSBP Config.1", "AUD-07"),
)
def check_config(synth, state, session) -> list[Finding]:
    findings = []
    cfg_client = session.client("config")
    recorders = resources(synth, "aws_config_configuration_recorder")
    if recorders:
        statuses = {
            s["name"]: s
            for s in cfg_client.describe_configuration_recorder_status().get("ConfigurationRecordersStatus", [])
        }
        for _, _, cfg in recorders:
            status = statuses.get(cfg["name"])
            if status is None:
                findings.append(Finding("config", cfg["name"], "recorder does not exist"))
            elif not status.get("recording"):
                findings.append(Finding("config", cfg["name"], "recorder is not recording"))
    planned = {cfg["name"] for _, _, cfg in resources(synth, "aws_config_config_rule")}
    if planned:
        live = set()
        token = None
        while True:
            page = cfg_client.describe_config_rules(**({"NextToken": token} if token else {}))
            live |= {r["ConfigRuleName"] for r in page.get("ConfigRules", [])}
            token = page.get("NextToken")
            if not token:
                break
        findings += [Finding("config", rule, "planned rule does not exist") for rule in sorted(planned - live)]
    return findings
