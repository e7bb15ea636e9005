"""Pure tests: catalogs, settings validation, Guard policy inputs (no cdktn import)."""

import copy
import subprocess
import sys

import pytest
import yaml
from boi_audit import catalog as catalog_mod
from boi_audit.catalog import CATALOG_FILES, load_catalog, parse_catalog
from boi_audit.errors import ConfigError
from boi_audit.guard import bucket_key_policy, guard_policies, kms_rotation_policy
from boi_audit.settings import AuditSettings


@pytest.fixture(scope="module")
def catalog():
    return load_catalog()


@pytest.fixture(scope="module")
def raw():
    return {name: catalog_mod._read(f"{name}.yaml") for name in CATALOG_FILES}


def settings(**kw):
    base = dict(name_prefix="boi-dev", account_id="123456789012", region="us-east-1")
    base.update(kw)
    return AuditSettings(**base)


def test_core_does_not_import_cdktn():
    code = (
        "import sys, boi_audit.catalog, boi_audit.settings, boi_audit.guard, boi_audit.policies, "
        "boi_audit.queries, boi_audit.checks, boi_audit.render; "
        "sys.exit(1 if any(m.split('.')[0] in ('cdktn', 'jsii') for m in sys.modules) else 0)"
    )
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0


def test_cis_catalog_has_4_1_to_4_15_with_and_form_for_4_1(catalog):
    assert [f.id for f in catalog.cis_filters] == [f"4.{i}" for i in range(1, 16)]
    first = catalog.cis_filters[0].pattern
    # The exclusions must be joined with && or the filter matches almost every event.
    assert '&& ($.sourceIPAddress != "delivery.logs.amazonaws.com")' in first
    assert '&& ($.eventName != "HeadBucket")' in first
    assert catalog.alarm["comparison_operator"] == "GreaterThanOrEqualToThreshold"
    assert catalog.alarm["period_seconds"] == 300 and catalog.alarm["namespace"] == "CISBenchmark"


def test_standard_arns_match_the_published_forms(catalog):
    arns = {s.id: s.arn("aws", "us-east-1") for s in catalog.standards}
    assert arns["fsbp"] == ("arn:aws:securityhub:us-east-1::standards/aws-foundational-security-best-practices/v/1.0.0")
    assert arns["cis-v3"] == "arn:aws:securityhub:us-east-1::standards/cis-aws-foundations-benchmark/v/3.0.0"
    assert arns["nist-800-53-r5"] == "arn:aws:securityhub:us-east-1::standards/nist-800-53/v/5.0.0"
    for s in catalog.standards:
        for d in s.disabled_controls:
            assert len(d.reason) > 40, f"{s.id} {d.control_id} needs a real reason"


def test_deployed_rules_are_gaps_or_custom_parameters(catalog):
    """The duplicate policy: never deploy a rule Security Hub already runs with the same parameters."""
    for rule in catalog.rules:
        if rule.deploy:
            assert rule.reason_deployed.startswith(("gap", "custom parameter")), rule.identifier
            if rule.reason_deployed.startswith("custom parameter"):
                assert rule.parameters, rule.identifier
        else:
            assert rule.covered_by.startswith("Security Hub"), rule.identifier
    ids = [r.identifier for r in catalog.rules]
    assert len(ids) == len(set(ids))


def test_every_control_has_evidence_and_a_known_cadence(catalog):
    for c in catalog.controls:
        assert c.review in catalog.reviews
        assert c.evidence["where"] and c.evidence["retention"]
    assert set(catalog.reviews) == {"daily", "weekly", "quarterly", "yearly"}


def test_catalog_rejects_unknown_reference(raw):
    bad = copy.deepcopy(raw)
    bad["controls"]["controls"][0]["implemented_by"] = ["config_rule:NOT_A_RULE"]
    with pytest.raises(ConfigError, match="NOT_A_RULE"):
        parse_catalog(bad)


