"""Catalog consistency checks against synthesized JSON (pure; used by tests and by the app)."""

from __future__ import annotations

from boi_audit.catalog import Catalog
from boi_audit.synth_reading import block, of_type, resources, skipped_services

# Which skippable service a resource type or implemented_by prefix belongs to.
_SERVICE_OF = {
    "aws_securityhub": "securityhub",
    "standard": "securityhub",
    "aws_guardduty": "guardduty",
    "aws_macie2": "macie",
    "aws_accessanalyzer": "accessanalyzer",
    "aws_athena": "athena",
    "aws_glue": "athena",
    "guard_rule": "guard_rules",
}


def _service(impl: str) -> str:
    for prefix, service in _SERVICE_OF.items():
        if impl.startswith(prefix):
            return service
    return ""


def _metric_names(synth: dict[str, dict], namespace: str) -> set[str]:
    names = set()
    for r in of_type(synth, "aws_cloudwatch_log_metric_filter"):
        mt = block(r.body.get("metric_transformation"))
        if mt.get("namespace") == namespace:
            names.add(mt.get("name"))
    return names


def _alarmed_metrics(synth: dict[str, dict], namespace: str) -> set[str]:
    return {
        r.body.get("metric_name")
        for r in of_type(synth, "aws_cloudwatch_metric_alarm")
        if r.body.get("namespace") == namespace and r.body.get("alarm_actions")
    }


def check_catalog(synth: dict[str, dict], catalog: Catalog) -> list[str]:
    """Problems: catalog entries not implemented in synth, and audit resources in synth not in the catalog."""
    problems: list[str] = []
    skipped = skipped_services(synth)
    addresses = {r.address for r in resources(synth)}
    config_rules = of_type(synth, "aws_config_config_rule")
    managed_ids = {
        block(r.body.get("source")).get("source_identifier")
        for r in config_rules
        if block(r.body.get("source")).get("owner") == "AWS"
    }
    custom_names = [
        r.body.get("name", "") for r in config_rules if block(r.body.get("source")).get("owner") == "CUSTOM_POLICY"
    ]
    namespace = catalog.alarm["namespace"]
    filtered, alarmed = _metric_names(synth, namespace), _alarmed_metrics(synth, namespace)
    event_rule_names = [r.body.get("name", "") for r in of_type(synth, "aws_cloudwatch_event_rule")]
    subscribed = [r.body.get("standards_arn", "") for r in of_type(synth, "aws_securityhub_standards_subscription")]
    filters = {f.id: f for f in catalog.cis_filters}
    standards = {s.id: s for s in catalog.standards}

    def present(impl: str) -> bool:
        kind, _, name = impl.partition(":")
        if kind == "config_rule":
            return name in managed_ids
        if kind == "guard_rule":
            return any(n.endswith(name) for n in custom_names)
        if kind == "cis_alarm":
            metric = filters[name].metric_name
            return metric in filtered and metric in alarmed
        if kind == "audit_alarm":
            metric = f"audit-{name}"
            return metric in filtered and metric in alarmed
        if kind == "event_rule":
            return any(n.endswith(name) for n in event_rule_names)
        if kind == "standard":
            return any(a.endswith(standards[name].arn_suffix) for a in subscribed)
        return impl in addresses

    for control in catalog.controls:
        if control.service and control.service in skipped:
            continue
        for impl in control.implemented_by:
            if _service(impl) in skipped:
                continue
            if not present(impl):
                problems.append(f"control {control.id}: implemented_by {impl!r} is not in the synthesized JSON")

    known_rules = {r.identifier for r in catalog.rules}
    for r in config_rules:
        src = block(r.body.get("source"))
        if src.get("owner") == "AWS" and src.get("source_identifier") not in known_rules:
            problems.append(
                f"{r.stack}: {r.address} uses rule {src.get('source_identifier')!r} not in config_rules.yaml"
            )
        if src.get("owner") == "CUSTOM_POLICY" and not any(
            r.body.get("name", "").endswith(g.name) for g in catalog.guard_rules
        ):
            problems.append(f"{r.stack}: {r.address} is a Guard rule not in config_rules.yaml guard_rules")
    known_metrics = {f.metric_name for f in [*catalog.cis_filters, *catalog.audit_filters]}
    for metric in sorted(filtered - known_metrics):
        problems.append(f"metric filter {metric!r} in namespace {namespace} is not in cis_alarms.yaml")
    for arn in subscribed:
        if not any(arn.endswith(s.arn_suffix) for s in catalog.standards):
            problems.append(f"Security Hub standard {arn!r} is not in standards.yaml")
    return problems
