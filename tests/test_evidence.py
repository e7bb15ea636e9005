"""The evidence pack: contents, hashes, and detection of a changed, missing or added file."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from boi import evidence

ROOT = Path(__file__).resolve().parent.parent
DAY = dt.date(2026, 12, 1)


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# ---------------------------------------------------------------- verify, on a hand-made pack (fast)


@pytest.fixture
def small_pack(tmp_path):
    pack = tmp_path / "pack"
    (pack / "synth").mkdir(parents=True)
    (pack / "synth" / "a.json").write_text('{"a": 1}\n')
    (pack / "docs").mkdir()
    (pack / "docs" / "b.md").write_text("# b\n")
    evidence.write_manifest(pack, {"synth": {"status": "included"}}, {"schema": 1, "date": DAY.isoformat()})
    return pack


def test_manifest_lists_every_file_with_its_hash(small_pack):
    manifest = json.loads((small_pack / "MANIFEST.json").read_text())
    files = {f["path"]: f for f in manifest["files"]}
    assert set(files) == {"synth/a.json", "docs/b.md"}
    for name, entry in files.items():
        assert entry["sha256"] == _sha(small_pack / name)
        assert entry["bytes"] == (small_pack / name).stat().st_size
    lines = (small_pack / "MANIFEST.sha256").read_text().splitlines()
    assert f"{_sha(small_pack / 'MANIFEST.json')}  MANIFEST.json" in lines
    assert len(lines) == 3
    assert evidence.verify(small_pack) == []


@pytest.mark.skipif(shutil.which("sha256sum") is None, reason="sha256sum not installed")
def test_sha256sum_accepts_the_checksum_file(small_pack):
    subprocess.run(["sha256sum", "--check", "--strict", "--quiet", "MANIFEST.sha256"], cwd=small_pack, check=True)


def test_changed_file_is_detected(small_pack, capsys):
    (small_pack / "synth" / "a.json").write_text('{"a": 2}\n')
    assert evidence.verify(small_pack) == ["synth/a.json: changed (SHA-256 differs from MANIFEST.sha256)"]
    assert evidence.main(["--verify", str(small_pack)]) == 1
    assert "NOT verified" in capsys.readouterr().out


def test_missing_and_added_files_are_detected(small_pack):
    (small_pack / "docs" / "b.md").unlink()
    (small_pack / "docs" / "extra.md").write_text("slipped in\n")
    assert evidence.verify(small_pack) == ["docs/b.md: missing", "docs/extra.md: not in MANIFEST.sha256"]


def test_edited_manifest_is_detected(small_pack):
    manifest = json.loads((small_pack / "MANIFEST.json").read_text())
    manifest["sections"]["synth"]["status"] = "edited"
    (small_pack / "MANIFEST.json").write_text(json.dumps(manifest))
    assert evidence.verify(small_pack) == ["MANIFEST.json: changed (SHA-256 differs from MANIFEST.sha256)"]


def test_rehashed_file_that_disagrees_with_the_manifest_is_detected(small_pack):
    # Someone changes a file and rewrites its line in MANIFEST.sha256, but not MANIFEST.json.
    target = small_pack / "synth" / "a.json"
    target.write_text('{"a": 3}\n')
    sums = small_pack / "MANIFEST.sha256"
    sums.write_text(
        "".join(
            f"{_sha(target)}  synth/a.json\n" if line.endswith("  synth/a.json") else line + "\n"
            for line in sums.read_text().splitlines()
        )
    )
    assert evidence.verify(small_pack) == ["MANIFEST.json and MANIFEST.sha256 list different files or hashes"]


def test_verify_without_checksums(tmp_path):
    assert evidence.verify(tmp_path) == ["MANIFEST.sha256 is missing"]
    assert evidence.main(["--verify", str(tmp_path / "nowhere")]) == 2


def test_bad_date_and_missing_synth_exit_2(tmp_path, capsys):
    assert evidence.main(["--date", "01/12/2026", "--out", str(tmp_path)]) == 2
    assert evidence.main(["--out", str(tmp_path), "--dest", str(tmp_path / "ev"), "--no-gate"]) == 2
    assert "run `make synth` first" in capsys.readouterr().err
    assert not (tmp_path / "ev").exists() or not any((tmp_path / "ev").iterdir())


# ---------------------------------------------------------------- a real pack from a real synth (slow)


def _proofs(verdict="passed", mismatches=(), digest_of=None):
    """A stand-in for the simulator run (the real one is test_real_proofs_bind_to_the_synth): the same
    result shape as boi.proofs.run_access_proofs."""
    from boi_model.synth import digest

    def runner(synth):
        return {
            "verdict": verdict,
            "simulations": 10,
            "expected_allows": 4,
            "mismatches": list(mismatches),
            "incomplete": [],
            "seconds": 0.1,
            "environment": synth.environment().name,
            "synth_digest": digest_of or digest(synth),
        }

    return runner


@pytest.mark.slow
def test_pack_from_synth_records_verdicts_and_binds_to_the_synth(synth_env, tmp_path, capsys, monkeypatch):
    from boi_model.synth import digest, load_out

    out, stacks = synth_env("dev")
    target, sections = evidence.build_pack(out, tmp_path / "evidence", DAY, run_gate=False, proofs_runner=_proofs())
    assert target == tmp_path / "evidence" / "dev" / "2026-12-01"
    for stack in stacks:
        copied = target / "synth" / "stacks" / stack / "cdk.tf.json"
        assert copied.read_bytes() == (out / "stacks" / stack / "cdk.tf.json").read_bytes()
    for name in ("kms.md", "audit-plan.md", "encryption-standards.md", "iam.md", "access.md"):
        assert (target / "docs" / "security" / name).is_file(), name
    manifest = json.loads((target / "MANIFEST.json").read_text())
    assert manifest["date"] == "2026-12-01" and manifest["environment"] == "dev"
    assert manifest["synth_digest"] == digest(load_out(out)) and manifest["git"]["commit"]
    assert manifest["sections"]["iam_proofs"]["verdict"] == "passed"
    assert manifest["sections"]["iam_proofs"]["counts"] == {
        "simulations": 10,
        "expected_allows": 4,
        "mismatches": 0,
        "incomplete": 0,
    }
    assert manifest["sections"]["lint"]["verdict"] == "passed", manifest["sections"]["lint"]
    assert manifest["sections"]["plan_scan"]["verdict"] == "absent"  # no saved plans of this synth
    assert manifest["sections"]["gate"]["verdict"] == "skipped"
    assert manifest["verdict"] == "passed"
    assert (target / "lint" / "accepted_findings.yaml").is_file() and (target / "lint" / "suppressions.yaml").is_file()
    assert str(tmp_path) not in (target / "MANIFEST.json").read_text(), "machine paths in the manifest"
    assert evidence.verify(target) == []
    # Tampering with the synthesized JSON is caught.
    platform = target / "synth" / "stacks" / "boi-dev-platform" / "cdk.tf.json"
    platform.write_text(platform.read_text().replace('"force_ssl"', '"force_ssI"', 1) + " ")
    assert evidence.verify(target) == [
        "synth/stacks/boi-dev-platform/cdk.tf.json: changed (SHA-256 differs from MANIFEST.sha256)"
    ]


@pytest.mark.slow
def test_failing_proofs_are_recorded_as_failed_and_the_command_fails(synth_env, tmp_path, monkeypatch, capsys):
    out, _ = synth_env("dev")
    wrong = ["platform-admin read documents/uploads (s3:GetObject): expected denied, simulator says Allowed"]
    dest = tmp_path / "evidence"
    target, sections = evidence.build_pack(
        out, dest, DAY, run_gate=False, proofs_runner=_proofs("failed", mismatches=wrong)
    )
    manifest = json.loads((target / "MANIFEST.json").read_text())
    assert manifest["sections"]["iam_proofs"]["verdict"] == "failed"
    assert manifest["sections"]["iam_proofs"]["counts"]["mismatches"] == 1
    assert manifest["verdict"] == "failed"
    assert json.loads((target / "iam-proofs" / "iam-proofs.json").read_text())["mismatches"] == wrong
    # Through the command: the pack is written (the failure is evidence too) and the exit code says failed.
    monkeypatch.setattr("boi.proofs.run_access_proofs", _proofs("failed", mismatches=wrong))
    code = evidence.main(["--out", str(out), "--dest", str(dest), "--date", DAY.isoformat(), "--no-gate"])
    captured = capsys.readouterr()
    assert code == 1 and "FAILED verdicts recorded in the pack: iam_proofs" in captured.err


@pytest.mark.slow
def test_no_pack_when_the_proofs_cannot_run_or_ran_on_another_synth(synth_env, tmp_path, monkeypatch, capsys):
    from boi_iam.simulate import SimulatorError

    out, _ = synth_env("dev")
    dest = tmp_path / "evidence"

    def broken(_synth):
        raise SimulatorError("iam/sim/node_modules is missing the simulator")

    with pytest.raises(evidence.EvidenceError, match="IAM proofs cannot run.*missing the simulator"):
        evidence.build_pack(out, dest, DAY, run_gate=False, proofs_runner=broken)
    with pytest.raises(evidence.EvidenceError, match="another synth"):
        evidence.build_pack(out, dest, DAY, run_gate=False, proofs_runner=_proofs(digest_of="0" * 64))
    assert list(dest.rglob("*.json")) == [], "no half pack"
    monkeypatch.setattr("boi.proofs.run_access_proofs", broken)
    assert evidence.main(["--out", str(out), "--dest", str(dest), "--no-gate"]) == 2
    assert "IAM proofs cannot run" in capsys.readouterr().err


@pytest.mark.slow
def test_packs_of_two_environments_on_one_day_both_stay(synth_env, tmp_path):
    dest = tmp_path / "evidence"
    (dest / "dev" / DAY.isoformat()).mkdir(parents=True)
    (dest / "dev" / DAY.isoformat() / "stale.txt").write_text("from an earlier run\n")
    dev, _ = synth_env("dev")
    prod, _ = synth_env("prod")
    dev_pack, _ = evidence.build_pack(dev, dest, DAY, run_gate=False, proofs_runner=_proofs())
    prod_pack, _ = evidence.build_pack(prod, dest, DAY, run_gate=False, proofs_runner=_proofs())
    assert not (dev_pack / "stale.txt").exists()  # a re-run of one environment replaces only its own pack
    assert dev_pack != prod_pack and evidence.verify(dev_pack) == [] and evidence.verify(prod_pack) == []
    assert sorted(p.relative_to(dest).as_posix() for p in dest.glob("*/*")) == ["dev/2026-12-01", "prod/2026-12-01"]


def test_overall_verdict_needs_every_judging_section_to_pass():
    assert evidence.overall({"a": {"verdict": "passed"}, "b": {"verdict": "absent"}}) == "passed"
    assert evidence.overall({"a": {"verdict": "passed"}, "b": {"verdict": "failed"}}) == "failed"
    assert evidence.overall({"a": {"verdict": "passed"}, "b": {"verdict": "error"}}) == "failed"
    assert evidence.overall({"a": {"verdict": "skipped"}}) == "failed"  # nothing judged is not a pass


@pytest.mark.slow
def test_real_proofs_bind_to_the_synth(dev, simulator):
    from boi_model.synth import digest

    from boi.proofs import run_access_proofs

    result = run_access_proofs(dev, simulator)
    assert result["verdict"] == "passed", result["mismatches"][:5] + result["incomplete"][:5]
    assert result["simulations"] > 100 and result["expected_allows"] >= 40
    assert result["synth_digest"] == digest(dev) and result["environment"] == "dev"


@pytest.mark.slow
@pytest.mark.skipif(not (ROOT / "tools" / "checkov" / ".venv").is_dir(), reason="checkov not installed (make setup)")
def test_pack_runs_the_gate(synth_env, tmp_path):
    out, _ = synth_env("dev")
    target, sections = evidence.build_pack(out, tmp_path / "evidence", DAY, proofs_runner=_proofs())
    assert sections["gate"]["status"] == "included" and sections["gate"]["verdict"] == "passed", sections["gate"]
    assert set(sections["gate"]["counts"]) >= {"failures", "suppressed"} and sections["gate"]["counts"]["failures"] == 0
    gate = json.loads((target / "gate" / "gate.json").read_text())
    assert isinstance(gate, dict)
    sarif = json.loads((target / "gate" / "checkov.sarif").read_text())
    assert sarif["version"] == "2.1.0"
    assert evidence.verify(target) == []
