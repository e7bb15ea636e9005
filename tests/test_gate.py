"""The checkov gate: suppressions file, verdict, refusal of required_version, CLI and SARIF.

checkov runs once per session (module fixture, ~5 s); every suppression variant is applied to
that same raw report, because applying suppressions is the gate's own pure step.
"""

import json
from pathlib import Path

import pytest

from boi import gate

FIXTURE_OUT = Path(__file__).parent / "fixtures" / "gate" / "out"
STORAGE_STACK = FIXTURE_OUT / "stacks" / "storage" / "cdk.tf.json"


def write(tmp_path: Path, text: str, name: str = "suppressions.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def entry_yaml(stack: str, resource: str, check: str, reason: str = "accepted for the test") -> str:
    return f"- stack: {stack}\n  resource: {resource}\n  check: {check}\n  reason: {reason}\n"


# ---------------------------------------------------------------- suppressions file (no checkov)


def test_committed_suppressions_file_loads():
    assert isinstance(gate.load_suppressions(gate.DEFAULT_SUPPRESSIONS), list)


def test_valid_entry_loads(tmp_path):
    [s] = gate.load_suppressions(write(tmp_path, entry_yaml("storage", "aws_s3_bucket.docs", "CKV_AWS_18", "why")))
    assert (s.index, s.stack, s.resource, s.check, s.reason) == (
        0,
        "storage",
        "aws_s3_bucket.docs",
        "CKV_AWS_18",
        "why",
    )


def test_yaml_syntax_error_is_reported(tmp_path):
    with pytest.raises(gate.GateError, match="not valid YAML"):
        gate.load_suppressions(write(tmp_path, "- stack: [unclosed\n"))


def test_top_level_must_be_a_list(tmp_path):
    with pytest.raises(gate.GateError, match="top level is a dict; expected a list"):
        gate.load_suppressions(write(tmp_path, "stack: storage\n"))


@pytest.mark.parametrize("reason_line", ["", "  reason:\n", "  reason: '   '\n"])
def test_suppression_without_reason_fails(tmp_path, reason_line):
    text = "- stack: storage\n  resource: aws_s3_bucket.docs\n  check: CKV_AWS_18\n" + reason_line
    with pytest.raises(gate.GateError) as err:
        gate.load_suppressions(write(tmp_path, text))
    assert "entry 0: field 'reason' is missing or empty" in str(err.value)


def test_bad_fields_are_named_with_value_and_allowed_form(tmp_path):
    text = entry_yaml("storage", "aws_s3_bucket.docs", "CKV_AWS_18") + entry_yaml(
        "storage", "aws_s3_bucket.docs", "S3_ENCRYPTION"
    )
    text += "- stack: storage\n  resource: bucket docs\n  check: CKV_AWS_21\n  reason: r\n  reson: typo\n"
    text += "- just a string\n"
    with pytest.raises(gate.GateError) as err:
        gate.load_suppressions(write(tmp_path, text))
    message = str(err.value)
    assert "entry 1: field 'check' = 'S3_ENCRYPTION' is not a checkov check id" in message
    assert "CKV_AWS_18" in message  # the allowed form is shown
    assert "entry 2: unknown field 'reson'" in message
    assert "entry 2: field 'resource' = 'bucket docs' is not a Terraform resource address" in message
    assert "entry 3: is 'just a string'" in message


def test_duplicate_entries_fail(tmp_path):
    text = entry_yaml("storage", "aws_s3_bucket.docs", "CKV_AWS_18") * 2
    with pytest.raises(gate.GateError, match="entry 1: duplicates entry 0"):
        gate.load_suppressions(write(tmp_path, text))


def test_missing_suppressions_file_fails(tmp_path):
    with pytest.raises(gate.GateError, match="file not found"):
        gate.load_suppressions(tmp_path / "nope.yaml")


# ---------------------------------------------------------------- stacks and parsing (no checkov)


def test_out_dir_without_stacks_fails(tmp_path):
    with pytest.raises(gate.GateError, match="no 'stacks' folder"):
        gate.find_stacks(tmp_path)


def test_required_version_is_refused_before_checkov(tmp_path, monkeypatch, capsys):
    stack = tmp_path / "out" / "stacks" / "pinned"
    stack.mkdir(parents=True)
    doc = json.loads(STORAGE_STACK.read_text())
    doc["terraform"]["required_version"] = ">= 1.5"
    (stack / "cdk.tf.json").write_text(json.dumps(doc))

    def must_not_run(_stacks):
        raise AssertionError("checkov must not run on a stack that sets required_version")

    monkeypatch.setattr(gate, "run_checkov", must_not_run)
    code = gate.main(["--out", str(tmp_path / "out"), "--suppressions", str(gate.DEFAULT_SUPPRESSIONS)])
    err = capsys.readouterr().err
    assert code == 2
    assert "stack 'pinned'" in err and "terraform.required_version = '>= 1.5'" in err and "#7454" in err


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
    result = gate.apply_suppressions(report, [], ["x"])
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


def suppress_all(report: gate.CheckovReport, reason: str = "accepted for the test") -> str:
    failed = sorted({(r.stack, r.resource, r.check_id) for r in report.records if r.result == "FAILED"})
    return "".join(entry_yaml(*key, reason) for key in failed)


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
    result = gate.apply_suppressions(cached_checkov, [], ["keys", "storage"])
    assert not result.ok
    summary = gate.format_summary(result)
    assert "storage  aws_s3_bucket.docs  CKV_AWS_145  Ensure that S3 buckets are encrypted with KMS" in summary
    assert result.stacks["storage"].failed >= 1 and result.stacks["storage"].passed >= 1


@pytest.mark.slow
def test_matching_suppressions_pass_and_are_reported(tmp_path, cached_checkov):
    suppressions = gate.load_suppressions(write(tmp_path, suppress_all(cached_checkov, "fixture bucket")))
    result = gate.apply_suppressions(cached_checkov, suppressions, ["keys", "storage"])
    assert result.ok, gate.format_summary(result)
    assert result.stacks["storage"].failed == 0
    assert result.stacks["storage"].suppressed == len([s for s in suppressions if s.stack == "storage"])
    assert "storage  aws_s3_bucket.docs  CKV_AWS_145  reason: fixture bucket" in gate.format_summary(result)


@pytest.mark.slow
def test_suppression_covers_only_its_own_resource(tmp_path, cached_checkov):
    # CKV2_AWS_64 fails on both KMS keys; suppressing it for one must leave the other failing.
    text = suppress_all(cached_checkov).replace(entry_yaml("keys", "aws_kms_key.audit", "CKV2_AWS_64"), "")
    result = gate.apply_suppressions(cached_checkov, gate.load_suppressions(write(tmp_path, text)), [])
    assert [(r.stack, r.resource, r.check_id) for r in result.failures] == [
        ("keys", "aws_kms_key.audit", "CKV2_AWS_64")
    ]


@pytest.mark.slow
@pytest.mark.parametrize(
    ("entry", "why"),
    [
        (entry_yaml("keys", "aws_kms_key.audit", "CKV_AWS_7"), "the check passes now"),
        (entry_yaml("gone", "aws_s3_bucket.docs", "CKV_AWS_18"), "stack 'gone' is not in the output"),
        (entry_yaml("storage", "aws_s3_bucket.old", "CKV_AWS_18"), "no resource 'aws_s3_bucket.old'"),
    ],
)
def test_stale_suppression_fails(tmp_path, cached_checkov, entry, why):
    text = suppress_all(cached_checkov) + entry
    suppressions = gate.load_suppressions(write(tmp_path, text))
    result = gate.apply_suppressions(cached_checkov, suppressions, ["keys", "storage"])
    assert not result.ok
    assert result.failures == []
    [message] = result.stale
    assert f"entry {len(suppressions) - 1}" in message and why in message


@pytest.mark.slow
def test_cli_exit_codes_json_and_sarif(tmp_path, cached_checkov, capsys):
    none = write(tmp_path, "[]\n", "none.yaml")
    assert gate.main(["--out", str(FIXTURE_OUT), "--suppressions", str(none)]) == 1
    assert "GATE FAILED" in capsys.readouterr().out

    full = write(tmp_path, suppress_all(cached_checkov, "fixture"), "full.yaml")
    sarif_path = tmp_path / "gate.sarif"
    code = gate.main(["--out", str(FIXTURE_OUT), "--suppressions", str(full), "--sarif", str(sarif_path), "--json"])
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
    full = write(tmp_path, suppress_all(cached_checkov), "full.yaml")
    assert gate.main(["--out", str(FIXTURE_OUT), "--suppressions", str(full), "--terraform"]) == 0
    assert "terraform validate SKIPPED: no Terraform CLI (test)" in capsys.readouterr().out


@pytest.mark.slow
def test_stack_glob_covers_every_environment_and_can_go_stale(tmp_path, cached_checkov):
    text = suppress_all(cached_checkov).replace("- stack: storage\n", "- stack: stor*\n")
    result = gate.apply_suppressions(cached_checkov, gate.load_suppressions(write(tmp_path, text)), [])
    assert result.ok, gate.format_summary(result)

    stale = entry_yaml("boi-*-platform", "aws_s3_bucket.docs", "CKV_AWS_18")
    result = gate.apply_suppressions(cached_checkov, gate.load_suppressions(write(tmp_path, text + stale)), [])
    assert not result.ok and "stack 'boi-*-platform' is not in the output" in result.stale[0]
