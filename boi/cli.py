"""The `boi` command: one entry point for the platform's tools.

boi synth [--env dev]        boi gate ...            boi docs ...
boi review ...               boi audit ...           boi iam-report ...
boi kms rotation-report ...
"""

from __future__ import annotations

import importlib
import os
import sys
from pathlib import Path

COMMANDS = {
    "gate": "boi.gate",
    "docs": "boi.docs",
    "review": "boi.review",
    "audit": "boi.live_audit",
    "iam-report": "boi.iam_report",
    "bench": "boi.bench",
    "kms rotation-report": "boi_kms.rotation_report",
}


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in ("-h", "--help"):
        print(__doc__)
        return 0 if args else 2
    if args[0] == "synth":
        # The tooling sees the app only through its output: run the app's entry point.
        import subprocess

        env = args[args.index("--env") + 1] if "--env" in args else os.environ.get("BOI_ENV", "dev")
        root = Path(__file__).resolve().parent.parent
        return subprocess.run(
            [sys.executable, str(root / "main.py")], cwd=root, check=False, env={**os.environ, "BOI_ENV": env}
        ).returncode
    for name, module in COMMANDS.items():
        words = name.split()
        if args[: len(words)] == words:
            return importlib.import_module(module).main(args[len(words) :]) or 0
    print(f"error: unknown command {args[0]!r}; commands: synth, {', '.join(COMMANDS)}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
