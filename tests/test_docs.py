"""The committed security documents are exactly what the synthesized dev JSON renders."""

from __future__ import annotations

from pathlib import Path

import pytest

from boi.docs import DOCS, render_all

pytestmark = pytest.mark.slow


def test_committed_documents_are_fresh(dev, dev_privileges):
    rendered = render_all(dev, dev_privileges)
    assert set(rendered) == {"iam.md", "kms.md", "audit-plan.md", "encryption-standards.md"}
    stale = [
        name for name, text in rendered.items() if not (DOCS / name).is_file() or (DOCS / name).read_text() != text
    ]
    assert stale == [], f"stale documents {stale}: run `make synth docs` and commit docs/security"


def test_every_role_is_documented(dev, dev_privileges):
    text = render_all(dev, dev_privileges)["iam.md"]
    roles = {body["name"] for stack in dev.values() for body in stack["resource"].get("aws_iam_role", {}).values()}
    missing = [role for role in roles if role not in text]
    assert len(roles) >= 20 and missing == []


def test_docs_check_mode_reports_stale(tmp_path, synth_env, dev_privileges):
    from boi.docs import main

    out, _ = synth_env("dev")
    assert main(["--out", str(out), "--docs", str(tmp_path), "--check"]) == 1
    assert main(["--out", str(out), "--docs", str(tmp_path)]) == 0
    assert main(["--out", str(out), "--docs", str(tmp_path), "--check"]) == 0
    (tmp_path / "kms.md").write_text("edited by hand\n")
    assert main(["--out", str(out), "--docs", str(tmp_path), "--check"]) == 1
    assert Path(DOCS).name == "security"


def test_the_iam_document_opens_with_privileged_access(dev, dev_privileges):
    text = render_all(dev, dev_privileges)["iam.md"]
    first = text.index("## Privileged access")
    assert first < text.index("## Roles") < text.index("## Role details")
    table = text[first : text.index("## Roles")]
    for principal in ("break-glass", "foundation-deploy", "platform-deploy"):
        assert f"**{principal}**" in table
    assert "### Who reads or writes PII directly" in table
