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
_PINNED_REF = re.compile(r"^(v\d+(\.\d+){0,2}|[0-9a-f]{40})$")  # pre-commit hook revs
# A workflow action: a full 40-hex commit SHA (a tag can be moved to other code; a SHA cannot), with the
# version it is in a comment on the same line: `uses: owner/repo@<sha> # v1.2.3`.
_SHA_PINNED_USES = re.compile(r"^\s*-?\s*uses:\s*(\S+?)@([0-9a-f]{40})\s+#\s*v\d+(\.\d+){0,2}\s*$")
_USES_LINE = re.compile(r"^\s*-?\s*uses:\s*(\S+)")


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


def unpinned_actions(text: str) -> list[str]:
    """Every `uses:` of a workflow's text that is not an action pinned by a full commit SHA with its
    version in a comment (local actions `./...` excepted; `docker://` images must use a digest)."""
    bad = []
    for line in text.splitlines():
        found = _USES_LINE.match(line)
        if not found or found.group(1).startswith("./"):
            continue
        uses = found.group(1).strip("'\"")
        if uses.startswith("docker://"):
            if "@sha256:" not in uses:
                bad.append(uses)
            continue
        if not _SHA_PINNED_USES.match(line):
            bad.append(line.strip().removeprefix("- ").removeprefix("uses:").strip())
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
    sha = "11bd71901bbe5b1630ceea73d27597364c9af683"
    bad = f"""
    steps:
      - uses: actions/checkout@main
      - uses: x/y
      - uses: actions/checkout@v4
      - uses: actions/checkout@v4.2.2
      - uses: actions/checkout@{sha}
      - uses: actions/checkout@{sha[:12]} # v4.2.2
      - name: x
        uses: "aws-actions/configure-aws-credentials@v4"
      - uses: docker://alpine:3.20
    """
    assert (
        unpinned_actions(bad)
        == [
            "actions/checkout@main",
            "x/y",
            "actions/checkout@v4",
            "actions/checkout@v4.2.2",
            f"actions/checkout@{sha}",  # no version comment: nobody can tell what it is
            f"actions/checkout@{sha[:12]} # v4.2.2",  # a short SHA is ambiguous
            '"aws-actions/configure-aws-credentials@v4"',
            "docker://alpine:3.20",
        ]
    )
    good = f"""
      - uses: actions/checkout@{sha} # v4.2.2
      - name: x
        uses: aws-actions/configure-aws-credentials@e3dd6a429d7300a6a4c196c26e071d42e0343502 # v4.0.2
      - uses: ./.github/actions/local
      - uses: docker://alpine@sha256:{"a" * 64}
    """
    assert unpinned_actions(good) == []
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
    assert unpinned_actions(path.read_text()) == []
    for name, job in workflow["jobs"].items():  # least privilege: every job states its own permissions
        assert isinstance(job.get("permissions"), dict), f"job {name}: set its permissions"
        assert "write-all" not in str(job["permissions"]) and job["permissions"].get("contents") in ("read", None)
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
    events = triggers(workflow)
    assert "labeled" not in events["pull_request"]["types"]  # no label decides anything
    assert {"submitted", "dismissed"} <= set(events["pull_request_review"]["types"])
    jobs = workflow["jobs"]
    steps = [s for job in jobs.values() for s in job["steps"]]
    runs = "\n".join(s.get("run", "") for s in steps)
    for needed in ("make setup", "make synth", "--sarif", "--terraform", "make test", "make plan ENV="):
        assert needed in runs, needed
    assert "make review BASE=origin/${{ github.base_ref }}" in runs and "--plans cdktf.out/plans" in runs
    # The plan job plans with the read-only role; only the review job may comment, through GitHub's action.
    creds = next(s for s in jobs["plan"]["steps"] if s.get("uses", "").startswith("aws-actions/"))
    assert creds["with"]["role-to-assume"].endswith(":role/boi-${{ env.ENV }}-plan")
    assert jobs["plan"]["permissions"] == {"contents": "read", "id-token": "write"}
    assert jobs["review"]["needs"] == "plan" and jobs["review"]["steps"][0]["with"]["fetch-depth"] == 0
    writers = {name for name, job in jobs.items() if "write" in job["permissions"].values()}
    assert writers == {"plan", "review"}
    assert jobs["review"]["permissions"] == {"contents": "read", "pull-requests": "write"}
    third_party = [s["uses"] for s in jobs["review"]["steps"] if "uses" in s and not s["uses"].startswith("actions/")]
    assert third_party == [], "a job that can write to the pull request runs only GitHub's own actions"
    # The security gate: a code owner's approval of the current commit, never a label.
    gate = jobs["security-gate"]
    assert gate["permissions"] == {"contents": "read", "pull-requests": "read"}
    script = next(s for s in gate["steps"] if s.get("uses", "").startswith("actions/github-script@"))
    assert "exit_code == '3'" in script["if"]
    body = script["with"]["script"]
    assert "CODEOWNERS" in body and "APPROVED" in body and "pr.head.sha" in body and "pr.user.login" in body
    assert "label" not in body.lower()


