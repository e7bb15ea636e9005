"""Terraform plans of the synthesized stacks: make them, scan them, apply exactly the reviewed ones.

    boi plan run     --out cdktf.out [--plans DIR] [--stack NAME ...]    # make plan
    boi plan scan    --plans cdktf.out/plans [--out cdktf.out] [--sarif F] [--json]
    boi plan apply   --stack NAME --plans cdktf.out/plans [--out cdktf.out] [--expect-commit SHA]
                     [--expect-sha256 HEX]
    boi plan summary --plans cdktf.out/plans [--json]

`run` needs the Terraform CLI and AWS credentials (or `AWS_ENDPOINT_URL`). In dependency order (a
stack after every stack whose state it reads), per stack in its own folder with its own backend:
`terraform init -lockfile=readonly`, `plan -out <plans>/<stack>.tfplan`, `show -json` into
`<plans>/<stack>.json`; `<plans>/manifest.json` records the synth digest, the commit and the SHA-256
of both files. A stack whose upstream state does not exist yet fails naming the order. Without
Terraform or credentials: under CI=true exit 2 with the reason, elsewhere a loud warning and exit 0.
`--review-only-endpoint URL` plans a synth made for AWS against an embedded endpoint with local state
in a scratch copy: a plan to scan, which `apply` refuses.

`scan` is the gate over plan files: checkov `--framework terraform_plan`, run and parsed with the
gate's own functions (`boi.gate`), with the reviewed suppressions the synth attached to the
resources (entries whose modes include `plan`), so resolved values (a bucket name, a key id, a
policy) that the JSON only holds as references are checked too. When it passes it writes
`<plans>/reviewed.json`: the SHA-256 of each saved plan whose JSON it scanned.

`apply` applies `<plans>/<stack>.tfplan` only if reviewed.json lists it with the same SHA-256, it
was planned for real (not review-only) and at the expected commit; never a new plan, never
`-auto-approve` of one. Terraform refuses a saved plan whose state changed since (stale).

`summary` counts create/update/delete/replace per stack (what `boi review --plans` shows).

Exit codes: run: 0 planned (or, outside CI, could not run), 1 a stack failed to plan, 2 setup error or
cannot run under CI; scan: as the gate (0 passed, 1 failed, 2 bad input or tool error); apply: 0
applied, 1 terraform failed, 2 refused; summary: 0, or 2 on bad input.
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
from collections.abc import Sequence
from pathlib import Path

from boi_model.synth import digest

from boi import gate, progress, skips, terraform

REPO_ROOT = Path(__file__).resolve().parents[1]

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
    files = {p.stem: p for p in sorted(plans_dir.glob("*.json")) if p.name not in (MANIFEST, REVIEWED)}
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


def scan_plans(
    plans_dir: Path, out_dir: Path, *, sarif: Path | None = None, only: Sequence[str] = ()
) -> gate.GateResult:
    """checkov --framework terraform_plan over <plans>/<stack>.json, through the gate's functions.

    Each plan is copied to <scratch>/<stack>/tfplan.json so the gate's parser maps a finding to its
    stack by folder, as it does for cdk.tf.json."""
    attached = gate.attached_suppressions(gate.load_synth(out_dir))
    try:
        files = plan_files(plans_dir)
    except PlanError as err:
        raise gate.GateError(str(err)) from err
    if only:
        missing = sorted(set(only) - set(files))
        if missing:
            raise gate.GateError(f"--stack {', '.join(missing)}: no plan in {plans_dir} (plan it first)")
        files = {name: file for name, file in files.items() if name in only}
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
    # What a plan shows depends on the state it starts from: a role created fresh carries no attached
    # policy yet, the same role in an update plan does. A plan-mode entry unused in one plan is therefore
    # said, not failed; synth mode (same input every time) and tests/test_reviewed.py keep entries honest.
    result.notes += [f"not used in this plan (create or update plans differ): {line}" for line in result.stale]
    result.stale = []
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
    """An override file for planning a stack synthesized for AWS against an embedded endpoint (a review
    plan only: local state, fake credentials accepted, every service at `endpoint`). Each AWS provider
    block of the stack (the default one and every alias) gets the same settings."""
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


def remote_states(stack_json: dict) -> list[dict]:
    """The `terraform_remote_state` configurations a stack reads (backend + config)."""
    found = ((stack_json.get("data") or {}).get("terraform_remote_state") or {}).values()
    return [{"backend": r.get("backend"), **(r.get("config") or {})} for r in found]


def state_of(stack_json: dict) -> str | None:
    """Where a stack keeps its state: the S3 key or the local path (what `remote_states` name)."""
    backend = (stack_json.get("terraform") or {}).get("backend") or {}
    if "s3" in backend:
        return backend["s3"].get("key")
    if "local" in backend:
        return Path(backend["local"].get("path", "terraform.tfstate")).name
    return None


def stack_order(stacks: dict[str, dict]) -> list[str]:
    """Stack names in the order they must plan and apply: a stack after every stack whose state it reads
    (its terraform_remote_state). Pure; a cycle is a PlanError."""
    by_state = {state_of(doc): name for name, doc in stacks.items() if state_of(doc)}
    needs = {}
    for name, doc in stacks.items():
        read = set()
        for remote in remote_states(doc):
            where = remote.get("key") or Path(remote.get("path", "")).name
            if where in by_state and by_state[where] != name:
                read.add(by_state[where])
        needs[name] = read
    order: list[str] = []
    while len(order) < len(stacks):
        ready = sorted(n for n in stacks if n not in order and needs[n] <= set(order))
        if not ready:
            raise PlanError(f"the stacks read each other's state in a cycle: {sorted(set(stacks) - set(order))}")
        order += ready
    return order


def readers_first_message(stack: str, needed: str) -> str:
    return (
        f"stack {stack} reads the state of {needed} (terraform_remote_state), which has not been applied "
        f"here: apply {needed} first (the pipeline plans and applies {needed} before {stack})"
    )


def missing_remote_state(remote: dict, stack_dir: Path) -> bool:
    """True when a remote state the stack reads certainly does not exist yet; False when it exists or
    cannot be checked from here (Terraform then reports what it finds)."""
    if remote.get("backend") == "local":
        return not (Path(stack_dir) / remote.get("path", "terraform.tfstate")).is_file()
    if remote.get("backend") != "s3" or not remote.get("bucket") or not remote.get("key"):
        return False
    try:
        import boto3
        from botocore.exceptions import BotoCoreError, ClientError

        endpoint = (remote.get("endpoints") or {}).get("s3") or os.environ.get("AWS_ENDPOINT_URL")
        s3 = boto3.client("s3", region_name=remote.get("region"), endpoint_url=endpoint)
        s3.head_object(Bucket=remote["bucket"], Key=remote["key"])
    except ClientError as err:
        return err.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NoSuchBucket")
    except BotoCoreError:
        return False
    return False


# Per plan folder: <stack>.tfplan (the saved plan Terraform applies), <stack>.json (terraform show -json,
# what checkov and the review read), and MANIFEST: what each was made from and its SHA-256.
MANIFEST = "manifest.json"
REVIEWED = "reviewed.json"


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def current_commit(repo: Path = REPO_ROOT) -> str:
    """The commit being planned or applied: GITHUB_SHA in a workflow, else `git rev-parse HEAD`."""
    if os.environ.get("GITHUB_SHA"):
        return os.environ["GITHUB_SHA"]
    proc = subprocess.run(["git", "rev-parse", "HEAD"], cwd=repo, capture_output=True, text=True, check=False)
    return proc.stdout.strip() if proc.returncode == 0 else "unknown"


def _read_json(path: Path, what: str) -> dict:
    try:
        return json.loads(Path(path).read_text())
    except FileNotFoundError:
        raise PlanError(f"{path}: no {what}") from None
    except json.JSONDecodeError as err:
        raise PlanError(f"{path}: {what} is not valid JSON: {err}") from err


def _write_json(path: Path, data: dict) -> None:
    tmp = Path(path).with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
    tmp.replace(path)


def plan_stack(stack_dir: Path, plans_dir: Path, *, env: dict[str, str], review_only: str | None = None) -> dict:
    """init + plan -out + show -json for one stack; returns its manifest entry.

    Normally in the stack folder itself, with the stack's own backend, so the saved plan can be applied
    there (`apply_stack`). `review_only=<endpoint>` plans a stack synthesized for AWS against an
    embedded endpoint in a scratch copy with local state: a plan to scan, never to apply."""
    stack_dir = Path(stack_dir)
    plans_dir.mkdir(parents=True, exist_ok=True)
    tfplan = (plans_dir / f"{stack_dir.name}.tfplan").resolve()
    shown = plans_dir / f"{stack_dir.name}.json"
    with tempfile.TemporaryDirectory(prefix=f"boi-plan-{stack_dir.name}-") as scratch:
        work = stack_dir
        if review_only:
            work = Path(scratch) / stack_dir.name
            shutil.copytree(stack_dir, work, ignore=shutil.ignore_patterns(".terraform", "*.tfstate*"))
            override = endpoint_override(review_only, json.loads((work / "cdk.tf.json").read_text()))
            (work / "zz_boi_endpoint_override.tf.json").write_text(json.dumps(override))
        terraform.init(work, backend=True, env=env, extra=("-reconfigure",))
        # -lock=false: planning only reads the state; the apply of the saved plan locks.
        terraform.run(["plan", "-input=false", "-no-color", "-lock=false", f"-out={tfplan}"], work, env=env)
        shown.write_text(terraform.run(["show", "-json", str(tfplan)], work, env=env).stdout)
    return {
        "tfplan": tfplan.name,
        "tfplan_sha256": sha256(tfplan),
        "json": shown.name,
        "json_sha256": sha256(shown),
        "applicable": review_only is None,
        "planned_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }


def run_plans(
    out_dir: Path, plans_dir: Path | None = None, *, only: Sequence[str] = (), review_only: str | None = None
) -> tuple[dict[str, Path], dict[str, str], str | None]:
    """Plan the stacks (all, or `only`) in dependency order; returns (plan JSON files, failures per
    stack, the reason nothing could be planned). A stack whose state-provider has not been applied is a
    failure naming the order; a stack after a failed one is not planned."""
    reason = terraform.terraform_available() or credentials_reason()
    if reason:
        return {}, {}, reason
    try:
        folders = terraform.find_stacks(out_dir)
        env = terraform.cli_env()
    except terraform.TerraformSetupError as err:
        raise PlanError(str(err)) from err
    docs = {name: json.loads((folder / "cdk.tf.json").read_text()) for name, folder in folders.items()}
    unknown = sorted(set(only) - set(docs))
    if unknown:
        raise PlanError(f"--stack {', '.join(unknown)}: no such stack in {out_dir} (stacks: {', '.join(docs)})")
    synth_digest = digest(docs)
    plans_dir = Path(plans_dir or Path(out_dir) / "plans")
    plans_dir.mkdir(parents=True, exist_ok=True)
    manifest_file = plans_dir / MANIFEST
    manifest = _read_json(manifest_file, "plan manifest") if manifest_file.is_file() else {}
    if manifest.get("synth_digest") != synth_digest:
        manifest = {}  # plans of another synth: none of them is kept
        for old in [*plans_dir.glob("*.json"), *plans_dir.glob("*.tfplan")]:
            old.unlink()
    manifest.update({"synth_digest": synth_digest, "commit": current_commit()})
    manifest.setdefault("stacks", {})
    reviewed_file = plans_dir / REVIEWED
    if reviewed_file.is_file():  # a new plan must be scanned again; other stacks' reviews stay
        reviewed = _read_json(reviewed_file, "record of a passing plan scan")
        keep = {k: v for k, v in reviewed.get("stacks", {}).items() if only and k not in only}
        if reviewed.get("synth_digest") == synth_digest and keep:
            _write_json(reviewed_file, {**reviewed, "stacks": keep})
        else:
            reviewed_file.unlink()
    by_state = {state_of(doc): name for name, doc in docs.items()}
    done: dict[str, Path] = {}
    failed: dict[str, str] = {}
    for name in stack_order(docs):
        if only and name not in only:
            continue
        manifest["stacks"].pop(name, None)
        for suffix in (".json", ".tfplan"):  # never leave a previous run's plan to be scanned or applied
            (plans_dir / f"{name}{suffix}").unlink(missing_ok=True)
        upstream = [s for s in failed if s in _reads(docs, name, by_state)]
        if upstream:
            failed[name] = f"not planned: it reads the state of {', '.join(upstream)}, which failed to plan"
            continue
        with progress.step(f"plan {name}") as step:
            try:
                if not review_only:
                    for remote in remote_states(docs[name]):
                        if missing_remote_state(remote, folders[name]):
                            needed = by_state.get(remote.get("key") or Path(remote.get("path", "")).name, "?")
                            raise PlanError(readers_first_message(name, needed))
                manifest["stacks"][name] = plan_stack(folders[name], plans_dir, env=env, review_only=review_only)
                done[name] = plans_dir / f"{name}.json"
            except (terraform.TerraformSetupError, PlanError) as err:
                failed[name] = str(err)
                step.fail("failed")
    _write_json(manifest_file, manifest)
    return done, failed, None


def _reads(docs: dict[str, dict], name: str, by_state: dict) -> set[str]:
    return {by_state.get(r.get("key") or Path(r.get("path", "")).name) for r in remote_states(docs[name])} - {None}


def record_reviewed(plans_dir: Path, result: gate.GateResult) -> dict:
    """After a passing scan: the SHA-256 of each saved plan whose JSON was scanned, the only plans
    `apply_stack` will apply. The JSON scanned must be the one the manifest recorded."""
    manifest = _read_json(Path(plans_dir) / MANIFEST, "plan manifest (boi plan run writes it)")
    reviewed = {"synth_digest": manifest.get("synth_digest"), "commit": manifest.get("commit"), "stacks": {}}
    earlier = Path(plans_dir) / REVIEWED
    if earlier.is_file():  # stacks scanned before (in dependency order) stay reviewed
        previous = _read_json(earlier, "record of a passing plan scan")
        if previous.get("synth_digest") == reviewed["synth_digest"]:
            reviewed["stacks"].update(previous.get("stacks", {}))
    for stack in result.stacks:
        entry = manifest.get("stacks", {}).get(stack)
        if entry is None:
            raise PlanError(f"{plans_dir}/{stack}.json is not in {MANIFEST}: not made by `boi plan run`")
        if sha256(Path(plans_dir) / entry["json"]) != entry["json_sha256"]:
            raise PlanError(f"{plans_dir}/{entry['json']} changed after `boi plan run` wrote it; plan again")
        reviewed["stacks"][stack] = {"tfplan": entry["tfplan"], "tfplan_sha256": entry["tfplan_sha256"]}
    _write_json(Path(plans_dir) / REVIEWED, reviewed)
    return reviewed


def check_saved_plan(
    plans_dir: Path, stack: str, *, expect_commit: str | None, expect_sha256: str | None = None
) -> Path:
    """The saved plan of `stack` if it may be applied: scanned and passed (reviewed.json), its checksum
    the one reviewed, applicable (not a review-only plan), made at `expect_commit`. PlanError says why not."""
    plans_dir = Path(plans_dir)
    reviewed = _read_json(plans_dir / REVIEWED, "record of a passing plan scan (boi plan scan writes it)")
    manifest = _read_json(plans_dir / MANIFEST, "plan manifest (boi plan run writes it)")
    entry = reviewed.get("stacks", {}).get(stack)
    if entry is None:
        raise PlanError(f"stack {stack}: no reviewed plan in {plans_dir} (plan it and scan the plan first)")
    if not manifest.get("stacks", {}).get(stack, {}).get("applicable", False):
        raise PlanError(f"stack {stack}: the plan in {plans_dir} is review-only (planned against a stand-in)")
    tfplan = plans_dir / entry["tfplan"]
    if not tfplan.is_file():
        raise PlanError(f"stack {stack}: {tfplan} is missing")
    got = sha256(tfplan)
    if got != entry["tfplan_sha256"]:
        raise PlanError(
            f"stack {stack}: {tfplan} has SHA-256 {got}, but the plan that was scanned and reviewed had "
            f"{entry['tfplan_sha256']}; refusing to apply a plan nobody reviewed"
        )
    if expect_sha256 and got != expect_sha256:
        raise PlanError(
            f"stack {stack}: {tfplan} has SHA-256 {got}, but the plan job reported {expect_sha256}; "
            "refusing to apply a plan other than the one that job made and scanned"
        )
    if expect_commit and reviewed.get("commit") != expect_commit:
        raise PlanError(
            f"stack {stack}: the plan was made at commit {reviewed.get('commit')}, but {expect_commit} is the "
            "last merged commit; refusing an out-of-date plan: plan again"
        )
    return tfplan


def apply_stack(
    out_dir: Path,
    plans_dir: Path,
    stack: str,
    *,
    expect_commit: str | None,
    expect_sha256: str | None = None,
    parallelism: int | None = None,
) -> None:
    """`terraform apply <saved plan>` in the stack folder, after `check_saved_plan`. Never a new plan:
    Terraform itself refuses a saved plan whose state has changed since (a stale plan)."""
    tfplan = check_saved_plan(plans_dir, stack, expect_commit=expect_commit, expect_sha256=expect_sha256)
    try:
        folders = terraform.find_stacks(out_dir)
    except terraform.TerraformSetupError as err:
        raise PlanError(str(err)) from err
    if stack not in folders:
        raise PlanError(f"--stack {stack}: no such stack in {out_dir}")
    env = terraform.cli_env()
    terraform.init(folders[stack], backend=True, env=env, extra=("-reconfigure",))
    extra = [f"-parallelism={parallelism}"] if parallelism else []
    terraform.run(["apply", "-input=false", "-no-color", *extra, str(tfplan.resolve())], folders[stack], env=env)


# ---------------------------------------------------------------- CLI


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="plan_command", metavar="<run|scan|apply|summary>", required=True)
    run_cmd = sub.add_parser("run", help="terraform plan -out + show -json per stack, in dependency order")
    run_cmd.add_argument("--out", type=Path, default=Path("cdktf.out"), help="synth output folder")
    run_cmd.add_argument("--plans", type=Path, help="where to write the plans (default <out>/plans)")
    run_cmd.add_argument("--stack", action="append", default=[], help="plan only this stack (repeatable)")
    run_cmd.add_argument(
        "--review-only-endpoint",
        metavar="URL",
        help="plan a synth made for AWS against an embedded endpoint with local state (to scan; never applied)",
    )
    scan_cmd = sub.add_parser("scan", help="checkov --framework terraform_plan over the plan files")
    scan_cmd.add_argument("--plans", type=Path, required=True)
    scan_cmd.add_argument("--out", type=Path, default=Path("cdktf.out"), help="the synth the plans were made from")
    scan_cmd.add_argument("--sarif", type=Path)
    scan_cmd.add_argument("--stack", action="append", default=[], help="scan only this stack's plan (repeatable)")
    scan_cmd.add_argument("--json", action="store_true")
    apply_cmd = sub.add_parser("apply", help="terraform apply of the reviewed saved plan of a stack (never a new plan)")
    apply_cmd.add_argument("--stack", required=True)
    apply_cmd.add_argument("--plans", type=Path, required=True)
    apply_cmd.add_argument("--out", type=Path, default=Path("cdktf.out"), help="the synth the plans were made from")
    apply_cmd.add_argument(
        "--expect-commit",
        help="the last merged commit: a plan made at another commit is refused (default: the checkout's HEAD)",
    )
    apply_cmd.add_argument(
        "--expect-sha256", help="the SHA-256 of the saved plan as the plan job reported it (between jobs)"
    )
    summary_cmd = sub.add_parser("summary", help="create/update/delete/replace counts per stack")
    summary_cmd.add_argument("--plans", type=Path, required=True)
    summary_cmd.add_argument("--json", action="store_true")


def run(args: argparse.Namespace) -> int:
    if args.plan_command == "run":
        try:
            done, failed, skipped = run_plans(
                args.out, args.plans, only=args.stack, review_only=args.review_only_endpoint
            )
        except PlanError as err:
            print(f"plan error: {err}", file=sys.stderr)
            return 2
        if skipped:
            try:  # under CI a plan that cannot run is a failure; locally a loud warning
                skips.cannot_run("terraform plan", skipped)
            except skips.CannotRun as err:
                print(f"plan error: {err}", file=sys.stderr)
                return 2
            return 0
        for name, file in done.items():
            print(f"{name}: plan written to {file} (saved plan {file.with_suffix('.tfplan')})")
        for name, message in failed.items():
            print(f"{name}: plan FAILED: {message}", file=sys.stderr)
        return 1 if failed else 0
    if args.plan_command == "scan":
        try:
            result = scan_plans(args.plans, args.out, sarif=args.sarif, only=args.stack)
            if result.ok and (Path(args.plans) / MANIFEST).is_file():
                record_reviewed(args.plans, result)
        except (gate.GateError, PlanError) as err:
            print(f"gate error: {err}", file=sys.stderr)
            return 2
        print(json.dumps(result.to_dict(), indent=2) if args.json else gate.format_summary(result))
        return 0 if result.ok else 1
    if args.plan_command == "apply":
        try:
            expect = args.expect_commit or current_commit()
            apply_stack(args.out, args.plans, args.stack, expect_commit=expect, expect_sha256=args.expect_sha256)
        except PlanError as err:
            print(f"apply refused: {err}", file=sys.stderr)
            return 2
        except terraform.TerraformSetupError as err:
            print(f"apply FAILED: {err}", file=sys.stderr)
            return 1
        print(f"{args.stack}: applied the reviewed plan {Path(args.plans) / (args.stack + '.tfplan')}")
        return 0
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
