"""Terraform plans of the synthesized stacks: make them, summarize them, scan them with checkov.

    boi plan run  --out cdktf.out [--plans DIR]         # make plan
    boi plan scan --plans cdktf.out/plans [--out cdktf.out] [--sarif F] [--json]
    boi plan summary --plans cdktf.out/plans [--json]

`run` needs the Terraform CLI (with the provider mirror, see boi.terraform) and AWS credentials,
or `AWS_ENDPOINT_URL` for an embedded AWS endpoint (moto): then each stack is planned in a scratch
copy with a local backend and the provider pointed at that endpoint. Per stack it runs
`terraform init`, `terraform plan -out`, `terraform show -json` into `<plans>/<stack>.json`
(default `<out>/plans`). Without Terraform or credentials it says so and skips (exit 0). Against an
embedded endpoint, a stack that reads another stack's outputs (terraform_remote_state) plans only
once that stack has been applied there (its state bucket must exist), as `boi.e2e` does.

`scan` is the gate over plan files: checkov `--framework terraform_plan`, run and parsed with the
gate's own functions (`boi.gate`), with the reviewed suppressions the synth attached to the
resources (entries whose modes include `plan`), so resolved values (a bucket name, a key id) that
the JSON only holds as references are checked too.

`summary` counts create/update/delete/replace per stack (what `boi review --plans` shows).

Exit codes: run: 0 planned or skipped, 1 a stack failed to plan, 2 setup error;
scan: as the gate (0 passed, 1 failed, 2 bad input or tool error); summary: 0, or 2 on bad input.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from boi import gate, progress, terraform

PLAN_ACTIONS = ("create", "update", "delete", "replace", "read", "no-op")
_CREDENTIAL_ENV = (
    ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"),
    ("AWS_PROFILE",),
    ("AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN"),
    ("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",),
    ("AWS_CONTAINER_CREDENTIALS_FULL_URI",),
)


class PlanError(Exception):
    """Bad input or a tool that could not run (exit 2)."""


# ---------------------------------------------------------------- summaries (pure)


def classify(actions: Sequence[str]) -> str:
    """Terraform's `change.actions` -> one of PLAN_ACTIONS."""
    actions = list(actions)
    if sorted(actions) == ["create", "delete"]:
        return "replace"
    if len(actions) == 1 and actions[0] in PLAN_ACTIONS:
        return actions[0]
    raise PlanError(f"unknown change actions {actions!r}")


def summarize_plan(plan: dict) -> dict[str, int]:
    """Counts per action of `resource_changes` in a `terraform show -json` plan."""
    if not isinstance(plan, dict) or "resource_changes" not in plan and "format_version" not in plan:
        raise PlanError("not a `terraform show -json` plan (no format_version or resource_changes)")
    counts = dict.fromkeys(PLAN_ACTIONS, 0)
    for change in plan.get("resource_changes") or []:
        counts[classify((change.get("change") or {}).get("actions") or ["no-op"])] += 1
    return counts


def plan_files(plans_dir: Path) -> dict[str, Path]:
    plans_dir = Path(plans_dir)
    if not plans_dir.is_dir():
        raise PlanError(f"--plans {plans_dir}: not a folder (expected <stack>.json files from `make plan`)")
    files = {p.stem: p for p in sorted(plans_dir.glob("*.json"))}
    if not files:
        raise PlanError(f"--plans {plans_dir}: no <stack>.json plan files")
    return files


def summarize_plan_dir(plans_dir: Path) -> dict[str, dict[str, int]]:
    out = {}
    for stack, file in plan_files(plans_dir).items():
        try:
            out[stack] = summarize_plan(json.loads(file.read_text()))
        except json.JSONDecodeError as err:
            raise PlanError(f"{file}: not valid JSON: {err}") from err
        except PlanError as err:
            raise PlanError(f"{file}: {err}") from err
    return out


# ---------------------------------------------------------------- checkov over plans


