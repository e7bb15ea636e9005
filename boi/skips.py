"""No silent skips: a check that cannot run here fails under CI with its reason, and warns loudly elsewhere.

`CI=true` (GitHub Actions, `.ci/run`) means "this machine is supposed to run everything": a gate step,
a plan or a test that cannot run there is a failure, never a green skip. On a laptop the same
situation prints a warning that cannot be missed and the command goes on.
"""

from __future__ import annotations

import os
import sys


def in_ci(environ: dict[str, str] | None = None) -> bool:
    value = (os.environ if environ is None else environ).get("CI", "")
    return value.strip().lower() in ("true", "1", "yes")


class CannotRun(Exception):
    """Under CI, a check that cannot run here; the message says which and why."""


def cannot_run(what: str, reason: str, *, environ: dict[str, str] | None = None) -> str:
    """`what` cannot run here because of `reason`: raise CannotRun under CI, else warn loudly on
    stderr and return the line that was printed (for the caller's own summary)."""
    if in_ci(environ):
        raise CannotRun(f"{what} cannot run here under CI=true: {reason}")
    line = f"WARNING: {what} SKIPPED: {reason} (under CI=true this fails)"
    bar = "!" * min(len(line), 100)
    print(f"{bar}\n{line}\n{bar}", file=sys.stderr, flush=True)
    return line
