"""The live audit: policy comparison, reference resolution, CLI exit codes, and the checks against
an in-process moto account with a small hand-written plan (the full plan is in tests/e2e)."""

from __future__ import annotations

import json

import boto3
import pytest
from moto import mock_aws

from boi import live_audit as la

ACCOUNT, REGION = "123456789012", "us-east-1"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/app"


def doc(*statements):
    return {"Version": "2012-10-17", "Statement": list(statements)}


READ = {"Sid": "Read", "Effect": "Allow", "Action": ["s3:GetObject"], "Resource": "arn:aws:s3:::b/*"}


def test_same_policy_in_another_form_has_no_differences():
    live = doc({"Resource": ["arn:aws:s3:::b/*"], "Action": "s3:GetObject", "Effect": "Allow", "Sid": "Read"})
    assert la.policy_differences(json.dumps(doc(READ)), live) == []


def test_added_changed_and_missing_statements_are_named():
    extra = {"Sid": "Backdoor", "Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "kms:Decrypt", "Resource": "*"}
    assert la.policy_differences(doc(READ), doc(READ, extra)) == ["statement not in the plan: Sid Backdoor"]
    assert la.policy_differences(doc(READ), doc({**READ, "Action": "s3:*"})) == [
        "statement Sid Read differs from the plan"
    ]
    assert la.policy_differences(doc(READ, extra), doc(READ)) == ["planned statement missing: Sid Backdoor"]


def test_unresolved_reference_matches_any_value_but_only_there():
    planned = json.dumps(doc({**READ, "Resource": f"{la.ANY}/*"}))
    assert la.policy_differences(planned, doc(READ)) == []
    assert la.policy_differences(planned, doc({**READ, "Resource": "arn:aws:s3:::b/other"})) != []


def test_state_resolves_resource_and_remote_state_references():
    state = la.State(
        {
            "p": {
                "aws_kms_key.k": {"arn": "arn:aws:kms:us-east-1:1:key/abc"},
                "data.terraform_remote_state.f": {"outputs": {"out1": "arn:x"}},
            }
        }
    )
    assert state.text("p", "${aws_kms_key.k.arn}|${data.terraform_remote_state.f.outputs.out1}") == (
        "arn:aws:kms:us-east-1:1:key/abc|arn:x"
    )
    assert state.text("p", "${aws_kms_key.other.arn}") == la.ANY
    assert la.State().text("p", "${each.value.name}") == la.ANY


@pytest.mark.parametrize("argv", [[], ["--env"], ["--env", "local", "--bogus"], ["--env", "nowhere"]])
def test_bad_arguments_exit_2(argv, tmp_path):
    assert la.main([*argv, "--out", str(tmp_path)] if argv and argv[-1] == "nowhere" else argv) == 2


def test_no_synthesized_stacks_exit_2(tmp_path, capsys):
    assert la.main(["--env", "local", "--out", str(tmp_path)]) == 2
    assert "no stacks under" in capsys.readouterr().err


# ---------------------------------------------------------------- against a moto account

POLICY = doc({"Sid": "Send", "Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "${aws_sqs_queue.q.arn}"})
SYNTH = {
    "s": {
        "//": {
            "boi_environment": {
                "name": "local",
                "prefix": "boi-local",
                "account_id": "123456789012",
                "region": "us-east-1",
                "allowed_regions": ["us-east-1"],
            }
        },
        "resource": {
            "aws_s3_bucket": {"b": {"bucket": "docs-bucket"}},
            "aws_s3_bucket_public_access_block": {
                "b_pab": {
                    "bucket": "${aws_s3_bucket.b.id}",
                    "block_public_acls": True,
                    "block_public_policy": True,
                    "ignore_public_acls": True,
                    "restrict_public_buckets": True,
                }
            },
            "aws_s3_bucket_server_side_encryption_configuration": {
                "b_enc": {
                    "bucket": "${aws_s3_bucket.b.id}",
                    "rule": [{"apply_server_side_encryption_by_default": {"sse_algorithm": "AES256"}}],
                }
            },
            "aws_sqs_queue": {
                "dlq": {"name": "jobs-dlq"},
                "q": {
                    "name": "jobs",
                    "redrive_policy": json.dumps(
                        {"deadLetterTargetArn": "${aws_sqs_queue.dlq.arn}", "maxReceiveCount": 5}
                    ),
                },
            },
            "aws_iam_role": {"app": {"name": "app", "assume_role_policy": "{}"}},
            "aws_iam_role_policy": {
                "app_inline": {"name": "send", "role": "${aws_iam_role.app.id}", "policy": json.dumps(POLICY)}
            },
        },
    }
}


@pytest.fixture
def account(monkeypatch):
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        s3, sqs, iam = boto3.client("s3"), boto3.client("sqs"), boto3.client("iam")
        s3.create_bucket(Bucket="docs-bucket")
        s3.put_public_access_block(
            Bucket="docs-bucket",
            PublicAccessBlockConfiguration={
                "BlockPublicAcls": True,
                "IgnorePublicAcls": True,
                "BlockPublicPolicy": True,
                "RestrictPublicBuckets": True,
            },
        )
        s3.put_bucket_encryption(
            Bucket="docs-bucket",
            ServerSideEncryptionConfiguration={
                "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
            },
        )
        dlq = sqs.create_queue(QueueName="jobs-dlq")["QueueUrl"]
        dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        sqs.create_queue(
            QueueName="jobs",
            Attributes={"RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 5})},
        )
        iam.create_role(RoleName="app", AssumeRolePolicyDocument=json.dumps(doc()))
        live = json.dumps(POLICY).replace("${aws_sqs_queue.q.arn}", f"arn:aws:sqs:{REGION}:{ACCOUNT}:jobs")
        iam.put_role_policy(RoleName="app", PolicyName="send", PolicyDocument=live)
        yield boto3.Session(region_name=REGION)


def test_clean_account_has_no_findings(account):
    assert la.audit(SYNTH, account) == []


def test_each_drift_is_a_finding(account):
    iam, s3 = boto3.client("iam"), boto3.client("s3")
    iam.create_policy(PolicyName="extra", PolicyDocument=json.dumps(doc(READ)))
    iam.attach_role_policy(RoleName="app", PolicyArn=f"arn:aws:iam::{ACCOUNT}:policy/extra")
    iam.put_role_policy(RoleName="app", PolicyName="sneaky", PolicyDocument=json.dumps(doc(READ)))
    s3.put_public_access_block(
        Bucket="docs-bucket",
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": True,
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": False,
            "RestrictPublicBuckets": True,
        },
    )
    findings = {(f.check, f.resource, f.problem) for f in la.audit(SYNTH, account)}
    assert findings == {
        ("iam", "app", "inline policy sneaky is not in the plan"),
        ("iam", "app", f"attached policy arn:aws:iam::{ACCOUNT}:policy/extra is not in the plan"),
        ("s3 public access", "docs-bucket", "public access block is permissive: BlockPublicPolicy off"),
    }


def test_table_and_exit_status(account, tmp_path, capsys):
    stack = tmp_path / "stacks" / "s"
    stack.mkdir(parents=True)
    (stack / "cdk.tf.json").write_text(json.dumps(SYNTH["s"]))
    assert la.main(["--env", "local", "--out", str(tmp_path), "--state", "none"]) == 0
    sqs = boto3.client("sqs")
    sqs.set_queue_attributes(QueueUrl=sqs.get_queue_url(QueueName="jobs")["QueueUrl"], Attributes={"RedrivePolicy": ""})
    assert la.main(["--env", "local", "--out", str(tmp_path), "--state", "none"]) == 1
    out = capsys.readouterr().out
    assert "sqs redrive" in out and "jobs" in out and "1 finding(s)" in out


# ---------------------------------------------------------------- the registry and its metadata


def test_every_check_has_metadata():
    assert list(la.CHECKS) == [
        "trail",
        "config",
        "kms rotation",
        "kms policy",
        "s3 encryption",
        "s3 public access",
        "sqs redrive",
        "iam",
        "alarms",
        "paging",
    ]
    for check_id, check in la.CHECKS.items():
        assert check.id == check_id and check.title and callable(check.run)
        assert check.severity in la.SEVERITIES
    assert {"CIS 3.1", "CIS 3.2", "FSBP CloudTrail.4"} <= set(la.CHECKS["trail"].controls)
    assert "FSBP S3.8" in la.CHECKS["s3 public access"].controls
    with pytest.raises(ValueError, match="severity"):
        la.check("x", title="x", severity="urgent")


def test_findings_name_a_registered_check(account):
    boto3.client("s3").delete_public_access_block(Bucket="docs-bucket")
    findings = la.audit(SYNTH, account)
    assert [(f.check, f.resource) for f in findings] == [("s3 public access", "docs-bucket")]
    assert all(f.check in la.CHECKS for f in findings)
    only_iam = la.audit(SYNTH, account, checks=[la.CHECKS["iam"]])
    assert only_iam == []


def test_report_prints_the_checks_metadata(account, tmp_path, capsys):
    stack = tmp_path / "stacks" / "s"
    stack.mkdir(parents=True)
    (stack / "cdk.tf.json").write_text(json.dumps(SYNTH["s"]))
    boto3.client("s3").delete_public_access_block(Bucket="docs-bucket")
    assert la.main(["--env", "local", "--out", str(tmp_path), "--state", "none"]) == 1
    table = capsys.readouterr().out
    assert "SEVERITY" in table and "critical  s3 public access" in table
    assert "checks:" in table and "[CIS 2.1.4, FSBP S3.8]" in table and "CIS 3.6" in table
    assert la.main(["--env", "local", "--out", str(tmp_path), "--state", "none", "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["findings"] == [
        {"check": "s3 public access", "resource": "docs-bucket", "problem": report["findings"][0]["problem"]}
    ]
    by_id = {c["id"]: c for c in report["checks"]}
    assert set(by_id) == set(la.CHECKS)
    assert by_id["s3 public access"] == {
        "id": "s3 public access",
        "title": la.CHECKS["s3 public access"].title,
        "severity": "critical",
        "controls": ["CIS 2.1.4", "FSBP S3.8"],
        "findings": 1,
    }
    assert by_id["trail"]["findings"] == 0


# ---------------------------------------------------------------- alarms and paging, in every planned Region

PATTERN = {"source": ["aws.sts"], "detail": {"eventName": ["AssumeRole"]}}
ALERTING = {
    "s": {
        "resource": {
            "aws_cloudwatch_log_metric_filter": {
                "f": {
                    "name": "audit-bucket-changes",
                    "log_group_name": "/trail",
                    "pattern": "{ ($.eventName = PutBucketPolicy) }",
                    "metric_transformation": {"name": "audit-bucket-changes", "namespace": "CIS", "value": "1"},
                }
            },
            "aws_cloudwatch_metric_alarm": {
                "a": {"alarm_name": "x-audit-bucket-changes", "metric_name": "audit-bucket-changes"}
            },
            "aws_cloudwatch_event_rule": {
                "home": {"name": "x-break-glass", "event_pattern": json.dumps(PATTERN)},
                "west": {"name": "x-break-glass", "event_pattern": json.dumps(PATTERN), "provider": "aws.us_west_2"},
                "domain": {
                    "name": "route",
                    "event_bus_name": "${aws_cloudwatch_event_bus.d.name}",
                    "event_pattern": "{}",
                },
            },
        }
    }
}


@pytest.fixture
def alerting(account):
    logs, cw = boto3.client("logs"), boto3.client("cloudwatch")
    logs.create_log_group(logGroupName="/trail")
    logs.put_metric_filter(
        logGroupName="/trail",
        filterName="audit-bucket-changes",
        filterPattern="{ ($.eventName = PutBucketPolicy) }",
        metricTransformations=[{"metricName": "audit-bucket-changes", "metricNamespace": "CIS", "metricValue": "1"}],
    )
    cw.put_metric_alarm(
        AlarmName="x-audit-bucket-changes",
        MetricName="audit-bucket-changes",
        Namespace="CIS",
        Statistic="Sum",
        Period=300,
        EvaluationPeriods=1,
        Threshold=1,
        ComparisonOperator="GreaterThanOrEqualToThreshold",
        AlarmActions=[f"arn:aws:sns:{REGION}:{ACCOUNT}:alerts"],
    )
    for region in (REGION, "us-west-2"):
        events = boto3.client("events", region_name=region)
        events.put_rule(Name="x-break-glass", EventPattern=json.dumps(PATTERN), State="ENABLED")
        events.put_targets(Rule="x-break-glass", Targets=[{"Id": "t", "Arn": f"arn:aws:sns:{REGION}:{ACCOUNT}:alerts"}])
    return account


def run(session):
    return {
        (f.check, f.resource, f.problem)
        for f in la.audit(ALERTING, session, checks=[la.CHECKS["alarms"], la.CHECKS["paging"]])
    }


def test_alarms_and_paging_rules_in_every_planned_region_are_clean(alerting):
    assert run(alerting) == set()


def test_a_silenced_alarm_or_paging_rule_is_a_finding(alerting):
    boto3.client("cloudwatch").delete_alarms(AlarmNames=["x-audit-bucket-changes"])
    boto3.client("events").disable_rule(Name="x-break-glass")
    west = boto3.client("events", region_name="us-west-2")
    west.remove_targets(Rule="x-break-glass", Ids=["t"])
    west.delete_rule(Name="x-break-glass")
    boto3.client("logs").put_metric_filter(
        logGroupName="/trail",
        filterName="audit-bucket-changes",
        filterPattern="{ ($.eventName = Nothing) }",
        metricTransformations=[{"metricName": "audit-bucket-changes", "metricNamespace": "CIS", "metricValue": "1"}],
    )
    assert run(alerting) == {
        ("alarms", "audit-bucket-changes", "filter pattern differs from the plan"),
        ("alarms", "audit-bucket-changes", "no alarm on metric audit-bucket-changes"),
        ("paging", "x-break-glass", "rule is DISABLED"),
        ("paging", "x-break-glass (us-west-2)", "rule does not exist"),
    }
