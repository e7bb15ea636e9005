"""Pure tests: the catalog models on the example catalog, settings validation, Guard policy inputs (no cdktn)."""

import copy
import subprocess
import sys

import pytest
import yaml
from boi_audit.catalog import CATALOG_FILES, EXAMPLE, example, load_catalog, parse_catalog
from boi_audit.errors import ConfigError
from boi_audit.guard import bucket_key_policy, guard_policies, kms_rotation_policy
from boi_audit.settings import AuditSettings
from boi_model.catalog import CatalogError


@pytest.fixture(scope="module")
def catalog():
    return example()


@pytest.fixture(scope="module")
def raw():
    return {name: yaml.safe_load((EXAMPLE / f"{name}.yaml").read_text()) for name in CATALOG_FILES}


def settings(**kw):
    base = dict(name_prefix="boi-dev", account_id="123456789012", region="us-east-1", catalog=example())
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
    with pytest.raises(CatalogError) as err:
        parse_catalog(bad, "cat")
    assert str(err.value).startswith(
        "cat/controls.yaml: controls.0.implemented_by.0: 'config_rule:NOT_A_RULE' is not in config_rules.yaml; "
        "allowed: config_rule:BACKUP_RECOVERY_POINT_MANUAL_DELETION_DISABLED, "
    )


@pytest.mark.parametrize(
    ("file", "mutate", "line"),
    [
        (
            "controls",
            lambda d: d["controls"][0].update(review="monthly"),
            "controls.yaml: controls.0.review: Input should be 'daily', 'weekly', 'quarterly' or 'yearly' "
            "(got 'monthly')",
        ),
        (
            "controls",
            lambda d: d["controls"][0].update(implemented_by=["cloudtrail"]),
            "controls.yaml: controls.0.implemented_by.0: String should match pattern",
        ),
        (
            "controls",
            lambda d: d["controls"].append(d["controls"][0]),
            "controls.yaml: controls: Value error, duplicate control ids ['AUD-01']; allowed: each once",
        ),
        (
            "config_rules",
            lambda d: next(r for r in d["rules"] if not r["deploy"]).pop("covered_by"),
            "config_rules.yaml: rules.13: Value error, covered_by: a rule with deploy: false needs the control",
        ),
        (
            "config_rules",
            lambda d: d["rules"][0].update(deploy="yes"),
            "config_rules.yaml: rules.0.deploy: Input should be a valid boolean (got 'yes')",
        ),
        (
            "config_rules",
            lambda d: d["guard_rules"][0].update(name="made-up"),
            "config_rules.yaml: guard_rules.0.name: Value error, no Guard rule 'made-up' in boi_audit.guard; allowed: "
            "kms-rotation-period, pii-buckets-use-expected-key, database-uses-database-key",
        ),
        (
            "standards",
            lambda d: d["standards"][0].update(arn_template="arn:aws:securityhub:::ruleset/x"),
            "standards.yaml: standards.0.arn_template: String should match pattern",
        ),
        (
            "event_rules",
            lambda d: d["rules"][0].update(requires="root_user"),
            "event_rules.yaml: rules.0.requires: Input should be '' or 'break_glass_role_arn' (got 'root_user')",
        ),
        (
            "cis_alarms",
            lambda d: d["alarm"].update(colour="red"),
            "cis_alarms.yaml: alarm.colour: Extra inputs are not permitted; allowed fields: namespace, statistic, "
            "period_seconds, evaluation_periods, threshold, comparison_operator, routing (got 'red')",
        ),
    ],
)
def test_bad_catalog_entries_are_named_with_file_path_and_what_is_allowed(raw, file, mutate, line):
    bad = copy.deepcopy(raw)
    mutate(bad[file])
    with pytest.raises(CatalogError) as err:
        parse_catalog(bad)
    assert line in str(err.value)


def test_a_catalog_folder_reports_every_missing_file(tmp_path):
    with pytest.raises(CatalogError) as err:
        load_catalog(tmp_path)
    assert str(err.value).splitlines() == [f"{tmp_path / n}.yaml: catalog file not found" for n in CATALOG_FILES]


def test_settings_need_the_platform_catalog():
    with pytest.raises(ConfigError, match="audit.catalog: got None"):
        AuditSettings(name_prefix="boi-dev", account_id="123456789012", region="us-east-1")


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
