"""Release rules for the separately versioned components `iam/`, `kms/`, `audit/`.

    boi release check  [--repo .] [--json]     # make release-check
    boi release record [--repo .]              # rewrite releases.json (versions + HEAD)

For each component the check fails when:

* its `pyproject.toml` version is not a semantic version (`MAJOR.MINOR.PATCH[-pre]`);
* the top entry of its `CHANGELOG.md` (`## <version>`) is not that version;
* its files (everything under the component folder except `tests/` and Markdown documents,
  committed or not) changed since
  its last release without a version bump: the last release is the highest tag
  `boi-<name>-v<version>`, or, before the first tag, the commit recorded in `releases.json`;
* the root app does not pin the exact version it was tested with (`boi-iam==<version>` in the root
  `pyproject.toml` dependencies).

Exit codes: 0 every component passes; 1 a rule is broken (each problem on its own line, with what to
do); 2 bad input (not a git repository, unreadable pyproject or releases.json, unknown commit).
The check is pure git + file reading: no network, no build.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tomllib
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
RELEASES_FILE = "releases.json"
# folder -> distribution name; the tag of a release is boi-<folder>-v<version>
COMPONENTS: dict[str, str] = {"iam": "boi-iam", "kms": "boi-kms", "audit": "boi-audit"}
_SEMVER = re.compile(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-([0-9A-Za-z.-]+))?$")
_CHANGELOG_ENTRY = re.compile(r"^##\s+\[?v?([0-9][^\]\s]*)\]?")


class ReleaseError(Exception):
    """The check cannot run (exit 2)."""


def semver(text: str) -> tuple[int, int, int, int, str] | None:
    """Sortable key of a semantic version (a pre-release sorts before its release), or None."""
    m = _SEMVER.match(text or "")
    if not m:
        return None
    pre = m.group(4) or ""
    return int(m.group(1)), int(m.group(2)), int(m.group(3)), 0 if pre else 1, pre


def tag_name(folder: str, version: str) -> str:
    return f"boi-{folder}-v{version}"


@dataclass
class ComponentStatus:
    folder: str
    package: str
    version: str
    baseline: str = ""  # "tag boi-iam-v0.1.0" or "releases.json commit abc123"
    baseline_version: str = ""
    changed_files: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def _git(repo: Path, *args: str) -> str:
    proc = subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise ReleaseError(f"`git {' '.join(args)}` failed in {repo}: {proc.stderr.strip()}")
    return proc.stdout


def _read_toml(path: Path) -> dict:
    try:
        return tomllib.loads(path.read_text())
    except FileNotFoundError as err:
        raise ReleaseError(f"{path}: file not found") from err
    except tomllib.TOMLDecodeError as err:
        raise ReleaseError(f"{path}: not valid TOML: {err}") from err


def changelog_top_version(path: Path) -> str | None:
    if not path.is_file():
        return None
    for line in path.read_text().splitlines():
        m = _CHANGELOG_ENTRY.match(line)
        if m:
            return m.group(1)
    return None


def load_releases(repo: Path) -> dict[str, dict[str, str]]:
    path = repo / RELEASES_FILE
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text())
    except json.JSONDecodeError as err:
        raise ReleaseError(f"{path}: not valid JSON: {err}") from err
    components = data.get("components") if isinstance(data, dict) else None
    if not isinstance(components, dict):
        raise ReleaseError(f'{path}: expected {{"components": {{"<folder>": {{"version", "commit"}}}}}}')
    for folder, entry in components.items():
        if not (isinstance(entry, dict) and isinstance(entry.get("version"), str) and entry.get("commit")):
            raise ReleaseError(f"{path}: components.{folder} needs a version and a commit, got {entry!r}")
    return components


def last_tag(repo: Path, folder: str) -> tuple[str, str] | None:
    """(tag, version) of the highest `boi-<folder>-v<semver>` tag, or None."""
    prefix = f"boi-{folder}-v"
    tags = [t for t in _git(repo, "tag", "--list", f"{prefix}*").split() if semver(t[len(prefix) :])]
    if not tags:
        return None
    best = max(tags, key=lambda t: semver(t[len(prefix) :]))
    return best, best[len(prefix) :]


def changed_files(repo: Path, base: str, folder: str) -> list[str]:
    """Files under <folder>/ that differ from `base` (commits, staged and unstaged changes, untracked
    files); tests and Markdown documents (README, CHANGELOG) need no release of their own."""
    diff = _git(repo, "diff", "--name-only", base, "--", folder).split("\n")
    untracked = _git(repo, "ls-files", "--others", "--exclude-standard", "--", folder).split("\n")
    files = {f for f in diff + untracked if f}
    return sorted(f for f in files if not f.startswith(f"{folder}/tests/") and not f.endswith(".md"))


def root_pins(repo: Path) -> dict[str, str]:
    """Distribution name -> the full requirement string in the root pyproject dependencies."""
    deps = _read_toml(repo / "pyproject.toml").get("project", {}).get("dependencies", [])
    pins = {}
    for dep in deps:
        name = re.split(r"[\s=<>!~\[;(]", dep, maxsplit=1)[0].lower()
        pins[name] = dep.replace(" ", "")
    return pins


def check(repo: Path = REPO_ROOT, components: dict[str, str] = COMPONENTS) -> list[ComponentStatus]:
    repo = Path(repo)
    _git(repo, "rev-parse", "--git-dir")
    releases = load_releases(repo)
    pins = root_pins(repo)
    statuses = []
    for folder, package in components.items():
        project = _read_toml(repo / folder / "pyproject.toml").get("project", {})
        version = str(project.get("version", ""))
        status = ComponentStatus(folder, package, version)
        problems = status.problems
        if project.get("name") != package:
            problems.append(f"{folder}/pyproject.toml: name is {project.get('name')!r}, expected {package!r}")
        if semver(version) is None:
            problems.append(
                f"{folder}/pyproject.toml: version {version!r} is not a semantic version (MAJOR.MINOR.PATCH)"
            )
        top = changelog_top_version(repo / folder / "CHANGELOG.md")
        if top is None:
            problems.append(f"{folder}/CHANGELOG.md: missing or has no `## <version>` entry; add `## {version}`")
        elif top != version:
            problems.append(
                f"{folder}/CHANGELOG.md: top entry is {top}, but {folder}/pyproject.toml says {version}; "
                f"add a `## {version}` entry at the top"
            )
        tagged = last_tag(repo, folder)
        if tagged:
            base, status.baseline_version = tagged
            status.baseline = f"tag {base}"
        elif folder in releases:
            base, status.baseline_version = releases[folder]["commit"], releases[folder]["version"]
            status.baseline = f"{RELEASES_FILE} commit {base[:12]}"
            _git(repo, "rev-parse", "--verify", f"{base}^{{commit}}")
        else:
            base = ""
            problems.append(
                f"{folder}: no tag {tag_name(folder, '<version>')} and no entry in {RELEASES_FILE}; "
                "run `python -m boi.release record` to record the current release"
            )
        if base:
            status.changed_files = changed_files(repo, base, folder)
            old, new = semver(status.baseline_version), semver(version)
            if status.changed_files and old is not None and new is not None and new <= old:
                shown = ", ".join(status.changed_files[:5]) + (" …" if len(status.changed_files) > 5 else "")
                problems.append(
                    f"{folder}: changed since {status.baseline} ({shown}) but the version is still "
                    f"{version}; bump it in {folder}/pyproject.toml, add a CHANGELOG entry and update "
                    f"the root pin"
                )
            elif old is not None and new is not None and new < old:
                problems.append(
                    f"{folder}: version {version} is lower than {status.baseline_version} ({status.baseline})"
                )
        pin = pins.get(package)
        if pin != f"{package}=={version}":
            problems.append(
                f"pyproject.toml: the root app must pin `{package}=={version}` (the version it was tested "
                f"with), found {pin!r}; then run `uv lock`"
            )
        statuses.append(status)
    return statuses


def record(repo: Path = REPO_ROOT, components: dict[str, str] = COMPONENTS) -> Path:
    """Write releases.json: each component's current version and the HEAD commit."""
    head = _git(repo, "rev-parse", "HEAD").strip()
    data = {
        "//": "Last released version of each component and the commit it was released from; "
        "used by `make release-check` until a boi-<name>-v<version> tag exists. See RELEASING.md.",
        "components": {
            folder: {
                "package": package,
                "version": str(_read_toml(repo / folder / "pyproject.toml").get("project", {}).get("version")),
                "commit": head,
            }
            for folder, package in components.items()
        },
    }
    path = Path(repo) / RELEASES_FILE
    path.write_text(json.dumps(data, indent=2) + "\n")
    return path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="release_command", metavar="<check|record>", required=True)
    check_cmd = sub.add_parser("check", help="versions, changelogs, changes since the last release, root pins")
    check_cmd.add_argument("--repo", type=Path, default=REPO_ROOT)
    check_cmd.add_argument("--json", action="store_true")
    record_cmd = sub.add_parser("record", help=f"write {RELEASES_FILE} (current versions, HEAD commit)")
    record_cmd.add_argument("--repo", type=Path, default=REPO_ROOT)


def run(args: argparse.Namespace) -> int:
    try:
        if args.release_command == "record":
            print(f"wrote {record(args.repo)}")
            return 0
        statuses = check(args.repo)
    except ReleaseError as err:
        print(f"release error: {err}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps([asdict(s) for s in statuses], indent=2))
    else:
        for s in statuses:
            since = f"since {s.baseline}: {len(s.changed_files)} file(s) changed" if s.baseline else ""
            print(f"{s.package} {s.version}: {'ok' if not s.problems else 'FAILED'} {since}".rstrip())
            for problem in s.problems:
                print(f"  - {problem}")
    failed = [s for s in statuses if s.problems]
    print("RELEASE CHECK " + ("FAILED" if failed else "PASSED"), file=sys.stderr)
    return 1 if failed else 0


def main(argv: Sequence[str] | None = None) -> int:
    from boi.cli import run_command

    return run_command("release", argv)


if __name__ == "__main__":
    sys.exit(main())
