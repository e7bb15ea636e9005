"""The on-call alert catalog against hand-written stacks (pure) and against the real dev and prod synth."""

from __future__ import annotations

import pytest
from boi_model.catalog import CatalogError

from boi import alerts, catalogs

TOPIC = "${aws_sns_topic.alerts.arn}"


def _stacks(*alarm_names: str, rule: str | None = None) -> dict:
    resource = {
        "aws_sns_topic": {"alerts": {"name": "boi-dev-alerts"}},
        "aws_cloudwatch_metric_alarm": {
            f"a{i}": {"alarm_name": name, "alarm_actions": [TOPIC]} for i, name in enumerate(alarm_names)
        },
    }
    if rule:
        resource["aws_cloudwatch_event_rule"] = {"r": {"name": rule}}
        resource["aws_cloudwatch_event_target"] = {"t": {"rule": "${aws_cloudwatch_event_rule.r.name}", "arn": TOPIC}}
    return {"s": {"resource": resource}}


CATALOG = alerts.AlertsCatalog.model_validate(
    {
        "owner": "security on-call rotation",
        "alerts": [
            {"match": "dlq-not-empty", "meaning": "a message reached a dead-letter queue", "steps": ["x" * 20] * 3},
            {"match": "root-user-activity", "meaning": "the root user was used at all", "steps": ["y" * 20] * 3},
        ],
    }
)


def test_every_alarm_and_rule_that_pages_finds_its_entry():
    pages = alerts.join(_stacks("boi-dev-filing-dlq-not-empty", rule="boi-dev-root-user-activity"), CATALOG)
    assert [(p.kind, p.name, p.alert.match) for p in pages] == [
        ("alarm", "boi-dev-filing-dlq-not-empty", "dlq-not-empty"),
        ("rule", "boi-dev-root-user-activity", "root-user-activity"),
    ]
    text = "\n".join(alerts.section(pages, CATALOG))
    assert "| `boi-dev-filing-dlq-not-empty` | alarm in s |" in text and "1. xxxx" in text


def test_an_alert_without_an_entry_is_named():
    with pytest.raises(CatalogError, match="alarm boi-dev-new-thing .*matches no entry"):
        alerts.join(_stacks("boi-dev-new-thing"), CATALOG)


def test_a_catalog_entry_needs_three_steps():
    with pytest.raises(ValueError):
        alerts.AlertsCatalog.model_validate(
            {"owner": "security on-call rotation", "alerts": [{"match": "x", "meaning": "m" * 20, "steps": ["s" * 20]}]}
        )


@pytest.mark.slow
def test_the_platform_catalog_covers_dev_and_prod_with_no_stale_entry(synth_env):
    catalog = catalogs.oncall_alerts()
    synths = [synth_env("dev")[1], synth_env("prod")[1]]
    for synth in synths:
        assert len(alerts.join(synth, catalog)) >= 20
    assert alerts.unused(catalog, synths) == []
