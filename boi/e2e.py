"""End to end on an embedded AWS: apply the `local` environment to a moto server, audit it, destroy it.

    boi e2e [--workdir DIR] [--keep] [--no-audit] [--no-prowler]      (make e2e)

Phases, each timed: start a moto server on 127.0.0.1 (a free port); synthesize `local` with
BOI_LOCAL_ENDPOINT pointing every provider and the S3 backend at it; the pipeline as it runs on AWS:
bootstrap (the state bucket and key, applied with local state that is then migrated into the bucket,
`boi.bootstrap`), upload the Lambda packages to the artifacts bucket named in config/local.yaml, then
for the foundation and the platform: a saved plan, the checkov scan of that plan with the reviewed
plan-mode suppressions, and the apply of exactly the scanned plan (`boi.plan`); the live audit
(boi.live_audit) must be clean; Prowler
(boi.prowler, tools/prowler) scans what was created and every FAIL must be in
catalogs/gate/prowler_exceptions.yaml (its OCSF findings and summary go to <workdir>/prowler/);
`terraform destroy` in reverse order (the bootstrap's state moved back
to a local file first); nothing of ours may be left. The server stops on every exit path.

Exit status: 0 clean, 1 a phase failed, the audit found something, Prowler reported an unreviewed
FAIL or could not run, 2 cannot run here (no Terraform CLI or provider mirror: the reason is printed).
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import io
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from boi import terraform as tf

REPO_ROOT = Path(__file__).resolve().parents[1]
ENV = "local"
FAKE_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_SESSION_TOKEN": "testing"}
# Terraform speed-ups that are safe against a fresh embedded account (see README "Local apply").
PARALLELISM = 20
DESTROY_ARGS = ("destroy", "-auto-approve", "-input=false", "-no-color", "-parallelism=20", "-refresh=false")
# A hanging create must fail the run loudly instead of blocking CI: the whole apply of one stack
# gets this long (an apply takes well under two minutes here).
PHASE_TIMEOUT_S = int(os.environ.get("BOI_E2E_PHASE_TIMEOUT", "600"))


class E2EError(Exception):
    """A phase failed; the message says which and why."""


# ---------------------------------------------------------------- the embedded AWS


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def patch_moto() -> None:
    """Work around moto 5.2.5 behaviours that are not AWS's (see README "Local apply").

    - ACM certificates stay PENDING_VALIDATION for MOTO_ACM_VALIDATION_WAIT (60 s) before moto
      issues them; AWS issues once the DNS record exists. Wait 0 s.
    - PutBucketLogging checks the target bucket's policy for a log-delivery grant and crashes (500,
      which the provider retries for ever) on a statement whose Principal is the string "*"; it
      also refuses a target whose policy is not there yet. AWS checks neither at that call.
    - Versioning can be suspended on an Object Lock bucket (AWS keeps it Enabled), after which
      clearing the Object Lock configuration fails, so destroy fails. Keep it Enabled, as AWS does.

    - DeleteTrail finds the trail only by name; the provider passes its ARN (AWS takes either), so
      the trail outlived destroy. Accept the ARN.
    - DescribeKey is refused whenever the key policy has a Deny on kms:* (or Describe*) with Resource
      "*", whatever its Condition: moto evaluates no condition. The perimeter denies (issue 17) apply
      only outside the account or to workload roles outside the VPC, neither of which is the caller
      here, so AWS lets the provider read its keys. Skip conditional denies; unconditional ones still deny.
    - SetQueueAttributes without a Policy attribute clears the queue's policy (AWS changes only the
      attributes given), so setting a redrive policy silently dropped the perimeter statements.
    - Object requests are judged against the bucket policy with every Condition ignored, so the
      TLS-only statement (Deny s3:* when aws:SecureTransport is false) denies every object request,
      over any transport: Terraform could not read its state from the state bucket. moto cannot
      evaluate conditions, so only the unconditional statements are judged (AWS applies that Deny
      to plain-HTTP requests only; Terraform always uses TLS there).
    - Deleting the last version of a key when it is a delete marker crashes (500: FakeDeleteMarker
      has no dispose), so emptying a versioned bucket (the state bucket's force_destroy, with the
      delete markers S3 state locking leaves) never finished. A delete marker holds no data to dispose.

    moto's backends are global to the process: the patches hold for every server started here.
    """
    from moto import settings as moto_settings
    from moto.cloudtrail.models import CloudTrailBackend
    from moto.kms import policy_validator
    from moto.s3.models import FakeBucket, S3Backend
    from moto.sqs.models import Queue

    moto_settings.ACM_VALIDATION_WAIT = 0
    if not getattr(Queue._set_attributes, "_boi_patched", False):
        original_set = Queue._set_attributes

        def _set_attributes(self, attributes: dict, now: float | None = None) -> None:
            kept = getattr(self, "policy", None)
            original_set(self, attributes, now)
            if "Policy" not in attributes:
                self.policy = kept

        _set_attributes._boi_patched = True
        Queue._set_attributes = _set_attributes
    if not getattr(policy_validator.check_statement, "_boi_patched", False):
        original_check = policy_validator.check_statement

        def check_statement(statement: dict, resource: str, action: str) -> bool:
            return not statement.get("Condition") and original_check(statement, resource, action)

        check_statement._boi_patched = True
        policy_validator.check_statement = check_statement
    FakeBucket._log_permissions_enabled_policy = staticmethod(lambda target_bucket, target_prefix: True)
    if not getattr(S3Backend.put_bucket_versioning, "_boi_patched", False):
        original = S3Backend.put_bucket_versioning

        def put_bucket_versioning(self, bucket_name: str, status: str) -> None:
            if getattr(self.get_bucket(bucket_name), "object_lock_enabled", False):
                return  # AWS: an Object Lock bucket stays versioned
            original(self, bucket_name, status)

        put_bucket_versioning._boi_patched = True
        S3Backend.put_bucket_versioning = put_bucket_versioning
    from moto.s3.models import FakeDeleteMarker

    if not hasattr(FakeDeleteMarker, "dispose"):
        FakeDeleteMarker.dispose = lambda self, garbage=False: None
    if not getattr(FakeBucket.get_permission, "_boi_patched", False):
        from moto.iam.access_control import IAMPolicy, PermissionResult

        def get_permission(self, action: str, resource: str):
            if self.policy is None:
                return PermissionResult.NEUTRAL
            doc = json.loads(self.policy)
            statements = doc.get("Statement") or []
            statements = statements if isinstance(statements, list) else [statements]
            unconditional = [st for st in statements if not st.get("Condition")]
            if not unconditional:
                return PermissionResult.NEUTRAL
            return IAMPolicy(json.dumps({**doc, "Statement": unconditional})).is_action_permitted(action, resource)

        get_permission._boi_patched = True
        FakeBucket.get_permission = get_permission
    if not getattr(CloudTrailBackend.delete_trail, "_boi_patched", False):
        original_delete = CloudTrailBackend.delete_trail

        def delete_trail(self, name: str) -> None:
            original_delete(self, name.split(":trail/", 1)[1] if name.startswith("arn:") else name)

        delete_trail._boi_patched = True
        CloudTrailBackend.delete_trail = delete_trail


class MotoServer:
    """A moto server on loopback only, in this process; `stop()` is idempotent and also runs at exit."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._server = None

    def start(self) -> MotoServer:
        import logging

        os.environ.setdefault("MOTO_ACM_VALIDATION_WAIT", "0")
        # AWS managed policies (AdministratorAccess, SecurityAudit, ...) exist in every real account.
        os.environ["MOTO_IAM_LOAD_MANAGED_POLICIES"] = "true"
        from moto.server import ThreadedMotoServer

        logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no line per request
        patch_moto()

        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=self.port, verbose=False)
        self._server.start()
        atexit.register(self.stop)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port), timeout=1):
                self.reset()
                return self
            time.sleep(0.1)
        self.stop()
        raise E2EError(f"moto server did not listen on {self.url}")

    @property
    def running(self) -> bool:
        return self._server is not None

    def reset(self) -> None:
        """A fresh, empty account (moto keeps its backends per process, not per server)."""
        import urllib.request

        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback: never a proxy
        opener.open(urllib.request.Request(f"{self.url}/moto-api/reset", method="POST"), timeout=30)

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            with contextlib.suppress(Exception):
                server.stop()

    def __enter__(self) -> MotoServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


