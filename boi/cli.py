"""The `boi` command: one entry point for every tool of the platform (the Makefile calls it).

    boi <command> [options]         boi <command> --help         boi --version

Every command reads the synthesized output (`cdktf.out/stacks/*/cdk.tf.json`) and writes its own
folder: synth `stacks/` and `manifest.json`, gate `gate/`, review `review/`, plan `plans/`,
handbook `site/`, evidence `artifacts/evidence/<date>/`. `--help` never runs anything; an unknown
command, option or a missing value prints the usage and exits 2.
"""

from __future__ import annotations

import argparse
import importlib
import os
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DISTRIBUTION = "boi-platform"


@dataclass(frozen=True)
class Command:
    module: str  # has add_arguments(parser) and run(args) -> int; or main(argv) -> int when passthrough
    help: str
    aliases: tuple[str, ...] = ()
    # A component's own command line (it parses its arguments itself): boi passes them through.
    passthrough: bool = False


COMMANDS: dict[str, Command] = {
    "synth": Command("boi.cli", "synthesize an environment into <out>/stacks and <out>/manifest.json"),
    "gate": Command("boi.gate", "checkov over every stack with the reviewed suppressions (make check)", ("check",)),
    "docs": Command("boi.docs", "write docs/security/*.md from the synthesized JSON (--check: stale?)"),
    "review": Command("boi.review", "security diff of a base ref against the working tree; exit 3 = broadened"),
    "bootstrap": Command("boi.bootstrap", "first deployment of an account: state bucket, key, deploy roles"),
    "plan": Command("boi.plan", "saved terraform plans per stack, checkov over them, apply the reviewed plan"),
    "audit": Command("boi.live_audit", "live audit: an AWS account (or AWS_ENDPOINT_URL) against the synth"),
    "iam-report": Command("boi.iam_report", "least-privilege report per role"),
    "rotation-report": Command(
        "boi_kms.rotation_report", "live KMS rotation report against an account", passthrough=True
    ),
    "privileges": Command("boi.privileges", "escalation proofs: who reaches which sensitive outcome, by which path"),
    "handbook": Command("boi.handbook", "build the security handbook (MkDocs, offline) into site/"),
    "evidence": Command("boi.evidence", "dated evidence pack with a SHA-256 manifest; --verify a pack"),
    "e2e": Command("boi.e2e", "apply the local environment to an embedded AWS, audit it, destroy it"),
    "bench": Command("boi.bench", "cold synth, gate and unit-test timings, several runs"),
    "release": Command("boi.release", "component release rules (check) and releases.json (record)"),
    "catalogs": Command(
        "boi.catalogs", "validate catalogs/ against their models (check); export their schemas", passthrough=True
    ),
}
_ALIASES = {alias: name for name, command in COMMANDS.items() for alias in command.aliases}


def version() -> str:
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as dist_version

    try:
        return dist_version(DISTRIBUTION)
    except PackageNotFoundError:
        return "unknown"


def _module_help(module) -> str | None:
    return (module.__doc__ or "").strip() or None


def build_parser(selected: str | None = None) -> argparse.ArgumentParser:
    """The whole command line; only the selected command's module is imported and asked for its
    options, so `boi --help` imports nothing but this file."""
    parser = argparse.ArgumentParser(
        prog="boi", description=__doc__.splitlines()[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {version()}")
    sub = parser.add_subparsers(dest="command", metavar="<command>", title="commands", required=True)
    for name, command in COMMANDS.items():
        if command.passthrough:
            sub.add_parser(name, help=command.help, add_help=False)
            continue
        cmd_parser = sub.add_parser(
            name,
            aliases=list(command.aliases),
            help=command.help,
            description=command.help,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        if name == selected:
            module = importlib.import_module(command.module)
            cmd_parser.description = _module_help(module) or command.help
            module.add_arguments(cmd_parser)
            cmd_parser.set_defaults(_run=module.run, _parser=cmd_parser)
    return parser


def _selected(argv: Sequence[str]) -> str | None:
    first = next((a for a in argv if not a.startswith("-")), None)
    return _ALIASES.get(first, first) if first else None


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    selected = _selected(argv)
    command = COMMANDS.get(selected or "")
    if command is not None and command.passthrough and argv and argv[0] == selected:
        try:
            return importlib.import_module(command.module).main(argv[1:]) or 0
        except SystemExit as exc:  # its own parser: --help (0) or a usage error (2)
            if exc.code is None or isinstance(exc.code, int):
                return exc.code or 0
            print(exc.code, file=sys.stderr)
            return 1
    parser = build_parser(selected if command is not None else None)
    try:
        args, unknown = parser.parse_known_args(argv)
        if unknown:  # named under the command's own usage, not the top-level one
            getattr(args, "_parser", parser).error(f"unrecognized arguments: {' '.join(unknown)}")
    except SystemExit as exc:  # --help, --version (0) or a usage error (2): nothing has run
        return exc.code if isinstance(exc.code, int) else 2
    return args._run(args) or 0


def usage_error(args: argparse.Namespace, message: str) -> int:
    """A usage error found after parsing (options that go together): the usage, the message, exit 2."""
    parser = args._parser
    parser.print_usage(sys.stderr)
    print(f"{parser.prog}: error: {message}", file=sys.stderr)
    return 2


def run_command(name: str, argv: Sequence[str] | None) -> int:
    """`python -m boi.<module> ARGS` is `boi <name> ARGS`: one parser for both."""
    return main([name, *(sys.argv[1:] if argv is None else argv)])


# ---------------------------------------------------------------- boi synth


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "Synthesize an environment: runs main.py in a subprocess (the tooling sees the app only through its\n"
        "output) and replaces <out>/stacks and <out>/manifest.json; every other folder of <out> is kept.\n"
        "Bad settings: one line per problem, exit 2, nothing written."
    )
    parser.add_argument("--env", default=os.environ.get("BOI_ENV", "dev"), help="config/<env>.yaml (default dev)")
    parser.add_argument(
        "--out",
        type=Path,
        default=Path(os.environ.get("BOI_OUT_DIR", "cdktf.out")),
        help="output folder (default cdktf.out)",
    )
    parser.add_argument(
        "--if-missing",
        action="store_true",
        help="keep <out> when it already holds a synth of this environment (make handbook, make evidence)",
    )


def existing_environment(out: Path) -> str | None:
    """The environment the synth in `out` describes, or None when there is none to read."""
    from boi_model.synth import SynthError, load_out

    try:
        return load_out(out).environment().name
    except (SynthError, OSError, ValueError):
        return None


def run(args: argparse.Namespace) -> int:
    from boi.progress import say, step

    out = args.out.resolve()
    if args.if_missing and existing_environment(out) == args.env:
        say(f"synth {args.env}: using the existing synth in {args.out}")
        return 0
    env = {**os.environ, "BOI_ENV": args.env, "BOI_OUT_DIR": str(out)}
    with step(f"synth {args.env}") as progress:
        code = subprocess.run([sys.executable, str(ROOT / "main.py")], cwd=ROOT, env=env, check=False).returncode
        if code != 0:
            progress.fail(f"exit {code}")
    return code


if __name__ == "__main__":
    sys.exit(main())
