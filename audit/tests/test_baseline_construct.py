"""One shared synth of AuditBaseline + DocumentsBucketProtection; asserts the security properties."""

import json

import pytest

pytestmark = pytest.mark.slow  # jsii, a moto server or the Node simulator: not the pure core

BOUNDARY = "arn:aws:iam::123456789012:policy/boi-boundary"


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
    settings = AuditSettings(
        name_prefix="boi-test",
        account_id="123456789012",
        region="us-east-1",
        alert_emails=["sec@example.com", "oncall@example.com"],
        pii_bucket_arns=["arn:aws:s3:::boi-docs"],
        pii_bucket_names=["boi-docs"],
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
    data = [
        s for s in trail["advanced_event_selector"] if any(f.get("equals") == ["Data"] for f in s["field_selector"])
    ]
    assert data and data[0]["field_selector"][-1]["starts_with"] == ["arn:aws:s3:::boi-docs/"]
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
    assert len(alarms) == 15
    for name, alarm in alarms.items():
        assert alarm["alarm_actions"] == ["${aws_sns_topic.audit_alerts.arn}"], name
        assert (alarm["statistic"], alarm["period"], alarm["threshold"]) == ("Sum", 300, 1)
        assert alarm["comparison_operator"] == "GreaterThanOrEqualToThreshold"
    assert synth["res"]["aws_sns_topic"]["audit_alerts"]["kms_master_key_id"] == synth["alerts"].arn
    assert len(synth["res"]["aws_sns_topic_subscription"]) == 2
    for target in synth["res"]["aws_cloudwatch_event_target"].values():
        assert target["arn"] == "${aws_sns_topic.audit_alerts.arn}"
    patterns = [json.loads(r["event_pattern"]) for r in synth["res"]["aws_cloudwatch_event_rule"].values()]
    assert any("arn:aws:iam::123456789012:role/boi-break-glass" in json.dumps(p) for p in patterns)


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
    assert hub["enable_default_standards"] is False and hub["control_finding_generator"] == "SECURITY_CONTROL"
    for sub in res["aws_securityhub_standards_subscription"].values():
        assert sub["depends_on"] == ["aws_securityhub_account.audit_securityhub"]
    for assoc in res["aws_securityhub_standards_control_association"].values():
        assert assoc["association_status"] == "DISABLED" and len(assoc["updated_reason"]) > 40
    features = {f["name"]: f for f in res["aws_guardduty_detector_feature"].values()}
    assert set(features) == {
        "S3_DATA_EVENTS",
        "RDS_LOGIN_EVENTS",
        "LAMBDA_NETWORK_LOGS",
        "RUNTIME_MONITORING",
    }
    assert features["RUNTIME_MONITORING"]["additional_configuration"][0]["name"] == "ECS_FARGATE_AGENT_MANAGEMENT"
    types = {a["type"] for a in res["aws_accessanalyzer_analyzer"].values()}
    assert types == {"ACCOUNT", "ACCOUNT_UNUSED_ACCESS"}
    rules = res["aws_config_config_rule"].values()
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
