"""boi.release on a temporary git repository with the three components, and on this repository's files."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from boi import release

COMPONENTS = release.COMPONENTS  # iam, kms, audit
REPO = Path(__file__).resolve().parents[1]


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        cwd=repo,
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def write_component(repo: Path, folder: str, version: str, changelog_top: str | None = None) -> None:
    (repo / folder / f"boi_{folder}").mkdir(parents=True, exist_ok=True)
    (repo / folder / f"boi_{folder}" / "__init__.py").touch()
    (repo / folder / "pyproject.toml").write_text(f'[project]\nname = "boi-{folder}"\nversion = "{version}"\n')
    entries = f"## {changelog_top or version}\n\n- change\n\n## 0.1.0\n\n- first\n"
    (repo / folder / "CHANGELOG.md").write_text("# Changelog\n\n" + (entries if version != "0.1.0" else "## 0.1.0\n"))


def write_root(repo: Path, pins: dict[str, str]) -> None:
    deps = ", ".join(f'"{name}=={version}"' for name, version in pins.items())
    (repo / "pyproject.toml").write_text(f'[project]\nname = "app"\nversion = "1.0.0"\ndependencies = [{deps}]\n')


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    git(tmp_path, "init", "-q", "-b", "main")
    for folder in COMPONENTS:
        write_component(tmp_path, folder, "0.1.0")
    write_root(tmp_path, {package: "0.1.0" for package in COMPONENTS.values()})
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-qm", "initial")
    release.record(tmp_path, COMPONENTS)
    git(tmp_path, "add", "releases.json")
    git(tmp_path, "commit", "-qm", "record releases")
    return tmp_path


def problems(repo: Path) -> dict[str, list[str]]:
    return {s.folder: s.problems for s in release.check(repo, COMPONENTS)}


def test_a_recorded_unchanged_repo_passes(repo):
    assert problems(repo) == {"iam": [], "kms": [], "audit": []}
    recorded = json.loads((repo / "releases.json").read_text())["components"]
    assert recorded["iam"]["version"] == "0.1.0"
    assert recorded["iam"]["commit"] == git(repo, "rev-parse", "HEAD~1").strip()


def test_change_without_bump_fails_then_bump_changelog_and_pin_pass(repo):
    (repo / "iam" / "boi_iam" / "grants.py").write_text("X = 1\n")  # untracked counts too
    [message] = problems(repo)["iam"]
    assert "changed since releases.json commit" in message and "iam/boi_iam/grants.py" in message
    assert problems(repo)["kms"] == []

    write_component(repo, "iam", "0.2.0")
    assert any("must pin `boi-iam==0.2.0`" in p for p in problems(repo)["iam"])
    write_root(repo, {"boi-iam": "0.2.0", "boi-kms": "0.1.0", "boi-audit": "0.1.0"})
    assert problems(repo)["iam"] == []


def test_test_and_document_changes_need_no_release(repo):
    (repo / "iam" / "tests").mkdir()
    (repo / "iam" / "tests" / "test_x.py").write_text("def test(): pass\n")
    (repo / "iam" / "README.md").write_text("# boi-iam\n")
    assert problems(repo)["iam"] == []
    (repo / "iam" / "boi_iam" / "data.yaml").write_text("x: 1\n")  # data files ship in the wheel
    assert problems(repo)["iam"] != []


def test_changelog_top_entry_must_match_the_version(repo):
    write_component(repo, "kms", "0.2.0", changelog_top="0.1.1")
    write_root(repo, {"boi-iam": "0.1.0", "boi-kms": "0.2.0", "boi-audit": "0.1.0"})
    [message] = problems(repo)["kms"]
    assert "top entry is 0.1.1" in message and "## 0.2.0" in message


def test_the_last_version_tag_wins_over_releases_json(repo):
    write_component(repo, "iam", "0.2.0")
    write_root(repo, {"boi-iam": "0.2.0", "boi-kms": "0.1.0", "boi-audit": "0.1.0"})
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "iam 0.2.0")
    git(repo, "tag", "boi-iam-v0.2.0")
    git(repo, "tag", "boi-iam-v0.1.0", "HEAD~1")  # lower tags are ignored: tags compare as semver
    status = {s.folder: s for s in release.check(repo, COMPONENTS)}["iam"]
    assert status.baseline == "tag boi-iam-v0.2.0" and status.problems == []

    (repo / "iam" / "boi_iam" / "__init__.py").write_text("VERSION = 2\n")
    git(repo, "commit", "-qam", "change after the tag")
    [message] = problems(repo)["iam"]
    assert "changed since tag boi-iam-v0.2.0" in message


def test_not_semver_and_missing_changelog(repo):
    (repo / "kms" / "pyproject.toml").write_text('[project]\nname = "boi-kms"\nversion = "1.0"\n')
    (repo / "kms" / "CHANGELOG.md").unlink()
    found = " ".join(problems(repo)["kms"])
    assert "is not a semantic version" in found and "CHANGELOG.md: missing" in found


def test_semver_order():
    assert release.semver("0.10.0") > release.semver("0.2.0")
    assert release.semver("1.0.0-rc.1") < release.semver("1.0.0")
    assert release.semver("1.0") is None and release.semver("01.0.0") is None


def test_cli_exit_codes(repo, tmp_path, capsys):
    assert release.main(["check", "--repo", str(repo)]) == 0
    (repo / "iam" / "boi_iam" / "new.py").write_text("")
    assert release.main(["check", "--repo", str(repo)]) == 1
    assert "bump it in iam/pyproject.toml" in capsys.readouterr().out
    (repo / "releases.json").write_text("{not json")
    assert release.main(["check", "--repo", str(repo)]) == 2
    not_git = tmp_path / "plain"
    not_git.mkdir()
    assert release.main(["check", "--repo", str(not_git)]) == 2


def test_this_repository_pins_its_components_and_records_them():
    pins = release.root_pins(REPO)
    recorded = json.loads((REPO / "releases.json").read_text())["components"]
    for folder, package in release.COMPONENTS.items():
        version = release._read_toml(REPO / folder / "pyproject.toml")["project"]["version"]
        assert pins[package] == f"{package}=={version}"
        assert release.semver(recorded[folder]["version"]) is not None
        subprocess.run(["git", "cat-file", "-e", recorded[folder]["commit"]], cwd=REPO, check=True)
