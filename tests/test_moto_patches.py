"""The embedded AWS's workarounds (boi.e2e.patch_moto) change only what moto gets wrong: here, key policy
denies. moto refuses DescribeKey under any Deny of kms:* whatever its Condition; AWS evaluates the
condition. After the patch a conditional deny no longer blocks, an unconditional one still does."""

from __future__ import annotations

import json

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from boi.e2e import patch_moto

ROOT = {"Sid": "Root", "Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "kms:*", "Resource": "*"}
CONDITIONAL = {
    "Sid": "DenyOutsideIdentityPerimeter",
    "Effect": "Deny",
    "Principal": "*",
    "Action": "kms:*",
    "Resource": "*",
    "Condition": {"StringNotEqualsIfExists": {"aws:PrincipalAccount": "123456789012"}},
}
UNCONDITIONAL = {k: v for k, v in CONDITIONAL.items() if k != "Condition"}


@pytest.fixture
def kms(monkeypatch):
    for name, value in {
        "AWS_ACCESS_KEY_ID": "t",
        "AWS_SECRET_ACCESS_KEY": "t",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    patch_moto()
    with mock_aws():
        yield boto3.client("kms")


def _key(kms, *statements) -> str:
    policy = json.dumps({"Version": "2012-10-17", "Statement": [ROOT, *statements]})
    return kms.create_key(Policy=policy)["KeyMetadata"]["KeyId"]


def test_a_conditional_deny_does_not_block_describe_key(kms):
    key = _key(kms, CONDITIONAL)
    assert kms.describe_key(KeyId=key)["KeyMetadata"]["KeyId"] == key


def test_an_unconditional_deny_still_blocks_describe_key(kms):
    key = _key(kms, UNCONDITIONAL)
    with pytest.raises(ClientError, match="AccessDenied"):
        kms.describe_key(KeyId=key)


def test_patching_twice_keeps_one_layer():
    from moto.kms import policy_validator

    patch_moto()
    first = policy_validator.check_statement
    patch_moto()
    assert policy_validator.check_statement is first


def test_setting_one_queue_attribute_keeps_the_queue_policy(kms):
    sqs = boto3.client("sqs")
    url = sqs.create_queue(QueueName="q")["QueueUrl"]
    policy = json.dumps({"Version": "2012-10-17", "Statement": [{**UNCONDITIONAL, "Action": "sqs:*"}]})
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": policy})
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"VisibilityTimeout": "40"})
    assert sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["Policy"])["Attributes"]["Policy"] == policy
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": ""})
    assert "Policy" not in sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["Policy"]).get("Attributes", {})
