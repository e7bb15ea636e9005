"""Progress lines for the steps that take a while: one line on stderr when a step starts and one
when it ends, with its time (`synth dev: 4.1 s`). stdout is left alone, so JSON printed there stays
machine-readable.

    with step("synth dev"):
        ...
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


class Step:
    def __init__(self, label: str) -> None:
        self.label = label
        self.started = time.monotonic()
        self.failure: str | None = None

    def fail(self, why: str) -> None:
        """End with `<label>: failed (<why>) after 4.1 s` instead of the plain time."""
        self.failure = why

    def seconds(self) -> float:
        return time.monotonic() - self.started


@contextmanager
def step(label: str) -> Iterator[Step]:
    """`<label> …` now, then `<label>: 4.1 s` (or `<label>: failed … after 4.1 s`) at the end."""
    say(f"{label} …")
    progress = Step(label)
    try:
        yield progress
    except BaseException as exc:
        why = f" ({type(exc).__name__})" if not isinstance(exc, SystemExit | KeyboardInterrupt) else ""
        say(f"{label}: failed{why} after {progress.seconds():.1f} s")
        raise
    if progress.failure:
        say(f"{label}: failed ({progress.failure}) after {progress.seconds():.1f} s")
    else:
        say(f"{label}: {progress.seconds():.1f} s")
