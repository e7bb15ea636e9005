"""Synthesized stacks: what each must contain and the security properties of the key resources."""

from __future__ import annotations

import json

import pytest

from app.services import ALL as SERVICES
from tests.matchers import assert_props, differences, only, policy, resources

pytestmark = pytest.mark.slow

BOOTSTRAP_TYPES = {
    "aws_iam_openid_connect_provider",
    "aws_iam_role",
    "aws_iam_policy",
    "aws_iam_role_policy",
    "aws_kms_key",
    "aws_kms_alias",
    "aws_s3_bucket",
    "aws_s3_bucket_versioning",
    "aws_s3_bucket_server_side_encryption_configuration",
    "aws_s3_bucket_public_access_block",
    "aws_s3_bucket_policy",
    "aws_s3_bucket_logging",
}
FOUNDATION_TYPES = {
    "aws_kms_key",
    "aws_kms_alias",
    "aws_iam_policy",
    "aws_iam_role",
    "aws_cloudtrail",
    "aws_s3_bucket_object_lock_configuration",
    "aws_config_configuration_recorder",
    "aws_config_delivery_channel",
    "aws_config_config_rule",
    "aws_securityhub_account",
    "aws_securityhub_standards_subscription",
    "aws_guardduty_detector",
    "aws_macie2_account",
    "aws_accessanalyzer_analyzer",
    "aws_cloudwatch_log_metric_filter",
    "aws_cloudwatch_metric_alarm",
    "aws_cloudwatch_event_rule",
    "aws_sns_topic",
    "aws_athena_workgroup",
    "aws_glue_catalog_table",
    "aws_vpc",
    "aws_default_security_group",
    "aws_flow_log",
}
PLATFORM_TYPES = {
    "aws_subnet",
    "aws_nat_gateway",
    "aws_network_acl",
    "aws_vpc_endpoint",
    "aws_security_group",
    "aws_ec2_managed_prefix_list",
    "aws_networkfirewall_firewall",
    "aws_networkfirewall_firewall_policy",
    "aws_networkfirewall_rule_group",
    "aws_networkfirewall_logging_configuration",
    "aws_s3_bucket",
    "aws_s3_bucket_policy",
    "aws_cloudfront_distribution",
    "aws_cloudfront_origin_access_control",
    "aws_cloudfront_response_headers_policy",
    "aws_wafv2_web_acl",
    "aws_acm_certificate",
    "aws_route53_record",
    "aws_api_gateway_rest_api",
    "aws_api_gateway_domain_name",
    "aws_cognito_user_pool",
    "aws_lb",
    "aws_lb_listener",
    "aws_ecs_cluster",
    "aws_ecs_service",
    "aws_ecs_task_definition",
    "aws_lambda_function",
    "aws_db_instance",
    "aws_db_parameter_group",
    "aws_dynamodb_table",
    "aws_secretsmanager_secret",
    "aws_sqs_queue",
    "aws_cloudwatch_event_bus",
    "aws_lambda_code_signing_config",
    "aws_cloudwatch_event_bus_policy",
    "aws_backup_vault_lock_configuration",
    "aws_backup_vault_policy",
}


@pytest.fixture(scope="module")
def foundation(dev):
    return dev["boi-dev-foundation"]


@pytest.fixture(scope="module")
def platform(dev):
    return dev["boi-dev-platform"]


def test_each_stack_has_the_resource_types_it_must(dev, foundation, platform):
    assert BOOTSTRAP_TYPES - set(dev["boi-dev-bootstrap"]["resource"]) == set()
    assert FOUNDATION_TYPES - set(foundation["resource"]) == set()
    assert PLATFORM_TYPES - set(platform["resource"]) == set()


def test_no_service_touching_pii_allows_a_shell(platform):
    """ECS Exec hands a person the task role's credentials: off wherever the service reaches PII."""
    services = resources(platform, "aws_ecs_service")
    assert services and all(svc["enable_execute_command"] is False for svc in services.values())


def test_every_guard_and_boundary_fits_the_policy_quota(dev):
    from boi_iam.protect import policy_size

    for stack in dev.values():
        for name, body in resources(stack, "aws_iam_policy").items():
            if not body["policy"].startswith("${"):
                assert policy_size(json.loads(body["policy"])) <= 6144, name


