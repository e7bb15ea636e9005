"""The dependency direction, read from the source (imports inside functions count too).

services -> tiers/foundation -> core; the app and the tooling apart (the tooling reads only the
synthesized output); components (iam, kms, audit) and the model never import the app or the tooling;
no import cycle between folders.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = {
    "app": ROOT / "app",
    "boi": ROOT / "boi",
    "boi_model": ROOT / "model" / "boi_model",
    "boi_iam": ROOT / "iam" / "boi_iam",
    "boi_kms": ROOT / "kms" / "boi_kms",
    "boi_audit": ROOT / "audit" / "boi_audit",
}
# Which top-level packages each may import (besides itself and third-party code).
ALLOWED = {
    "app": {"boi_model", "boi_iam", "boi_kms", "boi_audit"},
    "boi": {"boi_model", "boi_iam", "boi_kms", "boi_audit"},
    "boi_iam": {"boi_model"},
    "boi_kms": {"boi_model"},
    "boi_audit": {"boi_model"},
    "boi_model": set(),
}


def _folder(package: str, path: Path) -> str:
    """`app.tiers` for app/tiers/api.py, `app` for app/node.py: the app's layers are its folders. Every
    other package is one unit (the tooling's subpackages share its CLI entry point by design)."""
    rel = path.relative_to(PACKAGES[package])
    return ".".join([package, *rel.parts[:-1]][:2]) if package == "app" else package


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
            names |= {f"{node.module}.{alias.name}" for alias in node.names}
    return names


def _edges() -> dict[str, set[str]]:
    folders = {_folder(p, f) for p, root in PACKAGES.items() for f in root.rglob("*.py")}
    edges: dict[str, set[str]] = {}
    for package, root in PACKAGES.items():
        for file in root.rglob("*.py"):
            source = _folder(package, file)
            for name in _imports(file):
                parts = name.split(".")
                target = ".".join(parts[:2]) if ".".join(parts[:2]) in folders else parts[0]
                if target in folders and target != source:
                    edges.setdefault(source, set()).add(target)
    return edges


def test_packages_import_only_what_their_layer_allows():
    wrong = [
        f"{source} imports {target}"
        for source, targets in _edges().items()
        for target in targets
        if target.split(".")[0] != source.split(".")[0] and target.split(".")[0] not in ALLOWED[source.split(".")[0]]
    ]
    assert wrong == []


def test_no_import_cycle_between_folders():
    edges = _edges()
    cycles = []

    def visit(node: str, stack: list[str], done: set[str]) -> None:
        if node in stack:
            cycles.append(" -> ".join([*stack[stack.index(node) :], node]))
            return
        if node in done:
            return
        for target in sorted(edges.get(node, ())):
            visit(target, [*stack, node], done)
        done.add(node)

    done: set[str] = set()
    for node in sorted(edges):
        visit(node, [], done)
    assert cycles == []


def test_the_check_sees_a_cycle_and_a_wrong_import(tmp_path, monkeypatch):
    fake = tmp_path / "app"
    (fake / "a").mkdir(parents=True)
    (fake / "b").mkdir()
    (fake / "a" / "x.py").write_text("def f():\n    from app.b import y\n")
    (fake / "b" / "y.py").write_text("from app.a import x\nimport boi.gate\n")
    (tmp_path / "boi").mkdir()
    (tmp_path / "boi" / "gate.py").write_text("")
    monkeypatch.setitem(PACKAGES, "app", fake)
    monkeypatch.setitem(PACKAGES, "boi", tmp_path / "boi")
    edges = _edges()
    assert edges["app.a"] == {"app.b"} and edges["app.b"] == {"app.a", "boi"}
