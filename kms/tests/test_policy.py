"""Key policy documents and their validation (pure: no cdktn import)."""

import json

import pytest
from boi_kms import policy as P
from boi_kms.catalog import example
from boi_kms.errors import ConfigError
from boi_kms.policy import KeyPolicy, check_separation_of_duties, confused_deputy_conditions

ACCOUNT = "111122223333"
ADMIN = "arn:aws:iam::111122223333:role/security-admin"
BREAK_GLASS = "arn:aws:iam::111122223333:role/break-glass"
WRITER = "arn:aws:iam::111122223333:role/pii-writer"
READER = "${aws_iam_role.pii_reader.arn}"
# Written out here, independent of the module's constants: operations that touch plaintext or sign.
CRYPTO_OPERATIONS = {
    "kms:Encrypt",
    "kms:Decrypt",
    "kms:ReEncryptFrom",
    "kms:ReEncryptTo",
    "kms:GenerateDataKey",
    "kms:GenerateDataKeyWithoutPlaintext",
    "kms:GenerateDataKeyPair",
    "kms:GenerateDataKeyPairWithoutPlaintext",
    "kms:Sign",
    "kms:Verify",
    "kms:GenerateMac",
    "kms:VerifyMac",
}


@pytest.fixture(scope="module")
def classes():
    return example().classes


def make_policy(classes, name="pii", **kwargs):
    args = {
        "key_class": classes[name],
        "account_id": ACCOUNT,
        "region": "us-east-1",
        "partition": "aws",
        "administrator_role_arns": (ADMIN,),
    }
    args.update(kwargs)
    return KeyPolicy(**args)


def by_sid(document):
    return {s["Sid"]: s for s in document["Statement"]}


def test_admin_statement_has_no_crypto_and_no_wildcards(classes):
    statement = by_sid(make_policy(classes).document())["KeyAdministration"]
    assert statement["Principal"] == {"AWS": [ADMIN]}
    assert not set(statement["Action"]) & CRYPTO_OPERATIONS
    assert all("*" not in action for action in statement["Action"])
    assert {"kms:PutKeyPolicy", "kms:ScheduleKeyDeletion", "kms:RotateKeyOnDemand"} <= set(statement["Action"])


def test_no_statement_gives_the_account_root_kms_star(classes):
    policy = make_policy(classes)
    policy.add_usage("WriterEncrypt", WRITER, P.ENCRYPT, None, "writer stores PII")
    for statement in policy.document()["Statement"]:
        assert "kms:*" not in statement["Action"]
        if statement["Principal"].get("AWS") == f"arn:aws:iam::{ACCOUNT}:root":
            assert statement["Condition"]["ArnEquals"]["aws:PrincipalArn"]


def test_usage_statement_is_narrowed_to_the_role_and_context_keys(classes):
    policy = make_policy(classes)
    policy.add_usage("WriterEncrypt", WRITER, P.ENCRYPT, None, "writer stores PII")
    statement = by_sid(policy.document())["WriterEncrypt"]
    assert statement["Principal"] == {"AWS": "arn:aws:iam::111122223333:root"}
    assert statement["Action"] == ["kms:Encrypt", "kms:GenerateDataKey"]
    condition = statement["Condition"]
    assert condition["ArnEquals"] == {"aws:PrincipalArn": [WRITER]}
    assert condition["StringEquals"] == {"kms:CallerAccount": ACCOUNT}
    assert set(condition["ForAllValues:StringEquals"]["kms:EncryptionContextKeys"]) >= {
        "tenant_id",
        "schema_v",
    }
    # A direct grant must not also cover calls some AWS service makes on the role's behalf.
    assert condition["Null"] == {"kms:EncryptionContextKeys": "false", "kms:ViaService": "true"}


