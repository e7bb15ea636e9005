"""The first deployment of an account: apply the bootstrap stack, then move its state into the bucket it made.

    boi bootstrap --out cdktf.out                         (make bootstrap ENV=<env>)

Run once per account by an administrator (a principal in the settings' access.bootstrap_administrators,
so the state key's policy admits them and KMS's lockout check passes), with that account's credentials.

- The state bucket does not exist yet (a fresh account): the bootstrap stack is planned and applied
  with local state (an override file replaces its S3 backend), then `terraform init -migrate-state`
  copies that state into the bucket the apply created, and the local copy is removed.
- The state bucket already exists (a second run, or an account bootstrapped before): it is detected
  and reused, never recreated: the stack is planned and applied against its state in the bucket.

Either way the apply is of the plan just made, printed and scanned with checkov with the plan-mode
suppressions like every other stack's plan (`plan -out`, `show -json`, the scan, then `apply <plan>`).
Exit codes: 0 done, 1 terraform failed, 2 cannot run (no Terraform, no credentials, no bootstrap stack).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

from boi import progress, skips, terraform
from boi.plan import credentials_reason

LOCAL_BACKEND_OVERRIDE = "zz_bootstrap_local_backend_override.tf.json"
LOCAL_STATE = "terraform.bootstrap-local.tfstate"


class BootstrapError(Exception):
    """Cannot bootstrap; the message says why (exit 2)."""


def bootstrap_stack(out_dir: Path) -> Path:
    try:
        stacks = terraform.find_stacks(out_dir)
    except terraform.TerraformSetupError as err:
        raise BootstrapError(str(err)) from err
    found = [folder for name, folder in stacks.items() if name.endswith("-bootstrap")]
    if len(found) != 1:
        raise BootstrapError(f"--out {out_dir}: expected one <prefix>-bootstrap stack, found {sorted(stacks)}")
    return found[0]


def state_backend(stack_dir: Path) -> dict:
    """The stack's S3 backend settings (bucket, region, and the endpoints on an embedded AWS)."""
    doc = json.loads((Path(stack_dir) / "cdk.tf.json").read_text())
    backend = (doc.get("terraform") or {}).get("backend") or {}
    if "s3" not in backend:
        raise BootstrapError(
            f"{stack_dir.name}: its backend is {sorted(backend) or 'none'}, not s3: an environment with local state "
            "needs no bootstrap of a state bucket"
        )
    return backend["s3"]


def bucket_exists(backend: dict) -> bool:
    """Whether the state bucket exists (and is reachable with these credentials)."""
    import boto3
    from botocore.exceptions import ClientError

    endpoint = (backend.get("endpoints") or {}).get("s3") or os.environ.get("AWS_ENDPOINT_URL")
    s3 = boto3.client("s3", region_name=backend.get("region"), endpoint_url=endpoint)
    try:
        s3.head_bucket(Bucket=backend["bucket"])
    except ClientError as err:
        code = err.response.get("Error", {}).get("Code")
        if code in ("404", "NoSuchBucket", "NotFound"):
            return False
        raise BootstrapError(
            f"state bucket {backend['bucket']}: {code} (owned by another account, or these credentials may not read it)"
        ) from err
    return True


def plan_and_apply(stack_dir: Path, env: dict[str, str], parallelism: int | None = None) -> None:
    """A saved plan, gated like every other stack's (checkov on the plan with the plan-mode suppressions),
    then the apply of exactly that plan."""
    from boi import gate
    from boi.plan import scan_plans

    plan = (Path(stack_dir) / "bootstrap.tfplan").resolve()
    terraform.run(["plan", "-input=false", "-no-color", f"-out={plan}"], stack_dir, env=env)
    shown = terraform.run(["show", "-no-color", str(plan)], stack_dir, env=env).stdout.strip()
    print(next((line for line in reversed(shown.splitlines()) if line.startswith("Plan:")), shown[-2000:]))
    out_dir = Path(stack_dir).parents[1]
    with tempfile.TemporaryDirectory(prefix="boi-bootstrap-plan-") as plans:
        shown_json = terraform.run(["show", "-json", str(plan)], stack_dir, env=env).stdout
        (Path(plans) / f"{Path(stack_dir).name}.json").write_text(shown_json)
        try:
            result = scan_plans(Path(plans), out_dir)
        except gate.GateError as err:
            raise BootstrapError(f"the scan of the bootstrap plan could not run: {err}") from err
    if not result.ok:
        plan.unlink(missing_ok=True)
        raise BootstrapError(f"the bootstrap plan fails the plan scan; nothing applied:\n{gate.format_summary(result)}")
    extra = [f"-parallelism={parallelism}"] if parallelism else []
    terraform.run(["apply", "-input=false", "-no-color", *extra, str(plan)], stack_dir, env=env)
    plan.unlink(missing_ok=True)