def test_catalog_rejects_unknown_cadence_and_bad_address(raw):
    bad = copy.deepcopy(raw)
    bad["controls"]["controls"][0]["review"] = "monthly"
    with pytest.raises(ConfigError, match=r"controls\.controls\[0\]\.review.*monthly"):
        parse_catalog(bad)
    bad = copy.deepcopy(raw)
    bad["controls"]["controls"][0]["implemented_by"] = ["cloudtrail"]
    with pytest.raises(ConfigError, match="implemented_by"):
        parse_catalog(bad)


def test_catalog_requires_covered_by_for_rules_not_deployed(raw):
    bad = copy.deepcopy(raw)
    rule = next(r for r in bad["config_rules"]["rules"] if not r["deploy"])
    del rule["covered_by"]
    with pytest.raises(ConfigError, match="covered_by"):
        parse_catalog(bad)


def test_data_files_are_plain_yaml(raw):
    # Round-trip guards against anchors/tags that a reviewer could not read as data.
    for doc in raw.values():
        assert yaml.safe_load(yaml.safe_dump(doc)) == doc


def test_settings_defaults_come_from_catalog(catalog):
    s = settings()
    assert s.archive_retention_days == 1825 and s.archive_retention_years == 5
    assert s.config_rule_ids == [r.identifier for r in catalog.rules if r.deploy]
    assert set(s.standards) == {"fsbp", "cis-v3", "nist-800-53-r5"}
    assert s.rule_parameters("CW_LOGGROUP_RETENTION_PERIOD_CHECK") == {"MinRetentionTime": "365"}
    assert settings(log_retention_days=731).rule_parameters("CW_LOGGROUP_RETENTION_PERIOD_CHECK") == {
        "MinRetentionTime": "731"
    }


@pytest.mark.parametrize(
    "field,value,fragment",
    [
        ("archive_retention_days", 1824, "audit.archive_retention_days: got 1824"),
        ("archive_retention_days", 365, ">= 1825"),
        ("log_retention_days", 90, "audit.log_retention_days: got 90"),
        ("log_retention_days", 366, "CloudWatch retention value"),
        ("standards", ["fsbp", "pci-dss"], "audit.standards[1]: got 'pci-dss'"),
        ("config_rule_ids", ["NOT_A_RULE"], "audit.config_rule_ids[0]: got 'NOT_A_RULE'"),
        ("skip", {"securityhub", "lambda"}, "audit.skip: got ['lambda']"),
        ("alert_emails", ["not-an-email"], "audit.alert_emails[0]"),
        ("account_id", "1234", "audit.account_id"),
        ("pii_bucket_arns", ["boi-docs"], "audit.pii_bucket_arns[0]"),
        ("name_prefix", "BOI_Dev", "audit.name_prefix"),
    ],
)
def test_settings_errors_name_field_value_and_allowed(field, value, fragment):
    with pytest.raises(ConfigError) as err:
        settings(**{field: value})
    assert fragment in str(err.value)
    assert "allowed" in str(err.value)


def test_non_year_archive_retention_keeps_days():
    s = settings(archive_retention_days=2000)
    assert s.archive_retention_years is None


def test_guard_rotation_policy_bounds_and_content():
    text = kms_rotation_policy({"pii": 365, "logs": 730})
    assert 'tags."data-class" == "pii"' in text and "at most 365 days" in text and "at most 730 days" in text
    assert "rotationPeriodInDays" not in text  # Config records no period for AWS::KMS::Key
    with pytest.raises(ConfigError, match=r"kms_rotation_days\['pii'\].*30"):
        kms_rotation_policy({"pii": 30})
    with pytest.raises(ConfigError, match="no quotes"):
        bucket_key_policy({'docs" or true': "arn:aws:kms:us-east-1:123456789012:key/x"})


def test_guard_inputs_unknown_key_and_selection():
    with pytest.raises(ConfigError, match=r"guard_inputs: got \['rotation'\]"):
        guard_policies({"rotation": {"pii": 365}})
    chosen = guard_policies({"database_keys": {"boi-db": "arn:aws:kms:us-east-1:123456789012:key/db"}})
    assert list(chosen) == ["database-uses-database-key"]
    assert (
        'configuration.kmsKeyId == "arn:aws:kms:us-east-1:123456789012:key/db"' in chosen["database-uses-database-key"]
    )