@contextlib.contextmanager
def _stop_on_signals(stop: Callable[[], None]) -> Iterator[None]:
    """SIGTERM/SIGHUP stop the server too (Ctrl-C already unwinds through `finally`)."""
    previous = {}

    def handler(signum, frame):
        stop()
        raise SystemExit(128 + signum)

    for sig in (signal.SIGTERM, signal.SIGHUP):
        with contextlib.suppress(ValueError):  # not the main thread: leave signals alone
            previous[sig] = signal.signal(sig, handler)
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


@contextlib.contextmanager
def aws_env(url: str, region: str) -> Iterator[None]:
    """boto3 in this process talks to the embedded AWS with fake credentials while inside."""
    values = {**FAKE_CREDENTIALS, "AWS_ENDPOINT_URL": url, "AWS_DEFAULT_REGION": region, "AWS_REGION": region}
    saved = {name: os.environ.get(name) for name in (*values, "AWS_PROFILE")}
    os.environ.update(values)
    os.environ.pop("AWS_PROFILE", None)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


# ---------------------------------------------------------------- phases


@dataclass
class Timings:
    phases: list[tuple[str, float]] = field(default_factory=list)

    @contextlib.contextmanager
    def phase(self, name: str) -> Iterator[None]:
        start = time.monotonic()
        print(f"[e2e] {name} …", file=sys.stderr, flush=True)
        try:
            yield
        finally:
            elapsed = time.monotonic() - start
            self.phases.append((name, elapsed))
            print(f"[e2e] {name}: {elapsed:.1f} s", file=sys.stderr, flush=True)

    def report(self) -> str:
        total = sum(t for _, t in self.phases)
        lines = [f"  {name:<32} {t:7.1f} s" for name, t in self.phases]
        return "\n".join(["[e2e] phase times:", *lines, f"  {'total':<32} {total:7.1f} s"])


