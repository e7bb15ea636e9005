"""Under CI=true a skipped test fails (root conftest.py); elsewhere it stays a loud skip."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _run(tmp_path: Path, ci: str | None) -> subprocess.CompletedProcess:
    shutil.copyfile(ROOT / "conftest.py", tmp_path / "conftest.py")
    (tmp_path / "test_tool.py").write_text(
        "import pytest\n\ndef test_needs_a_tool():\n    pytest.skip('the tool is missing')\n\n"
        "def test_runs():\n    assert True\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "CI"} | ({"CI": ci} if ci else {})
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rs", str(tmp_path)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
    )


def test_a_skip_fails_under_ci(tmp_path):
    result = _run(tmp_path, "true")
    assert result.returncode == 1, result.stdout
    assert "1 failed, 1 passed" in result.stdout and "the tool is missing" in result.stdout


def test_a_skip_is_a_skip_outside_ci(tmp_path):
    result = _run(tmp_path, None)
    assert result.returncode == 0, result.stdout
    assert "1 passed, 1 skipped" in result.stdout and "the tool is missing" in result.stdout
