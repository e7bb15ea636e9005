"""The checkov gate: suppressions attached by the synth, verdict, checkov on copies without required_version,
CLI, SARIF.

checkov runs once per session (module fixture, ~5 s); every suppression variant is applied to
that same raw report, because applying suppressions is the gate's own pure step.
"""

import json
import shutil
from pathlib import Path

import pytest

from boi import gate

FIXTURE_OUT = Path(__file__).parent / "fixtures" / "gate" / "out"
STORAGE_STACK = FIXTURE_OUT / "stacks" / "storage" / "cdk.tf.json"


def entry(reason: str = "accepted for the test", modes=("synth",), name: str = "test/entry") -> dict:
    return {"reason": reason, "modes": list(modes), "entry": name}


def with_attached(tmp_path: Path, attached: gate.Attached) -> Path:
    """A copy of the fixture output whose resources carry the suppressions, as the synth writes them."""
    out = tmp_path / "out"
    shutil.copytree(FIXTURE_OUT, out)
    for (stack, address), checks in attached.items():
        file = out / "stacks" / stack / "cdk.tf.json"
        doc = json.loads(file.read_text())
        block, (rtype, name) = (
            ("data", address.split(".")[1:])
            if address.startswith("data.")
            else (
                "resource",
                address.split("."),
            )
        )
        doc[block][rtype][name].setdefault("//", {})["boi_suppress"] = checks
        file.write_text(json.dumps(doc))
    return out


def test_out_dir_without_stacks_fails(tmp_path):
    with pytest.raises(gate.GateError, match="no 'stacks' folder"):
        gate.find_stacks(tmp_path)


def test_required_version_is_renamed_for_checkov_in_place():
    """checkov 3.3.30 crashes on terraform.required_version (checkov#7454); the gate hands it a copy in
    which the key is a "//" comment on the same line, so every other line and value is the real file's."""
    doc = json.loads(STORAGE_STACK.read_text())
    doc["terraform"]["required_version"] = "~> 1.11"
    text = json.dumps(doc, indent=2)
    copy = gate.without_required_version(text)
    assert len(copy.splitlines()) == len(text.splitlines())
    changed = [(a, b) for a, b in zip(text.splitlines(), copy.splitlines(), strict=True) if a != b]
    assert changed == [('    "required_version": "~> 1.11"', '    "//": "~> 1.11"')]
    stripped = json.loads(copy)
    assert "required_version" not in stripped["terraform"]
    assert {k: v for k, v in stripped.items() if k != "terraform"} == {k: v for k, v in doc.items() if k != "terraform"}
    assert gate.without_required_version(STORAGE_STACK.read_text()) == STORAGE_STACK.read_text()  # nothing to do
    with pytest.raises(gate.GateError, match="could not rename"):
        gate.without_required_version(text.replace('"bucket": "boi', '"required_version": 1, "bucket": "boi', 1))


def test_resource_key_lines_restore_the_type():
    text = STORAGE_STACK.read_text()
    lines = text.splitlines()
    found = gate.resource_key_lines(text)
    assert sorted(found.values()) == [
        "aws_kms_key.docs",
        "aws_s3_bucket.docs",
        "data.aws_availability_zones.azs",
    ]
    for line, address in found.items():
        assert lines[line - 1].strip().startswith(f'"{address.rsplit(".", 1)[1]}"')
    kms_line = next(n for n, a in found.items() if a == "aws_kms_key.docs")
    assert kms_line < next(n for n, a in found.items() if a == "aws_s3_bucket.docs")


def test_parse_checkov_output_maps_stack_and_full_address():
    stacks = gate.find_stacks(FIXTURE_OUT)
    kms_line = next(n for n, a in gate.resource_key_lines(STORAGE_STACK.read_text()).items() if "kms" in a)
    raw = {
        "check_type": "terraform_json",
        "results": {
            "failed_checks": [
                {
                    "check_id": "CKV_AWS_7",
                    "check_name": "rotation",
                    "file_abs_path": str(STORAGE_STACK),
                    "file_line_range": [kms_line, kms_line + 4],
                    "resource": "resource.docs",
                }
            ],
            "parsing_errors": [],
        },
        "summary": {"checkov_version": "3.3.30"},
    }
    report = gate.parse_checkov_output(raw, stacks)
    [record] = report.records
    assert (record.stack, record.resource, record.result) == ("storage", "aws_kms_key.docs", "FAILED")


