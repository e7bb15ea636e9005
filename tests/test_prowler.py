"""boi.prowler: Prowler's OCSF findings judged against reviewed exceptions.

Pure tests run on small OCSF and stderr fixtures (tests/fixtures/prowler) and on a stand-in for
the Prowler interpreter; one e2e test runs the real Prowler (tools/prowler) against a moto server
on loopback. That one runs only when asked (BOI_E2E=1 or -m e2e); then, under CI=true, a missing
Prowler fails it instead of skipping it.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import re
import socket
import subprocess
import sys
import textwrap
import time
import urllib.request
from pathlib import Path

import pytest

from boi import prowler

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "prowler"
OCSF = FIXTURES / "findings.ocsf.json"
STDERR = FIXTURES / "stderr.log"
ACCOUNT = "123456789012"


def scan_of(findings_path: Path = OCSF, services=("s3", "kms", "iam"), errors=None) -> prowler.ScanResult:
    return prowler.ScanResult(
        findings=prowler.parse_ocsf(findings_path),
        errors=prowler.parse_stderr(STDERR.read_text()) if errors is None else errors,
        exit_code=3,
        seconds=1.0,
        prowler_version=prowler.ocsf_version(findings_path),
        region="us-east-1",
        services=tuple(services),
    )


def write_exceptions(tmp_path: Path, text: str) -> Path:
    """The entries (a YAML list) as the catalog holds them, under `exceptions:`."""
    path = tmp_path / "exceptions.yaml"
    entries = textwrap.dedent(text).strip("\n")
    path.write_text("exceptions:\n" + textwrap.indent(entries, "  ") + "\n")
    return path


# ---------------------------------------------------------------- OCSF parser


def test_parse_ocsf_reads_check_status_service_resource_region():
    findings = prowler.parse_ocsf(OCSF)
    assert len(findings) == 10
    first = findings[0]
    assert (first.check_id, first.status, first.service, first.resource, first.region) == (
        "s3_bucket_default_encryption",
        "FAIL",
        "s3",
        "arn:aws:s3:::boi-dev-plain",
        "us-east-1",
    )
    assert first.severity == "Medium"
    assert "does not have Server Side Encryption" in first.detail
    assert {f.status for f in findings} == {"PASS", "FAIL", "MANUAL"}
    account = next(f for f in findings if f.check_id == "s3_account_level_public_access_blocks")
    assert account.resource == f"arn:aws:s3:us-east-1:{ACCOUNT}:account"
    assert [f.check_id for f in findings if f.muted] == ["iam_password_policy_minimum_length_14"]
    assert prowler.ocsf_version(OCSF) == "5.46.0"


def test_parse_ocsf_accepts_data_and_an_empty_file(tmp_path):
    data = json.loads(OCSF.read_text())
    assert prowler.parse_ocsf(data[:2]) == prowler.parse_ocsf(OCSF)[:2]
    empty = tmp_path / "empty.json"
    empty.write_text("")
    assert prowler.parse_ocsf(empty) == []


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"findings": []}', "top level is a dict"),
        ('[{"status_code": "FAIL", "resources": []}]', "finding 0 is not an OCSF Detection Finding"),
        (
            '[{"metadata": {"event_code": "x"}, "status_code": "BROKEN", "resources": [{"uid": "r"}]}]',
            "status_code 'BROKEN'",
        ),
        ("[{", "not valid JSON"),
    ],
)
def test_parse_ocsf_rejects_what_is_not_prowler_output(tmp_path, content, message):
    path = tmp_path / "bad.ocsf.json"
    path.write_text(content)
    with pytest.raises(prowler.ProwlerError, match=message):
        prowler.parse_ocsf(path)


# ---------------------------------------------------------------- stderr


def test_parse_stderr_keeps_error_records_only():
    errors = prowler.parse_stderr(STDERR.read_text())
    # 8 ERROR records; the WARNING and the HTML continuation lines are not errors
    assert len(errors) == 8
    assert [e.service for e in errors] == ["accessanalyzer", "s3", "iam", "config", "ec2", "kms", "kms", "s3"]
    first = errors[0]
    assert (first.module, first.file, first.operation, first.code) == (
        "accessanalyzer_service",
        "accessanalyzer_service.py:57",
        "ListAnalyzers",
        "500",
    )
    assert "\n" not in first.message and "<html" not in first.message


def test_not_evaluated_groups_errors_by_service_and_call():
    lines = prowler.not_evaluated(prowler.parse_stderr(STDERR.read_text()))
    assert lines == [
        "accessanalyzer: ListAnalyzers failed (500); checks needing it gave no finding",
        "config: ListDelegatedAdministrators failed (InvalidInputException); checks needing it gave no finding",
        "ec2: ResponseParserError: Unable to parse response (syntax error: line 1, column 0), invalid XML received. "
        "Further retries may succeed: at ec2_service.py:566; checks needing it gave no finding",
        "iam: ResponseParserError: Unable to parse response (syntax error: line 1, column 0), invalid XML received. "
        "Further retries may succeed: at iam_service.py:1109; checks needing it gave no finding",
        "kms: KeyError -- 'MultiRegion' at kms_service.py:64 (2 times); checks needing it gave no finding",
        "s3: GetBucketEncryption failed (ServerSideEncryptionConfigurationNotFoundError) (2 times); "
        "checks needing it gave no finding",
    ]


# ---------------------------------------------------------------- exceptions file


def test_reviewed_exceptions_file_is_valid_and_sorted():
    entries = prowler.load_exceptions(prowler.DEFAULT_EXCEPTIONS)
    assert entries, "the e2e scan's reviewed FAILs"
    keys = [(e.check, e.resource) for e in entries]
    assert keys == sorted(keys), "keep entries sorted by check, resource"
    assert all(e.kind in prowler.KINDS and len(e.reason) >= 20 for e in entries)


def test_load_exceptions_reads_entries_with_default_kind(tmp_path):
    path = write_exceptions(
        tmp_path,
        """
        - check: s3_bucket_object_lock
          resource: "arn:aws:s3:::boi-*-access-logs"
          reason: Access logs expire by lifecycle; Object Lock would block that.
        - check: s3_account_level_public_access_blocks
          resource: arn:aws:s3:us-east-1:123456789012:account
          kind: emulator
          reason: >-
            moto keeps no account-level Block Public Access; the bootstrap stack sets it on AWS.
        """,
    )
    entries = prowler.load_exceptions(path)
    assert [(e.index, e.check, e.kind) for e in entries] == [
        (0, "s3_bucket_object_lock", "accepted"),
        (1, "s3_account_level_public_access_blocks", "emulator"),
    ]
    assert entries[1].reason.startswith("moto keeps no account-level")


def test_load_exceptions_rejects_missing_reason_naming_the_entry(tmp_path):
    path = write_exceptions(
        tmp_path,
        """
        - check: kms_cmk_rotation_enabled
          resource: arn:aws:kms:us-east-1:123456789012:key/2222
          reason: The key is rotated by hand every 90 days (runbook KMS-2).
        - check: s3_bucket_object_lock
          resource: "arn:aws:s3:::boi-*-access-logs"
        """,
    )
    with pytest.raises(prowler.ExceptionsFileError) as err:
        prowler.load_exceptions(path)
    message = str(err.value)
    assert f"{path}: exceptions.1.reason: Field required" in message
    assert "exceptions.0" not in message


def test_load_exceptions_reports_every_problem_at_once(tmp_path):
    path = write_exceptions(
        tmp_path,
        """
        - check: s3_bucket_object_lock
          resource: "arn:aws:s3:::a"
          reason: "   "
        - check: S3-Bucket
          resource: "arn:aws:s3:::b"
          reason: a reason long enough to read
          kind: waived
          owner: me
        - just a string
        """,
    )
    with pytest.raises(prowler.ExceptionsFileError) as err:
        prowler.load_exceptions(path)
    lines = str(err.value).splitlines()
    assert lines[0] == "invalid exceptions file:"
    message = "\n".join(lines)
    assert "exceptions.0.reason: String should have at least 20 characters" in message
    assert "exceptions.1.check: String should match pattern '^[a-z0-9][a-z0-9_]*$' (got 'S3-Bucket')" in message
    assert "exceptions.1.kind: Input should be 'accepted' or 'emulator' (got 'waived')" in message
    allowed = "allowed fields: check, resource, kind, reason"
    assert f"exceptions.1.owner: Extra inputs are not permitted; {allowed}" in message
    assert "exceptions.2: Input should be a valid dictionary or instance of ProwlerException" in message


def test_load_exceptions_rejects_the_same_check_and_resource_twice(tmp_path):
    path = write_exceptions(
        tmp_path,
        """
        - check: s3_bucket_object_lock
          resource: "arn:aws:s3:::c"
          reason: a reason long enough to read
        - check: s3_bucket_object_lock
          resource: "arn:aws:s3:::c"
          reason: the same entry a second time
        """,
    )
    with pytest.raises(prowler.ExceptionsFileError, match=r"entries 1 duplicates 0 \(s3_bucket_object_lock"):
        prowler.load_exceptions(path)


@pytest.mark.parametrize(
    ("text", "message"),
    [("- check: x", "(top level): Input should be a valid dictionary"), ("- [", "not valid YAML")],
)
def test_load_exceptions_rejects_a_file_that_is_not_the_catalog(tmp_path, text, message):
    path = tmp_path / "exceptions.yaml"
    path.write_text(text)
    with pytest.raises(prowler.ExceptionsFileError, match=re.escape(message)):
        prowler.load_exceptions(path)


def test_load_exceptions_missing_file(tmp_path):
    with pytest.raises(prowler.ExceptionsFileError, match="catalog file not found"):
        prowler.load_exceptions(tmp_path / "nope.yaml")


# ---------------------------------------------------------------- verdict


def test_judge_applies_glob_and_exact_exceptions(tmp_path):
    entries = prowler.load_exceptions(
        write_exceptions(
            tmp_path,
            """
            - check: s3_bucket_object_lock
              resource: "arn:aws:s3:::boi-*-access-logs"
              reason: Access logs expire by lifecycle; Object Lock would block that.
            - check: s3_account_level_public_access_blocks
              resource: arn:aws:s3:us-east-1:123456789012:account
              kind: emulator
              reason: moto keeps no account-level Block Public Access.
            """,
        )
    )
    verdict = prowler.judge(scan_of(), entries)
    assert not verdict.ok
    assert [(f.check_id, f.resource) for f in verdict.failures] == [
        ("s3_bucket_default_encryption", "arn:aws:s3:::boi-dev-plain"),
        ("kms_cmk_rotation_enabled", "arn:aws:kms:us-east-1:123456789012:key/2222"),
        # Prowler muted it (its default mutelist); only our reviewed file may
        ("iam_password_policy_minimum_length_14", "arn:aws:iam:us-east-1:123456789012:password-policy"),
    ]
    assert sorted((f.resource, e.index) for f, e in verdict.excepted) == [
        ("arn:aws:s3:::boi-dev-access-logs", 0),
        ("arn:aws:s3:::boi-prod-access-logs", 0),
        (f"arn:aws:s3:us-east-1:{ACCOUNT}:account", 1),
    ]
    assert verdict.stale == []


def test_judge_without_unreviewed_fail_is_ok(tmp_path):
    data = [f for f in json.loads(OCSF.read_text()) if f["status_code"] != "FAIL"]
    path = tmp_path / "pass.ocsf.json"
    path.write_text(json.dumps(data))
    verdict = prowler.judge(scan_of(path, errors=[]), [])
    assert verdict.ok and verdict.failures == []
    assert verdict.not_evaluated == ["iam: no finding at all (nothing of it deployed, or its checks could not run)"]
    assert verdict.silent_services == ["iam"]


def test_judge_reports_stale_entries_with_why(tmp_path):
    entries = prowler.load_exceptions(
        write_exceptions(
            tmp_path,
            """
            - check: s3_bucket_default_encryption
              resource: arn:aws:s3:::boi-dev-data
              reason: was unencrypted once
            - check: kms_cmk_rotation_enabled
              resource: arn:aws:kms:us-east-1:123456789012:key/9999
              reason: a key that is gone now
            - check: dynamodb_tables_kms_cmk_encryption_enabled
              resource: "*"
              kind: emulator
              reason: moto reports no SSE description
            - check: s3_bucket_object_lock
              resource: "arn:aws:s3:::boi-*-access-logs"
              reason: used by the findings fixture
            """,
        )
    )
    verdict = prowler.judge(scan_of(), entries)
    assert verdict.stale == [
        "stale exception entry 0 (s3_bucket_default_encryption arn:aws:s3:::boi-dev-data): "
        "s3_bucket_default_encryption passes now for arn:aws:s3:::boi-dev-data; delete the entry",
        "stale exception entry 1 (kms_cmk_rotation_enabled arn:aws:kms:us-east-1:123456789012:key/9999): "
        "no finding of kms_cmk_rotation_enabled names a resource matching "
        "'arn:aws:kms:us-east-1:123456789012:key/9999' (it ran on arn:aws:kms:us-east-1:123456789012:key/1111, "
        "arn:aws:kms:us-east-1:123456789012:key/2222)",
        "stale exception entry 2 (dynamodb_tables_kms_cmk_encryption_enabled *): "
        "dynamodb_tables_kms_cmk_encryption_enabled gave no finding in this run "
        "(Prowler logged errors: see not evaluated)",
    ]
    # stale entries are reported, they do not fail the scan by themselves
    assert len(verdict.failures) == 4


def test_summary_table_counts_per_service(tmp_path):
    entries = prowler.load_exceptions(
        write_exceptions(
            tmp_path,
            """
            - check: s3_bucket_object_lock
              resource: "arn:aws:s3:::boi-*-access-logs"
              reason: Access logs expire by lifecycle.
            """,
        )
    )
    verdict = prowler.judge(scan_of(), entries)
    counts = {name: (c.passed, c.failed, c.excepted, c.manual) for name, c in verdict.services.items()}
    assert counts == {"s3": (2, 2, 2, 0), "kms": (1, 1, 0, 1), "iam": (0, 1, 0, 0)}
    assert prowler.summary_table(verdict).splitlines() == [
        "| Service | PASS | FAIL (unreviewed) | FAIL (excepted) | MANUAL |",
        "| --- | ---: | ---: | ---: | ---: |",
        "| iam | 0 | 1 | 0 | 0 |",
        "| kms | 1 | 1 | 0 | 1 |",
        "| s3 | 2 | 2 | 2 | 0 |",
        "| **total** | 3 | 4 | 2 | 1 |",
    ]


def test_write_summary_json(tmp_path):
    result = scan_of()
    verdict = prowler.judge(result, [])
    path = prowler.write_summary(result, verdict, tmp_path)
    assert path == tmp_path / "prowler-summary.json"
    summary = json.loads(path.read_text())
    assert summary["ok"] is False
    assert summary["prowler_version"] == "5.46.0"
    assert summary["findings"] == 10 and summary["errors_logged"] == 8
    assert len(summary["unreviewed_failures"]) == 6
    assert summary["services"]["s3"] == {"passed": 2, "failed": 4, "excepted": 0, "manual": 0}
    assert summary["not_evaluated"][0].startswith("accessanalyzer: ListAnalyzers failed (500)")
    assert summary["table"] == prowler.summary_table(verdict)


# ---------------------------------------------------------------- running it (without Prowler)


def test_missing_prowler_says_how_to_install(monkeypatch, tmp_path):
    monkeypatch.setenv(prowler.PYTHON_ENV_VAR, str(tmp_path / "no-python"))
    with pytest.raises(prowler.ProwlerUnavailable) as err:
        prowler.run_scan("http://127.0.0.1:1", "us-east-1", tmp_path / "out")
    assert "Prowler is not installed" in str(err.value)
    assert "make tools/prowler/.venv/.synced" in str(err.value)
    assert prowler.prowler_unavailable_reason() == str(err.value)


@pytest.mark.parametrize(
    "url", ["http://10.0.0.1:5000", "https://s3.amazonaws.com", "http://127.0.0.1:5000/x", "ftp://127.0.0.1"]
)
def test_only_an_emulator_on_loopback_is_scanned(url):
    with pytest.raises(prowler.ProwlerError, match="an emulator on loopback"):
        prowler.check_endpoint(url)


def test_check_endpoint_accepts_loopback():
    assert prowler.check_endpoint("http://127.0.0.1:5000/") == "http://127.0.0.1:5000"
    assert prowler.check_endpoint("http://localhost:5000") == "http://localhost:5000"
    assert prowler.check_endpoint("http://[::1]:5000") == "http://[::1]:5000"


def test_prowler_env_points_at_the_emulator_only():
    base = {
        "PATH": "/usr/bin",
        "AWS_PROFILE": "prod",
        "AWS_ACCESS_KEY_ID": "AKIAREAL",
        "AWS_ENDPOINT_URL_S3": "https://s3.amazonaws.com",
        "PYTHONDONTWRITEBYTECODE": "1",
        "HTTPS_PROXY": "http://proxy:3128",
        "LOG_LEVEL": "DEBUG",
    }
    env = prowler.prowler_env("http://127.0.0.1:5000", "eu-west-1", base)
    assert env["PATH"] == "/usr/bin"
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL_S3", "PYTHONDONTWRITEBYTECODE", "HTTPS_PROXY", "LOG_LEVEL"):
        assert name not in env
    assert env["AWS_ACCESS_KEY_ID"] == env["AWS_SECRET_ACCESS_KEY"] == env["AWS_SESSION_TOKEN"] == "testing"
    assert env["AWS_ENDPOINT_URL"] == "http://127.0.0.1:5000"
    assert env["AWS_REGION"] == env["AWS_DEFAULT_REGION"] == "eu-west-1"
    assert env["AWS_EC2_METADATA_DISABLED"] == "true"
    assert env["AWS_CONFIG_FILE"] == env["AWS_SHARED_CREDENTIALS_FILE"] == os.devnull


FAKE_PROWLER = """\
#!{python}
# Stands in for tools/prowler/.venv/bin/python: records how it was called, then acts per FAKE_PROWLER_MODE.
import json, os, shutil, sys
args = sys.argv[1:]
out = args[args.index("--output-directory") + 1]
name = args[args.index("--output-filename") + 1]
with open(os.path.join(out, "fake-call.json"), "w") as f:
    json.dump({{"argv": args, "cwd": os.getcwd(), "env": dict(os.environ)}}, f)
