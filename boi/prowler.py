"""Prowler, an outside scanner, run against the deployment on the embedded AWS (a moto server on loopback).

The checkov gate (boi.gate) reads the synthesized Terraform; this reads what was actually created.
Prowler runs in its own locked environment (tools/prowler: its pins clash with the app's) through
tools/prowler/run_prowler.py, which keeps every connection on loopback. Its OCSF findings are judged
against a reviewed exceptions file (catalogs/gate/prowler_exceptions.yaml): a FAIL that no entry covers fails
the caller; an entry that covers no FAIL is stale and reported.

Nothing is hidden: when a service call fails against the emulator, Prowler logs an ERROR line and
carries on, and the checks that needed the call give no finding at all. Those lines are collected,
grouped and reported as "not evaluated", and so is every requested service that gave no finding.

Entry point for callers (the e2e): `scan_deployment(endpoint_url, out_dir)` -> (ScanResult, Verdict).
Pieces: run_scan, parse_ocsf, parse_stderr, load_exceptions, judge, summary_table, write_summary.

CLI: python -m boi.prowler --endpoint http://127.0.0.1:PORT --out DIR [--exceptions FILE] [--region R]
                           [--services s3 kms ...] [--json]
Exit codes: 0 no unreviewed FAIL, 1 unreviewed FAILs, 2 Prowler cannot run (not installed, crashed,
            no findings written) or the exceptions file is invalid.
"""

from __future__ import annotations

import argparse
import contextlib
import fnmatch
import ipaddress
import json
import os
import re
import signal
import subprocess
import sys
import time
import tomllib
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from boi_model.catalog import CatalogError, load
from boi_model.reviewed import ProwlerExceptions

from boi.catalogs import CATALOGS

REPO_ROOT = Path(__file__).resolve().parents[1]
PROWLER_PROJECT = REPO_ROOT / "tools" / "prowler"
PROWLER_PYTHON = PROWLER_PROJECT / ".venv" / "bin" / "python"
WRAPPER = PROWLER_PROJECT / "run_prowler.py"
DEFAULT_EXCEPTIONS = CATALOGS / "gate" / "prowler_exceptions.yaml"
PYTHON_ENV_VAR = "BOI_PROWLER_PYTHON"
INSTALL_HINT = (
    "install it with `make tools/prowler/.venv/.synced` (= cd tools/prowler && uv sync --frozen), "
    f"or set {PYTHON_ENV_VAR} to a Python interpreter that has prowler installed"
)

OCSF_FILE = "prowler.ocsf.json"
SUMMARY_FILE = "prowler-summary.json"
STDOUT_FILE = "prowler.stdout.log"
STDERR_FILE = "prowler.stderr.log"

DEFAULT_REGION = "us-east-1"
# The services the platform deploys (and their neighbours Prowler checks them with).
DEFAULT_SERVICES = (
    "s3", "kms", "iam", "cloudtrail", "config", "cloudwatch", "sqs", "sns", "dynamodb", "rds",
    "awslambda", "ecs", "ec2", "vpc", "secretsmanager", "apigateway", "cognito", "eventbridge",
    "backup", "guardduty", "securityhub", "accessanalyzer", "macie", "wafv2", "cloudfront", "elbv2",
    "athena",
)  # fmt: skip
# awslambda_function_no_secrets_in_code downloads each function's code from a real AWS hostname:
# always excluded. ec2_elastic_ip_shodan asks shodan.io (needs an API key): excluded by default.
ALWAYS_EXCLUDED = ("awslambda_function_no_secrets_in_code",)
DEFAULT_EXCLUDED = (*ALWAYS_EXCLUDED, "ec2_elastic_ip_shodan")
DEFAULT_TIMEOUT_S = 600.0

STATUSES = ("PASS", "FAIL", "MANUAL")
KINDS = ("accepted", "emulator")

# Variables of the caller that would send the scan elsewhere or change Prowler's behaviour.
_ENV_TO_DROP = {
    "AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ROLE_ARN", "AWS_ROLE_SESSION_NAME", "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CA_BUNDLE",
    "PYTHONDONTWRITEBYTECODE",  # Prowler imports ~2,000 modules: cached .pyc halves its start-up
    "PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "UV_PROJECT_ENVIRONMENT", "LOG_LEVEL",
    "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy",
}  # fmt: skip
FAKE_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_SESSION_TOKEN": "testing"}


