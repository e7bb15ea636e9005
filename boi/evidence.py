"""The evidence pack: one folder per environment and date an auditor receives, every verdict judged, every
file hashed, all bound to the synth it describes.

    boi evidence --out cdktf.out --dest artifacts/evidence [--date 2026-12-01]      (make evidence)
    boi evidence --verify artifacts/evidence/dev/2026-12-01

The folder ``<dest>/<env>/<date>/`` (a prod pack never replaces a dev pack) holds:

- ``synth/``: the synthesized Terraform JSON (``stacks/<stack>/cdk.tf.json`` and ``manifest.json``);
- ``gate/``: the checkov gate's result as JSON and SARIF (the gate is run here), with its output;
- ``iam-proofs/iam-proofs.json``: the access-matrix proofs, run here on this synth with the IAM simulator
  (``boi.proofs.run_access_proofs``): every simulation, its mismatches and any verdict the simulator could
  not fully evaluate;
- ``plan-scan/``: checkov over the saved plans in ``<out>/plans`` when they are of this synth (absent
  otherwise, and said so);
- ``lint/``: ``python -m boi_iam.lint`` output (the reviewed acceptances come from the synth's
  metadata) and a copy of the reviewed catalogs they were attached from;
- ``docs/security/``: the security documents rendered from the same JSON, and the access page;
- ``MANIFEST.json``: what each section holds, its status, and the SHA-256 and size of every file;
- ``MANIFEST.sha256``: every file, MANIFEST.json included, in ``sha256sum`` format, so
  ``sha256sum -c MANIFEST.sha256`` works as well as ``--verify``.

MANIFEST.json binds the pack to the synth digest (``boi_model.synth.digest``), the commit and the
environment, and gives each section a verdict (passed / failed / absent / skipped) with its counts, and
the pack's overall verdict. A failed check is recorded as failed, never as "included".
The pack is written to a scratch folder and swapped in, so a failed run leaves no half pack.
Exit codes: 0 written and every verdict passed (or verified); 1 written, but a verdict failed (or
verification failed); 2 bad input, or the IAM proofs could not run (then nothing is written).
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from boi.progress import step

ROOT = Path(__file__).resolve().parent.parent
REVIEWED_CATALOGS = (
    ROOT / "catalogs" / "gate" / "suppressions.yaml",
    ROOT / "catalogs" / "iam" / "accepted_findings.yaml",
)
MANIFEST = "MANIFEST.json"
CHECKSUMS = "MANIFEST.sha256"
SCHEMA = 1


class EvidenceError(Exception):
    """Bad input: the pack cannot be written or read (exit 2)."""


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _files(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


def _run(cmd: list[str], folder: Path, name: str) -> dict:
    """Run a tool, keep its stdout and stderr beside its results, and record how it ended."""
    started = time.monotonic()
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV",)}
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, env=env)
    (folder / f"{name}.stdout.txt").write_text(proc.stdout)
    if proc.stderr:
        (folder / f"{name}.stderr.txt").write_text(proc.stderr)
    return {
        "command": " ".join(_display(c) for c in cmd),
        "exit_code": proc.returncode,
        "seconds": round(time.monotonic() - started, 1),
    }


def _display(arg: str) -> str:
    """Commands in the manifest name paths relative to the repository, never this machine's."""
    if arg == sys.executable:
        return "python"
    path = Path(arg)
    if path.is_absolute():
        try:
            return path.relative_to(ROOT).as_posix()
        except ValueError:
            return path.name
    return arg


def _git() -> dict:
    def git(*args: str) -> str | None:
        try:
            proc = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=30)
        except (OSError, subprocess.TimeoutExpired):
            return None
        return proc.stdout.strip() if proc.returncode == 0 else None

    commit = git("rev-parse", "HEAD")
    status = git("status", "--porcelain")
    return {"commit": commit, "dirty": bool(status) if status is not None else None}


# ---------------------------------------------------------------- sections


