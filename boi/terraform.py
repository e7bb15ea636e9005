"""Run the Terraform CLI against the synthesized stacks.

Where the machine has the AWS provider in a filesystem mirror (found via TF_PROVIDER_MIRROR or a
shallow search), everything here points Terraform at that mirror through a project-local CLI config,
so `terraform init` never tries the registry; elsewhere (a laptop, GitHub) the same CLI config only
shares a plugin cache and `terraform init` uses the registry as usual. Either way init runs with
`-lockfile=readonly` against the committed lock file the synth placed in each stack folder
(app/stacks/locks/): the provider build and its hashes are the tested ones, or init fails.

CLI: python -m boi.terraform validate --out cdktf.out
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
CLI_CONFIG_DIR = REPO_ROOT / ".tfcli"

# Terraform's own implied local-mirror directories (see "Implied Local Mirror Directories"
# in the CLI config docs), searched before falling back to a shallow scan of the filesystem.
_CONVENTIONAL_MIRRORS = (
    "~/.terraform.d/plugins",
    "~/.local/share/terraform/plugins",
    "/usr/local/share/terraform/plugins",
    "/usr/share/terraform/plugins",
)
_SHALLOW_SCAN_DEPTH = 3
# Pseudo file systems never hold a provider mirror, and walking them is slow or has side effects.
_SCAN_SKIP = {"proc", "sys", "dev", "run"}


class TerraformSetupError(Exception):
    """The Terraform CLI or the provider mirror cannot be used; the message says why."""


@dataclass(frozen=True)
class Diagnostic:
    """One entry of `terraform validate -json`."""

    stack: str
    severity: str
    summary: str
    detail: str
    filename: str | None = None
    line: int | None = None
    address: str | None = None

    def __str__(self) -> str:
        where = f" ({self.filename}:{self.line})" if self.filename else ""
        detail = f": {self.detail}" if self.detail else ""
        return f"[{self.stack}] {self.severity}: {self.summary}{detail}{where}"


# ---------------------------------------------------------------- stacks


def find_stacks(out_dir: Path) -> dict[str, Path]:
    """Stack name -> stack folder, for every `<out>/stacks/<stack>/cdk.tf.json`."""
    stacks_dir = Path(out_dir) / "stacks"
    if not stacks_dir.is_dir():
        raise TerraformSetupError(
            f"--out {out_dir}: no 'stacks' folder found at {stacks_dir}; "
            "expected the synth output layout <out>/stacks/<stack>/cdk.tf.json (run `python main.py` first)"
        )
    stacks = {p.parent.name: p.parent for p in sorted(stacks_dir.glob("*/cdk.tf.json"))}
    if not stacks:
        raise TerraformSetupError(f"--out {out_dir}: {stacks_dir} holds no <stack>/cdk.tf.json")
    return stacks


# ---------------------------------------------------------------- discovery


def find_terraform() -> str | None:
    """The Terraform CLI: $TERRAFORM if set, else `terraform` on PATH."""
    configured = os.environ.get("TERRAFORM")
    if configured:
        if Path(configured).is_file() and os.access(configured, os.X_OK):
            return configured
        found = shutil.which(configured)
        if found:
            return found
        raise TerraformSetupError(
            f"TERRAFORM={configured!r} is not an executable file or a command on PATH; "
            "unset it or point it at the terraform binary"
        )
    return shutil.which("terraform")


def is_provider_mirror(path: Path) -> bool:
    """A mirror folder holds registry.terraform.io/hashicorp/aws/<version>/..."""
    aws = Path(path) / "registry.terraform.io" / "hashicorp" / "aws"
    return aws.is_dir() and any(aws.iterdir())


def _scan_for_mirror(root: Path, depth: int) -> Path | None:
    """Breadth-first search for a folder named registry.terraform.io holding hashicorp/aws."""
    level = [root]
    for current_depth in range(depth):
        next_level: list[Path] = []
        for folder in level:
            try:
                children = sorted(p for p in folder.iterdir() if p.is_dir() and not p.is_symlink())
            except OSError:
                continue
            for child in children:
                if current_depth == 0 and root == Path("/") and child.name in _SCAN_SKIP:
                    continue
                if child.name == "registry.terraform.io":
                    if is_provider_mirror(child.parent):
                        return child.parent
                    continue
                next_level.append(child)
        level = next_level
    return None


def find_provider_mirror(scan_root: Path = Path("/")) -> Path | None:
    """The mirror: $TF_PROVIDER_MIRROR, else Terraform's conventional folders, else a shallow scan."""
    configured = os.environ.get("TF_PROVIDER_MIRROR")
    if configured:
        path = Path(configured).expanduser()
        if not is_provider_mirror(path):
            raise TerraformSetupError(
                f"TF_PROVIDER_MIRROR={configured!r} is not a provider mirror: expected "
                f"{path}/registry.terraform.io/hashicorp/aws/<version>/<os_arch>/"
            )
        return path
    for candidate in _CONVENTIONAL_MIRRORS:
        path = Path(candidate).expanduser()
        if is_provider_mirror(path):
            return path
    return _scan_for_mirror(scan_root, _SHALLOW_SCAN_DEPTH)