def test_via_service_and_resource_grants(classes):
    policy = make_policy(classes, name="database")
    policy.add_usage("AppRds", READER, P.ENCRYPT_DECRYPT, "rds", "app reads the database")
    document = policy.document()
    statement = by_sid(document)["AppRds"]
    assert statement["Condition"]["StringEquals"]["kms:ViaService"] == "rds.us-east-1.amazonaws.com"
    assert "ForAllValues:StringEquals" not in statement["Condition"]
    grants = by_sid(document)["AllowAWSResourceGrants"]
    assert grants["Action"] == ["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"]
    assert grants["Condition"]["Bool"] == {"kms:GrantIsForAWSResource": "true"}
    assert grants["Condition"]["ArnEquals"]["aws:PrincipalArn"] == [READER]
    assert json.loads(json.dumps(document)) == document


def test_no_resource_grants_statement_without_users(classes):
    assert "AllowAWSResourceGrants" not in by_sid(make_policy(classes).document())


def test_break_glass_alone_may_schedule_deletion(classes):
    document = make_policy(classes, break_glass_role_arn=BREAK_GLASS).document()
    statements = by_sid(document)
    assert "kms:ScheduleKeyDeletion" not in statements["KeyAdministration"]["Action"]
    assert statements["BreakGlassKeyDeletion"]["Principal"] == {"AWS": BREAK_GLASS}
    assert "kms:ScheduleKeyDeletion" in statements["BreakGlassKeyDeletion"]["Action"]
    assert not set(statements["BreakGlassKeyDeletion"]["Action"]) & CRYPTO_OPERATIONS


def test_service_statement_keeps_confused_deputy_conditions(classes):
    policy = make_policy(classes, name="logs")
    conditions = confused_deputy_conditions(
        "cloudtrail.amazonaws.com",
        account_id=ACCOUNT,
        region="us-east-1",
        source_arn="arn:aws:cloudtrail:us-east-1:111122223333:trail/org",
    )
    policy.add_service("CloudTrailWrite", "cloudtrail.amazonaws.com", P.CLOUDTRAIL_WRITE, conditions, "trail")
    logs = confused_deputy_conditions("logs.us-east-1.amazonaws.com", account_id=ACCOUNT, region="us-east-1")
    policy.add_service("LogsEncrypt", "logs.us-east-1.amazonaws.com", P.LOGS_SERVICE, logs, "log groups")
    statements = by_sid(policy.document())
    trail = statements["CloudTrailWrite"]
    assert trail["Principal"] == {"Service": "cloudtrail.amazonaws.com"}
    assert trail["Condition"]["StringLike"]["kms:EncryptionContext:aws:cloudtrail:arn"].endswith(
        ":111122223333:trail/*"
    )
    assert trail["Condition"]["StringEquals"]["aws:SourceArn"].endswith("trail/org")
    assert statements["LogsEncrypt"]["Condition"]["ArnLike"]["kms:EncryptionContext:aws:logs:arn"] == (
        "arn:aws:logs:us-east-1:111122223333:log-group:*"
    )
    sns = confused_deputy_conditions("sns.amazonaws.com", account_id=ACCOUNT, region="us-east-1")
    assert sns == {"StringEquals": {"aws:SourceAccount": ACCOUNT}}


def _error(callable_, *args):
    with pytest.raises(ConfigError) as error:
        callable_(*args)
    return str(error.value)


def test_via_service_not_allowed_by_class(classes):
    policy = make_policy(classes, name="documents")
    message = _error(policy.add_usage, "DocsSqs", WRITER, P.DECRYPT, "sqs", "why")
    assert "documents" in message and "DocsSqs" in message and "'sqs'" in message and "s3" in message


def test_pii_admits_direct_calls_only(classes):
    message = _error(make_policy(classes).add_usage, "ViaS3", WRITER, P.DECRYPT, "s3", "why")
    assert "direct calls only" in message


