"""The documents of the AWS managed policies the platform attaches, for the simulator.

Their text is not in the synthesized JSON. `boi/data/aws_managed_policies.json` is a snapshot taken
from the copy that ships with moto (`python -m boi.managed_policies --refresh`); a test checks it is
fresh and holds every AWS managed policy any synthesized role attaches.
"""

from __future__ import annotations

import argparse
import json
import sys
from functools import lru_cache
from pathlib import Path

SNAPSHOT = Path(__file__).parent / "data" / "aws_managed_policies.json"
PREFIX = "arn:aws:iam::aws:policy/"


@lru_cache(maxsize=1)
def load() -> dict[str, dict]:
    """ARN -> policy document."""
    data = json.loads(SNAPSHOT.read_text())
    return {f"{PREFIX}{name}": doc for name, doc in data["policies"].items()}


def from_moto(names: list[str]) -> dict:
    import moto
    import moto.iam.aws_managed_policies as managed

    known = json.loads(managed.aws_managed_policies_data)
    by_path = {f"{p['Path'].lstrip('/')}{n}": p for n, p in known.items()}
    missing = sorted(set(names) - set(by_path))
    if missing:
        raise SystemExit(f"moto {moto.__version__} has no copy of {missing}")
    return {
        "source": f"moto {moto.__version__} (moto/iam/aws_managed_policies.py)",
        "versions": {n: by_path[n]["DefaultVersionId"] for n in sorted(names)},
        "policies": {n: by_path[n]["Document"] for n in sorted(names)},
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--refresh", nargs="+", metavar="NAME", help="policy names with path, e.g. service-role/X")
    args = parser.parse_args(argv)
    if not args.refresh:
        parser.print_usage()
        return 2
    SNAPSHOT.write_text(json.dumps(from_moto(args.refresh), indent=1, sort_keys=True) + "\n")
    print(f"wrote {SNAPSHOT} ({len(args.refresh)} policies)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