def terraform_available() -> str | None:
    """None when Terraform can run here (from the provider mirror, or else the registry), else why not."""
    try:
        if find_terraform() is None:
            return "no Terraform CLI (set TERRAFORM or put terraform on PATH)"
        find_provider_mirror()  # a TF_PROVIDER_MIRROR that is not a mirror is an error, not the registry
    except TerraformSetupError as err:
        return str(err)
    return None


# ---------------------------------------------------------------- CLI config and env


def cli_config_text(mirror: Path | None, plugin_cache: Path) -> str:
    if mirror is None:  # no mirror on this machine: providers come from the registry, as usual
        return f'plugin_cache_dir = "{plugin_cache.as_posix()}"\n'
    return (
        f'plugin_cache_dir = "{plugin_cache.as_posix()}"\n'
        "\n"
        "provider_installation {\n"
        "  filesystem_mirror {\n"
        f'    path    = "{Path(mirror).as_posix()}"\n'
        '    include = ["registry.terraform.io/hashicorp/*"]\n'
        "  }\n"
        "  # Never reach the registry: the machine is offline and the mirror is the reviewed source.\n"
        "  direct {\n"
        '    exclude = ["registry.terraform.io/*/*"]\n'
        "  }\n"
        "}\n"
    )


def write_cli_config(config_dir: Path = CLI_CONFIG_DIR, mirror: Path | None = None) -> Path:
    """Write <config_dir>/terraformrc (the mirror when there is one) and return its path."""
    mirror = mirror or find_provider_mirror()
    plugin_cache = Path(config_dir).resolve() / "plugin-cache"
    plugin_cache.mkdir(parents=True, exist_ok=True)
    config = Path(config_dir) / "terraformrc"
    text = cli_config_text(mirror, plugin_cache)
    # Rewrite only on change so parallel callers do not race on a half-written file.
    if not config.is_file() or config.read_text() != text:
        tmp = config.with_suffix(f".tmp{os.getpid()}")
        tmp.write_text(text)
        tmp.replace(config)
    return config


def cli_env(config_dir: Path = CLI_CONFIG_DIR) -> dict[str, str]:
    """The process environment plus what makes Terraform use the local mirror and stay quiet.

    TF_CLI_CONFIG_FILE is always overridden: this machine points it at a file that does not exist.
    """
    config = write_cli_config(config_dir)
    env = dict(os.environ)
    env.update(
        {
            "TF_CLI_CONFIG_FILE": str(config.resolve()),
            "TF_PLUGIN_CACHE_DIR": str((Path(config_dir) / "plugin-cache").resolve()),
            "TF_IN_AUTOMATION": "1",
            "CHECKPOINT_DISABLE": "1",
            "TF_INPUT": "0",
        }
    )
    return env


# ---------------------------------------------------------------- running


def run(
    args: Sequence[str], cwd: Path, *, env: dict[str, str] | None = None, check: bool = True
) -> subprocess.CompletedProcess[str]:
    """Run `terraform <args>` in cwd with the offline env; raise with Terraform's output on failure."""
    terraform = find_terraform()
    if terraform is None:
        raise TerraformSetupError("no Terraform CLI (set TERRAFORM or put terraform on PATH)")
    proc = subprocess.run(
        [terraform, *args],
        cwd=cwd,
        env=env if env is not None else cli_env(),
        capture_output=True,
        text=True,
        check=False,
    )
    if check and proc.returncode != 0:
        raise TerraformSetupError(
            f"`terraform {' '.join(args)}` failed in {cwd} (exit {proc.returncode}):\n"
            f"{proc.stderr.strip() or proc.stdout.strip()}"
        )
    return proc