def test_service_principal_not_allowed_by_class(classes):
    policy = make_policy(classes, name="documents")
    conditions = {"StringEquals": {"aws:SourceAccount": ACCOUNT}}
    message = _error(policy.add_service, "Trail", "cloudtrail.amazonaws.com", P.DECRYPT, conditions, "why")
    assert "documents" in message and "Trail" in message and "cloudtrail.amazonaws.com" in message


def test_service_statement_without_confused_deputy_condition(classes):
    policy = make_policy(classes, name="messaging")
    message = _error(policy.add_service, "Sns", "sns.amazonaws.com", P.SERVICE_PRODUCER, {}, "why")
    assert "aws:SourceAccount" in message and "Sns" in message


def test_admin_cannot_use_the_key(classes):
    message = _error(make_policy(classes).add_usage, "AdminDecrypt", ADMIN, P.DECRYPT, None, "why")
    assert "separation of duties" in message and "AdminDecrypt" in message and ADMIN in message


def test_break_glass_cannot_use_the_key(classes):
    policy = make_policy(classes, break_glass_role_arn=BREAK_GLASS)
    assert "separation of duties" in _error(policy.add_usage, "Bg", BREAK_GLASS, P.DECRYPT, None, "why")


@pytest.mark.parametrize(
    "arn",
    [
        "arn:aws:iam::111122223333:user/alice",
        "arn:aws:iam::11112222333:role/short-account",
        "arn:aws-cn:iam::111122223333:role/other-partition",
        "pii-writer",
    ],
)
def test_malformed_role_arn(classes, arn):
    message = _error(make_policy(classes).add_usage, "Writer", arn, P.DECRYPT, None, "why")
    assert "principal_arn" in message and repr(arn) in message


def test_malformed_admin_arn():
    with pytest.raises(ConfigError, match=r"administrator_role_arns\[1\]"):
        make_policy(example().classes, administrator_role_arns=(ADMIN, "arn:aws:iam::1:role/x"))


@pytest.mark.parametrize("sid", ["Has-Dash", "", "KeyAdministration", "AllowAWSResourceGrants", "Writer"])
def test_bad_or_taken_sid(classes, sid):
    policy = make_policy(classes)
    policy.add_usage("Writer", WRITER, P.ENCRYPT, None, "first")
    message = _error(policy.add_usage, sid, READER, P.DECRYPT, None, "why")
    assert "sid" in message and repr(sid) in message


def test_actions_must_be_usage_operations(classes):
    policy = make_policy(classes, name="database")
    assert "kms:PutKeyPolicy" in _error(policy.add_usage, "X", WRITER, ("kms:PutKeyPolicy",), None, "why")
    assert "kms:*" in _error(policy.add_usage, "Y", WRITER, ("kms:*",), None, "why")


def test_context_class_rejects_mixed_grants(classes):
    message = _error(make_policy(classes).add_usage, "Mixed", WRITER, P.DECRYPT + P.DESCRIBE, None, "why")
    assert "kms:DescribeKey" in message


def test_generated_policies_pass_the_separation_check(classes):
    policy = make_policy(classes, name="database", break_glass_role_arn=BREAK_GLASS)
    policy.add_usage("AppRds", READER, P.ENCRYPT_DECRYPT, "rds", "app")
    assert check_separation_of_duties(json.loads(json.dumps(policy.document()))) == []


def test_separation_check_finds_a_direct_admin_user():
    document = {
        "Statement": [
            {"Sid": "Admin", "Effect": "Allow", "Principal": {"AWS": [READER]}, "Action": "kms:Put*"},
            {"Sid": "Use", "Effect": "Allow", "Principal": {"AWS": READER}, "Action": ["kms:Decrypt"]},
            {"Sid": "Other", "Effect": "Allow", "Principal": {"AWS": WRITER}, "Action": ["kms:Decrypt"]},
        ]
    }
    findings = check_separation_of_duties(document)
    assert len(findings) == 1
    assert READER in findings[0] and "Admin" in findings[0] and "Use" in findings[0]


