"""Pure tests of check_catalog and the renderers on a small hand-written synthesized fixture."""

import copy
import json

import pytest
from boi_audit.catalog import example
from boi_audit.checks import check_catalog
from boi_audit.render import render_audit_plan, render_encryption_standards


@pytest.fixture(scope="module")
def catalog():
    return example()


_CATALOG = example()


def _fixture() -> dict:
    """A hand-written stand-in for cdk.tf.json: an audit stack and a data stack."""
    audit = {
        "locals": {
            "boi_audit_skipped_services": [
                "accessanalyzer",
                "athena",
                "guard_rules",
                "guardduty",
                "macie",
                "securityhub",
            ]
        },
        "resource": {
            "aws_cloudtrail": {
                "audit_trail": {
                    "name": "x-trail",
                    "is_multi_region_trail": True,
                    "include_global_service_events": True,
                    "enable_log_file_validation": True,
                    "kms_key_id": "${aws_kms_key.logs.arn}",
                    "s3_bucket_name": "${aws_s3_bucket.audit_log_archive.id}",
                    "cloud_watch_logs_group_arn": "${aws_cloudwatch_log_group.audit_trail_logs.arn}:*",
                    "insight_selector": [{"insight_type": "ApiCallRateInsight"}],
                }
            },
            "aws_cloudwatch_log_group": {"audit_trail_logs": {"name": "/x/trail", "retention_in_days": 731}},
            "aws_s3_bucket": {
                "audit_log_archive": {"bucket": "x-archive"},
                "audit_access_logs": {"bucket": "x-al"},
            },
            "aws_s3_bucket_object_lock_configuration": {
                "audit_log_archive_lock": {
                    "bucket": "${aws_s3_bucket.audit_log_archive.id}",
                    "rule": {"default_retention": {"mode": "COMPLIANCE", "years": 7}},
                }
            },
            "aws_s3_bucket_policy": {
                "audit_log_archive_policy": {
                    "bucket": "${aws_s3_bucket.audit_log_archive.id}",
                    "policy": json.dumps(
                        {
                            "Statement": [
                                {
                                    "Effect": "Deny",
                                    "Principal": "*",
                                    "Action": "s3:*",
                                    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                                }
                            ]
                        }
                    ),
                }
            },
            "aws_s3_bucket_logging": {
                "audit_log_archive_logging": {
                    "bucket": "${aws_s3_bucket.audit_log_archive.id}",
                    "target_bucket": "${aws_s3_bucket.audit_access_logs.id}",
                }
            },
            "aws_config_configuration_recorder": {"audit_recorder": {"name": "r"}},
            "aws_config_delivery_channel": {
                "audit_delivery": {"s3_bucket_name": "${aws_s3_bucket.audit_log_archive.id}"}
            },
            "aws_config_configuration_recorder_status": {"audit_recorder_status": {"is_enabled": True}},
            "aws_config_config_rule": {
                "r1": {
                    "name": "x-cloudtrail-s3-bucket-access-logging",
                    "source": {"owner": "AWS", "source_identifier": "CLOUDTRAIL_S3_BUCKET_ACCESS_LOGGING"},
                },
                "r2": {
                    "name": "x-cw-loggroup-retention-period-check",
                    "input_parameters": '{"MinRetentionTime": "731"}',
                    "source": {"owner": "AWS", "source_identifier": "CW_LOGGROUP_RETENTION_PERIOD_CHECK"},
                },
                "r3": {
                    "name": "x-cloudwatch-log-group-encrypted",
                    "source": {"owner": "AWS", "source_identifier": "CLOUDWATCH_LOG_GROUP_ENCRYPTED"},
                },
                "r4": {
                    "name": "x-s3-bucket-default-lock-enabled",
                    "source": {"owner": "AWS", "source_identifier": "S3_BUCKET_DEFAULT_LOCK_ENABLED"},
                },
                "r5": {
                    "name": "x-kms-cmk-not-scheduled-for-deletion",
                    "source": {"owner": "AWS", "source_identifier": "KMS_CMK_NOT_SCHEDULED_FOR_DELETION"},
                },
            },
            "aws_sns_topic": {"audit_alerts": {"name": "x-alerts", "kms_master_key_id": "${aws_kms_key.alerts.arn}"}},
            "aws_sns_topic_subscription": {
                "s0": {"topic_arn": "${aws_sns_topic.audit_alerts.arn}", "protocol": "email"}
            },
            "aws_cloudwatch_log_metric_filter": {},
            "aws_cloudwatch_metric_alarm": {},
            "aws_cloudwatch_event_rule": {},
            "aws_cloudwatch_event_target": {},
        },
    }
    res = audit["resource"]
    # Metric names follow the catalog's naming rule cis-<id with dashes>-<name>.
    names = {f.id: f.name for f in _CATALOG.cis_filters}
    for i in range(1, 16):
        metric = f"cis-4-{i}-{names[f'4.{i}']}"
        res["aws_cloudwatch_log_metric_filter"][f"f{i}"] = {
            "pattern": "{ $.x = 1 }",
            "metric_transformation": {"name": metric, "namespace": "CISBenchmark", "value": "1"},
        }
        res["aws_cloudwatch_metric_alarm"][f"a{i}"] = {
            "metric_name": metric,
            "namespace": "CISBenchmark",
            "statistic": "Sum",
            "threshold": 1,
            "period": 300,
            "alarm_actions": ["${aws_sns_topic.audit_alerts.arn}"],
        }
    for name in (
        "root-user-activity",
        "cloudtrail-tampering",
        "kms-key-tampering",
        "config-recorder-tampering",
    ):
        key = name.replace("-", "_")
        res["aws_cloudwatch_event_rule"][key] = {"name": f"x-{name}", "event_pattern": "{}"}
        res["aws_cloudwatch_event_target"][f"{key}_t"] = {
            "rule": f"${{aws_cloudwatch_event_rule.{key}.name}}",
            "arn": "${aws_sns_topic.audit_alerts.arn}",
        }
    data = {
        "resource": {
            "aws_lb_listener": {"https": {"protocol": "HTTPS", "ssl_policy": "ELBSecurityPolicy-TLS13-1-2-2021-06"}},
            "aws_cloudfront_distribution": {
                "cdn": {"viewer_certificate": [{"minimum_protocol_version": "TLSv1.2_2021"}]}
            },
            "aws_api_gateway_domain_name": {"api": {"security_policy": "TLS_1_2"}},
            "aws_db_parameter_group": {
                "pg": {
                    "parameter": [
                        {"name": "rds.force_ssl", "value": "1"},
                        {"name": "work_mem", "value": "4096"},
                    ]
                }
            },
            "aws_s3_bucket_policy": {
                "docs_policy": {
                    "bucket": "${aws_s3_bucket.docs.id}",
                    "policy": json.dumps({"Statement": [{"Effect": "Allow"}]}),
                }
            },
            "aws_db_instance": {"db": {"kms_key_id": "${aws_kms_key.database.arn}"}},
            "aws_dynamodb_table": {
                "t": {"server_side_encryption": {"enabled": True, "kms_key_arn": "${aws_kms_key.pii.arn}"}}
            },
        }
    }
    return {"audit": audit, "data": data}