def _synth(out: Path, pack: Path) -> dict:
    from boi.docs import load_out

    synth = load_out(out)
    target = pack / "synth"
    for stack in sorted(synth):
        (target / "stacks" / stack).mkdir(parents=True)
        shutil.copyfile(out / "stacks" / stack / "cdk.tf.json", target / "stacks" / stack / "cdk.tf.json")
    if (out / "manifest.json").is_file():
        shutil.copyfile(out / "manifest.json", target / "manifest.json")
    return {
        "status": "included",
        "environment": synth.environment().name,
        "stacks": sorted(synth),
        "resources": {s: sum(len(v) for v in j.get("resource", {}).values()) for s, j in sorted(synth.items())},
    }


def _gate(out: Path, pack: Path) -> dict:
    folder = pack / "gate"
    folder.mkdir()
    cmd = [
        sys.executable,
        "-m",
        "boi.gate",
        "--out",
        str(out.resolve()),
        "--json",
        "--sarif",
        str((folder / "checkov.sarif").resolve()),
    ]
    run = _run(cmd, folder, "gate")
    return {**_gate_like(folder, "gate", run), "sarif": (folder / "checkov.sarif").is_file()}


def _gate_like(folder: Path, name: str, run: dict) -> dict:
    """The verdict of a gate-shaped run (boi gate, boi plan scan --json) with its counts."""
    stdout = (folder / f"{name}.stdout.txt").read_text()
    try:
        result = json.loads(stdout)
    except json.JSONDecodeError:
        result = None
    counts = {}
    if isinstance(result, dict):
        (folder / f"{name}.json").write_text(json.dumps(result, indent=2, sort_keys=True) + "\n")
        (folder / f"{name}.stdout.txt").unlink()
        counts = {k: len(result.get(k) or []) for k in ("failures", "suppressed", "stale_suppressions") if k in result}
    verdict = {0: "passed", 1: "failed"}.get(run["exit_code"], "error") if result is not None else "error"
    return {"status": "included", "verdict": verdict, **({"counts": counts} if counts else {}), **run}


def _plan_scan(out: Path, pack: Path, synth_digest: str) -> dict:
    plans = out / "plans"
    manifest = plans / "manifest.json"
    try:
        made_from = json.loads(manifest.read_text()).get("synth_digest") if manifest.is_file() else None
    except json.JSONDecodeError:
        made_from = None
    if made_from != synth_digest:
        why = "no saved plans" if made_from is None else "the saved plans are of another synth"
        return {"status": "absent", "verdict": "absent", "note": f"{why} in {_display(str(plans))} (make plan)"}
    folder = pack / "plan-scan"
    folder.mkdir()
    cmd = [sys.executable, "-m", "boi.plan", "scan", "--plans", str(plans.resolve()), "--out", str(out.resolve())]
    return _gate_like(folder, "plan-scan", _run([*cmd, "--json"], folder, "plan-scan"))


def _iam_proofs(out: Path, pack: Path, runner) -> dict:
    """Run the access-matrix proofs on this synth; EvidenceError when they cannot run (no pack without them)."""
    from boi_iam.simulate import SimulatorError
    from boi_model.synth import load_out

    try:
        result = runner(load_out(out))
    except SimulatorError as err:
        raise EvidenceError(f"the IAM proofs cannot run, so no evidence pack is written: {err}") from err
    folder = pack / "iam-proofs"
    folder.mkdir()
    (folder / "iam-proofs.json").write_text(json.dumps(result, indent=2, sort_keys=True) + "\n")
    return {
        "status": "included",
        "verdict": result["verdict"],
        "counts": {
            "simulations": result["simulations"],
            "expected_allows": result["expected_allows"],
            "mismatches": len(result["mismatches"]),
            "incomplete": len(result["incomplete"]),
        },
        "synth_digest": result["synth_digest"],
    }


def _lint(out: Path, pack: Path, environment: str) -> dict:
    from boi.docs import load_out

    settings = load_out(out).environment()
    folder = pack / "lint"
    folder.mkdir()
    for catalog in REVIEWED_CATALOGS:
        shutil.copyfile(catalog, folder / catalog.name)
    cmd = [
        sys.executable,
        "-m",
        "boi_iam.lint",
        "--out",
        str(out.resolve()),
        "--account",
        settings.account_id,
        "--region",
        settings.region,
    ]
    run = _run(cmd, folder, "lint")
    return {"status": "included", "verdict": {0: "passed", 1: "failed"}.get(run["exit_code"], "error"), **run}