def test_separation_check_sees_through_principal_arn_conditions_and_root_star():
    narrowed = {
        "Sid": "Use",
        "Effect": "Allow",
        "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
        "Action": "kms:Decrypt",
        "Condition": {"ArnEquals": {"aws:PrincipalArn": [ADMIN]}},
    }
    admin = {"Sid": "KeyAdministration", "Effect": "Allow", "Principal": {"AWS": ADMIN}, "Action": "kms:*"}
    assert [ADMIN in f for f in check_separation_of_duties({"Statement": [admin, narrowed]})] == [True]
    root_star = {"Sid": "Root", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}}
    root_star["Action"] = "kms:*"
    findings = check_separation_of_duties({"Statement": [root_star]})
    assert findings and ":root" in findings[0]


def test_denies_and_aws_resource_grants_are_not_administration():
    document = {
        "Statement": [
            {"Sid": "D", "Effect": "Deny", "Principal": {"AWS": WRITER}, "Action": "kms:PutKeyPolicy"},
            {
                "Sid": "G",
                "Effect": "Allow",
                "Principal": {"AWS": WRITER},
                "Action": ["kms:CreateGrant"],
                "Condition": {"Bool": {"kms:GrantIsForAWSResource": "true"}},
            },
            {"Sid": "U", "Effect": "Allow", "Principal": {"AWS": WRITER}, "Action": "kms:Decrypt"},
        ]
    }
    assert check_separation_of_duties(document) == []
    document["Statement"][1]["Condition"] = {}
    assert check_separation_of_duties(document)


def test_bad_account_region_partition(classes):
    with pytest.raises(ConfigError, match="account_id"):
        make_policy(classes, account_id="12345")
    with pytest.raises(ConfigError, match="region"):
        make_policy(classes, region="US East")
    with pytest.raises(ConfigError, match="partition"):
        make_policy(classes, partition="azure")
    with pytest.raises(ConfigError, match="administrator_role_arns"):
        make_policy(classes, administrator_role_arns=())


# ---- context values and perimeter guards (issue 17)


def test_a_usage_grant_can_pin_encryption_context_values(classes):
    policy = make_policy(classes)
    policy.add_usage("Writer", WRITER, P.ENCRYPT_DECRYPT, None, "field encryption", context={"record_type": ["b", "a"]})
    statement = next(s for s in policy.document()["Statement"] if s["Sid"] == "Writer")
    assert statement["Condition"]["StringEquals"]["kms:EncryptionContext:record_type"] == ["a", "b"]


@pytest.mark.parametrize(
    "context, message",
    [
        ({"colour": ["red"]}, "context.colour"),
        ({"record_type": []}, "one or more literal values"),
        ({"record_type": ["*"]}, "one or more literal values"),
    ],
)
def test_bad_context_values_are_refused_with_the_field(classes, context, message):
    with pytest.raises(ConfigError, match=message):
        make_policy(classes).add_usage("Writer", WRITER, P.ENCRYPT_DECRYPT, None, "why", context=context)


def test_guards_are_denies_with_their_own_sids_appended_after_the_grants(classes):
    policy = make_policy(classes)
    policy.add_usage("Writer", WRITER, P.ENCRYPT_DECRYPT, None, "field encryption")
    deny = {
        "Sid": "DenyOutsideNetworkPerimeter",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "kms:*",
        "Resource": "*",
    }
    policy.add_guard(deny, "perimeter")
    statements = policy.document()["Statement"]
    assert statements[-1] == deny
    assert check_separation_of_duties(policy.document()) == []
    assert {r.sid: r.reason for r in policy.records()}["DenyOutsideNetworkPerimeter"] == "perimeter"
    with pytest.raises(ConfigError, match="unique within the key"):
        policy.add_guard(deny, "again")
    with pytest.raises(ConfigError, match="a Deny statement"):
        policy.add_guard({**deny, "Sid": "Other", "Effect": "Allow"}, "no")