class ProwlerError(Exception):
    """Prowler could not give a verdict (exit 2): not installed, crashed, timed out, wrote nothing."""


class ProwlerUnavailable(ProwlerError):
    """The Prowler environment is not installed. Under CI this is an error, never a skip."""


class ExceptionsFileError(ProwlerError):
    """The reviewed exceptions file is malformed; every problem is in the message."""


# ---------------------------------------------------------------- data


@dataclass(frozen=True)
class Finding:
    """One Prowler result for one resource."""

    check_id: str
    status: str  # PASS, FAIL or MANUAL
    service: str
    resource: str  # ARN (or Prowler's uid for account-level results)
    region: str
    severity: str = ""
    detail: str = ""
    muted: bool = False  # Prowler's own mutelist; ignored by judge(): exceptions live in our file

    def describe(self) -> str:
        return f"{self.check_id} {self.status} {self.resource} ({self.region})"


@dataclass(frozen=True)
class LogError:
    """One ERROR (or CRITICAL) record Prowler logged to stderr."""

    module: str  # e.g. kms_service
    message: str  # first line, whitespace collapsed
    file: str = ""  # e.g. kms_service.py:64

    @property
    def service(self) -> str:
        return self.module.removesuffix("_service")

    @property
    def operation(self) -> str:
        match = re.search(r"when calling the (\w+) operation", self.message)
        return match.group(1) if match else ""

    @property
    def code(self) -> str:
        match = re.search(r"An error occurred \(([^)]+)\)", self.message)
        return match.group(1) if match else ""


@dataclass
class ScanResult:
    findings: list[Finding]
    errors: list[LogError]
    exit_code: int
    seconds: float
    prowler_version: str = ""
    region: str = ""
    services: tuple[str, ...] = ()
    excluded: tuple[str, ...] = ()
    ocsf_path: Path | None = None

    @property
    def not_evaluated(self) -> list[str]:
        return not_evaluated(self.errors)


@dataclass(frozen=True)
class ExceptionEntry:
    """One reviewed entry of catalogs/gate/prowler_exceptions.yaml."""

    index: int  # position in the file, for messages
    check: str
    resource: str  # exact resource uid/ARN or a glob (fnmatch, case-sensitive)
    reason: str
    kind: str = "accepted"  # accepted: a real risk accepted; emulator: moto is not AWS here

    def describe(self) -> str:
        return f"entry {self.index} ({self.check} {self.resource})"

    def matches(self, finding: Finding) -> bool:
        return finding.check_id == self.check and fnmatch.fnmatchcase(finding.resource, self.resource)


@dataclass
class ServiceCounts:
    passed: int = 0
    failed: int = 0  # unreviewed
    excepted: int = 0  # FAIL covered by an exception entry
    manual: int = 0


@dataclass
class Verdict:
    failures: list[Finding]  # unreviewed FAILs: these fail the caller
    excepted: list[tuple[Finding, ExceptionEntry]]
    stale: list[str]  # entries matching no FAIL in this run, with why
    services: dict[str, ServiceCounts]
    not_evaluated: list[str]  # ERROR lines grouped, and requested services that gave no finding
    silent_services: list[str]
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failures

    def to_dict(self) -> dict:
        return {
            "ok": self.ok,
            "unreviewed_failures": [asdict(f) for f in self.failures],
            "excepted": [
                {**asdict(f), "exception": e.describe(), "kind": e.kind, "reason": e.reason} for f, e in self.excepted
            ],
            "stale_exceptions": self.stale,
            "services": {name: asdict(counts) for name, counts in sorted(self.services.items())},
            "not_evaluated": self.not_evaluated,
            "silent_services": self.silent_services,
            "notes": self.notes,
        }


# ---------------------------------------------------------------- parsing


