"""The pipeline files: GitHub workflows and pre-commit hooks are well formed, pinned, and only call
make targets, `boi` commands and Python modules that exist in this repository."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
WORKFLOWS = sorted((REPO / ".github" / "workflows").glob("*.yml"))
PRE_COMMIT = REPO / ".pre-commit-config.yaml"
_MAKE_CALL = re.compile(r"(?:^|[\s;&|(])make\s+((?:-\S+\s+)*)([A-Za-z][\w.-]*)")
_PYTHON_MODULE = re.compile(r"python\s+-m\s+([\w.]+)")
_BOI_COMMAND = re.compile(r"(?:^|[\s;&|(])boi\s+([a-z][\w-]*)")
_PINNED_REF = re.compile(r"^(v\d+(\.\d+){0,2}|[0-9a-f]{40})$")


# ---------------------------------------------------------------- checkers (tested below)


def makefile_targets(text: str) -> set[str]:
    targets = set()
    for line in text.splitlines():
        m = re.match(r"^([A-Za-z0-9_./-][^:=#\t]*?)\s*::?(?!=)", line)
        if m and not line.startswith("\t"):
            targets.update(m.group(1).split())
    return targets


def make_calls(command: str) -> list[str]:
    return [m.group(2) for m in _MAKE_CALL.finditer(command)]


def unknown_boi_commands(command: str) -> list[str]:
    from boi.cli import COMMANDS

    known = set(COMMANDS) | {alias for c in COMMANDS.values() for alias in c.aliases}
    return [name for name in _BOI_COMMAND.findall(command) if name not in known]


def unpinned_actions(workflow: dict) -> list[str]:
    bad = []
    for job in (workflow.get("jobs") or {}).values():
        for step in job.get("steps") or []:
            uses = step.get("uses")
            if not uses or uses.startswith(("./", "docker://")):
                continue
            action, _, ref = uses.partition("@")
            if not ref or not _PINNED_REF.match(ref):
                bad.append(uses)
    return bad


def run_commands(workflow: dict) -> list[str]:
    return [step["run"] for job in workflow["jobs"].values() for step in job.get("steps", []) if "run" in step]


def triggers(workflow: dict) -> dict:
    # YAML 1.1 reads a bare `on:` key as the boolean True.
    value = workflow.get("on", workflow.get(True))
    return value if isinstance(value, dict) else {name: None for name in ([value] if isinstance(value, str) else value)}


@pytest.fixture(scope="module")
def targets() -> set[str]:
    return makefile_targets((REPO / "Makefile").read_text())


def load(name: str) -> dict:
    return yaml.safe_load((REPO / ".github" / "workflows" / name).read_text())


# ---------------------------------------------------------------- the checkers can fail


def test_checkers_catch_bad_input():
    assert unpinned_actions({"jobs": {"a": {"steps": [{"uses": "actions/checkout@main"}, {"uses": "x/y"}]}}}) == [
        "actions/checkout@main",
        "x/y",
    ]
    assert unpinned_actions({"jobs": {"a": {"steps": [{"uses": "actions/checkout@v4.2.2"}]}}}) == []
    assert make_calls("make setup && make -s review BASE=x; cd a && make\tnope") == [
        "setup",
        "review",
        "nope",
    ]
    assert makefile_targets("a b: c\n\techo make d\nX := 1\n.PHONY: a\n") == {"a", "b", ".PHONY"}
    assert unknown_boi_commands("uv run --frozen boi gate --out x && boi nope; $(RUN) boi check") == ["nope"]


# ---------------------------------------------------------------- every workflow


def test_there_are_the_two_workflows():
    assert {p.name for p in WORKFLOWS} == {"pull-request.yml", "main.yml"}


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_workflow_structure(path, targets):
    workflow = yaml.safe_load(path.read_text())
    assert isinstance(workflow, dict) and workflow.get("name")
    assert triggers(workflow), "no `on:` triggers"
    assert workflow.get("permissions"), "set least-privilege top-level permissions"
    assert workflow["jobs"]
    for name, job in workflow["jobs"].items():
        assert job.get("runs-on"), f"job {name}: runs-on"
        assert job.get("steps"), f"job {name}: steps"
        for step in job["steps"]:
            assert ("uses" in step) != ("run" in step), f"job {name}: step needs exactly one of uses/run: {step}"
    assert unpinned_actions(workflow) == []
    missing = sorted({t for cmd in run_commands(workflow) for t in make_calls(cmd)} - targets)
    assert missing == [], f"{path.name} runs make targets that the Makefile lacks: {missing}"
    for cmd in run_commands(workflow):
        for module in _PYTHON_MODULE.findall(cmd):
            assert importlib.util.find_spec(module) is not None, f"{path.name}: python -m {module}"
        assert unknown_boi_commands(cmd) == [], f"{path.name}: {cmd}"


def test_makefile_calls_boi_commands_that_exist():
    text = (REPO / "Makefile").read_text()
    assert unknown_boi_commands(text) == []
    assert "python -m boi" not in text, "the Makefile calls the tools through `boi <command>`"


def test_pull_request_workflow():
    workflow = load("pull-request.yml")
    assert {"labeled", "unlabeled", "synchronize"} <= set(triggers(workflow)["pull_request"]["types"])
    steps = [s for job in workflow["jobs"].values() for s in job["steps"]]
    runs = "\n".join(s.get("run", "") for s in steps)
    uses = [s.get("uses", "") for s in steps]
    for needed in (
        "make setup",
        "make synth",
        "--sarif",
        "make test",
        "make review BASE=origin/${{ github.base_ref }}",
    ):
        assert needed in runs, needed
    assert any(u.startswith("github/codeql-action/upload-sarif@") for u in uses)
    assert any(u.startswith("marocchino/sticky-pull-request-comment@") for u in uses)
    gate = next(s for s in steps if s.get("name", "").startswith("Permissions broadened"))
    assert "exit_code == '3'" in gate["if"] and "security-reviewed" in gate["if"]
    review_job = workflow["jobs"]["review"]
    assert review_job["steps"][0]["with"]["fetch-depth"] == 0
    assert review_job["permissions"]["pull-requests"] == "write"
    assert workflow["jobs"]["check"]["permissions"]["security-events"] == "write"


def test_main_workflow_uses_oidc_per_environment_and_protected_deploys():
    workflow = load("main.yml")
    configs = {p.stem: yaml.safe_load(p.read_text()) for p in (REPO / "config").glob("*.yaml")}
    for name in ("plan", "deploy"):
        job = workflow["jobs"][name]
        assert job["permissions"]["id-token"] == "write"
        assert job["environment"] == "${{ matrix.github_environment }}"
        for entry in job["strategy"]["matrix"]["include"]:
            # The deploy role trusts only this GitHub environment (settings cicd.github_environment).
            assert entry["github_environment"] == configs[entry["env"]]["cicd"]["github_environment"]
        creds = next(s for s in job["steps"] if s.get("uses", "").startswith("aws-actions/configure-aws-credentials@"))
        assert creds["with"]["role-to-assume"].endswith(":role/boi-${{ matrix.env }}-ci-deploy")
    assert workflow["jobs"]["deploy"]["needs"] == "plan"
    plan_runs = "\n".join(run_commands({"jobs": {"plan": workflow["jobs"]["plan"]}}))
    assert "make synth" in plan_runs and "make plan" in plan_runs


# ---------------------------------------------------------------- pre-commit


def test_pre_commit_hooks(targets):
    config = yaml.safe_load(PRE_COMMIT.read_text())
    hooks = {hook["id"]: hook for repo in config["repos"] for hook in repo["hooks"]}
    assert {"ruff", "ruff-format", "boi-gate", "boi-docs-fresh"} <= set(hooks)
    assert "boi docs" in hooks["boi-docs-fresh"]["entry"] and "--check" in hooks["boi-docs-fresh"]["entry"]
    for repo in config["repos"]:
        if repo["repo"] != "local":
            assert _PINNED_REF.match(repo["rev"]), f"{repo['repo']} rev {repo['rev']} is not pinned"
            continue
        for hook in repo["hooks"]:
            entry = hook["entry"]
            for module in _PYTHON_MODULE.findall(entry):
                assert importlib.util.find_spec(module) is not None, f"hook {hook['id']}: no module {module}"
            assert unknown_boi_commands(entry) == [], f"hook {hook['id']}: {entry}"
            missing = set(make_calls(entry)) - targets
            assert not missing, f"hook {hook['id']}: make targets {missing} do not exist"
            if "files" in hook:
                re.compile(hook["files"])
