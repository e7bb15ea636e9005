from pathlib import Path

import pytest
from boi_iam.lint import Finding, apply_accepted, lint_policy, main

FIXTURES = Path(__file__).parent / "fixtures"
OWNER = "app:aws_iam_role.x#inline_policy/p"


def doc(*statements, version="2012-10-17"):
    return {"Version": version, "Statement": list(statements)}


def allow(sid, action, resource="*", **extra):
    return {"Sid": sid, "Effect": "Allow", "Action": action, "Resource": resource, **extra}


def issues(findings):
    return {(f.sid, f.issue) for f in findings}


def test_unknown_action_and_wildcards_in_identity_policy():
    found = lint_policy(
        doc(allow("Typo", "s3:GetObjekt", "arn:aws:s3:::b/*"), allow("Wild", "s3:Get*", "arn:aws:s3:::b/*"),
            allow("Nothing", "s3:Nope*", "arn:aws:s3:::b/*")),
        kind="identity", owner=OWNER,
    )  # fmt: skip
    assert ("Typo", "boi:UNKNOWN_ACTION") in issues(found)
    assert ("Wild", "boi:ACTION_WILDCARD") in issues(found)
    assert ("Nothing", "boi:UNKNOWN_ACTION") in issues(found)
    assert all(f.owner == OWNER and f.kind == "identity" for f in found)


def test_resource_star_only_for_actions_without_resource_level_support():
    found = lint_policy(
        doc(allow("Token", "ecr:GetAuthorizationToken"),
            allow("Decrypt", ["kms:Decrypt", "sts:GetCallerIdentity"])),
        kind="identity", owner=OWNER,
    )  # fmt: skip
    star = [f for f in found if f.issue == "boi:RESOURCE_STAR"]
    assert [(f.sid, f.detail) for f in star] == [("Decrypt", "resource-level actions on *: kms:Decrypt")]


def test_cloudsplaining_risks_are_reported_per_statement():
    found = lint_policy(
        doc(allow("Pass", "iam:PassRole"), allow("Fn", ["lambda:CreateFunction", "lambda:InvokeFunction"]),
            allow("Read", "s3:GetObject", "arn:aws:s3:::boi-docs-prod/uploads/*")),
        kind="identity", owner=OWNER,
    )  # fmt: skip
    esc = [f for f in found if f.issue == "cloudsplaining:privilege_escalation"]
    assert esc and esc[0].sid == "Pass,Fn" and "PassExistingRoleToNewLambdaThenInvoke" in esc[0].detail
    assert ("Read", "cloudsplaining:data_exfiltration") in issues(found)  # scoped ARN still flagged


def test_policy_type_filtering_of_parliament_noise():
    trust = doc({"Sid": "Ecs", "Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"},
                 "Action": "sts:AssumeRole"})  # fmt: skip
    assert lint_policy(trust, kind="trust", owner=OWNER) == []
    # The same shape as an identity policy is malformed, so the filter is what makes the difference.
    assert any(f.issue == "parliament:MALFORMED" for f in lint_policy(trust, kind="identity", owner=OWNER))

    boundary = doc(allow("Ceiling", ["s3:GetObject", "kms:Decrypt"]))
    assert lint_policy(boundary, kind="boundary", owner=OWNER) == []
    key = doc(allow("Root", "kms:Decrypt", Principal={"AWS": "arn:aws:iam::111122223333:root"}))
    assert lint_policy(key, kind="key", owner=OWNER) == []
    scp = doc({"Sid": "Region", "Effect": "Deny", "NotAction": ["iam:*"], "Resource": "*"})
    assert lint_policy(scp, kind="scp", owner=OWNER) == []
    # cloudsplaining judges only identity policies.
    assert any("cloudsplaining" in f.issue for f in lint_policy(boundary, kind="identity", owner=OWNER))


def test_missing_version_is_reported():
    found = lint_policy(doc(allow("A", "sqs:SendMessage", "arn:aws:sqs:us-east-1:1:q"), version=None),
                        kind="identity", owner=OWNER)  # fmt: skip
    assert ("", "boi:VERSION") in issues(found)


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="kind: expected one of .* got 'inline'"):
        lint_policy(doc(), kind="inline", owner=OWNER)
    with pytest.raises(ValueError, match="doc: expected a policy document dict, got str"):
        lint_policy("{}", kind="identity", owner=OWNER)


ACCEPT = "sid: Read, issue: cloudsplaining:data_exfiltration"
FINDING = Finding(OWNER, "identity", "Read", "cloudsplaining:data_exfiltration", "s3:GetObject")
OTHER = Finding(OWNER, "identity", "Pass", "boi:RESOURCE_STAR", "iam:PassRole")


def write(tmp_path, text):
    path = tmp_path / "accepted.yaml"
    path.write_text(text)
    return path


def test_apply_accepted_removes_reviewed_findings(tmp_path):
    path = write(tmp_path, f"accepted:\n- {{owner: '{OWNER}', {ACCEPT}, reason: intake reads uploads}}\n")
    assert apply_accepted([FINDING, OTHER], path) == [OTHER]


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        (
            f"{{owner: '{OWNER}', sid: Read, issue: cloudsplaining:data_exfiltration}}",
            r"accepted\[0\]\.reason: a non-empty",
        ),
        (
            f"{{owner: '{OWNER}', sid: Read, issue: cloudsplaining:data_exfiltration, reason: '  '}}",
            r"\.reason",
        ),
        (
            f"{{owner: '{OWNER}', sid: Gone, issue: boi:RESOURCE_STAR, reason: old}}",
            "match no finding.*sid='Gone'",
        ),
        (f"{{owner: '{OWNER}', sid: Read, issue: x, reason: y, until: 2027}}", r"unknown fields \['until'\]"),
    ],
)
def test_apply_accepted_rejects_bad_or_stale_entries(tmp_path, entry, message):
    with pytest.raises(ValueError, match=message):
        apply_accepted([FINDING, OTHER], write(tmp_path, f"accepted:\n- {entry}\n"))


def test_main_fails_on_unreviewed_and_passes_when_all_are_reviewed(tmp_path, capsys):
    args = ["--out", str(FIXTURES / "synth"), "--account", "111122223333", "--region", "us-east-1"]
    assert main(args) == 1
    out = capsys.readouterr().out
    assert "warning: app: cannot resolve ${aws_glue_job.x.arn}" in out
    assert "app:aws_iam_role_policy.intake_queue [identity] sid=Odd parliament:RESOURCE_MISMATCH" in out

    assert main([*args, "--accepted", str(FIXTURES / "lint" / "accepted.yaml")]) == 1
    out = capsys.readouterr().out
    assert "5 accepted, 2 unreviewed" in out  # the deliberately odd statement stays open

    full = (FIXTURES / "lint" / "accepted.yaml").read_text() + "".join(
        f"  - owner: app:aws_iam_role_policy.intake_queue\n    sid: Odd\n    issue: {issue}\n    reason: fixture\n"
        for issue in ("parliament:RESOURCE_MISMATCH", "cloudsplaining:infrastructure_modification")
    )
    assert main([*args, "--accepted", str(write(tmp_path, full))]) == 0
