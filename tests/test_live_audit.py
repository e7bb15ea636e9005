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
        "perimeter egress",
        "perimeter statements",
        "egress firewall",
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
        "not_verified": 0,
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


# ---------------------------------------------------------------- the perimeter checks (issue 17)

PERIMETER_CHECKS = ["perimeter egress", "perimeter statements", "egress firewall"]
VPC_CIDR = "10.30.0.0/16"
WORKLOAD = f"arn:aws:iam::{ACCOUNT}:role/platform/*"


def perimeter_pair(resource: str, actions: str) -> list[dict]:
    from boi_model.policies import data_perimeter

    return data_perimeter(resource, actions, principals=WORKLOAD, account_id=ACCOUNT, source_vpce="vpce-0abc")


BOUNDARY = doc(
    {"Sid": "Ceiling", "Effect": "Allow", "Action": "sqs:*", "Resource": "*"},
    {
        "Sid": "DenyWorkloadCredentialsOutsideVpc",
        "Effect": "Deny",
        "Action": ["kms:*", "s3:*"],
        "Resource": "*",
        "Condition": {
            "StringNotEqualsIfExists": {"aws:SourceVpc": ["vpc-0abc"]},
            "BoolIfExists": {"aws:ViaAWSService": "false"},
        },
    },
)
PERIMETER_SYNTH = {
    "p": {
        "//": {
            "boi_environment": {
                **SYNTH["s"]["//"]["boi_environment"],
                "local_skip_services": ["network_firewall"],
            }
        },
        "resource": {
            "aws_security_group": {"worker_sg": {"name": "worker"}},
            "aws_subnet": {"egress_0": {"cidr_block": "10.30.8.0/24", "tags": {"Name": "egress-0"}}},
            "aws_vpc_security_group_egress_rule": {
                "to_public": {
                    "security_group_id": "${aws_security_group.worker_sg.id}",
                    "ip_protocol": "tcp",
                    "from_port": 443,
                    "to_port": 443,
                    "prefix_list_id": "${aws_ec2_managed_prefix_list.public.id}",
                }
            },
            "aws_ecs_service": {
                "worker": {
                    "name": "worker",
                    "network_configuration": {
                        "security_groups": ["${aws_security_group.worker_sg.id}"],
                        "subnets": ["${aws_subnet.egress_0.id}"],
                    },
                }
            },
            "aws_kms_key": {
                "pii": {
                    "policy": json.dumps(
                        doc(
                            {
                                "Sid": "Root",
                                "Effect": "Allow",
                                "Principal": {"AWS": "*"},
                                "Action": "kms:*",
                                "Resource": "*",
                            },
                            *perimeter_pair("*", "kms:Decrypt"),
                        )
                    )
                }
            },
            "aws_kms_alias": {"pii": {"name": "alias/pii", "target_key_id": "${aws_kms_key.pii.key_id}"}},
            "aws_sqs_queue": {"filing": {"name": "filing"}},
            "aws_sqs_queue_policy": {
                "filing": {
                    "queue_url": "${aws_sqs_queue.filing.url}",
                    "policy": json.dumps(doc(*perimeter_pair("${aws_sqs_queue.filing.arn}", "sqs:*"))),
                }
            },
            "aws_s3_bucket": {"documents": {"bucket": "documents"}},
            "aws_s3_bucket_policy": {
                "documents": {
                    "bucket": "${aws_s3_bucket.documents.id}",
                    "policy": json.dumps(doc(*perimeter_pair("${aws_s3_bucket.documents.arn}/*", "s3:*"))),
                }
            },
            "aws_secretsmanager_secret": {"fincen": {"name": "fincen"}},
            "aws_secretsmanager_secret_policy": {
                "fincen": {
                    "secret_arn": "${aws_secretsmanager_secret.fincen.arn}",
                    "policy": json.dumps(doc(*perimeter_pair("*", "secretsmanager:GetSecretValue"))),
                }
            },
            "aws_iam_policy": {"boundary": {"name": "workload-boundary", "policy": json.dumps(BOUNDARY)}},
            "aws_iam_role": {
                "worker_task": {
                    "name": "worker-task",
                    "path": "/platform/",
                    "assume_role_policy": "{}",
                    "permissions_boundary": "${aws_iam_policy.boundary.arn}",
                }
            },
        },
    }
}


def _live(policy: str, **values) -> str:
    for ref, value in values.items():
        policy = policy.replace(ref, value)
    return policy