def synthesize(out: Path, endpoint: str) -> dict[str, Path]:
    """`python main.py` for `local` with the endpoint setting; stack name -> folder, in dependency order."""
    env = dict(os.environ, BOI_ENV=ENV, BOI_OUT_DIR=str(out), BOI_LOCAL_ENDPOINT=endpoint)
    proc = subprocess.run(
        [sys.executable, str(REPO_ROOT / "main.py")],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise E2EError(f"synth failed (exit {proc.returncode}):\n{proc.stderr.strip()[-4000:]}")
    stacks = tf.find_stacks(out)
    order = [f"boi-{ENV}-bootstrap", f"boi-{ENV}-foundation", f"boi-{ENV}-platform"]
    missing = [name for name in order if name not in stacks]
    if missing or len(stacks) != len(order):
        raise E2EError(f"expected stacks {order}, synthesized {sorted(stacks)}")
    return {name: stacks[name] for name in order}


def lambda_zip() -> bytes:
    """A minimal package; moto stores it and never runs it."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("app.py", "def handler(event, context):\n    return {'statusCode': 200}\n")
    return buf.getvalue()


def upload_artifacts(settings) -> list[tuple[str, str]]:
    """Create the artifacts bucket(s) of config/local.yaml and put a package at every key."""
    import boto3

    s3 = boto3.client("s3", region_name=settings.region)
    uploaded = []
    for url in settings.detail("lambda_packages", default={}).values():
        bucket, _, key = url.removeprefix("s3://").partition("/")
        with contextlib.suppress(s3.exceptions.BucketAlreadyOwnedByYou):
            s3.create_bucket(Bucket=bucket)
        s3.put_object(Bucket=bucket, Key=key, Body=lambda_zip())
        uploaded.append((bucket, key))
    return uploaded


def remove_artifacts(uploaded: list[tuple[str, str]]) -> None:
    import boto3

    s3 = boto3.client("s3")
    for bucket in sorted({b for b, _ in uploaded}):
        with contextlib.suppress(Exception):
            for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket):
                for v in page.get("Versions", []) + page.get("DeleteMarkers", []):
                    s3.delete_object(Bucket=bucket, Key=v["Key"], VersionId=v["VersionId"])
            s3.delete_bucket(Bucket=bucket)


def terraform(args: tuple[str, ...] | list[str], stack_dir: Path, env: dict[str, str]) -> None:
    """Run one Terraform command; its output goes to <stack>/terraform-<command>.log."""
    terraform_bin = tf.find_terraform()
    proc = subprocess.Popen(
        [terraform_bin, *args], cwd=stack_dir, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        output, _ = proc.communicate(timeout=PHASE_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGINT)  # Terraform stops gracefully and writes the state it has
        try:
            output, _ = proc.communicate(timeout=120)
        except subprocess.TimeoutExpired:
            proc.kill()
            output, _ = proc.communicate()
        (stack_dir / f"terraform-{args[0]}.log").write_text(output)
        still = sorted({line.split(":")[0] for line in output.splitlines() if "Still creating" in line})
        raise E2EError(
            f"`terraform {args[0]}` in {stack_dir.name} did not finish in {PHASE_TIMEOUT_S} s; "
            f"still creating: {', '.join(still) or '?'} (a resource type moto cannot emulate? "
            "leave it out through local.skip_services)"
        ) from None
    (stack_dir / f"terraform-{args[0]}.log").write_text(output)
    if proc.returncode != 0:
        errors = output[output.find("Error:") :] if "Error:" in output else output
        raise E2EError(
            f"`terraform {args[0]}` failed in {stack_dir.name} (exit {proc.returncode}):\n{errors.strip()[-6000:]}"
        )


@dataclass
class Deployment:
    """One applied copy of the `local` environment on an embedded AWS (used by `make e2e` and the tests)."""

    workdir: Path
    server: MotoServer
    timings: Timings = field(default_factory=Timings)
    stacks: dict[str, Path] = field(default_factory=dict)
    applied: list[str] = field(default_factory=list)
    uploaded: list[tuple[str, str]] = field(default_factory=list)
    left: list[str] | None = None  # what `leftovers()` found after destroy

    @property
    def out(self) -> Path:
        return self.workdir / "cdktf.out"

    @property
    def url(self) -> str:
        return self.server.url

    def settings(self):
        """The environment as the synth describes it (the tooling never reads the app's settings)."""
        from boi_model.synth import load_out

        return load_out(self.out).environment()

    def tf_env(self) -> dict[str, str]:
        env = tf.cli_env()
        env.update(FAKE_CREDENTIALS)
        env.pop("AWS_PROFILE", None)
        return env

    def synth(self) -> None:
        with self.timings.phase("synth"):
            self.stacks = synthesize(self.out, self.url)

    @property
    def plans(self) -> Path:
        return self.out / "plans"

    def apply(self) -> None:
        """The pipeline, with the commands `make bootstrap`, `make plan` and `make apply` run: bootstrap
        (state bucket, then its own state moved into it), then per stack in dependency order a saved plan,
        the checkov scan of that plan with the reviewed plan-mode suppressions, and the apply of exactly
        the scanned plan."""
        from boi import bootstrap, gate, plan

        if not self.stacks:
            self.synth()
        names = list(self.stacks)
        with self.timings.phase(f"bootstrap {names[0]}"):
            self.applied.append(names[0])  # a failed bootstrap may have created some: destroy it too
            try:
                bootstrap.bootstrap(self.out, parallelism=PARALLELISM)
            except (bootstrap.BootstrapError, tf.TerraformSetupError) as err:
                raise E2EError(f"bootstrap failed: {err}") from err
        with self.timings.phase("upload lambda packages"):
            self.uploaded = upload_artifacts(self.settings())
        for name in names[1:]:
            with self.timings.phase(f"plan {name}"):
                try:
                    _, failed, skipped = plan.run_plans(self.out, self.plans, only=[name])
                except plan.PlanError as err:
                    raise E2EError(f"plan {name}: {err}") from err
                if skipped or failed:
                    raise E2EError(f"plan {name}: {skipped or failed[name]}")
            with self.timings.phase(f"scan the plan of {name}"):
                try:
                    result = plan.scan_plans(self.plans, self.out, only=[name])
                    if not result.ok:
                        raise E2EError(f"the plan scan of {name} failed:\n{gate.format_summary(result)}")
                    plan.record_reviewed(self.plans, result)
                except (gate.GateError, plan.PlanError) as err:
                    raise E2EError(f"scan of the plan of {name}: {err}") from err
            with self.timings.phase(f"apply the saved plan of {name}"):
                self.applied.append(name)  # a failed apply may have created some: destroy it too
                try:
                    plan.apply_stack(self.out, self.plans, name, expect_commit=None, parallelism=PARALLELISM)
                except (plan.PlanError, tf.TerraformSetupError) as err:
                    raise E2EError(f"apply {name}: {err}") from err

    def destroy(self) -> None:
        from boi import bootstrap

        env = self.tf_env()
        errors = []
        for name in reversed(list(self.applied)):
            with self.timings.phase(f"destroy {name}"):
                try:
                    if name.endswith("-bootstrap"):
                        # Its state lives in the bucket it is about to delete: back to a local file first.
                        bootstrap.unbootstrap_state(self.out)
                    else:
                        terraform(("init", "-input=false", "-no-color", "-reconfigure"), self.stacks[name], env)
                    terraform(DESTROY_ARGS, self.stacks[name], env)
                    self.applied.remove(name)
                except (E2EError, tf.TerraformSetupError) as exc:
                    errors.append(str(exc))
        remove_artifacts(self.uploaded)
        if errors:
            raise E2EError("\n".join(errors))


def leftovers(prefix: str = f"boi-{ENV}") -> list[str]:
    """Everything of ours still in the embedded account after destroy (empty when clean)."""
    import boto3

    found = []
    s3 = boto3.client("s3")
    found += [f"bucket {b['Name']}" for b in s3.list_buckets().get("Buckets", []) if b["Name"].startswith(prefix)]
    kms = boto3.client("kms")
    # moto creates "AWS managed" keys (alias/aws/dynamodb, alias/aws/secretsmanager) as customer keys.
    aws_managed = {
        a.get("TargetKeyId")
        for page in kms.get_paginator("list_aliases").paginate()
        for a in page["Aliases"]
        if a["AliasName"].startswith("alias/aws/")
    }
    for page in kms.get_paginator("list_keys").paginate():
        for key in page["Keys"]:
            meta = kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]
            if (
                meta.get("KeyManager") == "CUSTOMER"
                and key["KeyId"] not in aws_managed
                and meta["KeyState"] != "PendingDeletion"
            ):
                found.append(f"key {key['KeyId']} ({meta['KeyState']}, {meta.get('Description', '')})")
    trails = boto3.client("cloudtrail").describe_trails(includeShadowTrails=False).get("trailList", [])
    found += [f"trail {t['Name']}" for t in trails if t["Name"].startswith(prefix)]
    iam = boto3.client("iam")
    for page in iam.get_paginator("list_roles").paginate():
        found += [f"role {r['RoleName']}" for r in page["Roles"] if r["RoleName"].startswith(prefix)]
    for page in iam.get_paginator("list_policies").paginate(Scope="Local"):
        found += [f"policy {p['PolicyName']}" for p in page["Policies"] if p["PolicyName"].startswith(prefix)]
    return found


@contextlib.contextmanager
def deployment(
    workdir: Path | None = None, *, keep: bool = False, timings: Timings | None = None
) -> Iterator[Deployment]:
    """Start the server, apply every stack, yield; then destroy (and list what is left) and stop the
    server, whatever happened."""
    reason = tf.terraform_available()
    if reason:
        raise tf.TerraformSetupError(reason)
    own_workdir = workdir is None
    workdir = Path(workdir or tempfile.mkdtemp(prefix="boi-e2e-"))
    server = MotoServer()
    timings = timings if timings is not None else Timings()
    with timings.phase("start moto server"):
        server.start()
    dep = Deployment(workdir=workdir, server=server, timings=timings)
    try:
        dep.synth()
        with _stop_on_signals(server.stop), aws_env(server.url, dep.settings().region):
            failed = False
            try:
                dep.apply()
                yield dep
            except BaseException:
                failed = True
                raise
            finally:
                # After SIGTERM/SIGHUP the server (and so the whole embedded account) is already gone.
                if not keep and server.running:
                    try:
                        dep.destroy()
                    except E2EError as exc:
                        if not failed:
                            raise
                        print(f"[e2e] destroy after the failure failed too: {exc}", file=sys.stderr)
                    with timings.phase("list leftovers"):
                        dep.left = leftovers()
    finally:
        server.stop()
        if own_workdir and not keep:
            shutil.rmtree(workdir, ignore_errors=True)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--workdir", type=Path, help="keep the synth, state and logs here (default: a temp dir)")
    parser.add_argument(
        "--keep", action="store_true", help="do not destroy (the server still stops, so this only keeps files to read)"
    )
    parser.add_argument("--no-audit", action="store_true", help="skip the live audit phase")
    parser.add_argument("--no-prowler", action="store_true", help="skip the Prowler scan (said in the output)")


def prowler_phase(dep: Deployment) -> int:
    """Prowler against the deployment: 0 no unreviewed FAIL, 1 otherwise or when it cannot run (a scanner
    that cannot start is a failure here, not a skip: the e2e asked for it)."""
    from boi import prowler

    out = dep.workdir / "prowler"
    try:
        with dep.timings.phase("prowler scan"):
            result, verdict = prowler.scan_deployment(dep.url, out, region=dep.settings().region)
    except prowler.ProwlerError as exc:
        print(f"[e2e] FAILED: Prowler could not run: {exc}", file=sys.stderr)
        return 1
    print(prowler.format_report(result, verdict), flush=True)
    print(f"[e2e] Prowler findings: {result.ocsf_path}; summary: {out / prowler.SUMMARY_FILE}", flush=True)
    if not verdict.ok:
        print(f"[e2e] FAILED: {len(verdict.failures)} unreviewed Prowler FAIL", file=sys.stderr)
        return 1
    return 0


def run(args: argparse.Namespace) -> int:
    reason = tf.terraform_available()
    if reason:
        print(f"e2e SKIPPED: {reason}", file=sys.stderr)
        return 2
    status = 0
    timings = Timings()
    try:
        with deployment(args.workdir, keep=args.keep, timings=timings) as dep:
            print(f"[e2e] embedded AWS at {dep.url}; work folder {dep.workdir}", flush=True)
            if not args.no_audit:
                from boi import live_audit

                with dep.timings.phase("live audit"):
                    code = live_audit.main(["--env", ENV, "--out", str(dep.out)])
                if code != 0:
                    print("[e2e] FAILED: the live audit found differences from the plan", file=sys.stderr)
                    status = 1
            if args.no_prowler:
                print("[e2e] Prowler scan NOT RUN (--no-prowler)", file=sys.stderr)
            else:
                status = max(status, prowler_phase(dep))
        if dep.left:
            print(f"[e2e] FAILED: left after destroy: {', '.join(dep.left)}", file=sys.stderr)
            status = 1
    except (E2EError, tf.TerraformSetupError) as exc:
        print(f"[e2e] FAILED: {exc}", file=sys.stderr)
        status = 1
    finally:
        print(timings.report(), flush=True)
    return status


def main(argv: list[str] | None = None) -> int:
    from boi.cli import run_command

    return run_command("e2e", argv)


if __name__ == "__main__":
    sys.exit(main())
