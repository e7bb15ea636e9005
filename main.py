"""Entry point: read the environment's settings, build the stacks, synthesize cdktf.out.

    BOI_ENV=dev python main.py          # or: npx cdktn synth (reads cdktf.json)

Bad settings print one line per problem and exit 2 before anything is written.
"""

from __future__ import annotations

import os
import sys

from boi.app import synth
from boi.settings import SettingsError

if __name__ == "__main__":
    try:
        synth(os.environ.get("BOI_ENV", "dev"), os.environ.get("BOI_OUT_DIR", "cdktf.out"))
    except SettingsError as exc:
        print(f"error: settings {exc}", file=sys.stderr)
        sys.exit(2)