def test_fixture_is_consistent_with_catalog(catalog):
    assert check_catalog(_fixture(), catalog) == []


def test_check_reports_missing_and_unknown_items(catalog):
    synth = _fixture()
    res = synth["audit"]["resource"]
    del res["aws_cloudtrail"]["audit_trail"]
    del res["aws_cloudwatch_metric_alarm"]["a3"]
    res["aws_config_config_rule"]["r9"] = {
        "name": "x-other",
        "source": {"owner": "AWS", "source_identifier": "SOME_OTHER_RULE"},
    }
    res["aws_securityhub_standards_subscription"] = {
        "pci": {"standards_arn": "arn:aws:securityhub:us-east-1::standards/pci-dss/v/4.0.1"}
    }
    problems = "\n".join(check_catalog(synth, catalog))
    assert "aws_cloudtrail.audit_trail" in problems
    assert "cis_alarm:4.3" in problems
    assert "SOME_OTHER_RULE" in problems
    assert "pci-dss/v/4.0.1" in problems


def test_skipped_services_are_not_required_but_present_ones_are(catalog):
    synth = _fixture()
    synth["audit"]["locals"]["boi_audit_skipped_services"] = [
        "athena",
        "guard_rules",
        "macie",
        "accessanalyzer",
    ]
    problems = "\n".join(check_catalog(synth, catalog))
    assert "aws_securityhub_account.audit_securityhub" in problems
    assert "standard:fsbp" in problems
    assert "aws_guardduty_detector.audit_guardduty" in problems
    assert "athena" not in problems


def test_audit_plan_states_what_the_json_says(catalog):
    plan = render_audit_plan(_fixture(), catalog)
    assert "7 years (Object Lock COMPLIANCE, aws_s3_bucket.audit_log_archive)" in plan
    assert "731 days (aws_cloudwatch_log_group.audit_trail_logs" in plan
    assert "log file validation (signed digests): yes" in plan
    assert "encrypted with `aws_kms_key.logs`" in plan
    assert '{"MinRetentionTime": "731"}' in plan
    assert "Services not created in this environment" in plan and "securityhub" in plan
    # rules Security Hub already runs are documented as not deployed
    assert "MULTI_REGION_CLOUD_TRAIL_ENABLED | Security Hub CloudTrail.1" in plan
    for cadence in ("daily", "weekly", "quarterly", "yearly"):
        assert f"**{cadence}**" in plan
    assert "aws_sns_topic.audit_alerts" in plan
    assert "1 subscription(s) (email)" in plan


def test_audit_plan_changes_with_the_json_and_is_deterministic(catalog):
    synth = _fixture()
    first = render_audit_plan(synth, catalog)
    assert first == render_audit_plan(copy.deepcopy(synth), catalog)
    synth["audit"]["resource"]["aws_cloudtrail"]["audit_trail"]["enable_log_file_validation"] = False
    assert "log file validation (signed digests): no" in render_audit_plan(synth, catalog)


def test_encryption_standards_find_tls_and_keys():
    doc = render_encryption_standards(_fixture())
    assert "ELBSecurityPolicy-TLS13-1-2-2021-06" in doc
    assert "TLSv1.2_2021" in doc and "TLS_1_2" in doc
    assert "| rds.force_ssl | 1 |" in doc and "work_mem" not in doc
    assert "aws_s3_bucket_policy.docs_policy | bucket policy of aws_s3_bucket.docs | does NOT deny" in doc
    assert (
        "aws_s3_bucket_policy.audit_log_archive_policy | bucket policy of aws_s3_bucket.audit_log_archive | denies"
        in doc
    )
    assert "aws_db_instance.db | kms_key_id | aws_kms_key.database" in doc
    assert "aws_dynamodb_table.t | server_side_encryption.kms_key_arn | aws_kms_key.pii" in doc
    assert "[kms.md](kms.md)" in doc
    assert doc == render_encryption_standards(_fixture())
