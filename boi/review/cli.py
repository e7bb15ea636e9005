"""`boi review`: options, the run (synth, diff, checkov, plans), the report and the exit code."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from boi.cli import usage_error
from boi.review.checkov import run_checkov_diff
from boi.review.core import diff_synth
from boi.review.markdown import render_markdown
from boi.review.model import EXIT_ERROR, ReviewError
from boi.review.synth import load_synth, remove_worktree, synth_base_and_head


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--base", help="git ref to compare with (e.g. origin/main, HEAD~1)")
    parser.add_argument("--env", default=os.environ.get("BOI_ENV", "dev"), help="environment (default dev)")
    parser.add_argument("--out", type=Path, help="write the Markdown report here (default: stdout)")
    parser.add_argument("--json", type=Path, help="also write the review as JSON here")
    parser.add_argument("--plans", type=Path, help="folder of <stack>.json plans (terraform show -json)")
    parser.add_argument("--no-checkov", action="store_true", help="skip the gate on both sides (saves ~15 s)")
    parser.add_argument("--before-dir", type=Path, help="use this synth output as the base instead of --base")
    parser.add_argument("--after-dir", type=Path, help="use this synth output as the head instead of the tree")


def run(args: argparse.Namespace) -> int:
    if bool(args.before_dir) != bool(args.after_dir):
        return usage_error(args, "--before-dir and --after-dir go together")
    if not args.base and not args.before_dir:
        return usage_error(args, "give --base <ref> (or --before-dir and --after-dir)")

    work = Path(tempfile.mkdtemp(prefix="boi-review-"))
    tree: Path | None = None
    try:
        if args.before_dir:
            base_out, head_out = args.before_dir, args.after_dir
        else:
            base_out, head_out, tree = synth_base_and_head(args.base, args.env, work)
        review = diff_synth(load_synth(base_out), load_synth(head_out))
        review.base = args.base or str(args.before_dir)
        review.head = "working tree" if not args.after_dir else str(args.after_dir)
        if not args.no_checkov:
            review.checkov = run_checkov_diff(base_out, head_out)
        if args.plans:
            from boi.plan import PlanError, summarize_plan_dir

            try:
                review.plans = summarize_plan_dir(args.plans)
            except PlanError as err:
                raise ReviewError(str(err)) from err
    except ReviewError as err:
        print(f"review error: {err}", file=sys.stderr)
        return EXIT_ERROR
    finally:
        if tree is not None:
            remove_worktree(tree)
        shutil.rmtree(work, ignore_errors=True)

    text = render_markdown(review)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text)
    else:
        sys.stdout.write(text)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(review.to_dict(), indent=2, default=str) + "\n")
    verdict = "PERMISSIONS BROADENED (exit 3)" if review.permissions_broadened else "no permissions broadened"
    print(f"review: {verdict}" + (f"; report in {args.out}" if args.out else ""), file=sys.stderr)
    return review.exit_code()


def main(argv: Sequence[str] | None = None) -> int:
    from boi.cli import run_command

    return run_command("review", argv)
