"""The security gate: checkov over the synthesized stacks, with reviewed per-resource suppressions.

checkov ignores inline skip comments in cdk.tf.json (checkov#4634), so the reviewed suppressions
(catalogs/gate/suppressions.yaml) are attached to their constructs by the synth, in each resource's
`"//"` metadata, and the gate applies them itself per resource + check + scan mode after checkov ran.
A global `--skip-check` is never used: it would hide every future resource as well.

CLI: boi gate --out cdktf.out [--sarif path] [--json] [--report path] [--terraform]   (also: python -m boi.gate)
Exit codes: 0 passed, 1 gate failed (findings, stale suppressions, terraform errors),
            2 bad input or tool error (malformed suppressions, checkov crash).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from boi_model.reviewed import suppressions_of
from boi_model.synth import Synth, SynthError, load_out

from boi import progress, skips, terraform

REPO_ROOT = Path(__file__).resolve().parents[1]
CHECKOV_PROJECT = REPO_ROOT / "tools" / "checkov"

# Keeps checkov off the network: no platform policy mapping, no policy download, no PyPI
# update check. Checked with strace: with these set checkov opens no network connection at all;
# without them it starts with DNS lookups for the Prisma Cloud API.
CHECKOV_OFFLINE_ENV = {
    "BC_SKIP_MAPPING": "TRUE",
    "CKV_SKIP_PACKAGE_UPDATE_CHECK": "TRUE",
    "CKV_GITHUB_CONFIG_FETCH_DATA": "FALSE",
    "CKV_GITLAB_CONFIG_FETCH_DATA": "FALSE",
}
# An API key would switch checkov to platform mode (network); uv settings of the app's
# environment would make `uv run --project tools/checkov` pick the wrong venv.
_ENV_TO_DROP = ("BC_API_KEY", "PRISMA_API_URL", "VIRTUAL_ENV", "UV_PROJECT_ENVIRONMENT")


class GateError(Exception):
    """Bad input or a tool that could not run; the gate cannot give a verdict (exit 2)."""


# ---------------------------------------------------------------- data


@dataclass(frozen=True)
class CheckRecord:
    """One checkov result for one resource."""

    stack: str
    resource: str
    check_id: str
    check_name: str
    result: str  # PASSED or FAILED
    file: str
    line: int | None = None


@dataclass(frozen=True)
class SuppressedRecord:
    record: CheckRecord
    reason: str


@dataclass(frozen=True)
class CheckovReport:
    """What checkov found, before suppressions."""

    records: list[CheckRecord]
    parsing_errors: list[str]
    version: str
    seconds: float


@dataclass
class StackSummary:
    passed: int = 0
    failed: int = 0
    suppressed: int = 0


@dataclass
class GateResult:
    stacks: dict[str, StackSummary]
    failures: list[CheckRecord]
    suppressed: list[SuppressedRecord]
    stale: list[str]
    parsing_errors: list[str]
    checkov_version: str = ""
    checkov_seconds: float = 0.0
    terraform: dict[str, list[terraform.Diagnostic]] | None = None
    terraform_skipped: str | None = None
    terraform_seconds: float = 0.0
    notes: list[str] = field(default_factory=list)

    @property
    def terraform_errors(self) -> list[terraform.Diagnostic]:
        return [d for diags in (self.terraform or {}).values() for d in diags if d.severity == "error"]

    @property
    def ok(self) -> bool:
        return not (self.failures or self.stale or self.parsing_errors or self.terraform_errors)

    def to_dict(self) -> dict:
        return {
            "ok": self.ok,
            "checkov_version": self.checkov_version,
            "stacks": {name: asdict(s) for name, s in self.stacks.items()},
            "failures": [asdict(r) for r in self.failures],
            "suppressed": [{**asdict(s.record), "reason": s.reason} for s in self.suppressed],
            "stale_suppressions": self.stale,
            "parsing_errors": self.parsing_errors,
            "terraform": None
            if self.terraform is None
            else {name: [asdict(d) for d in diags] for name, diags in self.terraform.items()},
            "terraform_skipped": self.terraform_skipped,
            "notes": self.notes,
        }


# ---------------------------------------------------------------- suppressions attached by the synth

Mode = str  # "synth" (checkov on cdk.tf.json) or "plan" (checkov on `terraform show -json`)
# (stack, resource address) -> check id -> {reason, modes, entry}
Attached = dict[tuple[str, str], dict[str, dict]]


def attached_suppressions(synth: Synth) -> Attached:
    """The reviewed suppressions the synth wrote into each resource's (and data source's) metadata."""
    attached: Attached = {}
    for stack, doc in synth.items():
        for block, prefix in (("resource", ""), ("data", "data.")):
            for rtype, named in (doc.get(block) or {}).items():
                for name, body in named.items():
                    if found := suppressions_of(body):
                        attached[(stack, f"{prefix}{rtype}.{name}")] = found
    return attached


# ---------------------------------------------------------------- stacks


def find_stacks(out_dir: Path) -> dict[str, Path]:
    try:
        return terraform.find_stacks(out_dir)
    except terraform.TerraformSetupError as err:
        raise GateError(str(err)) from err


_REQUIRED_VERSION_KEY = re.compile(r'"required_version"(\s*:)')


def without_required_version(text: str) -> str:
    """The text of a cdk.tf.json for checkov: `terraform.required_version` renamed to `"//"`.

    The synth writes `terraform.required_version` because Terraform must refuse a CLI the stacks were
    not tested with. checkov 3.3.30 crashes on it in Terraform JSON (bridgecrewio/checkov#7454: "this
    method receives only dicts") and then reports the whole file as a parsing error with zero findings.
    `"//"` is a comment to both Terraform and checkov; the key is renamed where it stands, so every line
    number (the gate's addresses, SARIF locations) stays that of the real file. Anything unexpected
    (the key twice, the result not the same document minus that key) is a GateError, never a silent scan
    of something else."""
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as err:
        raise GateError(f"not valid JSON: {err}") from err
    settings = doc.get("terraform") if isinstance(doc, dict) else None
    if not (isinstance(settings, dict) and "required_version" in settings):
        return text
    renamed, count = _REQUIRED_VERSION_KEY.subn(r'"//"\1', text)
    expected = {**doc, "terraform": {k: v for k, v in settings.items() if k != "required_version"}}
    got = json.loads(renamed) if count == 1 else None
    if got is not None and isinstance(got.get("terraform"), dict):
        got["terraform"].pop("//", None)
    if count != 1 or got != expected:
        raise GateError(
            'could not rename terraform.required_version to "//" for checkov (bridgecrewio/checkov#7454) '
            f"without changing anything else ({count} occurrence(s) of the key)"
        )
    return renamed


def checkov_copies(stacks: dict[str, Path], scratch: Path) -> dict[str, Path]:
    """Each stack's cdk.tf.json copied to <scratch>/<stack>/ as checkov must read it (see
    `without_required_version`); stack name -> copy folder."""
    copies: dict[str, Path] = {}
    for name, folder in stacks.items():
        file = Path(folder) / "cdk.tf.json"
        try:
            text = without_required_version(file.read_text())
        except GateError as err:
            raise GateError(f"stack {name!r}: {file}: {err}") from err
        copy = Path(scratch) / name
        copy.mkdir(parents=True)
        (copy / "cdk.tf.json").write_text(text)
        copies[name] = copy
    return copies


# ---------------------------------------------------------------- checkov


def checkov_command() -> list[str]:
    """$CHECKOV if set (a checkov executable), else checkov from its own locked uv project."""
    configured = os.environ.get("CHECKOV")
    if configured:
        return [configured]
    uv = shutil.which("uv")
    if uv is None:
        raise GateError("cannot run checkov: `uv` is not on PATH (or set CHECKOV to a checkov executable)")
    return [uv, "run", "--project", str(CHECKOV_PROJECT), "--frozen", "--quiet", "checkov"]


def checkov_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _ENV_TO_DROP}
    env.update(CHECKOV_OFFLINE_ENV)
    return env


def run_checkov(stacks: dict[str, Path]) -> CheckovReport:
    """One checkov process over all stack folders (its start-up dominates the run time), on copies
    without `terraform.required_version` (`checkov_copies`); findings name the real files."""
    with tempfile.TemporaryDirectory(prefix="boi-checkov-") as scratch:
        copies = checkov_copies(stacks, Path(scratch))
        report = _run_checkov(copies)
    originals = {
        str((copies[name] / "cdk.tf.json").resolve()): str(Path(stacks[name]) / "cdk.tf.json") for name in stacks
    }
    records = [replace(r, file=originals.get(str(Path(r.file).resolve()), r.file)) for r in report.records]
    errors = [originals.get(str(Path(e).resolve()), e) for e in report.parsing_errors]
    return replace(report, records=records, parsing_errors=errors)


def _run_checkov(stacks: dict[str, Path]) -> CheckovReport:
    args = [*checkov_command(), "--framework", "terraform_json", "-o", "json", "--compact"]
    args += ["--skip-download", "--soft-fail"]  # soft-fail: any non-zero exit then means a crash
    # One -d over the common stacks folder: with one -d per stack, checkov 3.3.30 prints one
    # cumulative report per folder (the first stack's findings come out twice).
    parents = {Path(folder).resolve().parent for folder in stacks.values()}
    if len(parents) != 1:
        raise GateError(f"stacks are not in one folder: {sorted(map(str, parents))}")
    args += ["-d", str(parents.pop())]
    started = time.monotonic()
    proc = subprocess.run(args, env=checkov_env(), capture_output=True, text=True, check=False)
    seconds = time.monotonic() - started
    if proc.returncode != 0:
        raise GateError(f"checkov failed (exit {proc.returncode}):\n{proc.stderr.strip()[-3000:]}")
    try:
        output = json.loads(proc.stdout)
    except json.JSONDecodeError as err:
        raise GateError(f"checkov printed no JSON report: {proc.stdout[:500]!r}\n{proc.stderr[-2000:]}") from err
    return parse_checkov_output(output, stacks, seconds)


def _stack_of(file_abs_path: str, stacks: dict[str, Path]) -> str:
    folder = Path(file_abs_path).resolve().parent
    for name, stack_folder in stacks.items():
        if Path(stack_folder).resolve() == folder:
            return name
    raise GateError(f"checkov reported a file outside the stacks: {file_abs_path}")


_JSON_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[{}\[\]:,\n]')


def resource_key_lines(text: str) -> dict[int, str]:
    """Line (1-based) of each `"<name>": {` under `resource.<type>` or `data.<type>` -> address.

    checkov 3.3.30's terraform_json runner reports its Python checks as `resource.<name>` or
    `data.<name>`, without the type, and gives the line of the name key; this map restores the
    full address (`<type>.<name>`, `data.<type>.<name>`).
    """
    found: dict[int, str] = {}
    path: list[str | None] = []
    line, key, key_line, last_string = 1, None, 1, None
    for match in _JSON_TOKEN.finditer(text):
        token = match.group()
        if token == "\n":
            line += 1
        elif token.startswith('"'):
            last_string = json.loads(token)
        elif token == ":":
            key, key_line, last_string = last_string, line, None
        elif token in "{[":
            path.append(key)
            if token == "{" and len(path) == 4 and path[1] in ("resource", "data"):
                prefix = "data." if path[1] == "data" else ""
                found[key_line] = f"{prefix}{path[2]}.{path[3]}"
            key = None
        elif token in "}]":
            path.pop()
            key = None
        else:  # a comma ends a value
            key = None
    return found


def _full_address(resource: str, file: str, line: int | None, cache: dict[str, dict[int, str]]) -> str:
    """`resource.<name>` / `data.<name>` (no type) -> the full address found at that line."""
    kind, _, name = resource.partition(".")
    if kind not in ("resource", "data") or "." in name:
        return resource
    if file not in cache:
        cache[file] = resource_key_lines(Path(file).read_text())
    address = cache[file].get(line or 0, "")
    if address.rsplit(".", 1)[-1] == name and address.startswith("data.") == (kind == "data"):
        return address
    return resource


def parse_checkov_output(output: dict | list, stacks: dict[str, Path], seconds: float = 0.0) -> CheckovReport:
    """Turn checkov's `-o json` (one report, a list of reports, or a bare summary) into records."""
    reports = output if isinstance(output, list) else [output]
    records: list[CheckRecord] = []
    parsing_errors: list[str] = []
    version = ""
    address_cache: dict[str, dict[int, str]] = {}
    for report in reports:
        summary = report.get("summary", report)
        version = summary.get("checkov_version", version)
        results = report.get("results", {})
        for key, result in (("passed_checks", "PASSED"), ("failed_checks", "FAILED")):
            for item in results.get(key, []):
                line_range = item.get("file_line_range") or [None]
                file = item["file_abs_path"]
                records.append(
                    CheckRecord(
                        stack=_stack_of(file, stacks),
                        resource=_full_address(item["resource"], file, line_range[0], address_cache),
                        check_id=item["check_id"],
                        check_name=item.get("check_name", ""),
                        result=result,
                        file=item["file_abs_path"],
                        line=line_range[0],
                    )
                )
        parsing_errors += [str(p) for p in results.get("parsing_errors", [])]
    return CheckovReport(records=records, parsing_errors=parsing_errors, version=version, seconds=seconds)


# ---------------------------------------------------------------- verdict


def apply_suppressions(
    report: CheckovReport, attached: Attached, stacks: Sequence[str], mode: Mode = "synth"
) -> GateResult:
    """Pure: checkov records + the suppressions attached to the resources -> verdict.

    A suppression covers its own resource and check, and only in the modes its entry lists. One
    that covers this mode but whose check did not fail here is stale: the entry is too broad or
    the finding is gone."""
    summaries = {name: StackSummary() for name in stacks}
    failures: list[CheckRecord] = []
    suppressed: list[SuppressedRecord] = []
    used: set[tuple[str, str, str]] = set()
    for record in report.records:
        summary = summaries.setdefault(record.stack, StackSummary())
        if record.result == "PASSED":
            summary.passed += 1
            continue
        entry = attached.get((record.stack, record.resource), {}).get(record.check_id)
        if entry is None or mode not in entry.get("modes", ()):
            summary.failed += 1
            failures.append(record)
        else:
            summary.suppressed += 1
            used.add((record.stack, record.resource, record.check_id))
            suppressed.append(SuppressedRecord(record, entry["reason"]))
    stale = []
    ran = {(r.stack, r.resource, r.check_id) for r in report.records}
    scanned = {(r.stack, r.resource) for r in report.records}
    for (stack, address), checks in sorted(attached.items()):
        if stack not in summaries:
            continue
        for check, entry in sorted(checks.items()):
            if mode not in entry.get("modes", ()) or (stack, address, check) in used:
                continue
            if (stack, address, check) in ran:
                why = "the check passes here"
            elif (stack, address) in scanned:
                why = f"checkov ran no {check} on this resource"
            else:
                why = "checkov reported nothing for this resource"
            stale.append(
                f"stale suppression {entry.get('entry', '?')!r} on {stack} {address} {check} ({mode} mode): {why}; "
                "narrow the entry's path, checks or modes in catalogs/gate/suppressions.yaml"
            )
    return GateResult(
        stacks=summaries,
        failures=failures,
        suppressed=suppressed,
        stale=stale,
        parsing_errors=report.parsing_errors,
        checkov_version=report.version,
        checkov_seconds=report.seconds,
    )


# ---------------------------------------------------------------- SARIF


def to_sarif(result: GateResult) -> dict:
    """A minimal SARIF 2.1.0 log; suppressed results carry the reviewed reason."""
    rules: dict[str, str] = {}
    sarif_results = []
    entries = [(r, None) for r in result.failures] + [(s.record, s.reason) for s in result.suppressed]
    for record, reason in entries:
        rules.setdefault(record.check_id, record.check_name)
        try:
            uri = Path(record.file).resolve().relative_to(Path.cwd().resolve()).as_posix()
        except ValueError:
            uri = Path(record.file).resolve().as_uri()
        item = {
            "ruleId": record.check_id,
            "level": "error",
            "message": {"text": f"{record.stack}: {record.resource}: {record.check_name}"},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": uri},
                        "region": {"startLine": record.line or 1},
                    },
                    "logicalLocations": [{"fullyQualifiedName": f"{record.stack}/{record.resource}"}],
                }
            ],
        }
        if reason is not None:
            item["suppressions"] = [{"kind": "external", "status": "accepted", "justification": reason}]
        sarif_results.append(item)
    return {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "checkov",
                        "version": result.checkov_version or "unknown",
                        "informationUri": "https://www.checkov.io",
                        "rules": [
                            {"id": rule_id, "shortDescription": {"text": name}}
                            for rule_id, name in sorted(rules.items())
                        ],
                    }
                },
                "results": sarif_results,
            }
        ],
    }


