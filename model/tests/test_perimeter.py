"""The data-perimeter statements (boi_model.policies): shape, exceptions and bad input."""

from __future__ import annotations

import pytest
from boi_model.policies import (
    CREDENTIALS_PERIMETER_SID,
    IDENTITY_PERIMETER_SID,
    NETWORK_PERIMETER_SID,
    PERIMETER_REASONS,
    credentials_perimeter,
    data_perimeter,
    identity_perimeter,
    network_perimeter,
    perimeter_statements,
)

WORKLOADS = "arn:aws:iam::111122223333:role/boi-dev-platform/*"


def test_identity_perimeter_names_the_account_or_the_organization_and_exempts_aws_services():
    own = identity_perimeter("*", "kms:*", account_id="111122223333")
    assert own["Condition"] == {
        "StringNotEqualsIfExists": {"aws:PrincipalAccount": "111122223333"},
        "BoolIfExists": {"aws:PrincipalIsAWSService": "false"},
    }
    org = identity_perimeter("*", "kms:*", organization_id="o-abcdefghij")
    assert org["Condition"]["StringNotEqualsIfExists"] == {"aws:PrincipalOrgID": "o-abcdefghij"}
    assert own["Effect"] == org["Effect"] == "Deny" and own["Principal"] == "*"


@pytest.mark.parametrize("kwargs", [{}, {"account_id": "111122223333", "organization_id": "o-abcdefghij"}])
def test_identity_perimeter_needs_exactly_one_boundary(kwargs):
    with pytest.raises(ValueError, match="exactly one of account_id or organization_id"):
        identity_perimeter("*", "kms:*", **kwargs)


def test_network_perimeter_applies_to_workloads_only_and_lets_aws_services_act_for_them():
    statement = network_perimeter("*", "sqs:*", principals=WORKLOADS, source_vpce=["vpce-1"], exempt_principals=["x"])
    condition = statement["Condition"]
    assert condition["ArnLike"] == {"aws:PrincipalArn": [WORKLOADS]}
    assert condition["StringNotEqualsIfExists"] == {"aws:SourceVpce": ["vpce-1"]}
    assert condition["BoolIfExists"] == {"aws:ViaAWSService": "false"}
    assert condition["ArnNotLike"] == {"aws:PrincipalArn": ["x"]}
    vpc = network_perimeter("*", "kms:*", principals=WORKLOADS, source_vpc="vpc-1")
    assert vpc["Condition"]["StringNotEqualsIfExists"] == {"aws:SourceVpc": ["vpc-1"]}
    assert "ArnNotLike" not in vpc["Condition"]


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({}, "exactly one of source_vpce or source_vpc"),
        ({"source_vpce": "vpce-1", "source_vpc": "vpc-1"}, "exactly one of source_vpce or source_vpc"),
        ({"source_vpce": []}, "source_vpce: expected one or more non-empty strings"),
        ({"source_vpc": [""]}, "source_vpc: expected one or more non-empty strings"),
    ],
)
def test_network_perimeter_refuses_a_perimeter_without_a_place(kwargs, message):
    with pytest.raises(ValueError, match=message):
        network_perimeter("*", "s3:*", principals=WORKLOADS, **kwargs)


def test_data_perimeter_is_both_statements_and_each_has_a_reason():
    statements = data_perimeter("*", "s3:*", principals=WORKLOADS, account_id="111122223333", source_vpce="vpce-1")
    assert [s["Sid"] for s in statements] == [IDENTITY_PERIMETER_SID, NETWORK_PERIMETER_SID]
    boundary = credentials_perimeter(["kms:*"], source_vpc="vpc-1")
    assert "Principal" not in boundary and boundary["Sid"] == CREDENTIALS_PERIMETER_SID
    document = {"Statement": [*statements, boundary, {"Sid": "Other", "Effect": "Allow"}]}
    assert set(perimeter_statements(document)) == set(PERIMETER_REASONS)