def test_parsing_errors_fail_the_gate():
    report = gate.CheckovReport(records=[], parsing_errors=["/x/cdk.tf.json"], version="3.3.30", seconds=0)
    result = gate.apply_suppressions(report, {}, ["x"])
    assert not result.ok
    assert "could not parse /x/cdk.tf.json" in gate.format_summary(result)


# ---------------------------------------------------------------- with checkov (one run)


@pytest.fixture(scope="module")
def checkov_report():
    return gate.run_checkov(gate.find_stacks(FIXTURE_OUT))


@pytest.fixture
def cached_checkov(monkeypatch, checkov_report):
    monkeypatch.setattr(gate, "run_checkov", lambda _stacks: checkov_report)
    return checkov_report


@pytest.mark.slow
def test_checkov_scans_a_stack_that_sets_required_version(tmp_path, checkov_report):
    """The synth writes terraform.required_version; checkov still scans every resource of the stack and the
    findings name the real file and lines (without the copy it reports a parsing error and nothing else)."""
    out = tmp_path / "out"
    shutil.copytree(FIXTURE_OUT, out)
    for file in out.glob("stacks/*/cdk.tf.json"):
        doc = json.loads(file.read_text())
        doc["terraform"]["required_version"] = "~> 1.11"
        file.write_text(json.dumps(doc, indent=2))
    report = gate.run_checkov(gate.find_stacks(out))
    assert report.parsing_errors == []

    def key(r):
        return (r.stack, r.resource, r.check_id, r.result)

    assert sorted(map(key, report.records)) == sorted(map(key, checkov_report.records))
    for record in report.records:
        assert Path(record.file) == out / "stacks" / record.stack / "cdk.tf.json"
        if record.resource.startswith(("aws_", "data.")):  # provider checks name the provider block
            line = Path(record.file).read_text().splitlines()[record.line - 1]
            assert f'"{record.resource.rsplit(".", 1)[1]}"' in line


def suppress_all(report: gate.CheckovReport, reason: str = "accepted for the test", modes=("synth",)) -> dict:
    attached: gate.Attached = {}
    for r in report.records:
        if r.result == "FAILED":
            attached.setdefault((r.stack, r.resource), {})[r.check_id] = entry(reason, modes)
    return attached


@pytest.mark.slow
def test_checkov_finds_the_unencrypted_bucket(checkov_report):
    failed = {(r.stack, r.resource, r.check_id) for r in checkov_report.records if r.result == "FAILED"}
    assert ("storage", "aws_s3_bucket.docs", "CKV_AWS_145") in failed
    assert ("storage", "aws_kms_key.docs", "CKV_AWS_7") in failed  # restored from "resource.docs"
    assert ("storage", "data.aws_availability_zones.azs", "CKV_AWS_394") in failed  # from "data.azs"
    assert not any(
        r.resource.split(".")[0] in ("resource", "data") and r.resource.count(".") == 1 for r in checkov_report.records
    )
    assert checkov_report.parsing_errors == []


@pytest.mark.slow
def test_unsuppressed_failure_fails_and_is_listed(cached_checkov):
    result = gate.apply_suppressions(cached_checkov, {}, ["keys", "storage"])
    assert not result.ok
    summary = gate.format_summary(result)
    assert "storage  aws_s3_bucket.docs  CKV_AWS_145  Ensure that S3 buckets are encrypted with KMS" in summary
    assert result.stacks["storage"].failed >= 1 and result.stacks["storage"].passed >= 1


@pytest.mark.slow
def test_matching_suppressions_pass_and_are_reported(cached_checkov):
    attached = suppress_all(cached_checkov, "fixture bucket")
    result = gate.apply_suppressions(cached_checkov, attached, ["keys", "storage"])
    assert result.ok, gate.format_summary(result)
    assert result.stacks["storage"].failed == 0
    assert result.stacks["storage"].suppressed == sum(len(c) for (s, _), c in attached.items() if s == "storage")
    assert "storage  aws_s3_bucket.docs  CKV_AWS_145  reason: fixture bucket" in gate.format_summary(result)


