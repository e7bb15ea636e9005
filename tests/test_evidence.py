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


@pytest.mark.slow
def test_pack_from_synth_without_proofs(synth_env, tmp_path):
    out, stacks = synth_env("dev")
    target, sections = evidence.build_pack(
        out,
        tmp_path / "evidence",
        DAY,
        run_gate=False,
        proofs=tmp_path / "no-proofs.json",
    )
    assert target == tmp_path / "evidence" / "2026-12-01"
    for stack in stacks:
        copied = target / "synth" / "stacks" / stack / "cdk.tf.json"
        assert copied.read_bytes() == (out / "stacks" / stack / "cdk.tf.json").read_bytes()
    for name in ("kms.md", "audit-plan.md", "encryption-standards.md", "iam.md", "access.md"):
        assert (target / "docs" / "security" / name).is_file(), name
    manifest = json.loads((target / "MANIFEST.json").read_text())
    assert manifest["date"] == "2026-12-01" and manifest["environment"] == "dev"
    assert manifest["sections"]["iam_proofs"]["status"] == "absent"
    assert "not found" in manifest["sections"]["iam_proofs"]["note"]
    assert manifest["sections"]["lint"]["verdict"] == "passed", manifest["sections"]["lint"]
    assert (target / "lint" / "accepted_findings.yaml").is_file() and (target / "lint" / "suppressions.yaml").is_file()
    assert manifest["sections"]["gate"]["status"] == "skipped"
    assert str(tmp_path) not in (target / "MANIFEST.json").read_text(), "machine paths in the manifest"
    assert evidence.verify(target) == []
    # Tampering with the synthesized JSON is caught.
    platform = target / "synth" / "stacks" / "boi-dev-platform" / "cdk.tf.json"
    platform.write_text(platform.read_text().replace('"force_ssl"', '"force_ssI"', 1) + " ")
    assert evidence.verify(target) == [
        "synth/stacks/boi-dev-platform/cdk.tf.json: changed (SHA-256 differs from MANIFEST.sha256)"
    ]


@pytest.mark.slow
def test_proofs_are_included_and_a_rerun_replaces_the_pack(synth_env, tmp_path):
    out, _ = synth_env("dev")
    proofs = tmp_path / "iam-proofs.json"
    proofs.write_text(json.dumps({"passed": 12, "failed": 0, "cases": []}))
    dest = tmp_path / "evidence"
    (dest / DAY.isoformat()).mkdir(parents=True)
    (dest / DAY.isoformat() / "stale.txt").write_text("from an earlier run\n")
    target, sections = evidence.build_pack(out, dest, DAY, run_gate=False, proofs=proofs)
    assert not (target / "stale.txt").exists()
    assert (target / "iam-proofs" / "iam-proofs.json").read_bytes() == proofs.read_bytes()
    assert sections["iam_proofs"]["summary"] == {"passed": 12, "failed": 0}
    assert [p.name for p in dest.iterdir()] == [DAY.isoformat()], "scratch folders left behind"
    assert evidence.verify(target) == []


@pytest.mark.slow
@pytest.mark.skipif(not (ROOT / "tools" / "checkov" / ".venv").is_dir(), reason="checkov not installed (make setup)")
def test_pack_runs_the_gate(synth_env, tmp_path):
    out, _ = synth_env("dev")
    target, sections = evidence.build_pack(out, tmp_path / "evidence", DAY, proofs=tmp_path / "none.json")
    assert sections["gate"]["status"] == "included", sections["gate"]
    gate = json.loads((target / "gate" / "gate.json").read_text())
    assert isinstance(gate, dict)
    sarif = json.loads((target / "gate" / "checkov.sarif").read_text())
    assert sarif["version"] == "2.1.0"
    assert evidence.verify(target) == []