def test_versions_are_the_tested_ones_and_every_stack_has_the_committed_lock_file(synth_env, dev):
    """Provider capped at the tested major, Terraform required (checkov reads a copy without it, see
    boi.gate), and the lock file of each stack kind placed in its folder, its constraint the stacks'."""
    import re

    from app.stacks.stacks import PROVIDER_CONSTRAINT, TERRAFORM_CONSTRAINT
    from app.stacks.synth import LOCK

    assert PROVIDER_CONSTRAINT == "~> 5.100" and TERRAFORM_CONSTRAINT == "~> 1.11"
    out, _ = synth_env("dev")
    # one committed lock file: every stack, organization ones included, runs the same provider build
    assert sorted(p.name for p in LOCK.parent.iterdir()) == [LOCK.name]
    for name, stack in dev.items():
        assert stack["terraform"]["required_providers"]["aws"]["version"] == PROVIDER_CONSTRAINT
        assert stack["terraform"]["required_version"] == TERRAFORM_CONSTRAINT
        assert stack["terraform"]["backend"]["s3"]["use_lockfile"] is True
        assert stack["terraform"]["backend"]["s3"]["encrypt"] is True
        # The bootstrap's state is SSE-S3: its appliers administer the state key and never use it.
        assert stack["terraform"]["backend"]["s3"].get("kms_key_id") == (
            None if name.endswith("-bootstrap") else "alias/boi-terraform-state"
        )
        lock = (out / "stacks" / name / ".terraform.lock.hcl").read_text()
        assert lock == LOCK.read_text()
        assert re.search(r'provider "registry.terraform.io/hashicorp/aws" \{\s+version\s+= "5.100.0"', lock)
        assert f'constraints = "{PROVIDER_CONSTRAINT}"' in lock
        # h1 hashes for every platform (linux_amd64 and darwin_arm64 among them) and the zip hashes.
        assert len(re.findall(r'"h1:', lock)) >= 2 and len(re.findall(r'"zh:', lock)) >= 2


def test_bootstrap_creates_the_state_bucket_and_key_the_backend_names(dev):
    bootstrap = dev["boi-dev-bootstrap"]
    backend = bootstrap["terraform"]["backend"]["s3"]
    buckets = {b["bucket"]: b for b in resources(bootstrap, "aws_s3_bucket").values()}
    assert set(buckets) == {backend["bucket"], f"{backend['bucket']}-access-logs"}
    assert all(b["lifecycle"] == {"prevent_destroy": True} for b in buckets.values())
    [alias] = resources(bootstrap, "aws_kms_alias").values()
    # The key the other stacks' states use; the bootstrap's own state is SSE-S3 (separation of duties).
    assert alias["name"] == dev["boi-dev-foundation"]["terraform"]["backend"]["s3"]["kms_key_id"]
    assert "kms_key_id" not in backend and backend["encrypt"] is True
    [key] = resources(bootstrap, "aws_kms_key").values()
    assert key["enable_key_rotation"] is True and key["lifecycle"] == {"prevent_destroy": True}
    statements = {s["Sid"]: s for s in json.loads(key["policy"])["Statement"]}
    assert set(statements) == {
        "BootstrapAdministration",
        "BreakGlassKeyDeletion",
        "DeployersUseStateKeyThroughS3",
        "PlanRoleReadsStateThroughS3",
    }
    admins = statements["BootstrapAdministration"]
    assert "kms:PutKeyPolicy" in admins["Action"]  # whoever bootstraps passes KMS's lockout check
    assert admins["Condition"]["ArnLike"]["aws:PrincipalArn"] == [
        "arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_AdministratorAccess_*"
    ]
    assert "kms:ScheduleKeyDeletion" not in admins["Action"]
    encryption = [
        r
        for r in resources(bootstrap, "aws_s3_bucket_server_side_encryption_configuration").values()
        if r["rule"][0]["apply_server_side_encryption_by_default"]["sse_algorithm"] == "aws:kms"
    ]
    assert (
        len(encryption) == 1
        and "aws_kms_key" in encryption[0]["rule"][0]["apply_server_side_encryption_by_default"]["kms_master_key_id"]
    )
    policies = [json.loads(p["policy"]) for p in resources(bootstrap, "aws_s3_bucket_policy").values()]
    assert all(any(s["Sid"] == "DenyInsecureTransport" for s in p["Statement"]) for p in policies)
    assert len(resources(bootstrap, "aws_s3_bucket_public_access_block")) == 2
    assert len(resources(bootstrap, "aws_s3_bucket_logging")) == 1