@pytest.mark.slow
def test_suppression_covers_only_its_own_resource(cached_checkov):
    # CKV2_AWS_64 fails on both KMS keys; suppressing it for one must leave the other failing.
    attached = suppress_all(cached_checkov)
    del attached[("keys", "aws_kms_key.audit")]["CKV2_AWS_64"]
    result = gate.apply_suppressions(cached_checkov, attached, [])
    assert [(r.stack, r.resource, r.check_id) for r in result.failures] == [
        ("keys", "aws_kms_key.audit", "CKV2_AWS_64")
    ]


@pytest.mark.slow
def test_a_suppression_covers_only_its_modes(cached_checkov):
    plan_only = suppress_all(cached_checkov, modes=("plan",))
    synth = gate.apply_suppressions(cached_checkov, plan_only, ["keys", "storage"], mode="synth")
    assert synth.failures and not synth.suppressed and not synth.stale  # plan entries are not judged in synth mode
    plan = gate.apply_suppressions(cached_checkov, plan_only, ["keys", "storage"], mode="plan")
    assert plan.ok, gate.format_summary(plan)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("address", "check", "why"),
    [
        ("aws_kms_key.audit", "CKV_AWS_7", "the check passes here"),
        ("aws_kms_key.audit", "CKV_AWS_999", "checkov ran no CKV_AWS_999 on this resource"),
        ("aws_s3_bucket.old", "CKV_AWS_18", "checkov reported nothing for this resource"),
    ],
)
def test_stale_suppression_fails(cached_checkov, address, check, why):
    attached = suppress_all(cached_checkov)
    stack = "keys" if "kms" in address else "storage"
    attached.setdefault((stack, address), {})[check] = entry(name="too/broad")
    result = gate.apply_suppressions(cached_checkov, attached, ["keys", "storage"])
    assert not result.ok
    assert result.failures == []
    [message] = result.stale
    assert "'too/broad'" in message and address in message and why in message


@pytest.mark.slow
def test_suppressions_of_stacks_not_scanned_are_not_judged(cached_checkov):
    attached = suppress_all(cached_checkov)
    attached[("other", "aws_s3_bucket.x")] = {"CKV_AWS_18": entry()}
    assert gate.apply_suppressions(cached_checkov, attached, ["keys", "storage"]).ok


@pytest.mark.slow
def test_cli_exit_codes_json_and_sarif(tmp_path, cached_checkov, capsys):
    assert gate.main(["--out", str(FIXTURE_OUT)]) == 1
    assert "GATE FAILED" in capsys.readouterr().out

    out = with_attached(tmp_path, suppress_all(cached_checkov, "fixture"))
    sarif_path = tmp_path / "gate.sarif"
    code = gate.main(["--out", str(out), "--sarif", str(sarif_path), "--json"])
    assert code == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["ok"] is True and printed["failures"] == []
    sarif = json.loads(sarif_path.read_text())
    assert sarif["version"] == "2.1.0"
    results = sarif["runs"][0]["results"]
    assert results and all(r["suppressions"][0]["justification"] == "fixture" for r in results)


@pytest.mark.slow
def test_terraform_skip_is_loud(tmp_path, cached_checkov, monkeypatch, capsys):
    monkeypatch.setattr(gate.terraform, "terraform_available", lambda: "no Terraform CLI (test)")
    monkeypatch.delenv("CI", raising=False)
    out = with_attached(tmp_path, suppress_all(cached_checkov))
    assert gate.main(["--out", str(out), "--terraform"]) == 0
    printed = capsys.readouterr()
    assert "WARNING: terraform validate SKIPPED: no Terraform CLI (test)" in printed.out
    assert "GATE PASSED (without terraform validate)" in printed.out
    assert "WARNING: terraform validate SKIPPED" in printed.err  # the loud banner
    # Under CI the same gate fails, naming the reason (exit 2: it could not give a verdict).
    monkeypatch.setenv("CI", "true")
    assert gate.main(["--out", str(out), "--terraform"]) == 2
    assert "terraform validate cannot run here under CI=true: no Terraform CLI (test)" in capsys.readouterr().err