@pytest.fixture
def perimeter_account(account):
    ec2, kms, sqs, s3 = boto3.client("ec2"), boto3.client("kms"), boto3.client("sqs"), boto3.client("s3")
    sm, iam = boto3.client("secretsmanager"), boto3.client("iam")
    res = PERIMETER_SYNTH["p"]["resource"]
    vpc = ec2.create_vpc(CidrBlock=VPC_CIDR)["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(
        VpcId=vpc,
        CidrBlock="10.30.8.0/24",
        TagSpecifications=[{"ResourceType": "subnet", "Tags": [{"Key": "Name", "Value": "egress-0"}]}],
    )["Subnet"]["SubnetId"]
    table = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    ec2.associate_route_table(RouteTableId=table, SubnetId=subnet)
    group = ec2.create_security_group(GroupName="worker", Description="worker", VpcId=vpc)["GroupId"]
    # AWS (and moto) give a new group an allow-all egress rule; Terraform removes it, so do the same.
    ec2.revoke_security_group_egress(
        GroupId=group, IpPermissions=[{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]
    )
    prefix_list = ec2.create_managed_prefix_list(
        PrefixListName="public", MaxEntries=2, AddressFamily="IPv4", Entries=[{"Cidr": "1.0.0.0/8"}]
    )["PrefixList"]["PrefixListId"]
    ec2.authorize_security_group_egress(
        GroupId=group,
        IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "PrefixListIds": [{"PrefixListId": prefix_list}]}
        ],
    )
    key = kms.create_key(Policy=res["aws_kms_key"]["pii"]["policy"])["KeyMetadata"]["KeyId"]
    kms.create_alias(AliasName="alias/pii", TargetKeyId=key)
    queue = sqs.create_queue(QueueName="filing")["QueueUrl"]
    arn = f"arn:aws:sqs:{REGION}:{ACCOUNT}:filing"
    sqs.set_queue_attributes(
        QueueUrl=queue,
        Attributes={
            "Policy": _live(res["aws_sqs_queue_policy"]["filing"]["policy"], **{"${aws_sqs_queue.filing.arn}": arn})
        },
    )
    s3.create_bucket(Bucket="documents")
    s3.put_bucket_policy(
        Bucket="documents",
        Policy=_live(
            res["aws_s3_bucket_policy"]["documents"]["policy"],
            **{"${aws_s3_bucket.documents.arn}": "arn:aws:s3:::documents"},
        ),
    )
    sm.create_secret(Name="fincen", SecretString="x")
    sm.put_resource_policy(
        SecretId="fincen", ResourcePolicy=res["aws_secretsmanager_secret_policy"]["fincen"]["policy"]
    )
    boundary = iam.create_policy(PolicyName="workload-boundary", PolicyDocument=json.dumps(BOUNDARY))["Policy"]["Arn"]
    iam.create_role(
        RoleName="worker-task",
        Path="/platform/",
        AssumeRolePolicyDocument=json.dumps(doc()),
        PermissionsBoundary=boundary,
    )
    yield {"session": account, "vpc": vpc, "group": group, "table": table, "subnet": subnet, "queue": queue, "key": key}


def perimeter_findings(live) -> set[tuple[str, str, str]]:
    checks = [la.CHECKS[c] for c in PERIMETER_CHECKS]
    return {(f.check, f.resource, f.problem) for f in la.audit(PERIMETER_SYNTH, live["session"], checks=checks)}


def test_perimeter_checks_clean_on_the_planned_account(perimeter_account):
    assert perimeter_findings(perimeter_account) == set()


@pytest.mark.parametrize(
    ("cidr", "why"),
    [
        ("0.0.0.0/0", "the whole internet"),
        ("10.0.0.0/8", f"a range covering the whole VPC CIDR {VPC_CIDR}"),
        (VPC_CIDR, f"a range covering the whole VPC CIDR {VPC_CIDR}"),
        ("10.30.1.0/24", None),
    ],
)
def test_workload_egress_to_the_internet_the_vpc_or_off_plan_is_a_finding(perimeter_account, cidr, why):
    boto3.client("ec2").authorize_security_group_egress(
        GroupId=perimeter_account["group"],
        IpPermissions=[{"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": cidr}]}],
    )
    problem = f"egress tcp 443 to {cidr}: {why}" if why else f"egress tcp 443 to {cidr} is not in the plan"
    assert perimeter_findings(perimeter_account) == {("perimeter egress", "worker", problem)}