def _documents(out: Path, pack: Path) -> dict:
    from boi.docs import load_out
    from boi.handbook import render_access_page, render_documents

    synth = load_out(out).home()  # the environment's account, as docs/security
    folder = pack / "docs" / "security"
    folder.mkdir(parents=True)
    documents, notes = render_documents(synth)
    for name, text in documents.items():
        (folder / name).write_text(text)
    access, source = render_access_page(synth)
    (folder / "access.md").write_text(access)
    section = {"status": "included", "documents": sorted([*documents, "access.md"]), "access_source": source}
    return {**section, "notes": notes} if notes else section


# ---------------------------------------------------------------- write and verify


def write_manifest(pack: Path, sections: dict, meta: dict) -> None:
    files = [name for name in _files(pack) if name not in (MANIFEST, CHECKSUMS)]
    manifest = {
        **meta,
        "sections": sections,
        "files": [
            {"path": name, "sha256": sha256_file(pack / name), "bytes": (pack / name).stat().st_size} for name in files
        ],
    }
    (pack / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    lines = [f"{sha256_file(pack / name)}  {name}" for name in [*files, MANIFEST]]
    (pack / CHECKSUMS).write_text("\n".join(lines) + "\n")


def pack_folder(dest: Path, environment: str, date: dt.date) -> Path:
    """<dest>/<env>/<date>: one pack per environment and day, so packs of two environments never collide."""
    return Path(dest) / environment / date.isoformat()


def overall(sections: dict) -> str:
    """passed only when every section that judges passed; absent or skipped sections do not pass for it."""
    verdicts = [s.get("verdict") for s in sections.values() if s.get("verdict") not in (None, "absent", "skipped")]
    return "passed" if verdicts and all(v == "passed" for v in verdicts) else "failed"


def build_pack(
    out: Path,
    dest: Path,
    date: dt.date,
    *,
    run_gate: bool = True,
    proofs_runner=None,
) -> tuple[Path, dict]:
    from boi_model.synth import digest, load_out

    from boi.proofs import run_access_proofs

    if not list(out.glob("stacks/*/cdk.tf.json")):
        raise EvidenceError(f"no stacks under {out}/stacks; run `make synth` first")
    synth = load_out(out)
    synth_digest = digest(synth)
    environment = synth.environment().name
    target = pack_folder(dest, environment, date)
    target.parent.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=f".{date.isoformat()}-", dir=target.parent))
    try:
        sections: dict[str, dict] = {"synth": _synth(out, scratch)}
        with step("evidence: IAM proofs"):
            sections["iam_proofs"] = _iam_proofs(out, scratch, proofs_runner or run_access_proofs)
        if sections["iam_proofs"]["synth_digest"] != synth_digest:
            raise EvidenceError("the IAM proofs ran on another synth than the one packed; refusing to pack")
        if run_gate:
            with step("evidence: gate"):
                sections["gate"] = _gate(out, scratch)
        else:
            sections["gate"] = {"status": "skipped", "verdict": "skipped", "note": "--no-gate: not run for this pack"}
        with step("evidence: IAM lint"):
            sections["lint"] = _lint(out, scratch, environment)
        with step("evidence: plan scan"):
            sections["plan_scan"] = _plan_scan(out, scratch, synth_digest)
        with step("evidence: security documents"):
            sections["documents"] = _documents(out, scratch)
        meta = {
            "schema": SCHEMA,
            "pack": "BOI platform security evidence",
            "date": date.isoformat(),
            "generated_at": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
            "environment": environment,
            "synth_digest": synth_digest,
            "git": _git(),
            "verdict": overall(sections),
        }
        write_manifest(scratch, sections, meta)
        if target.exists():
            shutil.rmtree(target)
        scratch.rename(target)
    finally:
        if scratch.exists():
            shutil.rmtree(scratch)
    return target, sections


