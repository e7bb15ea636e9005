"""The `boi` command: --help everywhere without side effects, --version, usage errors exit 2, and a
synth that replaces only what it writes (`stacks/`, `manifest.json`)."""

from __future__ import annotations

import importlib.metadata
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from boi import cli

BOI = Path(sys.executable).parent / "boi"  # the console script of the locked environment
SUBCOMMANDS = {"plan": ["run", "scan", "summary"], "release": ["check", "record"]}


def run_boi(*args: str, cwd: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(BOI), *args], cwd=cwd, env={**os.environ, **(env or {})}, capture_output=True, text=True, check=False
    )


@pytest.fixture
def empty_cwd(tmp_path, monkeypatch):
    """Work from an empty folder; BOI_OUT_DIR points into it, so a command that ran instead of
    printing its help would leave something there."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("BOI_OUT_DIR", str(tmp_path / "cdktf.out"))
    return tmp_path


def test_the_entry_point_is_installed():
    assert BOI.is_file(), "uv sync installs the `boi` console script"


def test_top_level_help_lists_every_command(capsys):
    assert cli.main(["--help"]) == 0
    out = capsys.readouterr().out
    for name in cli.COMMANDS:
        assert name in out


def test_every_make_target_has_a_command():
    assert set(cli.COMMANDS) >= {
        "synth",
        "gate",
        "docs",
        "review",
        "plan",
        "audit",
        "iam-report",
        "rotation-report",
        "privileges",
        "handbook",
        "evidence",
        "e2e",
        "bench",
        "release",
        "catalogs",
    }
    assert "check" in cli.COMMANDS["gate"].aliases


@pytest.mark.parametrize(
    "argv",
    [[name, "--help"] for name in cli.COMMANDS]
    + [["check", "--help"]]
    + [[name, sub, "--help"] for name, subs in SUBCOMMANDS.items() for sub in subs],
    ids=" ".join,
)
def test_help_runs_nothing(argv, empty_cwd, capsys):
    assert cli.main(argv) == 0
    assert "usage:" in capsys.readouterr().out
    assert list(empty_cwd.iterdir()) == []


def test_synth_help_from_the_console_script_synthesizes_nothing(tmp_path):
    out = tmp_path / "out"
    proc = run_boi("synth", "--help", "--out", str(out), cwd=tmp_path, env={"BOI_OUT_DIR": str(out)})
    assert proc.returncode == 0, proc.stderr
    assert "usage: boi synth" in proc.stdout and proc.stderr == ""
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_version_is_the_package_version(tmp_path):
    proc = run_boi("--version", cwd=tmp_path)
    assert proc.returncode == 0
    assert proc.stdout.strip() == f"boi {importlib.metadata.version('boi-platform')}"


@pytest.mark.parametrize(
    "argv, usage",
    [
        ([], "usage: boi "),
        (["nope"], "usage: boi "),
        (["synth", "--env"], "usage: boi synth"),
        (["synth", "--bogus"], "usage: boi synth"),
        (["gate", "--bogus"], "usage: boi gate"),
        (["check", "--out"], "usage: boi gate"),
        (["plan"], "usage: boi plan"),
        (["plan", "apply"], "usage: boi plan"),
        (["release"], "usage: boi release"),
        (["audit"], "usage: boi audit"),
        (["evidence", "--date"], "usage: boi evidence"),
        (["review", "--before-dir", "x"], "usage: boi review"),
        (["rotation-report", "--bogus"], "usage: boi-kms-rotation-report"),
        (["catalogs", "frobnicate"], "usage: python -m boi.catalogs"),
    ],
    ids=lambda v: " ".join(v) if isinstance(v, list) else "",
)
def test_usage_errors_exit_2_with_the_usage(argv, usage, empty_cwd, capsys):
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert usage in err and "Traceback" not in err
    assert list(empty_cwd.iterdir()) == []


def test_console_script_usage_error_has_no_traceback(tmp_path):
    proc = run_boi("synth", "--env", cwd=tmp_path)
    assert proc.returncode == 2
    assert "usage: boi synth" in proc.stderr and "expected one argument" in proc.stderr
    assert "Traceback" not in proc.stderr
    proc = run_boi("frobnicate", cwd=tmp_path)
    assert proc.returncode == 2 and "invalid choice: 'frobnicate'" in proc.stderr


def test_python_dash_m_is_the_same_command(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "boi.gate", "--help"], cwd=tmp_path, capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0 and "usage: boi gate" in proc.stdout


# ---------------------------------------------------------------- outputs of one command are kept by another


def _fake_synth(outdir: str, stacks: list[str]) -> None:
    for name in stacks:
        (Path(outdir) / "stacks" / name).mkdir(parents=True)
        (Path(outdir) / "stacks" / name / "cdk.tf.json").write_text("{}")
    (Path(outdir) / "manifest.json").write_text(json.dumps({"stacks": {n: {} for n in stacks}}))


def test_synth_replaces_only_stacks_and_manifest(tmp_path, monkeypatch):
    from app.stacks import synth as app_synth

    class FakeApp:
        def __init__(self, outdir):
            self.outdir = outdir

        def synth(self):
            _fake_synth(self.outdir, ["boi-local-platform"])

    monkeypatch.setattr(app_synth, "build_app", lambda settings, outdir: FakeApp(outdir))
    out = tmp_path / "cdktf.out"
    _fake_synth(str(out), ["boi-prod-platform"])
    for folder, name in (("gate", "checkov.sarif"), ("review", "review.md"), ("plans", "boi-prod-platform.json")):
        (out / folder).mkdir()
        (out / folder / name).write_text(folder)
    app_synth.synth("local", str(out))
    assert sorted(p.name for p in (out / "stacks").iterdir()) == ["boi-local-platform"]
    assert json.loads((out / "manifest.json").read_text()) == {"stacks": {"boi-local-platform": {}}}
    assert (out / "gate" / "checkov.sarif").read_text() == "gate"
    assert (out / "review" / "review.md").read_text() == "review"
    assert (out / "plans" / "boi-prod-platform.json").read_text() == "plans"
    assert sorted(p.name for p in out.iterdir()) == ["gate", "manifest.json", "plans", "review", "stacks"]
    assert [p.name for p in tmp_path.iterdir()] == ["cdktf.out"]  # no scratch folder left


@pytest.mark.slow
def test_boi_synth_keeps_the_gate_folder_and_reports_progress(tmp_path):
    out = tmp_path / "cdktf.out"
    (out / "gate").mkdir(parents=True)
    (out / "gate" / "checkov.sarif").write_text("{}")
    (out / "stacks" / "boi-old-platform").mkdir(parents=True)
    proc = run_boi("synth", "--env", "local", "--out", str(out), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert (out / "gate" / "checkov.sarif").read_text() == "{}"
    assert sorted(p.name for p in (out / "stacks").iterdir()) == [
        "boi-local-bootstrap",
        "boi-local-foundation",
        "boi-local-platform",
    ]
    assert "synth local …" in proc.stderr
    assert [line for line in proc.stderr.splitlines() if line.startswith("synth local: ")], proc.stderr
    assert "synth local" not in proc.stdout
    manifest = (out / "manifest.json").stat().st_mtime_ns

    again = run_boi("synth", "--env", "local", "--out", str(out), "--if-missing", cwd=tmp_path)
    assert again.returncode == 0 and "using the existing synth" in again.stderr
    assert (out / "manifest.json").stat().st_mtime_ns == manifest
