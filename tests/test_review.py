"""The security diff core on crafted before/after synth pairs (no jsii), plus the CLI on them.

tests/fixtures/review/base.json is one small stack (role + inline policy + boundary, bucket + bucket
policy with a Deny, KMS key + alias + key policy, trail, Config rule, alarm, Security Hub standard).
Each test builds the `after` side with one documented edit of a deep copy.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from boi_model.policies import Stmt, covers, glob_covers

from boi import review as R
from boi.review import diff_synth, render_markdown

FIXTURES = Path(__file__).parent / "fixtures" / "review"
STACK = "boi-test-foundation"
ACCOUNT = "111122223333"


def base() -> dict:
    return json.loads((FIXTURES / "base.json").read_text())


def res(synth: dict, rtype: str, name: str) -> dict:
    return synth[STACK]["resource"][rtype][name]


def edit_policy(synth: dict, rtype: str, name: str, edit, attr: str = "policy") -> None:
    body = res(synth, rtype, name)
    doc = json.loads(body[attr])
    edit(doc["Statement"])
    body[attr] = json.dumps(doc)


def flagged(review) -> list[tuple[str, str, str]]:
    return [(p.subject, p.part, c.broadens) for p in review.policies for c in p.changes if c.broadens]


# ---------------------------------------------------------------- no change, renames


def test_identical_synths_give_an_empty_review_and_exit_0():
    review = diff_synth(base(), base())
    assert review.policies == [] and review.keys == [] and review.controls == [] and review.resources == {}
    assert review.exit_code() == R.EXIT_OK
    assert "No permissions broadened" in render_markdown(review)


def test_sid_and_construct_id_rename_is_not_broadening():
    after = json.loads((FIXTURES / "renamed_after.json").read_text())
    review = diff_synth(base(), after)
    assert review.policies == [], review.policies  # matched by content, not Sid or position
    assert not review.permissions_broadened
    # The address change is still shown: Terraform would re-create the resource.
    assert review.resources[STACK].removed == ["aws_iam_role_policy.intake_docs"]
    assert review.resources[STACK].added == ["aws_iam_role_policy.intake_documents_policy"]


def test_moving_a_statement_to_another_policy_of_the_same_role_is_no_change():
    after = base()
    moved = {}
    edit_policy(after, "aws_iam_role_policy", "intake_docs", lambda st: moved.setdefault("s", st.pop(1)))
    after[STACK]["resource"]["aws_iam_role_policy"]["intake_kms"] = {
        "name": "kms",
        "role": "${aws_iam_role.intake.id}",
        "policy": json.dumps({"Version": "2012-10-17", "Statement": [{**moved["s"], "Sid": "Other"}]}),
    }
    review = diff_synth(base(), after)
    assert review.policies == []
    assert review.resources[STACK].added == ["aws_iam_role_policy.intake_kms"]


def test_pure_address_rename_is_reported_as_moved():
    after = base()
    block = after[STACK]["resource"]["aws_cloudwatch_metric_alarm"]
    block["root_renamed"] = block.pop("root")
    review = diff_synth(base(), after)
    assert review.resources[STACK].moved == [
        "aws_cloudwatch_metric_alarm.root → aws_cloudwatch_metric_alarm.root_renamed"
    ]
    assert review.controls == []  # controls are matched by alarm_name, not address


# ---------------------------------------------------------------- broadening


def test_added_allow_broadens_with_exit_3():
    after = base()
    edit_policy(
        after,
        "aws_iam_role_policy",
        "intake_docs",
        lambda st: st.append(
            {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "${aws_s3_bucket.documents.arn}/*"}
        ),
    )
    review = diff_synth(base(), after)
    assert flagged(review) == [("boi-test-intake", "identity policies", "Allow added")]
    assert review.exit_code() == R.EXIT_BROADENED
    text = render_markdown(review)
    assert "PERMISSIONS BROADENED" in text and "`s3:getobject`" in text
    assert "`arn:aws:s3:::boi-test-documents/*`" in text


def test_widened_resource_uploads_to_star_broadens():
    after = base()
    edit_policy(after, "aws_iam_role_policy", "intake_docs", lambda st: st[0].update(Resource="*"))
    review = diff_synth(base(), after)
    assert flagged(review) == [("boi-test-intake", "identity policies", "Allow widened")]
    [diff] = review.policies
    assert {(c.sign, c.statement.resources) for c in diff.changes} == {
        ("-", ("arn:aws:s3:::boi-test-documents/uploads/*",)),
        ("+", ("*",)),
    }


def test_narrowed_allow_does_not_broaden():
    before, after = base(), base()
    edit_policy(before, "aws_iam_role_policy", "intake_docs", lambda st: st[0].update(Resource="*"))
    review = diff_synth(before, after)  # * -> uploads/*
    assert review.policies and not review.permissions_broadened


def test_removed_deny_broadens():
    after = base()
    edit_policy(after, "aws_s3_bucket_policy", "documents", lambda st: st.clear())
    review = diff_synth(base(), after)
    assert flagged(review) == [("arn:aws:s3:::boi-test-documents", "resource policy", "Deny removed")]


def test_removed_deny_in_boundary_broadens():
    after = base()
    edit_policy(after, "aws_iam_policy", "boundary", lambda st: st.pop(1))
    review = diff_synth(base(), after)
    boundary = "arn:aws:iam::111122223333:policy/boi-test-boundary"
    part = "permissions boundary policy of 1 role(s): boi-test-intake"
    assert flagged(review) == [(boundary, part, "Deny removed")]


def test_boundary_replaced_by_a_wider_one_broadens_and_a_narrower_one_does_not():
    deny_iam = {"Effect": "Deny", "Action": "iam:*", "Resource": "*"}

    def with_second_boundary(statement: dict) -> dict:
        synth = base()
        synth[STACK]["resource"]["aws_iam_policy"]["other"] = {
            "name": "boi-test-other-boundary",
            "policy": json.dumps({"Version": "2012-10-17", "Statement": [statement, deny_iam]}),
        }
        res(synth, "aws_iam_role", "intake")["permissions_boundary"] = "${aws_iam_policy.other.arn}"
        return synth

    wider = with_second_boundary({"Effect": "Allow", "Action": "*", "Resource": "*"})
    reasons = diff_synth(base(), wider).broadening_reasons()
    assert any("permissions boundary replaced by a wider one" in r for r in reasons), reasons
    narrower = with_second_boundary({"Effect": "Allow", "Action": "s3:*", "Resource": "*"})
    assert not diff_synth(base(), narrower).permissions_broadened


def test_narrowed_deny_condition_broadens():
    after = base()

    def narrow(st):
        st[0]["Condition"]["StringNotEquals"] = {"aws:SourceVpce": "vpce-0123"}

    edit_policy(after, "aws_s3_bucket_policy", "documents", narrow)
    review = diff_synth(base(), after)
    assert flagged(review) == [("arn:aws:s3:::boi-test-documents", "resource policy", "Deny narrowed")]


def test_widened_deny_does_not_broaden():
    after = base()
    edit_policy(after, "aws_s3_bucket_policy", "documents", lambda st: st[0].pop("Condition"))
    review = diff_synth(base(), after)
    assert review.policies and not review.permissions_broadened


def test_key_policy_new_principal_broadens_and_is_named_by_alias():
    after = base()

    def add_principal(st):
        st[0]["Principal"]["AWS"] = [
            st[0]["Principal"]["AWS"],
            f"arn:aws:iam::{ACCOUNT}:role/boi-test-intake",
        ]

    edit_policy(after, "aws_kms_key", "documents", add_principal)
    review = diff_synth(base(), after)
    assert flagged(review) == [("key(alias/boi-test-documents)", "key policy", "Allow widened")]
    # The role's statement on the key also reads by alias, not by a placeholder ARN.
    assert "key(alias/boi-test-documents)" in render_markdown(review)


def test_trust_policy_new_principal_broadens():
    after = base()
    edit_policy(
        after,
        "aws_iam_role",
        "intake",
        lambda st: st[0]["Principal"].update(AWS=f"arn:aws:iam::{ACCOUNT}:root"),
        attr="assume_role_policy",
    )
    assert flagged(diff_synth(base(), after)) == [("boi-test-intake", "trust policy", "Allow widened")]


def test_detached_boundary_and_attached_aws_managed_policy_broaden():
    after = base()
    role = res(after, "aws_iam_role", "intake")
    del role["permissions_boundary"]
    role["managed_policy_arns"] = ["arn:aws:iam::aws:policy/AdministratorAccess"]
    reasons = diff_synth(base(), after).broadening_reasons()
    assert any("permissions boundary detached" in r for r in reasons)
    assert any("AWS-managed policy attached" in r and "AdministratorAccess" in r for r in reasons)


def test_removing_a_whole_role_is_not_broadening():
    after = base()
    del after[STACK]["resource"]["aws_iam_role"]["intake"]
    del after[STACK]["resource"]["aws_iam_role_policy"]["intake_docs"]
    review = diff_synth(base(), after)
    assert review.policies and not review.permissions_broadened


# ---------------------------------------------------------------- keys, controls, resources


def test_rotation_period_change_is_reported_and_lengthening_weakens():
    after = base()
    res(after, "aws_kms_key", "documents")["rotation_period_in_days"] = 365
    review = diff_synth(base(), after)
    [key] = review.keys
    assert key.key == "alias/boi-test-documents"
    assert key.changes == ["rotation: every 180 days → every 365 days"]
    assert key.weakened == ["rotation period lengthened from 180 to 365 days"]
    assert not review.permissions_broadened  # weakened, but not a permission
    assert "Controls weakened" in render_markdown(review)


def test_rotation_turned_off_weakens():
    after = base()
    res(after, "aws_kms_key", "documents")["enable_key_rotation"] = False
    assert diff_synth(base(), after).keys[0].weakened == ["rotation turned off"]


def test_audit_control_changes():
    after = base()
    res(after, "aws_cloudtrail", "trail")["enable_log_file_validation"] = False
    del after[STACK]["resource"]["aws_config_config_rule"]["rotation"]
    after[STACK]["resource"]["aws_securityhub_standards_subscription"]["fsbp"] = {
        "standards_arn": "arn:aws:securityhub:us-east-1::standards/aws-foundational-security-best-practices/v/1.0.0"
    }
    res(after, "aws_cloudwatch_metric_alarm", "root")["threshold"] = 5
    by_category = {c.category: c for c in diff_synth(base(), after).controls}
    assert by_category["Trail"].weakened == "enable_log_file_validation no longer True"
    assert by_category["Config rule"].status == "removed"
    assert by_category["Security Hub standard"].status == "added"
    assert by_category["Alarm"].changes == ["`threshold`: 1 → 5"]


def test_multi_line_attribute_changes_show_only_the_changed_lines():
    before, after = base(), base()
    # The new line also appears in another block: matching is by position in the text, not by set.
    rule = "rule a {\n  period <= 365\n}\nrule b {\n  period <= 180\n}"
    res(before, "aws_config_config_rule", "rotation")["source"]["policy_text"] = rule
    res(after, "aws_config_config_rule", "rotation")["source"]["policy_text"] = rule.replace("180", "365")
    [change] = diff_synth(before, after).controls
    assert change.changes == ["`source.policy_text`: in `rule b {`: −`period <= 180` +`period <= 365`"]


def test_resource_replaced_when_identity_attribute_changes():
    after = base()
    res(after, "aws_s3_bucket", "documents")["bucket"] = "boi-test-documents-v2"
    review = diff_synth(base(), after)
    assert review.resources[STACK].replaced == [
        "aws_s3_bucket.documents (bucket: boi-test-documents → boi-test-documents-v2)"
    ]
    # The bucket's policy now names another ARN: its Deny moved to a new subject, the old one lost it.
    assert "Replaced (destroyed and re-created)" in render_markdown(review)


def test_added_removed_and_modified_resources():
    after = base()
    after[STACK]["resource"]["aws_sns_topic"] = {"alerts": {"name": "boi-test-alerts"}}
    res(after, "aws_kms_key", "documents")["description"] = "documents v2"
    del after[STACK]["resource"]["aws_securityhub_standards_subscription"]
    r = diff_synth(base(), after).resources[STACK]
    assert r.added == ["aws_sns_topic.alerts"]
    assert r.removed == ["aws_securityhub_standards_subscription.cis"]
    assert r.modified == ["aws_kms_key.documents (description)"]


# ---------------------------------------------------------------- matching primitives


@pytest.mark.parametrize(
    ("big", "small", "expected"),
    [
        ("*", "arn:aws:s3:::b/uploads/*", True),
        ("arn:aws:s3:::b/*", "arn:aws:s3:::b/uploads/*", True),
        ("arn:aws:s3:::b/uploads/*", "*", False),
        ("arn:aws:s3:::b/uploads/*", "arn:aws:s3:::b/*", False),
        ("a?", "a*", False),
        ("s3:get*", "s3:getobject", True),
        ("s3:getobject", "s3:get*", False),
    ],
)
def test_glob_covers(big, small, expected):
    assert glob_covers(big, small) is expected


def test_covers_needs_every_condition_of_the_covering_statement():
    wide = Stmt("Allow", actions=("s3:getobject",), resources=("*",))
    conditioned = Stmt(
        "Allow",
        actions=("s3:getobject",),
        resources=("*",),
        conditions=(("Bool", "aws:securetransport", ("true",)),),
    )
    assert covers(wide, conditioned) and not covers(conditioned, wide)
    fewer_values = Stmt(
        "Allow", actions=("s3:getobject",), resources=("*",), conditions=(("StringEquals", "k", ("a",)),)
    )
    more_values = Stmt(
        "Allow", actions=("s3:getobject",), resources=("*",), conditions=(("StringEquals", "k", ("a", "b")),)
    )
    assert covers(more_values, fewer_values) and not covers(fewer_values, more_values)


# ---------------------------------------------------------------- plan summary and CLI


def test_report_includes_plan_summary():
    review = diff_synth(base(), base())
    review.plans = {STACK: {"create": 2, "update": 1, "delete": 0, "replace": 1, "no-op": 7, "read": 0}}
    assert f"| {STACK} | 2 | 1 | 0 | 1 |" in render_markdown(review)


def _write_synth(folder: Path, synth: dict) -> Path:
    for stack, doc in synth.items():
        (folder / "stacks" / stack).mkdir(parents=True)
        (folder / "stacks" / stack / "cdk.tf.json").write_text(json.dumps(doc))
    return folder


def test_cli_exit_codes_on_synth_dirs(tmp_path, capsys):
    before = _write_synth(tmp_path / "before", base())
    after_doc = base()
    edit_policy(after_doc, "aws_s3_bucket_policy", "documents", lambda st: st.clear())
    broadened = _write_synth(tmp_path / "after", after_doc)
    same = _write_synth(tmp_path / "same", base())
    report = tmp_path / "report.md"
    args = ["--no-checkov", "--before-dir", str(before), "--out", str(report)]
    assert R.main([*args, "--after-dir", str(same)]) == 0
    assert R.main([*args, "--after-dir", str(broadened), "--json", str(tmp_path / "r.json")]) == 3
    assert "Deny removed" in report.read_text()
    assert json.loads((tmp_path / "r.json").read_text())["permissions_broadened"] is True
    assert R.main([*args, "--after-dir", str(tmp_path / "missing")]) == 2
    assert "no stacks under" in capsys.readouterr().err


def test_cli_bad_ref_is_exit_2(capsys):
    assert R.main(["--base", "no-such-ref-xyz", "--no-checkov"]) == 2
    assert "no-such-ref-xyz" in capsys.readouterr().err


def test_review_core_does_not_import_cdktn():
    import subprocess
    import sys

    code = "import sys, boi.review; assert not [m for m in sys.modules if m.startswith(('cdktn', 'jsii'))]"
    subprocess.run([sys.executable, "-c", code], check=True)


# ---------------------------------------------------------------- boi.plan


PLANS = FIXTURES / "plans"


def test_plan_summary_counts_actions_per_stack():
    from boi import plan

    assert plan.summarize_plan_dir(PLANS) == {
        STACK: {"create": 1, "update": 0, "delete": 0, "replace": 1, "read": 0, "no-op": 0}
    }
    assert plan.classify(["create", "delete"]) == "replace"
    with pytest.raises(plan.PlanError, match="unknown change actions"):
        plan.classify(["create", "update"])
    with pytest.raises(plan.PlanError, match="not a `terraform show -json` plan"):
        plan.summarize_plan({"resources": []})


def test_review_cli_adds_the_plan_summary(tmp_path):
    before = _write_synth(tmp_path / "before", base())
    report = tmp_path / "report.md"
    args = ["--no-checkov", "--before-dir", str(before), "--after-dir", str(before), "--out", str(report)]
    assert R.main([*args, "--plans", str(PLANS)]) == 0
    assert f"| {STACK} | 1 | 0 | 0 | 1 |" in report.read_text()
    assert R.main([*args, "--plans", str(tmp_path / "none")]) == 2


def test_credentials_reason(tmp_path):
    from boi.plan import credentials_reason

    no_file = {"AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "missing")}
    assert "no AWS credentials" in credentials_reason(no_file)
    assert credentials_reason({**no_file, "AWS_ENDPOINT_URL": "http://127.0.0.1:5000"}) is None
    assert credentials_reason({**no_file, "AWS_ACCESS_KEY_ID": "x"}) is not None  # secret missing
    assert credentials_reason({**no_file, "AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "y"}) is None


def test_endpoint_override_uses_local_state_and_the_endpoint():
    from boi.plan import endpoint_override

    stack = {"provider": {"aws": [{"region": "us-east-1"}, {"alias": "us_east_1", "region": "us-east-1"}]}}
    doc = endpoint_override("http://127.0.0.1:5000", stack)
    assert doc["terraform"]["backend"] == {"local": {"path": "terraform.tfstate"}}
    default, aliased = doc["provider"]["aws"]
    assert "alias" not in default and aliased["alias"] == "us_east_1"  # every provider block, by alias
    for aws in (default, aliased):
        assert aws["skip_credentials_validation"] and aws["endpoints"][0]["kms"] == "http://127.0.0.1:5000"
        assert aws["allowed_account_ids"] is None


@pytest.mark.slow
def test_scan_plans_runs_checkov_on_plan_files_with_suppressions(tmp_path):
    from boi import gate, plan

    # The synth the plans came from, with the suppressions the synth attached (plan mode and not).
    reviewed = {"reason": "test fixture, rotation is judged by the review", "entry": "keys/k"}
    synth = {
        "resource": {
            "aws_kms_key": {"k": {"//": {"boi_suppress": {"CKV_AWS_7": {**reviewed, "modes": ["plan"]}}}}},
            "aws_s3_bucket": {"logs": {"//": {"boi_suppress": {"CKV_AWS_21": {**reviewed, "modes": ["synth"]}}}}},
        }
    }
    out = _write_synth(tmp_path / "out", {STACK: synth, "boi-test-platform": {"resource": {}}})
    sarif = tmp_path / "plan.sarif"
    result = plan.scan_plans(PLANS, out, sarif=sarif)
    assert isinstance(result, gate.GateResult) and not result.ok
    failed = {(r.resource, r.check_id) for r in result.failures}
    assert ("aws_s3_bucket.logs", "CKV_AWS_21") in failed  # versioning, resolved; its entry covers synth only
    assert [(s.record.resource, s.record.check_id) for s in result.suppressed] == [("aws_kms_key.k", "CKV_AWS_7")]
    assert result.stacks[STACK].failed == len(result.failures)
    assert result.stale == []
    assert json.loads(sarif.read_text())["runs"][0]["tool"]["driver"]["name"] == "checkov"