LOCK_FILE = ".terraform.lock.hcl"


def init(
    stack_dir: Path, backend: bool = False, *, env: dict[str, str] | None = None, extra: Sequence[str] = ()
) -> None:
    """`terraform init -lockfile=readonly` (mirror or registry); backend=False skips the S3 backend,
    which needs AWS. The stack folder must hold the committed lock file (the synth places it)."""
    if not (Path(stack_dir) / LOCK_FILE).is_file():
        raise TerraformSetupError(
            f"{stack_dir} has no {LOCK_FILE}: the synth copies the committed lock file "
            "(app/stacks/locks/aws.terraform.lock.hcl) into every stack folder; synthesize again"
        )
    backend_flag = f"-backend={'true' if backend else 'false'}"
    run(["init", backend_flag, "-lockfile=readonly", "-input=false", "-no-color", *extra], stack_dir, env=env)


def parse_validate_output(stack: str, stdout: str) -> list[Diagnostic]:
    try:
        report = json.loads(stdout)
    except json.JSONDecodeError as err:
        raise TerraformSetupError(f"[{stack}] terraform validate -json printed no JSON: {stdout[:500]!r}") from err
    diagnostics = []
    for item in report.get("diagnostics", []):
        rng = item.get("range") or {}
        diagnostics.append(
            Diagnostic(
                stack=stack,
                severity=item.get("severity", "error"),
                summary=item.get("summary", ""),
                detail=item.get("detail", ""),
                filename=rng.get("filename"),
                line=(rng.get("start") or {}).get("line"),
                address=item.get("address"),
            )
        )
    return diagnostics


def validate(stack_dir: Path, *, env: dict[str, str] | None = None) -> list[Diagnostic]:
    """Diagnostics of `terraform validate -json` (errors and warnings); run init first."""
    stack_dir = Path(stack_dir)
    # validate exits 1 on invalid config but still prints its JSON report, so do not check the code.
    proc = run(["validate", "-json", "-no-color"], stack_dir, env=env, check=False)
    return parse_validate_output(stack_dir.name, proc.stdout)


def init_and_validate(stack_dir: Path, *, env: dict[str, str] | None = None) -> list[Diagnostic]:
    """Like validate, but a failed init becomes an error diagnostic so other stacks still run."""
    try:
        init(stack_dir, backend=False, env=env)
    except TerraformSetupError as err:
        return [
            Diagnostic(stack=Path(stack_dir).name, severity="error", summary="terraform init failed", detail=str(err))
        ]
    return validate(stack_dir, env=env)


def validate_stacks(out_dir: Path, *, max_workers: int | None = None) -> dict[str, list[Diagnostic]]:
    """init + validate every stack under out_dir, stacks in parallel threads."""
    stacks = find_stacks(out_dir)
    env = cli_env()
    results: dict[str, list[Diagnostic]] = {}
    names = list(stacks)
    # Terraform's plugin cache is not safe for concurrent first fills: one stack warms it alone.
    if names:
        results[names[0]] = init_and_validate(stacks[names[0]], env=env)
    workers = max_workers or min(max(len(names) - 1, 1), os.cpu_count() or 1)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = {name: pool.submit(init_and_validate, stacks[name], env=env) for name in names[1:]}
        results.update({name: future.result() for name, future in futures.items()})
    return {name: results[name] for name in names}


# ---------------------------------------------------------------- CLI


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m boi.terraform", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    validate_cmd = sub.add_parser("validate", help="terraform init -backend=false + validate for every stack")
    validate_cmd.add_argument("--out", type=Path, default=Path("cdktf.out"), help="synth output folder")
    validate_cmd.add_argument("--json", action="store_true", help="print diagnostics as JSON")
    args = parser.parse_args(argv)

    reason = terraform_available()
    if reason:
        print(f"terraform validate SKIPPED: {reason}", file=sys.stderr)
        return 2
    try:
        results = validate_stacks(args.out)
    except TerraformSetupError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    errors = [d for diags in results.values() for d in diags if d.severity == "error"]
    if args.json:
        print(json.dumps({name: [asdict(d) for d in diags] for name, diags in results.items()}, indent=2))
    else:
        for name, diags in results.items():
            n_err = sum(d.severity == "error" for d in diags)
            verdict = "valid" if n_err == 0 else f"{n_err} error(s)"
            print(f"{name}: {verdict}, {len(diags) - n_err} warning(s)")
            for d in diags:
                print(f"  {d}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
