"""`boi audit`: options, the environment check, state from Terraform, the report and the exit code."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable
from pathlib import Path

from boi_model.synth import Synth, SynthError

from boi.live_audit.registry import AuditError, load_synth
from boi.live_audit.report import audit, format_table, gaps, to_json
from boi.live_audit.state import State


def _has_terraform_state(out: Path, stacks: Iterable[str]) -> bool:
    from boi import terraform as tf

    return tf.terraform_available() is None and all((Path(out) / "stacks" / s / ".terraform").is_dir() for s in stacks)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--env", required=True, help="the environment the synth must describe (checked)")
    parser.add_argument("--out", type=Path, default=Path("cdktf.out"), help="synth output folder (the plan)")
    parser.add_argument("--json", action="store_true", help="print the checks and the findings as JSON")
    parser.add_argument(
        "--state",
        choices=("auto", "terraform", "none"),
        default="auto",
        help="resolve references from `terraform show -json` (auto: when the stacks are initialized)",
    )


def run(args: argparse.Namespace) -> int:
    try:
        # the environment's own account (organization stacks of other accounts: audit each with its session)
        synth = load_synth(args.out).home()
        try:
            settings = Synth(synth).environment()
        except SynthError as exc:
            raise AuditError(str(exc)) from None
        if args.env != settings.name:
            raise AuditError(f"{args.out} holds the {settings.name!r} environment, not {args.env!r}")
        use_state = args.state == "terraform" or (args.state == "auto" and _has_terraform_state(args.out, synth))
        state = State.from_terraform(args.out, synth) if use_state else State()
    except AuditError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    import boto3

    session = boto3.Session(region_name=settings.region)
    findings = audit(synth, session, state)
    not_verified = gaps(synth)
    if args.json:
        print(json.dumps(to_json(findings, settings.name, state.loaded, not_verified), indent=2))
    else:
        print(format_table(findings, not_verified))
    for gap in not_verified:  # also on stderr, so a log that keeps only errors still shows it
        print(f"live audit: NOT VERIFIED here: {gap.what} ({gap.why})", file=sys.stderr)
    return 1 if findings else 0


def main(argv: list[str] | None = None) -> int:
    from boi.cli import run_command

    return run_command("audit", argv)
