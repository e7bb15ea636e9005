"""Write docs/security/<env>/*.md from the synthesized JSON, so the documents cannot drift.

Each environment's documents live in their own folder and describe only that environment
(the scope block at the top of each names it, with its account, Regions and synth hash).

boi docs --out cdktf.out            # write          (also: python -m boi.docs)
boi docs --out cdktf.out --check    # exit 1 if a committed document is stale
"""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path

from boi_model.catalog import CatalogError
from boi_model.synth import Environment, Synth, SynthError
from boi_model.synth import load_out as load_synth

from boi import alerts, diagrams, exceptions, not_covered
from boi.progress import step

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs" / "security"


def docs_dir(env_name: str) -> Path:
    """Where the committed documents of one environment live."""
    return DOCS / env_name


def load_out(out: Path) -> Synth:
    try:
        return load_synth(out)
    except SynthError as exc:
        raise SystemExit(f"error: {exc}") from None


def load_access_matrix(env: Environment) -> dict:
    """The reviewed access matrix (catalogs/iam/access_matrix.yaml) with the environment's names filled in."""
    from boi import catalogs

    return catalogs.access_matrix(env)


_PRIVILEGES: dict[str, object] = {}


def privileges_of(synth: dict[str, dict], env: Environment, *, simulator=None, evaluator=None):
    """The escalation proofs of this synth (one simulator run per distinct synth in a process)."""
    import hashlib
    import json

    from boi_iam.simulate import Simulator

    from boi.privileges import prove

    key = hashlib.sha256(json.dumps(synth, sort_keys=True).encode()).hexdigest()
    if key not in _PRIVILEGES:
        with step(f"escalation proofs for {env.name}"):
            if simulator is not None:
                _PRIVILEGES[key] = prove(synth, env, simulator, evaluator=evaluator)
            else:
                with Simulator() as sim:
                    _PRIVILEGES[key] = prove(synth, env, sim)
    return _PRIVILEGES[key]


def render_all(synth: dict[str, dict], privileges=None) -> dict[str, str]:
    from boi_audit.render import render_audit_plan, render_encryption_standards
    from boi_iam.extract import extract_policies
    from boi_iam.render import least_privilege_rows, render_iam_doc
    from boi_kms.render import render_kms_doc

    from boi import catalogs
    from boi.privileges import render_privileged_access

    env = Synth(synth).environment()
    matrix = load_access_matrix(env)
    policies = extract_policies(synth, account_id=env.account_id, region=env.region)
    result = privileges if privileges is not None else privileges_of(synth, env)
    if result.violations:
        raise SystemExit(
            "error: the escalation proofs fail, so the privileged-access section cannot be written:\n  "
            + "\n  ".join(result.summary())
        )
    env_info = Synth(synth).environment()
    start = date.fromisoformat(env.detail("keys", "schedule_from"))
    iam_rows = exceptions.register(synth, lambda r: r.type.startswith("aws_iam_"))
    kms_rows = exceptions.register(synth, lambda r: r.type.startswith("aws_kms_"))
    other_rows = exceptions.register(synth, lambda r: not r.type.startswith(("aws_iam_", "aws_kms_")))
    return {
        "iam.md": render_iam_doc(
            synth,
            account_id=env.account_id,
            region=env.region,
            matrix=matrix,
            report_rows=least_privilege_rows(policies, matrix),
            preface=[
                *render_privileged_access(result),
                *exceptions.section(iam_rows, not_covered=not_covered.iam(synth, env_info)),
            ],
            managed_policies=catalogs.managed_policies(),
        ),
        "kms.md": _with(
            render_kms_doc(synth, catalogs.kms(), start),
            [
                "## Rotation timeline",
                "",
                "Each key's rotation periods as the synthesized JSON sets them, projected from the schedule start; "
                "AWS keeps every earlier key material, so what a key protected stays readable after each rotation.",
                "",
                *diagrams.key_rotation_timeline(synth, start),
                "",
                *exceptions.section(kms_rows, not_covered=not_covered.kms(synth)),
            ],
        ),
        "audit-plan.md": _with(
            render_audit_plan(synth, catalogs.audit()),
            [
                "## Logging and alerting at a glance",
                "",
                "From source to responder as the synthesized JSON wires it; each edge says what travels on it, "
                "how long it is kept and whether it can be changed.",
                "",
                *diagrams.logging_and_alerting(synth),
                "",
                *alerts.section(alerts.join(synth, catalogs.oncall_alerts()), catalogs.oncall_alerts()),
                *exceptions.section(other_rows, not_covered=not_covered.audit(synth, env_info)),
            ],
        ),
        "encryption-standards.md": _with(
            render_encryption_standards(synth),
            ["## Not covered", "", *[f"- {line}" for line in not_covered.encryption(synth)], ""],
        ),
    }


def _with(document: str, lines: list[str]) -> str:
    """A rendered document with a generated section appended."""
    return document.rstrip("\n") + "\n\n" + "\n".join(lines).rstrip("\n") + "\n"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", type=Path, default=Path("cdktf.out"), help="synth output (stacks/*/cdk.tf.json)")
    parser.add_argument(
        "--docs", type=Path, default=None, help="where the documents go (default docs/security/<environment>)"
    )
    parser.add_argument("--check", action="store_true", help="compare with the committed documents")


def run(args: argparse.Namespace) -> int:
    synth = load_out(args.out)
    env = synth.environment().name
    target = args.docs or docs_dir(env)
    try:
        with step(f"render docs/security/{env}"):
            documents = render_all(synth)
    except CatalogError as exc:  # a catalog entry that does not hold for this synth: nothing is written
        print(f"error: the documents cannot be rendered:\n{exc}", file=sys.stderr)
        return 2
    stale = [
        name for name, text in documents.items() if not (target / name).is_file() or (target / name).read_text() != text
    ]
    if args.check:
        for name in stale:
            print(f"stale: {target / name} differs from what the {env} synth renders; run `make synth docs ENV={env}`")
        return 1 if stale else 0
    target.mkdir(parents=True, exist_ok=True)
    for name, text in documents.items():
        (target / name).write_text(text)
    print(f"wrote {len(documents)} documents to {target} ({len(stale)} changed)")
    return 0


def main(argv: list[str] | None = None) -> int:
    from boi.cli import run_command

    return run_command("docs", argv)


if __name__ == "__main__":
    sys.exit(main())