def parse_ocsf(source: Path | str | list) -> list[Finding]:
    """Prowler's json-ocsf output (one JSON array of OCSF Detection Findings) -> findings."""
    if isinstance(source, list):
        data, where = source, "OCSF data"
    else:
        path = Path(source)
        where = str(path)
        try:
            text = path.read_text()
        except OSError as err:
            raise ProwlerError(f"cannot read Prowler's OCSF output {path}: {err}") from err
        try:
            data = json.loads(text) if text.strip() else []
        except json.JSONDecodeError as err:
            raise ProwlerError(f"{path}: not valid JSON ({err}); Prowler may have crashed while writing") from err
    if not isinstance(data, list):
        raise ProwlerError(f"{where}: top level is a {type(data).__name__}; expected the OCSF findings array")
    findings = []
    for index, item in enumerate(data):
        try:
            resource = (item.get("resources") or [{}])[0]
            status = item["status_code"]
            findings.append(
                Finding(
                    check_id=item["metadata"]["event_code"],
                    status=status,
                    service=(resource.get("group") or {}).get("name", ""),
                    resource=resource.get("uid", ""),
                    region=resource.get("region") or (item.get("cloud") or {}).get("region", ""),
                    severity=item.get("severity", ""),
                    detail=item.get("status_detail") or item.get("message", ""),
                    muted=item.get("status") == "Suppressed",
                )
            )
        except (AttributeError, KeyError, TypeError, IndexError) as err:
            raise ProwlerError(f"{where}: finding {index} is not an OCSF Detection Finding ({err!r})") from err
        if status not in STATUSES:
            raise ProwlerError(f"{where}: finding {index} has status_code {status!r}; expected one of {STATUSES}")
    return findings


def ocsf_version(source: Path | list) -> str:
    """Prowler's version as written in the findings (metadata.product.version), '' if none."""
    data = source if isinstance(source, list) else json.loads(Path(source).read_text() or "[]")
    for item in data:
        return str(((item.get("metadata") or {}).get("product") or {}).get("version", ""))
    return ""


# Prowler's log format (prowler/lib/logger.py), one record per line, continuation lines follow:
#   "\n%(asctime)s [File: %(filename)s:%(lineno)d] \t[Module: %(module)s]\t %(levelname)s: %(message)s"
_LOG_RECORD = re.compile(
    r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} \[File: (?P<file>[^\]]*)\]\s*\[Module: (?P<module>[^\]]*)\]\s*"
    r"(?P<level>[A-Z]+): (?P<message>.*)$"
)


def parse_stderr(text: str) -> list[LogError]:
    """The ERROR and CRITICAL records of Prowler's stderr (a record's continuation lines are dropped)."""
    errors = []
    for line in text.splitlines():
        match = _LOG_RECORD.match(line)
        if match and match["level"] in ("ERROR", "CRITICAL"):
            message = " ".join(match["message"].split())
            errors.append(LogError(module=match["module"], message=message, file=match["file"]))
    return errors


def not_evaluated(errors: Iterable[LogError]) -> list[str]:
    """ERROR records grouped by service + failed call: what Prowler could not evaluate, and why."""
    groups: Counter[tuple[str, str]] = Counter()
    for error in errors:
        if error.operation:
            what = f"{error.operation} failed ({error.code or 'error'})"
        else:
            # "us-east-1 -- ResponseParserError[558]: Unable to parse ..." -> the error, and where Prowler
            # called it (the file:line names the service function; botocore does not name the call)
            what = re.sub(r"^[a-z]{2}(-[a-z]+)+-\d -- ", "", error.message)
            what = re.sub(r"^(\w+)(\[\d+\]|:\d+)", r"\1", what)
            what = what if len(what) <= 200 else what[:197] + "..."
            what += f" at {error.file}" if error.file else ""
        groups[(error.service, what)] += 1
    lines = []
    for (service, what), count in sorted(groups.items()):
        times = f" ({count} times)" if count > 1 else ""
        lines.append(f"{service}: {what}{times}; checks needing it gave no finding")
    return lines


# ---------------------------------------------------------------- running Prowler


def prowler_python() -> Path:
    """$BOI_PROWLER_PYTHON, else tools/prowler/.venv/bin/python; ProwlerUnavailable (with how to install)."""
    configured = os.environ.get(PYTHON_ENV_VAR)
    path = Path(configured) if configured else PROWLER_PYTHON
    if not path.is_file() or not os.access(path, os.X_OK):
        origin = f"{PYTHON_ENV_VAR}={configured}" if configured else str(path)
        raise ProwlerUnavailable(f"Prowler is not installed: {origin} is not an executable file; {INSTALL_HINT}")
    return path


def prowler_unavailable_reason() -> str | None:
    """None when the Prowler interpreter is there, else why not (for tests deciding skip or fail)."""
    try:
        prowler_python()
    except ProwlerUnavailable as err:
        return str(err)
    return None


