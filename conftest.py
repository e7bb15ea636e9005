"""Every test suite of the repository: under CI=true a skipped test fails with its reason (boi.skips).

Skips deferred on purpose to another make target (the e2e tests in `make test`, which `make test-e2e`
runs) say so with boi.skips.DEFERRED and stay skips.
"""

from __future__ import annotations

import pytest

from boi.skips import DEFERRED, in_ci


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if not (report.skipped and in_ci()) or hasattr(report, "wasxfail"):
        return
    reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
    if reason.removeprefix("Skipped: ").startswith(DEFERRED):
        return
    report.outcome = "failed"
    report.longrepr = f"under CI=true a test that cannot run fails: {reason}"
