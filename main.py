"""Entry point: read the environment's settings, build the stacks, synthesize cdktf.out.

    BOI_ENV=dev python main.py          # or: npx cdktn synth (reads cdktf.json)

Bad settings, catalogs or service files print one line per problem and exit 2 before anything is
written.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from boi_iam.errors import GrantError
from boi_model.catalog import CatalogError

from app.services.spec import ServiceError
from app.settings import SettingsError
from app.stacks.synth import synth

if __name__ == "__main__":
    try:
        config_dir = os.environ.get("BOI_CONFIG_DIR")
        synth(
            os.environ.get("BOI_ENV", "dev"),
            os.environ.get("BOI_OUT_DIR", "cdktf.out"),
            Path(config_dir) if config_dir else None,
        )
    except SettingsError as exc:
        print(f"error: settings {exc}", file=sys.stderr)
        sys.exit(2)
    except CatalogError as exc:
        print("\n".join(f"error: catalog {line}" for line in str(exc).splitlines()), file=sys.stderr)
        sys.exit(2)
    except (ServiceError, GrantError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)
