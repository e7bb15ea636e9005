"""Audit controls: trails, Config rules, alarms and metric filters, Security Hub, GuardDuty, Macie,
Access Analyzer; which changes weaken one."""

from __future__ import annotations

from collections.abc import Mapping

from boi.review.attributes import attribute_changes
from boi.review.model import ControlChange

# type -> (category, attributes naming the control; stable across construct-id renames)
CONTROL_TYPES: dict[str, tuple[str, tuple[str, ...]]] = {
    "aws_cloudtrail": ("Trail", ("name",)),
    "aws_config_config_rule": ("Config rule", ("name",)),
    "aws_config_configuration_recorder": ("Config recorder", ("name",)),
    "aws_cloudwatch_metric_alarm": ("Alarm", ("alarm_name",)),
    "aws_cloudwatch_log_metric_filter": ("Metric filter", ("name",)),
    "aws_securityhub_standards_subscription": ("Security Hub standard", ("standards_arn",)),
    "aws_securityhub_standards_control_association": (
        "Security Hub control",
        ("standards_arn", "security_control_id"),
    ),
    "aws_guardduty_detector_feature": ("GuardDuty feature", ("name",)),
    "aws_guardduty_detector": ("GuardDuty detector", ()),
    "aws_guardduty_malware_protection_plan": ("GuardDuty malware protection", ()),
    "aws_securityhub_account": ("Security Hub account", ()),
    "aws_accessanalyzer_analyzer": ("Access Analyzer", ("analyzer_name",)),
    "aws_macie2_account": ("Macie account", ()),
    "aws_macie2_classification_job": ("Macie job", ("name",)),
}
# (type, attribute, value that is the secure setting): changing away from it weakens the control
_SECURE_SETTINGS = {
    ("aws_cloudtrail", "enable_log_file_validation"): True,
    ("aws_cloudtrail", "is_multi_region_trail"): True,
    ("aws_cloudtrail", "include_global_service_events"): True,
    ("aws_cloudtrail", "enable_logging"): True,
    ("aws_securityhub_standards_control_association", "association_status"): "ENABLED",
    ("aws_guardduty_detector_feature", "status"): "ENABLED",
    ("aws_guardduty_detector", "enable"): True,
    ("aws_securityhub_account", "enable_default_standards"): False,
    ("aws_macie2_account", "status"): "ENABLED",
}


def _controls(synth: Mapping[str, dict]) -> dict[tuple[str, str], tuple[str, str, dict]]:
    out = {}
    for stack in sorted(synth):
        resources = synth[stack].get("resource") or {}
        for rtype, (category, attrs) in CONTROL_TYPES.items():
            for name, body in sorted((resources.get(rtype) or {}).items()):
                values = [body.get(attr) for attr in attrs]
                if values and all(isinstance(v, str) and "${" not in v for v in values):
                    ident = " / ".join(values)
                else:
                    ident = f"{stack}:{rtype}.{name}"
                out[(rtype, ident)] = (category, stack, body)
    return out


def diff_controls(before: Mapping[str, dict], after: Mapping[str, dict]) -> list[ControlChange]:
    b, a = _controls(before), _controls(after)
    out = []
    for key in sorted(set(b) | set(a), key=lambda k: (CONTROL_TYPES[k[0]][0], k[1])):
        rtype, ident = key
        if key not in a:
            category, stack, _ = b[key]
            out.append(ControlChange(category, ident, stack, "removed", [], "control removed"))
            continue
        category, stack, body = a[key]
        if key not in b:
            out.append(ControlChange(category, ident, stack, "added"))
            continue
        changes = attribute_changes(b[key][2], body)
        if not changes:
            continue
        weak = []
        for (t, attr), secure in _SECURE_SETTINGS.items():
            if t == rtype and b[key][2].get(attr, secure) == secure and body.get(attr, secure) != secure:
                weak.append(f"{attr} no longer {secure}")
        if rtype == "aws_cloudtrail" and b[key][2].get("kms_key_id") and not body.get("kms_key_id"):
            weak.append("log encryption with a KMS key removed")
        out.append(ControlChange(category, ident, stack, "changed", changes, "; ".join(weak)))
    return out