def bootstrap(out_dir: Path, *, parallelism: int | None = None) -> str:
    """Apply the bootstrap stack of the synth in `out_dir`; returns what was done, in a sentence."""
    stack_dir = bootstrap_stack(out_dir)
    backend = state_backend(stack_dir)
    env = terraform.cli_env()
    override = stack_dir / LOCAL_BACKEND_OVERRIDE
    if bucket_exists(backend):
        override.unlink(missing_ok=True)
        with progress.step(f"state bucket {backend['bucket']} exists: reused; apply {stack_dir.name} against it"):
            terraform.init(stack_dir, backend=True, env=env, extra=("-reconfigure",))
            plan_and_apply(stack_dir, env, parallelism)
        return f"state bucket {backend['bucket']} existed and was reused; {stack_dir.name} applied"
    # Terraform's override files replace the backend block as a whole: local state until the bucket exists.
    override.write_text(json.dumps({"terraform": {"backend": {"local": {"path": LOCAL_STATE}}}}))
    with progress.step(f"apply {stack_dir.name} with local state (no state bucket {backend['bucket']} yet)"):
        terraform.init(stack_dir, backend=True, env=env, extra=("-reconfigure",))
        plan_and_apply(stack_dir, env, parallelism)
    override.unlink()
    with progress.step(f"migrate the bootstrap state into s3://{backend['bucket']}/{backend['key']}"):
        terraform.init(stack_dir, backend=True, env=env, extra=("-migrate-state", "-force-copy"))
    for leftover in (stack_dir / LOCAL_STATE, stack_dir / f"{LOCAL_STATE}.backup"):
        leftover.unlink(missing_ok=True)  # the bucket holds the state now; a local copy would go stale
    return f"state bucket {backend['bucket']} created; {stack_dir.name} applied and its state moved into it"


def unbootstrap_state(out_dir: Path) -> Path:
    """Move the bootstrap stack's state out of the bucket back to a local file (before destroying the
    bucket that holds it: the e2e's teardown). Returns the stack folder, initialised with local state."""
    stack_dir = bootstrap_stack(out_dir)
    env = terraform.cli_env()
    terraform.init(stack_dir, backend=True, env=env, extra=("-reconfigure",))
    (stack_dir / LOCAL_BACKEND_OVERRIDE).write_text(
        json.dumps({"terraform": {"backend": {"local": {"path": LOCAL_STATE}}}})
    )
    terraform.init(stack_dir, backend=True, env=env, extra=("-migrate-state", "-force-copy"))
    return stack_dir


# ---------------------------------------------------------------- CLI


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", type=Path, default=Path("cdktf.out"), help="synth output folder (make synth)")


def run(args: argparse.Namespace) -> int:
    reason = terraform.terraform_available() or credentials_reason()
    if reason:
        try:
            skips.cannot_run("bootstrap", reason)
        except skips.CannotRun as err:
            print(f"bootstrap error: {err}", file=sys.stderr)
        else:
            print("bootstrap error: nothing was applied", file=sys.stderr)
        return 2
    try:
        print(bootstrap(args.out))
    except BootstrapError as err:
        print(f"bootstrap error: {err}", file=sys.stderr)
        return 2
    except terraform.TerraformSetupError as err:
        print(f"bootstrap FAILED: {err}", file=sys.stderr)
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    from boi.cli import run_command

    return run_command("bootstrap", argv)


if __name__ == "__main__":
    sys.exit(main())
