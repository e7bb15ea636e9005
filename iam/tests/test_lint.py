import json
import shutil
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


FINDING = Finding(OWNER, "identity", "Read", "cloudsplaining:data_exfiltration", "s3:GetObject")
OTHER = Finding(OWNER, "identity", "Pass", "boi:RESOURCE_STAR", "iam:PassRole")


def accept(body: dict, sid: str, issue: str, entry: str = "reviewed/entry") -> None:
    """Attach an acceptance the way the app's synth writes it into the owner's metadata."""
    accepted = body.setdefault("//", {}).setdefault("boi_accept", {})
    accepted.setdefault(sid, {})[issue] = {"reason": "reviewed for the test", "entry": f"{entry} sid {sid}"}


def synth_with(*acceptances: tuple[str, str]) -> dict:
    role: dict = {}
    for sid, issue in acceptances:
        accept(role, sid, issue)
    return {"app": {"resource": {"aws_iam_role": {"x": role}}}}


def test_apply_accepted_removes_reviewed_findings():
    assert apply_accepted([FINDING, OTHER], synth_with(("Read", "cloudsplaining:data_exfiltration"))) == [OTHER]
    assert apply_accepted([FINDING, OTHER], synth_with(("Re*", "cloudsplaining:data_exfiltration"))) == [OTHER]
    assert apply_accepted([FINDING, OTHER], synth_with()) == [FINDING, OTHER]


def test_apply_accepted_rejects_stale_acceptances():
    stale = synth_with(("Read", "cloudsplaining:data_exfiltration"), ("Gone", "boi:RESOURCE_STAR"))
    with pytest.raises(ValueError, match="match no finding.*reviewed/entry sid Gone boi:RESOURCE_STAR"):
        apply_accepted([FINDING, OTHER], stale)


REVIEWED = [
    ("aws_iam_role", "intake", "ReadUploads", "cloudsplaining:data_exfiltration"),
    ("aws_iam_role", "intake", "ReadUploads", "cloudsplaining:infrastructure_modification"),
    ("aws_iam_role", "intake", "DecryptPii", "cloudsplaining:infrastructure_modification"),
    ("aws_iam_policy", "ecr_pull", "Token", "cloudsplaining:credentials_exposure"),
    ("aws_iam_role_policy", "intake_queue", "SendIntake", "cloudsplaining:infrastructure_modification"),
]


def reviewed_copy(tmp_path, extra=()) -> Path:
    out = tmp_path / "out"
    shutil.copytree(FIXTURES / "synth", out)
    file = out / "stacks" / "app" / "cdk.tf.json"
    doc = json.loads(file.read_text())
    for rtype, name, sid, issue in [*REVIEWED, *extra]:
        accept(doc["resource"][rtype][name], sid, issue)
    file.write_text(json.dumps(doc))
    return out


def test_main_fails_on_unreviewed_and_passes_when_all_are_reviewed(tmp_path, capsys):
    args = ["--account", "111122223333", "--region", "us-east-1"]
    assert main(["--out", str(FIXTURES / "synth"), *args]) == 1
    out = capsys.readouterr().out
    assert "warning: app: cannot resolve ${aws_glue_job.x.arn}" in out
    assert "app:aws_iam_role_policy.intake_queue [identity] sid=Odd parliament:RESOURCE_MISMATCH" in out

    assert main(["--out", str(reviewed_copy(tmp_path / "some")), *args]) == 1
    out = capsys.readouterr().out
    assert "5 accepted, 2 unreviewed" in out  # the deliberately odd statement stays open

    odd = [
        ("aws_iam_role_policy", "intake_queue", "Odd", issue)
        for issue in ("parliament:RESOURCE_MISMATCH", "cloudsplaining:infrastructure_modification")
    ]
    assert main(["--out", str(reviewed_copy(tmp_path / "all", odd)), *args]) == 0


def test_global_condition_keys_parliament_lacks_are_not_findings_but_typos_are():
    def doc(key: str) -> dict:
        return {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "DenyOutside",
                    "Effect": "Deny",
                    "Action": "kms:Decrypt",
                    "Resource": "*",
                    "Condition": {"Bool": {key: "false"}},
                }
            ],
        }

    assert lint_policy(doc("aws:ViaAWSService"), kind="key", owner="k") == []
    typo = lint_policy(doc("aws:ViaAwsServices"), kind="key", owner="k")
    assert [f.issue for f in typo] == ["parliament:UNKNOWN_CONDITION_FOR_ACTION"]
