import copy
import json
import re
from pathlib import Path

import pytest
from boi_iam.extract import KINDS, extract_policies
from boi_model.refs import UNRESOLVED_MARK
from boi_model.synth import load_out

FIXTURE = Path(__file__).parent / "fixtures" / "synth"
ACCT, REGION = "111122223333", "us-east-1"


@pytest.fixture(scope="module")
def synth():
    return load_out(FIXTURE)


@pytest.fixture(scope="module")
def ps(synth):
    return extract_policies(synth, account_id=ACCT, region=REGION)


def by_owner(ps, owner):
    [match] = [p for p in ps.policies if str(p.owner) == owner]
    return match


def statement(policy, sid):
    [match] = [s for s in policy.document["Statement"] if s.get("Sid") == sid]
    return match


def test_every_kind_is_extracted(ps):
    assert {p.kind for p in ps.policies} == set(KINDS)
    assert len(ps.policies) == 16  # the TAG_POLICY grants nothing and is skipped


def test_no_terraform_reference_is_left_but_policy_variables_survive(ps):
    for p in ps.policies:
        text = json.dumps(p.document)
        assert not re.search(r"\$\{(?!aws:)", text), (str(p.owner), text)
    own_prefix = statement(by_owner(ps, "app:aws_iam_role.intake#inline_policy/read-docs"), "OwnPrefix")
    assert own_prefix["Condition"]["StringLike"]["s3:prefix"] == "${aws:PrincipalTag/tenant}/*"


def test_cross_stack_reference_resolves_to_the_key_in_the_other_stack(ps):
    key = by_owner(ps, "security:aws_kms_key.keys_pii#policy")
    assert re.fullmatch(rf"arn:aws:kms:{REGION}:{ACCT}:key/[0-9a-f-]{{36}}", key.target)
    decrypt = statement(by_owner(ps, "app:aws_iam_role.intake#inline_policy/read-docs"), "DecryptPii")
    assert decrypt["Resource"] == key.target


def test_literal_names_give_real_looking_arns(ps):
    assert (
        statement(by_owner(ps, "app:aws_iam_role.intake#inline_policy/read-docs"), "ReadUploads")["Resource"]
        == "arn:aws:s3:::boi-docs-prod/uploads/*"
    )
    bucket_policy = by_owner(ps, "app:aws_s3_bucket_policy.documents")
    assert bucket_policy.target == "arn:aws:s3:::boi-docs-prod"
    assert statement(bucket_policy, "IntakeRead")["Principal"] == {"AWS": f"arn:aws:iam::{ACCT}:role/boi/boi-intake"}
    assert by_owner(ps, "app:aws_sqs_queue_policy.intake").target == f"arn:aws:sqs:{REGION}:{ACCT}:boi-intake"
    assert by_owner(ps, "app:aws_secretsmanager_secret_policy.db").target == (
        f"arn:aws:secretsmanager:{REGION}:{ACCT}:secret:boi/db-AbCdEf"
    )
    assert by_owner(ps, "app:aws_ecr_repository_policy.intake").target == (
        f"arn:aws:ecr:{REGION}:{ACCT}:repository/boi/intake"
    )
    assert by_owner(ps, "app:aws_cloudwatch_event_bus_policy.boi").target == (
        f"arn:aws:events:{REGION}:{ACCT}:event-bus/boi-bus"
    )
    assert by_owner(ps, "app:aws_vpc_endpoint.s3#policy").target.startswith("vpce-")
    sns = statement(by_owner(ps, "app:aws_sns_topic_policy.events"), "Owner")
    assert sns["Principal"]["AWS"] == f"arn:aws:iam::{ACCT}:root"  # partition and account data sources
    scp = statement(by_owner(ps, "security:aws_organizations_policy.region_lock"), "DenyOtherRegions")
    assert scp["Condition"]["StringNotEquals"]["aws:RequestedRegion"] == [REGION]


def test_original_document_keeps_the_references(ps):
    original = by_owner(ps, "app:aws_s3_bucket_policy.documents").original
    assert "${aws_s3_bucket.documents.arn}/uploads/*" in json.dumps(original)


def test_kinds_and_org_targets(ps):
    assert by_owner(ps, "security:aws_iam_policy.boundary").kind == "boundary"
    assert by_owner(ps, "app:aws_iam_policy.ecr_pull").kind == "identity"
    assert by_owner(ps, "security:aws_kms_key.keys_pii#policy").kind == "key"
    assert by_owner(ps, "security:aws_organizations_policy.region_lock").attached_to == ("r-ab12",)
    assert by_owner(ps, "security:aws_organizations_policy.rcp").kind == "rcp"


