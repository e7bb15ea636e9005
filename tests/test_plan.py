"""Saved plans: dependency order, the manifest and the reviewed record, and every refusal of `boi plan apply`.

Terraform itself is exercised in tests/e2e (plans made, scanned and applied against moto); here the
pure parts and the refusals, on files written the way `boi plan run` and `boi plan scan` write them.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from boi import gate, plan


def stack(key: str, reads: tuple[str, ...] = ()) -> dict:
    doc = {"terraform": {"backend": {"s3": {"bucket": "b", "key": key}}}}
    if reads:
        doc["data"] = {
            "terraform_remote_state": {
                f"r{i}": {"backend": "s3", "config": {"bucket": "b", "key": k}} for i, k in enumerate(reads)
            }
        }
    return doc


def test_stacks_plan_after_the_stacks_whose_state_they_read():
    stacks = {
        "a-platform": stack("boi/a-platform.tfstate", reads=("boi/a-foundation.tfstate",)),
        "a-foundation": stack("boi/a-foundation.tfstate"),
        "a-bootstrap": stack("boi/a-bootstrap.tfstate"),
        "a-reports": stack("boi/a-reports.tfstate", reads=("boi/a-platform.tfstate", "boi/elsewhere.tfstate")),
    }
    order = plan.stack_order(stacks)
    assert order.index("a-foundation") < order.index("a-platform") < order.index("a-reports")
    assert sorted(order) == sorted(stacks)
    cycle = {"x": stack("x.tfstate", reads=("y.tfstate",)), "y": stack("y.tfstate", reads=("x.tfstate",))}
    with pytest.raises(plan.PlanError, match="cycle"):
        plan.stack_order(cycle)


def test_a_reader_planned_first_is_told_the_order(tmp_path):
    assert plan.missing_remote_state({"backend": "local", "path": "../x.tfstate"}, tmp_path) is True
    message = plan.readers_first_message("boi-dev-platform", "boi-dev-foundation")
    assert "apply boi-dev-foundation first" in message and "boi-dev-platform reads the state" in message


@pytest.fixture
def planned(tmp_path):
    """A plans folder as `boi plan run` leaves it, then a passing scan's record."""
    plans = tmp_path / "plans"
    plans.mkdir()
    (plans / "s.tfplan").write_bytes(b"saved plan bytes")
    (plans / "s.json").write_text('{"format_version": "1.2", "resource_changes": []}')
    manifest = {
        "synth_digest": "d" * 64,
        "commit": "c" * 40,
        "stacks": {
            "s": {
                "tfplan": "s.tfplan",
                "tfplan_sha256": plan.sha256(plans / "s.tfplan"),
                "json": "s.json",
                "json_sha256": plan.sha256(plans / "s.json"),
                "applicable": True,
            }
        },
    }
    (plans / plan.MANIFEST).write_text(json.dumps(manifest))
    result = gate.GateResult(stacks={"s": gate.StackSummary()}, failures=[], suppressed=[], stale=[], parsing_errors=[])
    plan.record_reviewed(plans, result)
    return plans


def test_the_reviewed_plan_passes_every_check(planned):
    tfplan = plan.check_saved_plan(
        planned, "s", expect_commit="c" * 40, expect_sha256=plan.sha256(planned / "s.tfplan")
    )
    assert tfplan == planned / "s.tfplan"
    assert plan.plan_files(planned) == {"s": planned / "s.json"}  # manifest and record are not plans


def test_a_changed_saved_plan_is_refused(planned):
    (planned / "s.tfplan").write_bytes(b"another plan")
    with pytest.raises(plan.PlanError, match="nobody reviewed"):
        plan.check_saved_plan(planned, "s", expect_commit=None)


def test_a_plan_other_than_the_plan_jobs_is_refused(planned):
    with pytest.raises(plan.PlanError, match="the plan job reported"):
        plan.check_saved_plan(planned, "s", expect_commit=None, expect_sha256="0" * 64)


def test_a_plan_older_than_the_last_merged_commit_is_refused(planned):
    with pytest.raises(plan.PlanError, match=r"made at commit c{40}, but e{40} is the last merged commit"):
        plan.check_saved_plan(planned, "s", expect_commit="e" * 40)


def test_an_unscanned_or_review_only_plan_is_refused(planned):
    with pytest.raises(plan.PlanError, match="no reviewed plan"):
        plan.check_saved_plan(planned, "other", expect_commit=None)
    manifest = json.loads((planned / plan.MANIFEST).read_text())
    manifest["stacks"]["s"]["applicable"] = False
    (planned / plan.MANIFEST).write_text(json.dumps(manifest))
    with pytest.raises(plan.PlanError, match="review-only"):
        plan.check_saved_plan(planned, "s", expect_commit=None)
    (planned / plan.REVIEWED).unlink()
    with pytest.raises(plan.PlanError, match="no record of a passing plan scan"):
        plan.check_saved_plan(planned, "s", expect_commit=None)


def test_a_plan_json_changed_after_planning_is_not_recorded_as_reviewed(planned):
    (planned / "s.json").write_text('{"format_version": "1.2", "resource_changes": [{"changed": true}]}')
    result = gate.GateResult(stacks={"s": gate.StackSummary()}, failures=[], suppressed=[], stale=[], parsing_errors=[])
    with pytest.raises(plan.PlanError, match="changed after `boi plan run`"):
        plan.record_reviewed(planned, result)


def test_apply_cli_refuses_with_exit_2_and_the_reason(planned, capsys):
    (planned / "s.tfplan").write_bytes(b"tampered")
    code = plan.main(["apply", "--stack", "s", "--plans", str(planned), "--expect-commit", "c" * 40])
    assert code == 2 and "apply refused: stack s:" in capsys.readouterr().err


def _no_credentials(monkeypatch, tmp_path):
    for name in [n for group in plan._CREDENTIAL_ENV for n in group] + ["AWS_ENDPOINT_URL"]:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "missing"))


def test_plan_without_credentials_fails_under_ci_and_warns_loudly_elsewhere(tmp_path, monkeypatch, capsys):
    _no_credentials(monkeypatch, tmp_path)
    monkeypatch.setattr(plan.terraform, "terraform_available", lambda: None)
    monkeypatch.setenv("CI", "true")
    assert plan.main(["run", "--out", str(tmp_path)]) == 2
    assert "terraform plan cannot run here under CI=true: no AWS credentials" in capsys.readouterr().err
    monkeypatch.delenv("CI")
    assert plan.main(["run", "--out", str(tmp_path)]) == 0
    err = capsys.readouterr().err
    assert "WARNING: terraform plan SKIPPED: no AWS credentials" in err and "!!!!" in err


def test_a_missing_upstream_state_in_the_bucket_is_detected():
    """On an embedded AWS: the platform's remote state of the foundation before and after it exists."""
    import boto3

    from boi import e2e

    with e2e.MotoServer() as server, e2e.aws_env(server.url, "us-east-1"):
        s3 = boto3.client("s3")
        s3.create_bucket(Bucket="state")
        remote = {"backend": "s3", "bucket": "state", "key": "boi/x-foundation.tfstate"}
        remote["endpoints"] = {"s3": server.url}
        assert plan.missing_remote_state(remote, Path(".")) is True
        s3.put_object(Bucket="state", Key="boi/x-foundation.tfstate", Body=b"{}")
        assert plan.missing_remote_state(remote, Path(".")) is False
        assert plan.missing_remote_state({**remote, "bucket": "no-such-bucket"}, Path(".")) is True
