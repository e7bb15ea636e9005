"""python -m boi.live_audit: the same as `boi audit`."""

import sys

from boi.live_audit.cli import main

sys.exit(main())