def codeowners() -> dict[str, list[str]]:
    rules = {}
    for line in (REPO / ".github" / "CODEOWNERS").read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            pattern, *owners = line.split()
            rules[pattern] = owners
    return rules


def test_codeowners_protect_the_security_files():
    rules = codeowners()
    security = rules["/catalogs/iam/access_matrix.yaml"]
    assert security and all(o.startswith("@") for o in security)
    for path in (
        "/catalogs/iam/access_matrix.yaml",
        "/catalogs/gate/suppressions.yaml",
        "/catalogs/iam/accepted_findings.yaml",
        "/catalogs/kms/",
        "/app/foundation/",
        "/.github/",
        "/app/stacks/locks/",
    ):
        assert rules.get(path) == security, path
        assert (REPO / path.strip("/")).exists(), f"CODEOWNERS names {path}, which does not exist"


def role_of(job: dict) -> str:
    step = next(s for s in job["steps"] if s.get("uses", "").startswith("aws-actions/configure-aws-credentials@"))
    return step["with"]["role-to-assume"]


def test_main_workflow_plans_then_applies_the_saved_plan_dev_before_prod():
    workflow = load("main.yml")
    jobs = workflow["jobs"]
    configs = {p.stem: yaml.safe_load(p.read_text()) for p in (REPO / "config").glob("*.yaml")}
    order = []
    for env in ("dev", "prod"):
        cicd = configs[env]["cicd"]
        for kind, github_env in (
            ("foundation", cicd["foundation_environment"]),
            ("platform", cicd["github_environment"]),
        ):
            stack = f"boi-{env}-{kind}"
            plan, apply = jobs[f"{env}-{kind}-plan"], jobs[f"{env}-{kind}-apply"]
            order += [f"{env}-{kind}-plan", f"{env}-{kind}-apply"]
            # Plans run as the read-only plan role outside any GitHub environment (its OIDC subject).
            assert "environment" not in plan and plan["permissions"] == {"contents": "read", "id-token": "write"}
            assert role_of(plan).endswith(f":role/boi-{env}-plan")
            plan_runs = "\n".join(s.get("run", "") for s in plan["steps"])
            assert f"make synth ENV={env}" in plan_runs and f"make plan ENV={env} STACK={stack}" in plan_runs
            # The apply: the deploy role trusted only in this GitHub environment, the saved plan only.
            assert apply["environment"] == github_env and apply["needs"] == f"{env}-{kind}-plan"
            assert role_of(apply).endswith(f":role/boi-{env}-{kind}-deploy")
            apply_runs = "\n".join(s.get("run", "") for s in apply["steps"])
            assert "make synth" not in apply_runs and "boi synth" not in apply_runs  # no re-synth
            assert "-auto-approve" not in apply_runs and "terraform apply" not in apply_runs  # no new plan
            assert f"boi plan apply --stack {stack}" in apply_runs
            assert f"needs.{env}-{kind}-plan.outputs.tfplan_sha256" in apply_runs and "--expect-commit" in apply_runs
            download = next(s for s in apply["steps"] if s.get("uses", "").startswith("actions/download-artifact@"))
            upload = next(s for s in plan["steps"] if s.get("uses", "").startswith("actions/upload-artifact@"))
            assert download["with"]["name"] == upload["with"]["name"] and upload["with"]["include-hidden-files"]
    # Each job needs the one before it: foundation before platform, dev before prod (never matrix order).
    for before, after in zip(order, order[1:], strict=False):
        assert jobs[after].get("needs") == before, (before, after)
    assert "strategy" not in str(jobs)


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
