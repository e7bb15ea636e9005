"""End-to-end tests apply the `local` environment to a moto server: minutes, not seconds.

They run only when asked: `BOI_E2E=1` or selected with `-m e2e` (`make e2e-test`, `make test-all`).
Without a Terraform CLI and the provider mirror they skip, saying why.
"""

from __future__ import annotations

import os

import pytest

from boi.terraform import terraform_available


def _asked(config) -> bool:
    return os.environ.get("BOI_E2E") == "1" or "e2e" in (config.getoption("-m") or "")


def pytest_collection_modifyitems(config, items):
    ours = [item for item in items if item.get_closest_marker("e2e")]
    if not ours:
        return
    if not _asked(config):
        # Not asked for (make test): deselected, so they neither run nor count as skipped.
        config.hook.pytest_deselected(items=ours)
        items[:] = [item for item in items if not item.get_closest_marker("e2e")]
        return
    reason = terraform_available()
    if not reason:
        return
    skip = pytest.mark.skip(reason=f"E2E SKIPPED, Terraform cannot run here: {reason}")
    for item in ours:
        item.add_marker(skip)
