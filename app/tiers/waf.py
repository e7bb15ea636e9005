"""WAFv2 web ACLs: AWS managed rule groups plus a per-IP rate limit."""

from __future__ import annotations

from cdktn_provider_aws.cloudwatch_log_group import CloudwatchLogGroup
from cdktn_provider_aws.wafv2_web_acl import Wafv2WebAcl
from cdktn_provider_aws.wafv2_web_acl_logging_configuration import Wafv2WebAclLoggingConfiguration
from constructs import Construct

from app.core.blocks import blocks

MANAGED_GROUPS = (
    "AWSManagedRulesCommonRuleSet",
    "AWSManagedRulesKnownBadInputsRuleSet",
    "AWSManagedRulesAmazonIpReputationList",
    "AWSManagedRulesSQLiRuleSet",
)


def _visibility(name: str) -> dict:
    return {"cloudwatch_metrics_enabled": True, "metric_name": name, "sampled_requests_enabled": True}


def web_acl(
    scope: Construct,
    id: str,
    *,
    name: str,
    scope_kind: str,
    rate_limit: int,
    log_retention_days: int,
    logs_key_arn: str | None,
    provider=None,
) -> Wafv2WebAcl:
    # Terraform JSON blocks are written as lists, the form checkov's WAF checks read.
    rules = [
        {
            "name": group,
            "priority": i,
            "override_action": [{"none": [{}]}],
            "statement": [{"managed_rule_group_statement": [{"vendor_name": "AWS", "name": group}]}],
            "visibility_config": [_visibility(group)],
        }
        for i, group in enumerate(MANAGED_GROUPS)
    ]
    rules.append(
        {
            "name": "rate-limit-per-ip",
            "priority": len(rules),
            "action": [{"block": [{}]}],
            "statement": [{"rate_based_statement": [{"limit": rate_limit, "aggregate_key_type": "IP"}]}],
            "visibility_config": [_visibility("rate-limit-per-ip")],
        }
    )
    acl = Wafv2WebAcl(
        scope,
        id,
        name=name,
        scope=scope_kind,
        default_action={"allow": {}},
        visibility_config=_visibility(name),
        provider=provider,
    )
    # Rule statements nest several levels deep; the raw Terraform shape is clearer than the bindings.
    acl.add_override("rule", rules)
    # WAF log groups must be named aws-waf-logs-*.
    group = CloudwatchLogGroup(
        scope,
        f"{id}_logs",
        name=f"aws-waf-logs-{name}",
        retention_in_days=log_retention_days,
        kms_key_id=logs_key_arn,
        provider=provider,
    )
    Wafv2WebAclLoggingConfiguration(
        scope,
        f"{id}_logging",
        resource_arn=acl.arn,
        log_destination_configs=[group.arn],
        provider=provider,
        redacted_fields=blocks([{"single_header": {"name": "authorization"}}]),
    )
    return acl