def test_role_view_gathers_all_policies_of_the_role(ps):
    intake = ps.role("boi-intake")
    assert intake.arn == f"arn:aws:iam::{ACCT}:role/boi/boi-intake"
    assert [str(p.owner) for p in intake.identity] == [
        "app:aws_iam_role.intake#inline_policy/read-docs",
        "app:aws_iam_role_policy.intake_queue",
        "app:aws_iam_policy.ecr_pull",
    ]
    assert intake.trust.document["Statement"][0]["Principal"] == {"Service": "ecs-tasks.amazonaws.com"}
    assert str(intake.boundary.owner) == "security:aws_iam_policy.boundary"  # across stacks
    assert intake.managed_policy_arns == ("arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore",)
    admin = ps.role("boi-key-admin")
    assert admin.boundary is None and admin.managed_policy_arns == ("arn:aws:iam::aws:policy/ReadOnlyAccess",)
    with pytest.raises(KeyError, match="boi-nope"):
        ps.role("boi-nope")


def test_unknown_reference_is_marked_and_warned_not_crashed(ps):
    odd = statement(by_owner(ps, "app:aws_iam_role_policy.intake_queue"), "Odd")
    assert UNRESOLVED_MARK in odd["Resource"] and "aws_glue_job.x.arn" in odd["Resource"]
    assert any("aws_glue_job.x.arn" in w for w in ps.warnings)


def test_deterministic_and_kms_ids_depend_on_stack_and_address(synth, ps):
    again = extract_policies(copy.deepcopy(synth), account_id=ACCT, region=REGION)
    assert again == ps
    renamed = copy.deepcopy(synth)
    renamed["security"]["resource"]["aws_kms_key"]["other"] = renamed["security"]["resource"]["aws_kms_key"]["keys_pii"]
    targets = {p.target for p in extract_policies(renamed, account_id=ACCT, region=REGION).of_kind("key")}
    assert len(targets) == 2


def test_remote_state_picks_the_stack_its_config_names(synth):
    twin = copy.deepcopy(synth)
    twin["zz-other"] = {"output": {"cross-stack-output-aws_kms_keykeys_piiarn": {"value": "arn:aws:kms:x"}}}
    ps = extract_policies(twin, account_id=ACCT, region=REGION)
    decrypt = statement(by_owner(ps, "app:aws_iam_role.intake#inline_policy/read-docs"), "DecryptPii")
    assert decrypt["Resource"].startswith(f"arn:aws:kms:{REGION}:{ACCT}:key/")

    del twin["app"]["data"]["terraform_remote_state"]  # now nothing says which stack is meant
    ps = extract_policies(twin, account_id=ACCT, region=REGION)
    decrypt = statement(by_owner(ps, "app:aws_iam_role.intake#inline_policy/read-docs"), "DecryptPii")
    assert UNRESOLVED_MARK in decrypt["Resource"]
    assert any("exported by stacks ['security', 'zz-other']" in w for w in ps.warnings)


def test_unparseable_and_data_source_policies_are_warnings():
    synth = {
        "s": {
            "resource": {
                "aws_iam_policy": {
                    "broken": {"name": "b", "policy": "{not json"},
                    "from_data": {"name": "d", "policy": "${data.aws_iam_policy_document.x.json}"},
                }
            }
        }
    }
    ps = extract_policies(synth, account_id=ACCT, region=REGION)
    assert ps.policies == ()
    assert any("s:aws_iam_policy.broken" in w and "not valid JSON" in w for w in ps.warnings)
    assert any("s:aws_iam_policy.from_data" in w and "whole reference" in w for w in ps.warnings)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"account_id": "1234"}, "account_id: expected a 12-digit account id, got '1234'"),
        ({"region": "mars"}, "region: expected an AWS region like 'us-east-1', got 'mars'"),
        ({"partition": "aws-mars"}, "partition: expected one of aws, aws-us-gov, aws-cn, got 'aws-mars'"),
    ],
)
def test_bad_arguments_name_the_field(synth, kwargs, message):
    with pytest.raises(ValueError) as e:
        extract_policies(synth, **{"account_id": ACCT, "region": REGION, **kwargs})
    assert message in str(e.value)


def test_of_kind_rejects_unknown_kind(ps):
    with pytest.raises(ValueError, match="kind: expected one of"):
        ps.of_kind("inline")