def scan_plans(plans_dir: Path, out_dir: Path, *, sarif: Path | None = None) -> gate.GateResult:
    """checkov --framework terraform_plan over <plans>/<stack>.json, through the gate's functions.

    Each plan is copied to <scratch>/<stack>/tfplan.json so the gate's parser maps a finding to its
    stack by folder, as it does for cdk.tf.json."""
    attached = gate.attached_suppressions(gate.load_synth(out_dir))
    try:
        files = plan_files(plans_dir)
    except PlanError as err:
        raise gate.GateError(str(err)) from err
    with tempfile.TemporaryDirectory(prefix="boi-plan-scan-") as scratch:
        stacks: dict[str, Path] = {}
        for stack, file in files.items():
            folder = Path(scratch) / stack
            folder.mkdir()
            shutil.copyfile(file, folder / "tfplan.json")
            stacks[stack] = folder
        args = [*gate.checkov_command(), "--framework", "terraform_plan", "-o", "json", "--compact"]
        args += ["--skip-download", "--soft-fail", "-d", scratch]
        started = time.monotonic()
        with progress.step(f"checkov over {len(stacks)} plan(s)"):
            proc = subprocess.run(args, env=gate.checkov_env(), capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            raise gate.GateError(f"checkov failed (exit {proc.returncode}):\n{proc.stderr.strip()[-3000:]}")
        try:
            output = json.loads(proc.stdout)
        except json.JSONDecodeError as err:
            raise gate.GateError(f"checkov printed no JSON report: {proc.stdout[:500]!r}") from err
        report = gate.parse_checkov_output(output, stacks, time.monotonic() - started)
    # Plans may cover only some stacks (one failed, or not applied yet): suppressions of stacks that
    # were not planned are not stale here.
    result = gate.apply_suppressions(report, attached, list(stacks), mode="plan")
    if sarif is not None:
        Path(sarif).parent.mkdir(parents=True, exist_ok=True)
        Path(sarif).write_text(json.dumps(gate.to_sarif(result), indent=2) + "\n")
    return result


# ---------------------------------------------------------------- making plans


def credentials_reason(environ: dict[str, str] | None = None) -> str | None:
    """None when AWS credentials (or an embedded endpoint) are configured, else why not.
    Only the environment and the shared credentials file are looked at; nothing is called."""
    environ = dict(os.environ if environ is None else environ)
    if environ.get("AWS_ENDPOINT_URL"):
        return None
    if any(all(environ.get(name) for name in group) for group in _CREDENTIAL_ENV):
        return None
    shared = Path(environ.get("AWS_SHARED_CREDENTIALS_FILE", Path.home() / ".aws" / "credentials"))
    if shared.is_file():
        return None
    return (
        "no AWS credentials (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE, web identity, "
        "container credentials or ~/.aws/credentials) and no AWS_ENDPOINT_URL"
    )


def endpoint_override(endpoint: str, stack_json: dict | None = None) -> dict:
    """An override file for planning against an embedded endpoint: local state, fake credentials
    accepted, every service at `endpoint`. Each AWS provider block of the stack (the default one
    and every alias) gets the same settings."""
    services = [
        "s3",
        "iam",
        "kms",
        "sts",
        "cloudtrail",
        "cloudwatch",
        "logs",
        "sns",
        "sqs",
        "config",
        "configservice",
    ]
    settings = {
        "allowed_account_ids": None,
        "skip_credentials_validation": True,
        "skip_requesting_account_id": True,
        "skip_metadata_api_check": True,
        "s3_use_path_style": True,
        "endpoints": [{name: endpoint for name in services}],
    }
    blocks = ((stack_json or {}).get("provider") or {}).get("aws") or [{}]
    blocks = blocks if isinstance(blocks, list) else [blocks]
    providers = [{**settings, **({"alias": b["alias"]} if b.get("alias") else {})} for b in blocks]
    return {
        "terraform": {"backend": {"local": {"path": "terraform.tfstate"}}},
        "provider": {"aws": providers},
    }


def plan_stack(stack_dir: Path, plan_file: Path, *, env: dict[str, str], endpoint: str | None) -> None:
    """init + plan -out + show -json for one stack, in a scratch copy of its folder."""
    with tempfile.TemporaryDirectory(prefix=f"boi-plan-{stack_dir.name}-") as scratch:
        work = Path(scratch) / stack_dir.name
        shutil.copytree(stack_dir, work, ignore=shutil.ignore_patterns(".terraform", "*.tfstate*"))
        if endpoint:
            stack_json = json.loads((work / "cdk.tf.json").read_text())
            override = endpoint_override(endpoint, stack_json)
            (work / "zz_boi_endpoint_override.tf.json").write_text(json.dumps(override))
        terraform.init(work, backend=True, env=env)
        terraform.run(["plan", "-input=false", "-no-color", "-lock=false", "-out=tfplan"], work, env=env)
        shown = terraform.run(["show", "-json", "tfplan"], work, env=env)
        plan_file.parent.mkdir(parents=True, exist_ok=True)
        plan_file.write_text(shown.stdout)


def run_plans(out_dir: Path, plans_dir: Path | None = None) -> tuple[dict[str, Path], dict[str, str], str | None]:
    """Plan every stack; returns (plan files, failures per stack, skipped reason)."""
    reason = terraform.terraform_available() or credentials_reason()
    if reason:
        return {}, {}, reason
    try:
        stacks = terraform.find_stacks(out_dir)
        env = terraform.cli_env()
    except terraform.TerraformSetupError as err:
        raise PlanError(str(err)) from err
    plans_dir = Path(plans_dir or Path(out_dir) / "plans")
    for old in plans_dir.glob("*.json"):  # never leave a previous run's plan to be scanned
        old.unlink()
    endpoint = os.environ.get("AWS_ENDPOINT_URL")
    done: dict[str, Path] = {}
    failed: dict[str, str] = {}
    for name, folder in stacks.items():  # in order: later stacks read earlier stacks' state
        target = plans_dir / f"{name}.json"
        with progress.step(f"plan {name}") as step:
            try:
                plan_stack(folder, target, env=env, endpoint=endpoint)
                done[name] = target
            except terraform.TerraformSetupError as err:
                failed[name] = str(err)
                step.fail("terraform error")
    return done, failed, None


# ---------------------------------------------------------------- CLI


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="plan_command", metavar="<run|scan|summary>", required=True)
    run_cmd = sub.add_parser("run", help="terraform plan + show -json per stack")
    run_cmd.add_argument("--out", type=Path, default=Path("cdktf.out"), help="synth output folder")
    run_cmd.add_argument("--plans", type=Path, help="where to write <stack>.json (default <out>/plans)")
    scan_cmd = sub.add_parser("scan", help="checkov --framework terraform_plan over the plan files")
    scan_cmd.add_argument("--plans", type=Path, required=True)
    scan_cmd.add_argument("--out", type=Path, default=Path("cdktf.out"), help="the synth the plans were made from")
    scan_cmd.add_argument("--sarif", type=Path)
    scan_cmd.add_argument("--json", action="store_true")
    summary_cmd = sub.add_parser("summary", help="create/update/delete/replace counts per stack")
    summary_cmd.add_argument("--plans", type=Path, required=True)
    summary_cmd.add_argument("--json", action="store_true")


