"""One shared synth of AuditBaseline + DocumentsBucketProtection; asserts the security properties."""

import json

import pytest

pytestmark = pytest.mark.slow  # jsii, a moto server or the Node simulator: not the pure core

BOUNDARY = "arn:aws:iam::123456789012:policy/boi-boundary"
FUNCTION = "arn:aws:lambda:us-east-1:123456789012:function:boi-test-document"
CUSTODIAN = "arn:aws:iam::123456789012:role/boi-test-foundation-deploy"
WEST = "aws.us_west_2"


def home(resources: dict) -> dict:
    return {name: body for name, body in resources.items() if "provider" not in body}


def west(resources: dict) -> dict:
    return {name: body for name, body in resources.items() if body.get("provider") == WEST}


class FakeKey:
    """Stands in for the kms component's key handle and records allow_service calls."""

    def __init__(self, name):
        self.arn = f"arn:aws:kms:us-east-1:123456789012:key/{name}"
        self.key_id = name
        self.calls = []

    def allow_service(self, sid, service_principal, actions, conditions, reason):
        self.calls.append(
            dict(sid=sid, principal=service_principal, actions=actions, conditions=conditions, reason=reason)
        )


@pytest.fixture(scope="module")
def synth():
    from boi_audit.baseline import AuditBaseline
    from boi_audit.catalog import example
    from boi_audit.documents_protection import DocumentsBucketProtection
    from boi_audit.settings import AuditSettings
    from cdktn import TerraformStack, Testing
    from cdktn_provider_aws.provider import AwsProvider

    app = Testing.app()
    stack = TerraformStack(app, "t")
    AwsProvider(stack, "aws", region="us-east-1")
    west = AwsProvider(stack, "aws_us_west_2", region="us-west-2", alias="us_west_2")
    settings = AuditSettings(
        name_prefix="boi-test",
        account_id="123456789012",
        region="us-east-1",
        alert_emails=["sec@example.com", "oncall@example.com"],
        pii_bucket_arns=["arn:aws:s3:::boi-docs"],
        pii_bucket_names=["boi-docs"],
        pii_function_arns=[FUNCTION],
        other_regions=["us-west-2"],
        custodian_arns=[CUSTODIAN],
        catalog=example(),
    )
    logs, alerts = FakeKey("logs"), FakeKey("alerts")
    baseline = AuditBaseline(
        stack,
        "audit",
        settings=settings,
        logs_key=logs,
        alerts_key=alerts,
        permissions_boundary_arn=BOUNDARY,
        guard_inputs={
            "kms_rotation_days": {"pii": 365},
            "bucket_keys": {"boi-docs": "arn:aws:kms:us-east-1:123456789012:key/docs"},
        },
        break_glass_role_arn="arn:aws:iam::123456789012:role/boi-break-glass",
        pii_key_arns=["arn:aws:kms:us-east-1:123456789012:key/pii"],
        regional_providers={"us-west-2": west},
    )
    DocumentsBucketProtection(
        stack,
        "docs_protection",
        settings=settings,
        bucket_name="boi-docs",
        bucket_arn="arn:aws:s3:::boi-docs",
        permissions_boundary_arn=BOUNDARY,
    )
    out = json.loads(Testing.synth(stack))
    return {"json": out, "res": out["resource"], "logs": logs, "alerts": alerts, "baseline": baseline}


def test_trail_is_multi_region_validated_and_kms_encrypted(synth):
    (trail,) = synth["res"]["aws_cloudtrail"].values()
    assert trail["is_multi_region_trail"] is True and trail["include_global_service_events"] is True
    assert trail["enable_log_file_validation"] is True
    assert trail["kms_key_id"] == synth["logs"].arn
    data = {
        s["name"]: s
        for s in trail["advanced_event_selector"]
        if any(f.get("equals") == ["Data"] for f in s["field_selector"])
    }
    assert data["PII bucket object events"]["field_selector"][-1]["starts_with"] == ["arn:aws:s3:::boi-docs/"]
    functions = {f["field"]: f["equals"] for f in data["PII function invocations"]["field_selector"]}
    assert functions == {
        "eventCategory": ["Data"],
        "resources.type": ["AWS::Lambda::Function"],
        "resources.ARN": [FUNCTION],
    }
    assert {i["insight_type"] for i in trail["insight_selector"]} == {
        "ApiCallRateInsight",
        "ApiErrorRateInsight",
    }