def test_every_kms_key_rotates_and_is_protected(foundation):
    keys = resources(foundation, "aws_kms_key")
    assert len(keys) >= 7
    for name, key in keys.items():
        assert_props(
            key,
            {"enable_key_rotation": True, "deletion_window_in_days": 30, "lifecycle": {"prevent_destroy": True}},
            name,
        )
        assert 90 <= key["rotation_period_in_days"] <= 2560
        statements = {s["Sid"] for s in policy(key)["Statement"]}
        assert "KeyAdministration" in statements, name


def test_every_role_has_a_boundary(dev):
    roles = {f"{stack}/{n}": r for stack, js in dev.items() for n, r in resources(js, "aws_iam_role").items()}
    assert len(roles) >= 20
    missing = [n for n, r in roles.items() if not r.get("permissions_boundary")]
    assert missing == []


def test_database_is_private_encrypted_tls_only(platform):
    name, db = only(platform, "aws_db_instance")
    assert_props(
        db,
        {
            "storage_encrypted": True,
            "iam_database_authentication_enabled": True,
            "manage_master_user_password": True,
            "publicly_accessible": False,
            "multi_az": True,
            "deletion_protection": True,
            "performance_insights_enabled": True,
        },
        name,
    )
    assert "aws_kms_key" in db["kms_key_id"] or "remote_state" in db["kms_key_id"]
    _, params = only(platform, "aws_db_parameter_group")
    values = {p["name"]: p["value"] for p in params["parameter"]}
    assert values["rds.force_ssl"] == "1" and values["ssl_min_protocol_version"] == "TLSv1.2"