def run(args: argparse.Namespace) -> int:
    if args.plan_command == "run":
        try:
            done, failed, skipped = run_plans(args.out, args.plans)
        except PlanError as err:
            print(f"plan error: {err}", file=sys.stderr)
            return 2
        if skipped:
            print(f"terraform plan SKIPPED: {skipped}")
            return 0
        for name, file in done.items():
            print(f"{name}: plan written to {file}")
        for name, message in failed.items():
            print(f"{name}: plan FAILED: {message}", file=sys.stderr)
        return 1 if failed else 0
    if args.plan_command == "scan":
        try:
            result = scan_plans(args.plans, args.out, sarif=args.sarif)
        except gate.GateError as err:
            print(f"gate error: {err}", file=sys.stderr)
            return 2
        print(json.dumps(result.to_dict(), indent=2) if args.json else gate.format_summary(result))
        return 0 if result.ok else 1
    try:
        summaries = summarize_plan_dir(args.plans)
    except PlanError as err:
        print(f"plan error: {err}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(summaries, indent=2))
    else:
        for stack, c in summaries.items():
            print(
                f"{stack}: {c['create']} to create, {c['update']} to update, {c['delete']} to delete, "
                f"{c['replace']} to replace"
            )
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    from boi.cli import run_command

    return run_command("plan", argv)


if __name__ == "__main__":
    sys.exit(main())