def test_archive_is_compliance_locked_for_five_years_and_access_logs_are_not(synth):
    locks = synth["res"]["aws_s3_bucket_object_lock_configuration"]
    assert len(locks) == 1
    (lock,) = locks.values()
    assert lock["rule"]["default_retention"] == {"mode": "COMPLIANCE", "years": 5}
    assert lock["bucket"] == "${aws_s3_bucket.audit_log_archive.id}"
    sse = synth["res"]["aws_s3_bucket_server_side_encryption_configuration"]
    archive_rule = sse["audit_log_archive_sse"]["rule"][0]
    assert archive_rule["apply_server_side_encryption_by_default"]["kms_master_key_id"] == synth["logs"].arn
    assert archive_rule["bucket_key_enabled"] is True
    assert (
        sse["audit_access_logs_sse"]["rule"][0]["apply_server_side_encryption_by_default"]["sse_algorithm"] == "AES256"
    )


def test_archive_policy_denies_insecure_transport_and_scopes_delivery(synth):
    policy = json.loads(synth["res"]["aws_s3_bucket_policy"]["audit_log_archive_policy"]["policy"])
    by_sid = {s["Sid"]: s for s in policy["Statement"]}
    assert by_sid["DenyInsecureTransport"]["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert "s3:DeleteObjectVersion" in by_sid["DenyDeletion"]["Action"]
    trail_arn = "arn:aws:cloudtrail:us-east-1:123456789012:trail/boi-test-audit-trail"
    assert by_sid["CloudTrailWrite"]["Condition"]["StringEquals"]["aws:SourceArn"] == trail_arn
    assert by_sid["ConfigWrite"]["Condition"]["StringEquals"]["aws:SourceAccount"] == "123456789012"


def test_every_role_has_the_boundary(synth):
    roles = synth["res"]["aws_iam_role"]
    assert len(roles) >= 3  # trail-to-logs, config, malware scan
    for name, role in roles.items():
        assert role["permissions_boundary"] == BOUNDARY, name


def test_every_alarm_notifies_the_encrypted_topic(synth):
    alarms = synth["res"]["aws_cloudwatch_metric_alarm"]
    assert len(alarms) == 15 + 1  # CIS 4.1-4.15 and the audit buckets' alarm
    for name, alarm in alarms.items():
        assert alarm["alarm_actions"] == ["${aws_sns_topic.audit_alerts.arn}"], name
        assert (alarm["statistic"], alarm["period"], alarm["threshold"]) == ("Sum", 300, 1)
        assert alarm["comparison_operator"] == "GreaterThanOrEqualToThreshold"
    assert synth["res"]["aws_sns_topic"]["audit_alerts"]["kms_master_key_id"] == synth["alerts"].arn
    assert len(synth["res"]["aws_sns_topic_subscription"]) == 2
    for target in home(synth["res"]["aws_cloudwatch_event_target"]).values():
        assert target["arn"] == "${aws_sns_topic.audit_alerts.arn}"
    patterns = [json.loads(r["event_pattern"]) for r in synth["res"]["aws_cloudwatch_event_rule"].values()]
    assert any("arn:aws:iam::123456789012:role/boi-break-glass" in json.dumps(p) for p in patterns)


def test_the_audit_buckets_alarm_watches_object_lock_lifecycle_policy_and_versioning(synth):
    flt = synth["res"]["aws_cloudwatch_log_metric_filter"]["audit_bucket_changes_filter"]
    pattern = flt["pattern"]
    for event in ("PutObjectLockConfiguration", "PutBucketLifecycle", "PutBucketPolicy", "PutBucketVersioning"):
        assert f"($.eventName = {event})" in pattern
    for bucket in ("boi-test-audit-archive-123456789012", "boi-test-audit-access-123456789012"):
        assert f'($.requestParameters.bucketName = "{bucket}")' in pattern
    assert "AUDIT_BUCKETS" not in pattern and len(pattern) <= 1024  # CloudWatch's limit
    alarm = synth["res"]["aws_cloudwatch_metric_alarm"]["audit_bucket_changes_alarm"]
    assert alarm["metric_name"] == flt["metric_transformation"]["name"] == "audit-bucket-changes"


def test_every_covered_region_has_the_recorder_the_detectors_and_the_paging_rules(synth):
    res = synth["res"]
    rules = synth["baseline"].settings.catalog.event_rules
    counts = {
        region: {
            rtype: len(pick(res.get(rtype, {})))
            for rtype in (
                "aws_config_configuration_recorder",
                "aws_config_configuration_recorder_status",
                "aws_config_delivery_channel",
                "aws_guardduty_detector",
                "aws_guardduty_detector_feature",
                "aws_securityhub_account",
                "aws_securityhub_standards_subscription",
                "aws_macie2_account",
                "aws_accessanalyzer_analyzer",
                "aws_cloudwatch_event_rule",
                "aws_cloudwatch_event_target",
            )
        }
        for region, pick in (("us-east-1", home), ("us-west-2", west))
    }
    expected = {
        "aws_config_configuration_recorder": 1,
        "aws_config_configuration_recorder_status": 1,
        "aws_config_delivery_channel": 1,
        "aws_guardduty_detector": 1,
        "aws_guardduty_detector_feature": 4,
        "aws_securityhub_account": 1,
        "aws_securityhub_standards_subscription": 3,
        "aws_macie2_account": 1,
        "aws_accessanalyzer_analyzer": 2,
        "aws_cloudwatch_event_rule": len(rules),
        "aws_cloudwatch_event_target": len(rules),
    }
    assert counts == {"us-east-1": expected, "us-west-2": expected}
    # global resources (IAM) are recorded once, in the home Region
    assert res["aws_config_configuration_recorder"]["audit_recorder"]["recording_group"][
        "include_global_resource_types"
    ]
    assert not res["aws_config_configuration_recorder"]["audit_recorder_us_west_2"]["recording_group"][
        "include_global_resource_types"
    ]
    channel = res["aws_config_delivery_channel"]["audit_delivery_us_west_2"]
    assert channel["s3_bucket_name"] == "${aws_s3_bucket.audit_log_archive.id}"
    aggregator = res["aws_securityhub_finding_aggregator"]["audit_securityhub_aggregator"]
    assert aggregator["linking_mode"] == "SPECIFIED_REGIONS" and aggregator["specified_regions"] == ["us-west-2"]
    standards = [s["standards_arn"] for s in west(res["aws_securityhub_standards_subscription"]).values()]
    assert all(":us-west-2::standards/" in arn for arn in standards)


def test_the_other_regions_forward_their_paging_rules_to_the_home_bus(synth):
    res = synth["res"]
    home_rules = {r["name"]: r["event_pattern"] for r in home(res["aws_cloudwatch_event_rule"]).values()}
    west_rules = {r["name"]: r["event_pattern"] for r in west(res["aws_cloudwatch_event_rule"]).values()}
    assert west_rules == home_rules  # the same patterns: the home rules match what is forwarded
    assert "boi-test-break-glass-role-assumed" in west_rules
    assumed = json.loads(west_rules["boi-test-break-glass-role-assumed"])
    assert assumed["detail"]["eventName"] == ["AssumeRole"]
    assert assumed["detail"]["requestParameters"]["roleArn"] == ["arn:aws:iam::123456789012:role/boi-break-glass"]
    for target in west(res["aws_cloudwatch_event_target"]).values():
        assert target["arn"] == "arn:aws:events:us-east-1:123456789012:event-bus/default"
        assert target["role_arn"] == "${aws_iam_role.audit_page_forwarder.arn}"
    role = res["aws_iam_role"]["audit_page_forwarder"]
    trust = json.loads(role["assume_role_policy"])["Statement"][0]
    assert trust["Principal"] == {"Service": "events.amazonaws.com"}
    assert trust["Condition"]["StringEquals"] == {"aws:SourceAccount": "123456789012"}
    policy = json.loads(res["aws_iam_role_policy"]["audit_page_forwarder_policy"]["policy"])
    assert policy["Statement"] == [
        {
            "Sid": "ForwardToHomeBus",
            "Effect": "Allow",
            "Action": "events:PutEvents",
            "Resource": "arn:aws:events:us-east-1:123456789012:event-bus/default",
        }
    ]


def test_athena_results_go_to_their_own_encrypted_expiring_bucket(synth):
    res = synth["res"]
    wg = res["aws_athena_workgroup"]["audit_investigations"]
    out = wg["configuration"]["result_configuration"]
    assert out["output_location"] == "s3://${aws_s3_bucket.audit_athena_results.bucket}/results/"
    assert out["encryption_configuration"]["kms_key_arn"] == synth["logs"].arn
    assert out["expected_bucket_owner"] == "123456789012" and wg["tags"]
    assert "audit-archive" not in json.dumps(wg)
    bucket = res["aws_s3_bucket"]["audit_athena_results"]
    assert bucket["bucket"] == "boi-test-audit-athena-results-123456789012"
    assert "object_lock_enabled" not in bucket
    sse = res["aws_s3_bucket_server_side_encryption_configuration"]["audit_athena_results_sse"]["rule"][0]
    assert sse["apply_server_side_encryption_by_default"] == {
        "kms_master_key_id": synth["logs"].arn,
        "sse_algorithm": "aws:kms",
    }
    (rule,) = res["aws_s3_bucket_lifecycle_configuration"]["audit_athena_results_lifecycle"]["rule"]
    assert rule["expiration"][0]["days"] == 30
    assert res["aws_s3_bucket_public_access_block"]["audit_athena_results_pab"]["restrict_public_buckets"] is True
    logging = res["aws_s3_bucket_logging"]["audit_athena_results_logging"]
    assert logging["target_bucket"] == "${aws_s3_bucket.audit_access_logs.id}"
    policy = json.loads(res["aws_s3_bucket_policy"]["audit_athena_results_policy"]["policy"])
    sids = [st["Sid"] for st in policy["Statement"]]
    assert sids == [
        "DenyInsecureTransport",
        "DenyConfigurationChangesExceptCustodians",
        "DenyUnencryptedResults",
        "DenyOtherKeys",
    ]


def test_the_audit_access_log_bucket_admits_only_s3_log_delivery_for_the_audit_buckets(synth):
    from boi_audit import policies

    body = synth["res"]["aws_s3_bucket_policy"]["audit_access_logs_policy"]
    policy = json.loads(body["policy"])
    by_sid = {st["Sid"]: st for st in policy["Statement"]}
    assert set(by_sid) == {
        "DenyInsecureTransport",
        "DenyConfigurationChangesExceptCustodians",
        "S3ServerAccessLogsDelivery",
    }
    delivery = by_sid["S3ServerAccessLogsDelivery"]
    assert delivery["Principal"] == {"Service": "logging.s3.amazonaws.com"}
    assert delivery["Condition"] == {
        "ArnLike": {
            "aws:SourceArn": [
                "arn:aws:s3:::boi-test-audit-archive-123456789012",
                "arn:aws:s3:::boi-test-audit-athena-results-123456789012",
            ]
        },
        "StringEquals": {"aws:SourceAccount": "123456789012"},
    }
    assert set(by_sid) <= set(policies.ACCESS_LOG_REASONS)


def test_key_handles_received_confused_deputy_conditions(synth):
    logs = {c["sid"]: c for c in synth["logs"].calls}
    trail = logs["AuditCloudTrailEncrypt"]
    assert trail["principal"] == "cloudtrail.amazonaws.com"
    assert "kms:EncryptionContext:aws:cloudtrail:arn" in trail["conditions"]["StringLike"]
    assert trail["conditions"]["StringEquals"]["aws:SourceArn"].endswith(":trail/boi-test-audit-trail")
    cw = logs["AuditCloudWatchLogs"]
    assert cw["principal"] == "logs.us-east-1.amazonaws.com"
    assert "kms:EncryptionContext:aws:logs:arn" in cw["conditions"]["ArnLike"]
    assert logs["AuditConfigDelivery"]["conditions"]["StringEquals"]["aws:SourceAccount"] == "123456789012"
    alerts = {c["principal"] for c in synth["alerts"].calls}
    assert alerts == {"cloudwatch.amazonaws.com", "events.amazonaws.com"}
    for call in synth["logs"].calls + synth["alerts"].calls:
        assert "*" not in call["actions"] and call["reason"]


def test_security_services_and_rules(synth):
    res = synth["res"]
    hub = res["aws_securityhub_account"]["audit_securityhub"]
    regional_hub = res["aws_securityhub_account"]["audit_securityhub_us_west_2"]
    assert regional_hub["provider"] == WEST and regional_hub["enable_default_standards"] is False
    assert hub["enable_default_standards"] is False and hub["control_finding_generator"] == "SECURITY_CONTROL"
    for sub in home(res["aws_securityhub_standards_subscription"]).values():
        assert sub["depends_on"] == ["aws_securityhub_account.audit_securityhub"]
    for sub in west(res["aws_securityhub_standards_subscription"]).values():
        assert sub["depends_on"] == ["aws_securityhub_account.audit_securityhub_us_west_2"]
    for assoc in res["aws_securityhub_standards_control_association"].values():
        assert assoc["association_status"] == "DISABLED" and len(assoc["updated_reason"]) > 40
    features = {f["name"]: f for f in home(res["aws_guardduty_detector_feature"]).values()}
    assert set(features) == {
        "S3_DATA_EVENTS",
        "RDS_LOGIN_EVENTS",
        "LAMBDA_NETWORK_LOGS",
        "RUNTIME_MONITORING",
    }
    assert features["RUNTIME_MONITORING"]["additional_configuration"][0]["name"] == "ECS_FARGATE_AGENT_MANAGEMENT"
    types = {a["type"] for a in home(res["aws_accessanalyzer_analyzer"]).values()}
    assert types == {"ACCOUNT", "ACCOUNT_UNUSED_ACCESS"}
    rules = res["aws_config_config_rule"].values()
    assert not west(res["aws_config_config_rule"])  # rules run in the home Region
    for rule in rules:
        assert rule["depends_on"] == ["aws_config_configuration_recorder.audit_recorder"]
    guard = [r for r in rules if r["source"]["owner"] == "CUSTOM_POLICY"]
    assert len(guard) == 2 and all(
        r["source"]["custom_policy_details"]["policy_runtime"] == "guard-2.x.x" for r in guard
    )
    rec = res["aws_config_configuration_recorder"]["audit_recorder"]["recording_group"]
    assert rec["all_supported"] is True and rec["include_global_resource_types"] is True
    wg = res["aws_athena_workgroup"]["audit_investigations"]["configuration"]
    assert wg["enforce_workgroup_configuration"] is True
    assert wg["result_configuration"]["encryption_configuration"]["encryption_option"] == "SSE_KMS"
    assert len(res["aws_athena_named_query"]) == 5
    plan = next(iter(res["aws_guardduty_malware_protection_plan"].values()))
    assert plan["actions"][0]["tagging"][0]["status"] == "ENABLED"


def test_synth_is_consistent_with_catalog_and_renders(synth):
    from boi_audit.catalog import example
    from boi_audit.checks import check_catalog
    from boi_audit.render import render_audit_plan

    catalog = example()
    assert check_catalog({"t": synth["json"]}, catalog) == []
    assert "5 years (Object Lock COMPLIANCE" in render_audit_plan({"t": synth["json"]}, catalog)