def test_documents_bucket_is_locked_down(platform):
    name, _ = only(platform, "aws_s3_bucket", "documents")
    _, sse = only(platform, "aws_s3_bucket_server_side_encryption_configuration", "documents")
    rule = sse["rule"][0]
    assert rule["bucket_key_enabled"] is True
    assert rule["apply_server_side_encryption_by_default"]["sse_algorithm"] == "aws:kms"
    _, block = only(platform, "aws_s3_bucket_public_access_block", "documents")
    assert_props(
        block,
        {
            "block_public_acls": True,
            "block_public_policy": True,
            "ignore_public_acls": True,
            "restrict_public_buckets": True,
        },
    )
    _, bucket_policy = only(platform, "aws_s3_bucket_policy", "documents")
    sids = {s["Sid"]: s for s in policy(bucket_policy)["Statement"]}
    assert {"DenyInsecureTransport", "DenyOldTls", "DenyWrongKey", "DenyUnencryptedUploads"} <= set(sids)
    assert sids["DenyInsecureTransport"]["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_tls_policies_are_set_explicitly(platform):
    listeners = [x for x in resources(platform, "aws_lb_listener").values() if x["protocol"] == "HTTPS"]
    assert listeners and all(x["ssl_policy"].startswith("ELBSecurityPolicy-TLS13-1-2") for x in listeners)
    _, domain = only(platform, "aws_api_gateway_domain_name")
    assert domain["security_policy"] == "TLS_1_2"
    _, api = only(platform, "aws_api_gateway_rest_api")
    assert api["disable_execute_api_endpoint"] is True
    _, cdn = only(platform, "aws_cloudfront_distribution")
    assert cdn["viewer_certificate"]["minimum_protocol_version"] == "TLSv1.2_2021"
    assert cdn["default_cache_behavior"]["viewer_protocol_policy"] == "redirect-to-https"


def test_containers_are_hardened(platform):
    definitions = resources(platform, "aws_ecs_task_definition")
    assert len(definitions) == sum(sv.runtime == "fargate" for sv in SERVICES)
    for name, task in definitions.items():
        (container,) = json.loads(task["container_definitions"])
        assert_props(container, {"readonlyRootFilesystem": True, "privileged": False, "user": "10001:10001"}, name)
        assert container["logConfiguration"]["logDriver"] == "awslogs"


def test_lambdas_are_traced_bounded_and_in_the_vpc(platform):
    functions = resources(platform, "aws_lambda_function")
    assert len(functions) == sum(sv.runtime == "lambda" for sv in SERVICES)
    for name, fn in functions.items():
        assert_props(fn, {"tracing_config": {"mode": "Active"}}, name)
        assert fn["reserved_concurrent_executions"] > 0
        assert fn["vpc_config"]["subnet_ids"] and fn["dead_letter_config"]["target_arn"]
        assert fn["kms_key_arn"] and fn["code_signing_config_arn"]


@pytest.mark.parametrize("spec", [q for sv in SERVICES for q in sv.queues], ids=lambda q: q.name)
def test_every_declared_queue_has_a_dead_letter_queue_an_alarm_and_a_tls_policy(platform, spec):
    queues = resources(platform, "aws_sqs_queue")
    queue = next(q for q in queues.values() if q["name"] == f"boi-dev-{spec.name}")
    redrive = json.loads(queue["redrive_policy"])
    assert redrive["maxReceiveCount"] == spec.max_receives and f"{spec.id}_dlq" in redrive["deadLetterTargetArn"]
    assert all(q.get("kms_master_key_id") for q in queues.values())
    _, alarm = only(platform, "aws_cloudwatch_metric_alarm", f"{spec.id}_dlq_depth")
    assert_props(
        alarm,
        {
            "alarm_name": f"boi-dev-{spec.name}-dlq-not-empty",
            "threshold": 0,
            "comparison_operator": "GreaterThanThreshold",
        },
    )
    assert alarm["alarm_actions"] and f"{spec.id}_dlq" in alarm["dimensions"]["QueueName"]
    for suffix in ("queue_policy", "dlq_policy"):
        _, policy = only(platform, "aws_sqs_queue_policy", f"{spec.id}_{suffix}")
        assert json.loads(policy["policy"])["Statement"][0]["Sid"] == "DenyInsecureTransport"
        assert policy["//"]["reasons"]["DenyInsecureTransport"]


def test_cognito_requires_mfa_and_short_tokens(platform):
    _, pool = only(platform, "aws_cognito_user_pool")
    assert_props(
        pool,
        {
            "mfa_configuration": "ON",
            "user_pool_add_ons": {"advanced_security_mode": "ENFORCED"},
            "password_policy": {"minimum_length": 14},
        },
    )
    for client in resources(platform, "aws_cognito_user_pool_client").values():
        assert client["access_token_validity"] <= 60 and client["token_validity_units"][0]["access_token"] == "minutes"


def test_matcher_reports_what_differed():
    diffs = differences({"a": {"b": 1}, "c": [1, 2]}, {"a": {"b": 2}, "c": [1], "d": True})
    assert diffs == [".a.b: expected 2, got 1", ".c: expected [1], got [1, 2]", ".d: missing (expected True)"]


@pytest.mark.parametrize("env", ["local", "prod"])
def test_every_environment_synthesizes(synth_env, env):
    _, stacks = synth_env(env)
    workload = {f"boi-{env}-bootstrap", f"boi-{env}-foundation", f"boi-{env}-platform"}
    # prod is in organization mode: one stack per account of the layout on top (tests/test_organization.py).
    organization = {"boi-org-management", "boi-org-log-archive", "boi-org-security-tooling"} if env == "prod" else set()
    assert set(stacks) == workload | organization
    if env == "local":
        platform = stacks["boi-local-platform"]
        assert "aws_cloudfront_distribution" not in platform["resource"]
        # The state bucket the local bootstrap stack creates on the embedded AWS (make e2e, make bootstrap).
        assert platform["terraform"]["backend"]["s3"]["bucket"] == "boi-terraform-state-123456789012"
