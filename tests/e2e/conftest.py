"""End-to-end tests apply the `local` environment to a moto server: minutes, not seconds.

They run only when asked: `BOI_E2E=1` or selected with `-m e2e` (`make test-e2e`, `make test-all`);
otherwise they are deferred (a skip that says so, never a failure, also under CI). Asked, without a
Terraform CLI they skip saying why, and under CI=true that skip fails (the root conftest.py).
"""

from __future__ import annotations

import os

import pytest

from boi.skips import DEFERRED
from boi.terraform import terraform_available


def _asked(config) -> bool:
    return os.environ.get("BOI_E2E") == "1" or "e2e" in (config.getoption("-m") or "")


def pytest_collection_modifyitems(config, items):
    ours = [item for item in items if item.get_closest_marker("e2e")]
    if not ours:
        return
    if not _asked(config):
        skip = pytest.mark.skip(reason=f"{DEFERRED} end-to-end on moto runs in make test-e2e (BOI_E2E=1 or -m e2e)")
    else:
        reason = terraform_available()
        if not reason:
            return
        skip = pytest.mark.skip(reason=f"E2E SKIPPED, Terraform cannot run here: {reason}")
    for item in ours:
        item.add_marker(skip)
