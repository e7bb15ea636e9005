"""Synthesizing the base (in a temporary git worktree) and the working tree, in parallel."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from boi_model.synth import Synth, SynthError, load_out

from boi.progress import say
from boi.review.model import ReviewError

REPO_ROOT = Path(__file__).resolve().parents[2]


def load_synth(out_dir: Path) -> Synth:
    try:
        return load_out(out_dir)
    except SynthError as err:
        raise ReviewError(f"{out_dir}: {err}") from err


def _git(args: Sequence[str], cwd: Path = REPO_ROOT) -> str:
    proc = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise ReviewError(f"`git {' '.join(args)}` failed: {proc.stderr.strip()}")
    return proc.stdout.strip()


def _synth_process(tree: Path, env_name: str, out_dir: Path) -> subprocess.Popen:
    """`python main.py` of `tree` with this interpreter (the uv environment); the tree's own code,
    components included, comes first on the import path."""
    env = dict(os.environ)
    paths = [str(tree / p) for p in ("", "iam", "kms", "audit")]
    env.update(
        {
            "BOI_ENV": env_name,
            "BOI_OUT_DIR": str(out_dir),
            "PYTHONPATH": os.pathsep.join(paths + [env.get("PYTHONPATH", "")]).rstrip(os.pathsep),
        }
    )
    env.pop("BOI_CONFIG_DIR", None)
    return subprocess.Popen(
        [sys.executable, "main.py"],
        cwd=tree,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait(proc: subprocess.Popen, what: str, started: float) -> str | None:
    """Wait for one synth; its progress line when it ends; the error, or None."""
    _, stderr = proc.communicate()
    seconds = time.monotonic() - started
    if proc.returncode != 0:
        say(f"synth {what}: failed (exit {proc.returncode}) after {seconds:.1f} s")
        return f"synth of {what} failed (exit {proc.returncode}):\n{stderr.strip()[-3000:]}"
    say(f"synth {what}: {seconds:.1f} s")
    return None


def synth_base_and_head(base: str, env_name: str, work: Path) -> tuple[Path, Path, Path]:
    """Synthesize `base` (in a temporary worktree) and the working tree, in parallel.
    Returns (base out, head out, base worktree); the caller removes the worktree."""
    sha = _git(["rev-parse", "--verify", f"{base}^{{commit}}"])
    tree = work / "base-tree"
    _git(["worktree", "add", "--detach", str(tree), sha])
    base_out, head_out = work / "base-out", work / "head-out"
    started = time.monotonic()
    procs = [
        (_synth_process(tree, env_name, base_out), f"{env_name} of base {base} ({sha[:12]})"),
        (_synth_process(REPO_ROOT, env_name, head_out), f"{env_name} of the working tree"),
    ]
    say(f"synth {env_name} of base {base} ({sha[:12]}) and of the working tree, in parallel …")
    with ThreadPoolExecutor(max_workers=len(procs)) as pool:
        errors = [e for e in pool.map(lambda p: _wait(p[0], p[1], started), procs) if e]
    if errors:
        raise ReviewError(errors[0])
    return base_out, head_out, tree


def remove_worktree(tree: Path) -> None:
    subprocess.run(["git", "worktree", "remove", "--force", str(tree)], cwd=REPO_ROOT, capture_output=True, check=False)
    subprocess.run(["git", "worktree", "prune"], cwd=REPO_ROOT, capture_output=True, check=False)