mode = os.environ["FAKE_PROWLER_MODE"]
if mode == "crash":
    sys.stderr.write("Traceback (most recent call last):\\nValueError: no such service: s4\\n")
    sys.exit(1)
if mode == "nothing":
    sys.exit(0)
shutil.copy({ocsf!r}, os.path.join(out, name + ".ocsf.json"))
sys.stderr.write(open({stderr!r}).read())
sys.exit(3)
"""


@pytest.fixture
def fake_prowler(tmp_path, monkeypatch):
    script = tmp_path / "fake-python"
    script.write_text(FAKE_PROWLER.format(python=sys.executable, ocsf=str(OCSF), stderr=str(STDERR)))
    script.chmod(0o755)
    monkeypatch.setenv(prowler.PYTHON_ENV_VAR, str(script))
    monkeypatch.setenv("FAKE_PROWLER_MODE", "fail")
    monkeypatch.setenv("AWS_PROFILE", "somebody-elses")
    return script


def test_run_scan_calls_prowler_and_reads_its_output(fake_prowler, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "prowler.ocsf.json").write_text("[]")  # a previous run's output is never read
    result = prowler.run_scan(
        "http://127.0.0.1:5000", "us-east-1", out, services=["s3", "kms"], excluded=["ec2_elastic_ip_shodan"]
    )
    assert result.exit_code == 3 and len(result.findings) == 10 and len(result.errors) == 8
    assert result.prowler_version == "5.46.0" and result.services == ("s3", "kms")
    assert result.ocsf_path == out / "prowler.ocsf.json"
    assert (out / "prowler.stderr.log").read_text() == STDERR.read_text()
    call = json.loads((out / "fake-call.json").read_text())
    argv = call["argv"]
    assert argv[0] == str(prowler.WRAPPER) and argv[1] == "aws"
    assert argv[argv.index("--services") + 1 : argv.index("--services") + 3] == ["s3", "kms"]
    excluded = argv[argv.index("--excluded-check") + 1 : argv.index("--scan-unused-services")]
    assert excluded == ["ec2_elastic_ip_shodan", "awslambda_function_no_secrets_in_code"]  # always excluded
    assert argv[argv.index("--output-formats") + 1] == "json-ocsf"
    assert call["cwd"] == str(out)
    assert "AWS_PROFILE" not in call["env"] and call["env"]["AWS_ENDPOINT_URL"] == "http://127.0.0.1:5000"


@pytest.mark.parametrize(
    ("mode", "message"), [("crash", r"Prowler failed \(exit 1\)"), ("nothing", "wrote no findings")]
)
def test_run_scan_raises_when_prowler_fails(fake_prowler, tmp_path, monkeypatch, mode, message):
    monkeypatch.setenv("FAKE_PROWLER_MODE", mode)
    with pytest.raises(prowler.ProwlerError, match=message) as err:
        prowler.run_scan("http://127.0.0.1:5000", "us-east-1", tmp_path / "out")
    if mode == "crash":
        assert "no such service: s4" in str(err.value)


def test_cli_exit_codes(fake_prowler, tmp_path, monkeypatch, capsys):
    out = tmp_path / "out"
    args = ["--endpoint", "http://127.0.0.1:5000", "--out", str(out), "--services", "s3", "kms", "iam"]
    # unreviewed FAILs: 1, with the report and the summary JSON
    nothing_reviewed = tmp_path / "none.yaml"
    nothing_reviewed.write_text("exceptions: []\n")
    assert prowler.main([*args, "--exceptions", str(nothing_reviewed)]) == 1
    report = capsys.readouterr().out
    assert "UNREVIEWED FAIL (6):" in report and "prowler: FAILED (6 unreviewed FAIL)" in report
    assert "not evaluated (6):" in report
    assert json.loads((out / "prowler-summary.json").read_text())["ok"] is False
    # every FAIL reviewed: 0
    covering = write_exceptions(
        tmp_path,
        """
        - check: s3_bucket_default_encryption
          resource: arn:aws:s3:::boi-dev-plain
          reason: reviewed for this test
        - check: s3_bucket_object_lock
          resource: "arn:aws:s3:::boi-*"
          reason: reviewed for this test
        - check: s3_account_level_public_access_blocks
          resource: "*"
          kind: emulator
          reason: reviewed for this test
        - check: kms_cmk_rotation_enabled
          resource: "*"
          reason: reviewed for this test
        - check: iam_password_policy_minimum_length_14
          resource: "*"
          reason: reviewed for this test
        """,
    )
    assert prowler.main([*args, "--exceptions", str(covering), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["ok"] is True
    # a bad exceptions file: 2, before Prowler runs
    (out / "fake-call.json").unlink()
    bad = tmp_path / "bad.yaml"
    bad.write_text("exceptions:\n- check: s3_bucket_object_lock\n  resource: x\n")
    assert prowler.main([*args, "--exceptions", str(bad)]) == 2
    assert "exceptions.0.reason: Field required" in capsys.readouterr().err
    assert not (out / "fake-call.json").exists()
    # Prowler crashes: 2; Prowler missing: 2
    monkeypatch.setenv("FAKE_PROWLER_MODE", "crash")
    assert prowler.main(args) == 2
    monkeypatch.setenv(prowler.PYTHON_ENV_VAR, str(tmp_path / "missing"))
    assert prowler.main(args) == 2
    assert "Prowler is not installed" in capsys.readouterr().err


# ---------------------------------------------------------------- the wrapper's name resolution


@pytest.fixture
def wrapper():
    spec = importlib.util.spec_from_file_location("run_prowler", prowler.WRAPPER)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # imports no Prowler at module level
    return module


def test_wrapper_resolves_account_prefixed_loopback_names(wrapper):
    # botocore's S3 Control endpoint for AWS_ENDPOINT_URL=http://127.0.0.1:PORT
    infos = wrapper._getaddrinfo(f"{ACCOUNT}.127.0.0.1", 5000, type=socket.SOCK_STREAM)
    assert {info[4][0] for info in infos} == {"127.0.0.1"}
    assert {info[4][0] for info in wrapper._getaddrinfo("127.0.0.1", 5000, type=socket.SOCK_STREAM)} == {"127.0.0.1"}


@pytest.mark.parametrize(
    "host", ["ip-ranges.amazonaws.com", "awslambda-us-east-1-tasks.s3.us-east-1.amazonaws.com", "10.0.0.1"]
)
def test_wrapper_refuses_everything_else(wrapper, host):
    with pytest.raises(socket.gaierror, match="not a loopback address"):
        wrapper._getaddrinfo(host, 443)


# ---------------------------------------------------------------- the real Prowler against moto


def _e2e_asked(config) -> bool:
    return os.environ.get("BOI_E2E") == "1" or "e2e" in (config.getoption("-m") or "")


def _free_loopback_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        assert sock.connect_ex(("127.0.0.1", port)) != 0, f"port {port} is in use"
    return port


@contextlib.contextmanager
def moto_server(log: Path):
    """A moto server in its own process on 127.0.0.1 (a free port), killed on the way out."""
    port = _free_loopback_port()
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "MOTO_EC2_LOAD_DEFAULT_AMIS": "false"}  # else ~1,300 AMI snapshots, false FAILs
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                pytest.fail(f"moto server exited ({proc.returncode}):\n{log.read_text()[-2000:]}")
            with contextlib.suppress(OSError):
                opener.open(f"{url}/moto-api/", timeout=2)
                break
            if time.monotonic() > deadline:
                pytest.fail(f"moto server did not answer on {url}:\n{log.read_text()[-2000:]}")
            time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.mark.e2e
def test_real_prowler_against_moto(request, tmp_path, monkeypatch):
    if not _e2e_asked(request.config):
        pytest.skip("runs the real Prowler against moto: run with BOI_E2E=1 or -m e2e")
    reason = prowler.prowler_unavailable_reason()
    if reason:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI: the Prowler scan must run, not skip: {reason}")
        pytest.skip(reason)
    import boto3

    monkeypatch.delenv("AWS_PROFILE", raising=False)
    region = "us-east-1"
    with moto_server(tmp_path / "moto.log") as url:
        session = boto3.session.Session(
            aws_access_key_id="testing", aws_secret_access_key="testing", region_name=region
        )
        s3 = session.client("s3", endpoint_url=url)
        kms = session.client("kms", endpoint_url=url)
        s3.create_bucket(Bucket="boi-e2e-plain")
        s3.create_bucket(Bucket="boi-e2e-encrypted")
        s3.put_bucket_encryption(
            Bucket="boi-e2e-encrypted",
            ServerSideEncryptionConfiguration={
                "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms"}}]
            },
        )
        rotated = kms.create_key(Description="rotated")["KeyMetadata"]["Arn"]
        kms.enable_key_rotation(KeyId=rotated)
        unrotated = kms.create_key(Description="not rotated")["KeyMetadata"]["Arn"]

        exceptions = write_exceptions(
            tmp_path,
            f"""
            - check: kms_cmk_rotation_enabled
              resource: {unrotated}
              reason: the test's unrotated key, accepted to prove an exact entry covers it
            - check: s3_bucket_object_lock
              resource: "arn:aws:s3:::boi-e2e-*"
              kind: emulator
              reason: the test's buckets, a glob entry
            - check: s3_bucket_default_encryption
              resource: arn:aws:s3:::boi-e2e-encrypted
              reason: stale on purpose, the bucket is encrypted
            """,
        )
        out = tmp_path / "prowler"
        result, verdict = prowler.scan_deployment(
            url, out, region=region, exceptions=exceptions, services=("s3", "kms")
        )

    status = {(f.check_id, f.resource): f.status for f in result.findings}
    assert status[("s3_bucket_default_encryption", "arn:aws:s3:::boi-e2e-plain")] == "FAIL"
    assert status[("s3_bucket_default_encryption", "arn:aws:s3:::boi-e2e-encrypted")] == "PASS"
    assert status[("s3_bucket_kms_encryption", "arn:aws:s3:::boi-e2e-encrypted")] == "PASS"
    assert status[("kms_cmk_rotation_enabled", rotated)] == "PASS"
    assert status[("kms_cmk_rotation_enabled", unrotated)] == "FAIL"
    # the wrapper's name resolution reaches S3 Control (<account>.127.0.0.1): account-level checks run
    assert ("s3_account_level_public_access_blocks", f"arn:aws:s3:{region}:{ACCOUNT}:account") in status
    assert {f.region for f in result.findings} == {region}
    assert {f.service for f in result.findings} == {"s3", "kms"}
    assert result.prowler_version == prowler.pinned_version() == "5.46.0"
    assert result.exit_code == 3

    # the verdict: exact and glob entries cover their FAILs, the rest is unreviewed, the stale entry is named
    covered = {(f.check_id, f.resource) for f, _ in verdict.excepted}
    assert ("kms_cmk_rotation_enabled", unrotated) in covered
    assert {("s3_bucket_object_lock", f"arn:aws:s3:::boi-e2e-{name}") for name in ("plain", "encrypted")} <= covered
    assert ("s3_bucket_default_encryption", "arn:aws:s3:::boi-e2e-plain") in {
        (f.check_id, f.resource) for f in verdict.failures
    }
    assert not verdict.ok
    assert len(verdict.stale) == 1 and "passes now for arn:aws:s3:::boi-e2e-encrypted" in verdict.stale[0]

    # every ERROR line Prowler logged is collected, none hidden
    stderr = (out / prowler.STDERR_FILE).read_text()
    assert len(result.errors) == stderr.count(" ERROR: ") + stderr.count(" CRITICAL: ")
    summary = json.loads((out / prowler.SUMMARY_FILE).read_text())
    assert summary["errors_logged"] == len(result.errors)
    assert summary["services"]["kms"]["excepted"] == 1
    assert (out / prowler.OCSF_FILE).is_file()
    print(f"\nProwler {result.prowler_version}: {len(result.findings)} findings in {result.seconds} s")
    print(prowler.format_report(result, verdict))