def pinned_version() -> str:
    """The prowler version locked in tools/prowler/pyproject.toml ('' if not found)."""
    try:
        project = tomllib.loads((PROWLER_PROJECT / "pyproject.toml").read_text())
    except (OSError, tomllib.TOMLDecodeError):
        return ""
    for requirement in project.get("project", {}).get("dependencies", []):
        name, _, version = requirement.partition("==")
        if name.strip() == "prowler":
            return version.strip()
    return ""


def check_endpoint(endpoint_url: str) -> str:
    """The emulator's URL, normalised; only http(s) on a loopback address (the scan never leaves the host)."""
    parts = urlsplit(endpoint_url)
    host = parts.hostname or ""
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if parts.scheme not in ("http", "https") or not loopback or parts.path not in ("", "/"):
        raise ProwlerError(
            f"endpoint {endpoint_url!r}: expected http://127.0.0.1:PORT (an emulator on loopback); "
            "this runner scans only an embedded AWS"
        )
    return f"{parts.scheme}://{parts.netloc}"


def prowler_env(endpoint_url: str, region: str, base: dict[str, str] | None = None) -> dict[str, str]:
    """The caller's environment, pointed at the emulator with fake credentials and no AWS config files."""
    env = {
        name: value
        for name, value in (os.environ if base is None else base).items()
        if name not in _ENV_TO_DROP and not name.startswith("AWS_ENDPOINT_URL_")  # per-service overrides
    }
    env.update(FAKE_CREDENTIALS)
    env.update(
        {
            "AWS_ENDPOINT_URL": endpoint_url,
            "AWS_DEFAULT_REGION": region,
            "AWS_REGION": region,
            "AWS_EC2_METADATA_DISABLED": "true",
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
            "NO_PROXY": "127.0.0.1,localhost,.127.0.0.1",
        }
    )
    return env


def prowler_command(
    python: Path, region: str, out_dir: Path, services: Sequence[str], excluded: Sequence[str]
) -> list[str]:
    return [
        str(python), str(WRAPPER), "aws",
        "--region", region,
        "--services", *services,
        "--excluded-check", *excluded,
        "--scan-unused-services",
        "--aws-retries-max-attempts", "0",
        "--output-formats", "json-ocsf",
        "--output-directory", str(out_dir),
        "--output-filename", OCSF_FILE.removesuffix(".ocsf.json"),
        "--no-banner", "--no-color", "--log-level", "ERROR",
    ]  # fmt: skip


def run_scan(
    endpoint_url: str,
    region: str,
    out_dir: Path | str,
    services: Sequence[str] = DEFAULT_SERVICES,
    excluded: Sequence[str] = DEFAULT_EXCLUDED,
    timeout: float = DEFAULT_TIMEOUT_S,
) -> ScanResult:
    """Run Prowler against the emulator at endpoint_url; write OCSF + logs into out_dir.

    Raises ProwlerUnavailable when Prowler is not installed, ProwlerError when it fails (exit other
    than 0 = no FAIL or 3 = some FAIL), times out, or writes no findings.
    """
    endpoint = check_endpoint(endpoint_url)
    if not services:
        raise ProwlerError("no services to scan")
    python = prowler_python()
    out = Path(out_dir).resolve()
    out.mkdir(parents=True, exist_ok=True)
    ocsf = out / OCSF_FILE
    ocsf.unlink(missing_ok=True)  # never read a previous run's findings
    excluded = tuple(dict.fromkeys((*excluded, *ALWAYS_EXCLUDED)))
    command = prowler_command(python, region, out, services, excluded)
    started = time.monotonic()
    proc = subprocess.Popen(
        command,
        cwd=out,
        env=prowler_env(endpoint, region),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group: a timeout kills all of it
    )
    try:
        stdout, stderr = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired as err:
        _kill_group(proc)
        raise ProwlerError(f"Prowler did not finish within {timeout:.0f} s against {endpoint}") from err
    finally:
        _kill_group(proc)
    seconds = round(time.monotonic() - started, 1)
    (out / STDOUT_FILE).write_text(stdout)
    (out / STDERR_FILE).write_text(stderr)
    if proc.returncode not in (0, 3):
        raise ProwlerError(
            f"Prowler failed (exit {proc.returncode}) against {endpoint}; stderr ({out / STDERR_FILE}) ends:\n"
            + "\n".join(stderr.strip().splitlines()[-20:])
        )
    if not ocsf.is_file() or not ocsf.read_text().strip():
        raise ProwlerError(
            f"Prowler (exit {proc.returncode}) wrote no findings to {ocsf}: nothing was evaluated; "
            f"stderr ({out / STDERR_FILE}) ends:\n" + "\n".join(stderr.strip().splitlines()[-20:])
        )
    data = json.loads(ocsf.read_text())
    return ScanResult(
        findings=parse_ocsf(data),
        errors=parse_stderr(stderr),
        exit_code=proc.returncode,
        seconds=seconds,
        prowler_version=ocsf_version(data),
        region=region,
        services=tuple(services),
        excluded=excluded,
        ocsf_path=ocsf,
    )


