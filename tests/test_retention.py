"""The retention schedule against hand-written stacks (pure) and against the real dev and prod synth."""

from __future__ import annotations

import pytest
from boi_model.catalog import CatalogError

from boi import catalogs, retention


def _catalog(*records: dict) -> retention.RetentionCatalog:
    base = {"pii": False, "basis": "bsa", "disposal": "expires", "owner": "security", "system": "logs"}
    return retention.RetentionCatalog.model_validate(
        {"bases": {"bsa": "a basis of some length"}, "records": [{**base, **r} for r in records]}
    )


STACKS = {
    "s": {
        "resource": {
            "aws_cloudwatch_log_group": {"trail": {"name": "/boi/audit/cloudtrail", "retention_in_days": 365}},
            "aws_s3_bucket_object_lock_configuration": {
                "archive_lock": {"rule": {"default_retention": {"mode": "COMPLIANCE", "years": 5}}}
            },
        }
    }
}


def test_values_are_read_from_the_json_and_checked_against_the_minimum():
    catalog = _catalog(
        {"record": "trail", "min_days": 365, "source": {"kind": "log_group", "name": "*/cloudtrail"}},
        {"record": "archive", "min_days": 1825, "source": {"kind": "object_lock", "resource": "archive*"}},
        {"record": "filings", "min_days": 1825, "source": {"kind": "application"}},
    )
    rows = retention.check(STACKS, catalog)
    assert [(r.record.record, r.days) for r in rows] == [("trail", 365), ("archive", 1825), ("filings", None)]
    text = "\n".join(retention.section(rows, catalog))
    assert "enforced by the application only" in text and "365 days (1.0 years), read from the JSON" in text


def test_a_shorter_retention_or_a_source_that_names_nothing_stops_the_render():
    catalog = _catalog(
        {"record": "trail", "min_days": 400, "source": {"kind": "log_group", "name": "*/cloudtrail"}},
        {"record": "gone", "min_days": 1, "source": {"kind": "log_group", "name": "*/nothing"}},
    )
    with pytest.raises(CatalogError) as err:
        retention.check(STACKS, catalog)
    assert "'trail': needs at least 400 days; aws_cloudwatch_log_group.trail keeps 365" in str(err.value)
    assert "'gone': its source matches nothing" in str(err.value)


def test_a_record_must_name_a_defined_basis_and_a_selector():
    with pytest.raises(ValueError, match="bases that are not defined"):
        retention.RetentionCatalog.model_validate(
            {
                "bases": {},
                "records": [
                    {
                        "record": "xyz",
                        "system": "logs",
                        "pii": False,
                        "min_days": 1,
                        "basis": "nope",
                        "disposal": "zzz",
                        "owner": "own",
                        "source": {"kind": "application"},
                    }
                ],
            }
        )
    with pytest.raises(ValueError, match="needs `name`"):
        retention.Source.model_validate({"kind": "log_group"})


@pytest.mark.slow
@pytest.mark.parametrize("env", ["dev", "prod"])
def test_the_platform_schedule_holds_for_dev_and_prod(synth_env, env):
    rows = retention.check(synth_env(env)[1], catalogs.retention_schedule())
    assert len(rows) == len(catalogs.retention_schedule().records)
