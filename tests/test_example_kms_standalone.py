"""examples/kms_standalone: a cdktn app on boi-kms alone synthesizes two rotating keys with a grant."""

from __future__ import annotations

import ast
import importlib.util
import json
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "kms_standalone" / "main.py"


def test_example_imports_only_boi_kms_and_cdktn():
    tree = ast.parse(EXAMPLE.read_text())
    roots = {
        (node.module if isinstance(node, ast.ImportFrom) else alias.name).split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom) and (not isinstance(node, ast.ImportFrom) or node.module)
        for alias in node.names
    }
    assert roots == {"__future__", "boi_kms", "cdktn", "cdktn_provider_aws"}, roots


@pytest.mark.slow
def test_example_synthesizes_two_rotating_keys_with_a_grant():
    from cdktn import Testing

    spec = importlib.util.spec_from_file_location("kms_standalone_example", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    stack = module.build(Testing.app())
    synth = json.loads(Testing.synth(stack))

    keys = synth["resource"]["aws_kms_key"]
    assert len(keys) == 2
    by_class = {body["tags"]["data-class"]: body for body in keys.values()}
    assert set(by_class) == {"documents", "logs"}
    for body in keys.values():
        assert body["enable_key_rotation"] is True and body["rotation_period_in_days"] >= 90
    assert by_class["documents"]["rotation_period_in_days"] == 180

    statements = {s["Sid"]: s for s in json.loads(by_class["documents"]["policy"])["Statement"]}
    assert "KeyAdministration" in statements
    assert statements["KeyAdministration"]["Principal"]["AWS"] == [module.SECURITY_ADMIN]
    grant = statements["DocumentReaderDecrypt"]
    assert grant["Action"] in ("kms:Decrypt", ["kms:Decrypt"])
    assert module.APP_ROLE in json.dumps(grant)
    assert "DocumentReaderDecrypt" not in by_class["logs"]["policy"]
    aliases = {body["name"] for body in synth["resource"]["aws_kms_alias"].values()}
    assert aliases == {"alias/example-documents", "alias/example-logs"}