def test_a_default_route_around_the_firewall_is_a_finding(perimeter_account):
    ec2 = boto3.client("ec2")
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=perimeter_account["vpc"])
    ec2.create_route(RouteTableId=perimeter_account["table"], DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
    subnet = perimeter_account["subnet"]
    assert perimeter_findings(perimeter_account) == {
        ("perimeter egress", f"worker subnet {subnet}", f"route to 0.0.0.0/0 via {igw} bypasses the egress firewall")
    }


def test_too_wide_judges_cidrs_not_names():
    from boi.live_audit.checks.perimeter import too_wide

    assert too_wide("::/0", [VPC_CIDR]) == "the whole internet"
    assert too_wide("10.30.0.0/15", [VPC_CIDR]).startswith("a range covering")
    assert too_wide("10.30.0.0/17", [VPC_CIDR]) is None  # half the VPC: judged against the plan instead
    assert too_wide("pl-123", [VPC_CIDR]) is None


def _drop(policy: str, sid: str) -> str:
    document = json.loads(policy)
    document["Statement"] = [s for s in document["Statement"] if s.get("Sid") != sid]
    return json.dumps(document)


def test_each_removed_or_changed_perimeter_statement_is_named(perimeter_account):
    sqs, s3, iam, kms = boto3.client("sqs"), boto3.client("s3"), boto3.client("iam"), boto3.client("kms")
    queue_policy = sqs.get_queue_attributes(QueueUrl=perimeter_account["queue"], AttributeNames=["Policy"])
    sqs.set_queue_attributes(
        QueueUrl=perimeter_account["queue"],
        Attributes={"Policy": _drop(queue_policy["Attributes"]["Policy"], "DenyOutsideNetworkPerimeter")},
    )
    bucket = json.loads(s3.get_bucket_policy(Bucket="documents")["Policy"])
    for statement in bucket["Statement"]:
        if statement["Sid"] == "DenyOutsideIdentityPerimeter":
            statement["Condition"]["StringNotEqualsIfExists"]["aws:PrincipalAccount"] = "999999999999"
    s3.put_bucket_policy(Bucket="documents", Policy=json.dumps(bucket))
    key_policy = kms.get_key_policy(KeyId=perimeter_account["key"], PolicyName="default")["Policy"]
    kms.put_key_policy(
        KeyId=perimeter_account["key"], PolicyName="default", Policy=_drop(key_policy, "DenyOutsideIdentityPerimeter")
    )
    arn = f"arn:aws:iam::{ACCOUNT}:policy/workload-boundary"
    iam.create_policy_version(
        PolicyArn=arn,
        PolicyDocument=_drop(json.dumps(BOUNDARY), "DenyWorkloadCredentialsOutsideVpc"),
        SetAsDefault=True,
    )
    iam.delete_role_permissions_boundary(RoleName="worker-task")
    assert perimeter_findings(perimeter_account) == {
        ("perimeter statements", "filing", "queue policy: DenyOutsideNetworkPerimeter is missing"),
        (
            "perimeter statements",
            "documents",
            "bucket policy: statement Sid DenyOutsideIdentityPerimeter differs from the plan",
        ),
        ("perimeter statements", "alias/pii", "key policy: DenyOutsideIdentityPerimeter is missing"),
        ("perimeter statements", "workload-boundary", "managed policy: DenyWorkloadCredentialsOutsideVpc is missing"),
        ("perimeter statements", "worker-task", "no permissions boundary (planned ⧼any⧽)"),
    }


def test_the_secret_policy_is_read_too(perimeter_account):
    sm = boto3.client("secretsmanager")
    policy = PERIMETER_SYNTH["p"]["resource"]["aws_secretsmanager_secret_policy"]["fincen"]["policy"]
    sm.put_resource_policy(SecretId="fincen", ResourcePolicy=_drop(policy, "DenyOutsideNetworkPerimeter"))
    assert perimeter_findings(perimeter_account) == {
        ("perimeter statements", "fincen", "secret policy: DenyOutsideNetworkPerimeter is missing")
    }


def test_a_skipped_firewall_is_reported_not_verified_never_ok(perimeter_account, tmp_path, capsys):
    gaps = la.gaps(PERIMETER_SYNTH)
    assert [(g.check, "moto" in g.why, "local.skip_services" in g.why) for g in gaps] == [
        ("egress firewall", True, True)
    ]
    stack = tmp_path / "stacks" / "p"
    stack.mkdir(parents=True)
    (stack / "cdk.tf.json").write_text(json.dumps(PERIMETER_SYNTH["p"]))
    la.main(["--env", "local", "--out", str(tmp_path), "--state", "none"])
    captured = capsys.readouterr()
    assert "NOT VERIFIED HERE (1)" in captured.out and "egress firewall" in captured.out
    line = next(line for line in captured.out.splitlines() if "  egress firewall" in line)
    assert "NOT VERIFIED" in line and " ok " not in line
    assert "NOT VERIFIED here" in captured.err
    la.main(["--env", "local", "--out", str(tmp_path), "--state", "none", "--json"])
    report = json.loads(capsys.readouterr().out)
    assert [g["check"] for g in report["not_verified"]] == ["egress firewall"]
    assert {c["id"]: c["not_verified"] for c in report["checks"]}["egress firewall"] == 1


def test_a_planned_firewall_the_account_cannot_show_is_a_finding(perimeter_account):
    synth = json.loads(json.dumps(PERIMETER_SYNTH))
    synth["p"]["//"]["boi_environment"]["local_skip_services"] = []
    synth["p"]["resource"]["aws_networkfirewall_rule_group"] = {
        "fincen": {
            "name": "fincen-egress",
            "type": "STATEFUL",
            "rule_group": {
                "rules_source": {
                    "rules_source_list": {
                        "generated_rules_type": "ALLOWLIST",
                        "target_types": ["TLS_SNI"],
                        "targets": ["api.fincen.gov"],
                    }
                }
            },
        }
    }
    assert la.gaps(synth) == []
    findings = la.audit(synth, perimeter_account["session"], checks=[la.CHECKS["egress firewall"]])
    assert [(f.check, f.resource) for f in findings] == [("egress firewall", "fincen-egress")]
    assert "cannot read the rule group" in findings[0].problem


def test_a_plan_without_perimeter_says_so():
    gaps = {g.check: g for g in la.gaps(SYNTH)}
    assert set(gaps) == set(PERIMETER_CHECKS)
    assert "no Network Firewall rule group" in gaps["egress firewall"].why