def verify(pack: Path) -> list[str]:
    """Problems found in a pack: changed, missing or unlisted files, or a manifest that disagrees."""
    checksums = pack / CHECKSUMS
    if not checksums.is_file():
        return [f"{CHECKSUMS} is missing"]
    problems: list[str] = []
    listed: dict[str, str] = {}
    for number, line in enumerate(checksums.read_text().splitlines(), start=1):
        digest, sep, name = line.partition("  ")
        if not sep or len(digest) != 64 or not name:
            problems.append(f"{CHECKSUMS} line {number} is not '<sha256>  <path>'")
            continue
        listed[name] = digest
    for name, digest in sorted(listed.items()):
        path = pack / name
        if ".." in Path(name).parts or Path(name).is_absolute():
            problems.append(f"{name}: path outside the pack")
        elif not path.is_file():
            problems.append(f"{name}: missing")
        elif sha256_file(path) != digest:
            problems.append(f"{name}: changed (SHA-256 differs from {CHECKSUMS})")
    for name in _files(pack):
        if name not in listed and name != CHECKSUMS:
            problems.append(f"{name}: not in {CHECKSUMS}")
    if (pack / MANIFEST).is_file() and MANIFEST in listed and not any(p.startswith(MANIFEST) for p in problems):
        manifest = json.loads((pack / MANIFEST).read_text())
        in_manifest = {f["path"]: f["sha256"] for f in manifest.get("files", [])}
        expected = {k: v for k, v in listed.items() if k != MANIFEST}
        if in_manifest != expected:
            problems.append(f"{MANIFEST} and {CHECKSUMS} list different files or hashes")
    elif MANIFEST not in listed:
        problems.append(f"{MANIFEST} is not in {CHECKSUMS}")
    return problems


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", type=Path, default=Path("cdktf.out"), help="synth output (stacks/*/cdk.tf.json)")
    parser.add_argument("--dest", type=Path, default=Path("artifacts") / "evidence")
    parser.add_argument("--date", help="YYYY-MM-DD of the pack (default: today)")
    parser.add_argument("--no-gate", action="store_true", help="do not run the checkov gate (recorded as skipped)")
    parser.add_argument("--verify", type=Path, metavar="DIR", help="check every hash of a pack and exit")


def run(args: argparse.Namespace) -> int:
    if args.verify:
        if not args.verify.is_dir():
            print(f"error: {args.verify} is not a folder", file=sys.stderr)
            return 2
        problems = verify(args.verify)
        for problem in problems:
            print(f"FAIL {problem}")
        count = len((args.verify / CHECKSUMS).read_text().splitlines()) if (args.verify / CHECKSUMS).is_file() else 0
        print(
            f"{args.verify}: {'verified' if not problems else 'NOT verified'}, {count} files, {len(problems)} problems"
        )
        return 1 if problems else 0
    try:
        date = dt.date.fromisoformat(args.date) if args.date else dt.date.today()
    except ValueError:
        print(f"error: --date {args.date!r} is not YYYY-MM-DD", file=sys.stderr)
        return 2
    try:
        target, sections = build_pack(args.out, args.dest, date, run_gate=not args.no_gate)
    except EvidenceError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for name, section in sections.items():
        counts = ", ".join(f"{k} {v}" for k, v in (section.get("counts") or {}).items())
        detail = " ".join(
            x for x in (section.get("verdict", ""), counts and f"({counts})", section.get("note", "")) if x
        )
        print(f"{name:11} {section['status']:9} {detail}")
    verdict = overall(sections)
    print(f"evidence pack: {target} ({len(_files(target))} files; verify with `boi evidence --verify {target}`)")
    if verdict != "passed":
        failed = [n for n, sec in sections.items() if sec.get("verdict") not in ("passed", "absent", "skipped", None)]
        print(f"evidence: FAILED verdicts recorded in the pack: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    from boi.cli import run_command

    return run_command("evidence", argv)


if __name__ == "__main__":
    sys.exit(main())
