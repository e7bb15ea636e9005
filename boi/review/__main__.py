"""python -m boi.review: the same as `boi review`."""

import sys

from boi.review.cli import main

sys.exit(main())
