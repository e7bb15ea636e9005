"""The committed security documents of dev and prod are exactly what each environment's synth renders."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from boi.docs import DOCS, docs_dir, render_all

pytestmark = pytest.mark.slow


def _stale(rendered: dict[str, str], folder: Path) -> list[str]:
    return [
        name for name, text in rendered.items() if not (folder / name).is_file() or (folder / name).read_text() != text
    ]


def test_committed_dev_documents_are_fresh(dev, dev_privileges):
    rendered = render_all(dev, dev_privileges)
    assert set(rendered) == {"iam.md", "kms.md", "audit-plan.md", "encryption-standards.md"}
    assert _stale(rendered, docs_dir("dev")) == [], "run `make synth docs ENV=dev` and commit docs/security/dev"


def test_committed_prod_documents_are_fresh(synth_env, simulator, evaluator):
    from boi.docs import privileges_of

    prod = synth_env("prod")[1]
    privileges = privileges_of(prod, prod.environment(), simulator=simulator, evaluator=evaluator)
    rendered = render_all(prod, privileges)
    assert _stale(rendered, docs_dir("prod")) == [], "run `make synth docs ENV=prod` and commit docs/security/prod"


def test_each_environment_folder_holds_only_its_own_documents():
    for env in ("dev", "prod"):
        for doc in docs_dir(env).glob("*.md"):
            head = "\n".join(doc.read_text().splitlines()[:15])
            other = {"dev": "prod", "prod": "dev"}[env]
            assert f"environment `{env}`" in head, f"{doc} does not name {env} in its scope block"
            assert f"`{other}`" not in head, f"{doc} names {other} in its scope block"


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
    assert Path(DOCS).name == "security" and docs_dir("dev") == DOCS / "dev"


def test_the_iam_document_opens_with_privileged_access(dev, dev_privileges):
    text = render_all(dev, dev_privileges)["iam.md"]
    first = text.index("## Privileged access")
    assert first < text.index("## Roles") < text.index("## Role details")
    table = text[first : text.index("## Roles")]
    for principal in ("break-glass", "foundation-deploy", "platform-deploy"):
        assert f"**{principal}**" in table
    assert "### Who reads or writes PII directly" in table


LEAKS = {
    "an unresolved Terraform reference": re.compile(r"\$\{"),
    "a Python literal": re.compile(r"\b(None|True|False)\b|\{'|\['"),
}


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_documents_show_no_tokens_or_python_literals(env):
    problems = [
        f"{doc.relative_to(DOCS)}:{n}: {what}: {line.strip()[:120]}"
        for doc in sorted(docs_dir(env).glob("*.md"))
        for n, line in enumerate(doc.read_text().splitlines(), 1)
        for what, pattern in LEAKS.items()
        if pattern.search(line)
    ]
    assert problems == []