# ---------------------------------------------------------------- run


def load_synth(out_dir: Path) -> Synth:
    try:
        return load_out(out_dir)
    except SynthError as err:
        raise GateError(str(err)) from err


def run_gate(
    out_dir: Path,
    *,
    sarif: Path | None = None,
    terraform_validate: bool = False,
) -> GateResult:
    """checkov + the attached suppressions over <out_dir>/stacks/*; with terraform_validate also
    init+validate every stack (after checkov, stacks in parallel) when Terraform is available."""
    attached = attached_suppressions(load_synth(out_dir))
    stacks = find_stacks(out_dir)

    with progress.step(f"checkov over {len(stacks)} stack(s) of {out_dir}"):
        report = run_checkov(stacks)
    tf_results: dict[str, list[terraform.Diagnostic]] | None = None
    tf_skipped: str | None = None
    tf_seconds = 0.0
    # After checkov, not beside it: on 2 cores the parallel validates already use both cores,
    # and overlapping them with checkov measured slower (12.6 s) than in sequence (10.5 s).
    if terraform_validate:
        tf_skipped = terraform.terraform_available()
        if tf_skipped is not None:
            try:  # under CI a validate that cannot run fails the gate; locally a loud warning
                skips.cannot_run("terraform validate", tf_skipped)
            except skips.CannotRun as err:
                raise GateError(str(err)) from err
        else:
            started = time.monotonic()
            try:
                with progress.step(f"terraform init + validate of {len(stacks)} stack(s)"):
                    tf_results = terraform.validate_stacks(out_dir)
            except terraform.TerraformSetupError as err:
                raise GateError(str(err)) from err
            tf_seconds = time.monotonic() - started

    result = apply_suppressions(report, attached, list(stacks))
    result.terraform, result.terraform_skipped, result.terraform_seconds = tf_results, tf_skipped, tf_seconds
    if sarif is not None:
        Path(sarif).parent.mkdir(parents=True, exist_ok=True)
        Path(sarif).write_text(json.dumps(to_sarif(result), indent=2) + "\n")
    return result