def _kill_group(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


# ---------------------------------------------------------------- exceptions file


def load_exceptions(path: Path | str) -> list[ExceptionEntry]:
    """Read the reviewed exceptions catalog (boi_model.reviewed.ProwlerExceptions); every problem at once,
    one line each, naming the file, the entry and what is allowed."""
    path = Path(path)
    try:
        catalog = load(ProwlerExceptions, path)
    except CatalogError as err:
        raise ExceptionsFileError("invalid exceptions file:\n  " + "\n  ".join(str(err).splitlines())) from None
    return [
        ExceptionEntry(index=i, check=e.check, resource=e.resource, reason=" ".join(e.reason.split()), kind=e.kind)
        for i, e in enumerate(catalog.exceptions)
    ]


# ---------------------------------------------------------------- verdict


def judge(result: ScanResult, exceptions: Sequence[ExceptionEntry]) -> Verdict:
    """Pure: findings + reviewed exceptions -> verdict. Prowler's own mutelist is not trusted."""
    services: dict[str, ServiceCounts] = {}
    failures: list[Finding] = []
    excepted: list[tuple[Finding, ExceptionEntry]] = []
    used: set[int] = set()
    for finding in result.findings:
        counts = services.setdefault(finding.service or "?", ServiceCounts())
        if finding.status == "PASS":
            counts.passed += 1
        elif finding.status == "MANUAL":
            counts.manual += 1
        else:
            entry = next((e for e in exceptions if e.matches(finding)), None)
            if entry is None:
                counts.failed += 1
                failures.append(finding)
            else:
                counts.excepted += 1
                used.add(entry.index)
                excepted.append((finding, entry))
    stale = [f"stale exception {e.describe()}: {_why_stale(e, result)}" for e in exceptions if e.index not in used]
    silent = [
        name
        for name in result.services
        if not any(f.service == name or f.check_id.startswith(f"{name}_") for f in result.findings)
    ]
    notes = []
    pinned = pinned_version()
    if result.prowler_version and pinned and result.prowler_version != pinned:
        notes.append(f"Prowler {result.prowler_version} ran; tools/prowler pins {pinned}")
    return Verdict(
        failures=failures,
        excepted=excepted,
        stale=stale,
        services=services,
        not_evaluated=[
            *result.not_evaluated,
            *(f"{name}: no finding at all (nothing of it deployed, or its checks could not run)" for name in silent),
        ],
        silent_services=silent,
        notes=notes,
    )


def _why_stale(entry: ExceptionEntry, result: ScanResult) -> str:
    of_check = [f for f in result.findings if f.check_id == entry.check]
    matching = [f for f in of_check if fnmatch.fnmatchcase(f.resource, entry.resource)]
    if matching:
        return f"{entry.check} passes now for {', '.join(sorted({f.resource for f in matching}))}; delete the entry"
    if of_check:
        seen = sorted({f.resource for f in of_check})
        listed = ", ".join(seen[:5]) + (f" and {len(seen) - 5} more" if len(seen) > 5 else "")
        return f"no finding of {entry.check} names a resource matching {entry.resource!r} (it ran on {listed})"
    why = f"{entry.check} gave no finding in this run"
    if result.errors:
        why += " (Prowler logged errors: see not evaluated)"
    return why


# ---------------------------------------------------------------- reports


def summary_table(verdict: Verdict) -> str:
    """PASS/FAIL counts per service as a Markdown table (README, summary)."""
    rows = ["| Service | PASS | FAIL (unreviewed) | FAIL (excepted) | MANUAL |", "| --- | ---: | ---: | ---: | ---: |"]
    total = ServiceCounts()
    for name, c in sorted(verdict.services.items()):
        rows.append(f"| {name} | {c.passed} | {c.failed} | {c.excepted} | {c.manual} |")
        total.passed += c.passed
        total.failed += c.failed
        total.excepted += c.excepted
        total.manual += c.manual
    rows.append(f"| **total** | {total.passed} | {total.failed} | {total.excepted} | {total.manual} |")
    return "\n".join(rows)


def summary_dict(result: ScanResult, verdict: Verdict) -> dict:
    return {
        "prowler_version": result.prowler_version,
        "region": result.region,
        "services": list(result.services),
        "excluded_checks": list(result.excluded),
        "exit_code": result.exit_code,
        "seconds": result.seconds,
        "findings": len(result.findings),
        "errors_logged": len(result.errors),
        **verdict.to_dict(),
        "table": summary_table(verdict),
    }


def write_summary(result: ScanResult, verdict: Verdict, out_dir: Path | str) -> Path:
    path = Path(out_dir) / SUMMARY_FILE
    path.write_text(json.dumps(summary_dict(result, verdict), indent=2) + "\n")
    return path


def format_report(result: ScanResult, verdict: Verdict) -> str:
    lines = [
        f"Prowler {result.prowler_version or '?'}: {len(result.findings)} findings in {result.seconds:.0f} s "
        f"(exit {result.exit_code}), {len(result.errors)} ERROR lines logged",
        "",
        summary_table(verdict),
    ]
    if verdict.failures:
        lines += ["", f"UNREVIEWED FAIL ({len(verdict.failures)}):"]
        lines += [f"  {f.check_id} {f.resource} ({f.region}): {f.detail}" for f in verdict.failures]
    if verdict.stale:
        lines += ["", f"stale exceptions ({len(verdict.stale)}):", *(f"  {s}" for s in verdict.stale)]
    if verdict.not_evaluated:
        lines += ["", f"not evaluated ({len(verdict.not_evaluated)}):"]
        lines += [f"  {line}" for line in verdict.not_evaluated]
    lines += [f"note: {n}" for n in verdict.notes]
    lines += ["", "prowler: OK" if verdict.ok else f"prowler: FAILED ({len(verdict.failures)} unreviewed FAIL)"]
    return "\n".join(lines)


# ---------------------------------------------------------------- entry point


def scan_deployment(
    endpoint_url: str,
    out_dir: Path | str,
    *,
    region: str = DEFAULT_REGION,
    exceptions: Path | str = DEFAULT_EXCEPTIONS,
    services: Sequence[str] = DEFAULT_SERVICES,
    excluded: Sequence[str] = DEFAULT_EXCLUDED,
    timeout: float = DEFAULT_TIMEOUT_S,
) -> tuple[ScanResult, Verdict]:
    """Scan the emulator, judge against the exceptions file, write prowler-summary.json into out_dir.

    The caller fails when `not verdict.ok`. Raises ProwlerError (never skips) when Prowler cannot run.
    """
    entries = load_exceptions(exceptions)  # a bad file fails before a minute of scanning
    result = run_scan(endpoint_url, region, out_dir, services=services, excluded=excluded, timeout=timeout)
    verdict = judge(result, entries)
    write_summary(result, verdict, out_dir)
    return result, verdict


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m boi.prowler", description=__doc__.splitlines()[0])
    parser.add_argument("--endpoint", required=True, help="the emulator, e.g. http://127.0.0.1:5000")
    parser.add_argument("--out", type=Path, required=True, help="folder for prowler.ocsf.json, logs and summary")
    parser.add_argument("--exceptions", type=Path, default=DEFAULT_EXCEPTIONS, help="reviewed exceptions YAML")
    parser.add_argument("--region", default=DEFAULT_REGION)
    parser.add_argument("--services", nargs="+", default=list(DEFAULT_SERVICES))
    parser.add_argument("--exclude-check", nargs="*", default=list(DEFAULT_EXCLUDED), dest="excluded")
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT_S, help="seconds (default 600)")
    parser.add_argument("--json", action="store_true", help="print the summary JSON instead of the report")
    args = parser.parse_args(argv)
    try:
        result, verdict = scan_deployment(
            args.endpoint,
            args.out,
            region=args.region,
            exceptions=args.exceptions,
            services=args.services,
            excluded=args.excluded,
            timeout=args.timeout,
        )
    except ProwlerError as err:
        print(f"prowler error: {err}", file=sys.stderr)
        return 2
    print(json.dumps(summary_dict(result, verdict), indent=2) if args.json else format_report(result, verdict))
    return 0 if verdict.ok else 1


if __name__ == "__main__":
    sys.exit(main())