def format_summary(result: GateResult) -> str:
    header = f"checkov {result.checkov_version} over {len(result.stacks)} stack(s)"
    lines = [f"{header} in {result.checkov_seconds:.1f} s"]
    width = max([len(n) for n in result.stacks] + [5])
    lines.append(f"  {'stack':<{width}}  {'passed':>6}  {'failed':>6}  {'suppressed':>10}")
    for name, s in result.stacks.items():
        lines.append(f"  {name:<{width}}  {s.passed:>6}  {s.failed:>6}  {s.suppressed:>10}")
    if result.failures:
        lines.append(f"FAILED checks ({len(result.failures)}):")
        for r in sorted(result.failures, key=lambda r: (r.stack, r.resource, r.check_id)):
            lines.append(f"  {r.stack}  {r.resource}  {r.check_id}  {r.check_name}")
    if result.suppressed:
        lines.append(f"suppressed ({len(result.suppressed)}):")
        for s in result.suppressed:
            lines.append(f"  {s.record.stack}  {s.record.resource}  {s.record.check_id}  reason: {s.reason}")
    for message in result.stale:
        lines.append(message)
    for file in result.parsing_errors:
        lines.append(f"checkov could not parse {file}; nothing in it was checked")
    lines += [f"note: {n}" for n in result.notes]
    if result.terraform_skipped is not None:
        lines.append(f"WARNING: terraform validate SKIPPED: {result.terraform_skipped} (under CI=true this fails)")
    elif result.terraform is not None:
        lines.append(f"terraform validate ({result.terraform_seconds:.1f} s):")
        for name, diags in result.terraform.items():
            errors = sum(d.severity == "error" for d in diags)
            lines.append(f"  {name}: {'valid' if errors == 0 else f'{errors} error(s)'}")
            lines += [f"    {d}" for d in diags]
    if result.ok:
        lines.append("GATE PASSED" + (" (without terraform validate)" if result.terraform_skipped else ""))
    else:
        parts = [
            f"{len(result.failures)} unsuppressed failed check(s)" if result.failures else "",
            f"{len(result.stale)} stale suppression(s)" if result.stale else "",
            f"{len(result.parsing_errors)} unparsed file(s)" if result.parsing_errors else "",
            f"{len(result.terraform_errors)} terraform error(s)" if result.terraform_errors else "",
        ]
        lines.append("GATE FAILED: " + ", ".join(p for p in parts if p))
    return "\n".join(lines)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", type=Path, default=Path("cdktf.out"), help="synth output folder (default cdktf.out)")
    parser.add_argument("--sarif", type=Path, help="also write a SARIF 2.1.0 log here (make check: <out>/gate/)")
    parser.add_argument("--json", action="store_true", help="print the result as JSON instead of the summary")
    parser.add_argument("--report", type=Path, help="also write the result as JSON here (make check: <out>/gate/)")
    parser.add_argument("--terraform", action="store_true", help="also terraform init+validate every stack")


def run(args: argparse.Namespace) -> int:
    try:
        result = run_gate(args.out, sarif=args.sarif, terraform_validate=args.terraform)
    except GateError as err:
        print(f"gate error: {err}", file=sys.stderr)
        return 2
    if args.report:
        args.report.parent.mkdir(parents=True, exist_ok=True)
        args.report.write_text(json.dumps(result.to_dict(), indent=2) + "\n")
    if args.json:
        print(json.dumps(result.to_dict(), indent=2))
        if result.terraform_skipped is not None:
            print(f"terraform validate SKIPPED: {result.terraform_skipped}", file=sys.stderr)
    else:
        print(format_summary(result))
    return 0 if result.ok else 1


def main(argv: Sequence[str] | None = None) -> int:
    from boi.cli import run_command

    return run_command("gate", argv)


if __name__ == "__main__":
    sys.exit(main())
