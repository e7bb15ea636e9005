"""Write docs/security/*.md from the synthesized JSON, so the documents cannot drift.

boi docs --out cdktf.out            # write          (also: python -m boi.docs)
boi docs --out cdktf.out --check    # exit 1 if a committed document is stale
"""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path

from boi_model.synth import Environment, Synth, SynthError
from boi_model.synth import load_out as load_synth

from boi.progress import step

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs" / "security"


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

    # The security documents describe the environment's account; the organization's other accounts are
    # docs/organization.md and the organization proofs.
    synth = Synth(synth).home()
    env = synth.environment()
    matrix = load_access_matrix(env)
    policies = extract_policies(synth, account_id=env.account_id, region=env.region)
    result = privileges if privileges is not None else privileges_of(synth, env)
    if result.violations:
        raise SystemExit(
            "error: the escalation proofs fail, so the privileged-access section cannot be written:\n  "
            + "\n  ".join(result.summary())
        )
    return {
        "iam.md": render_iam_doc(
            synth,
            account_id=env.account_id,
            region=env.region,
            matrix=matrix,
            report_rows=least_privilege_rows(policies, matrix),
            preface=render_privileged_access(result),
            managed_policies=catalogs.managed_policies(),
        ),
        "kms.md": render_kms_doc(synth, catalogs.kms(), date.fromisoformat(env.detail("keys", "schedule_from"))),
        "audit-plan.md": render_audit_plan(synth, catalogs.audit()),
        "encryption-standards.md": render_encryption_standards(synth),
    }


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", type=Path, default=Path("cdktf.out"), help="synth output (stacks/*/cdk.tf.json)")
    parser.add_argument("--docs", type=Path, default=DOCS, help="where the documents go (default docs/security)")
    parser.add_argument("--check", action="store_true", help="compare with the committed documents")


def run(args: argparse.Namespace) -> int:
    synth = load_out(args.out)
    with step(f"render docs/security for {synth.environment().name}"):
        documents = render_all(synth)
    stale = [
        name
        for name, text in documents.items()
        if not (args.docs / name).is_file() or (args.docs / name).read_text() != text
    ]
    if args.check:
        for name in stale:
            print(f"stale: docs/security/{name} differs from what the synthesized JSON renders; run `make docs`")
        return 1 if stale else 0
    args.docs.mkdir(parents=True, exist_ok=True)
    for name, text in documents.items():
        (args.docs / name).write_text(text)
    print(f"wrote {len(documents)} documents to {args.docs} ({len(stale)} changed)")
    return 0


def main(argv: list[str] | None = None) -> int:
    from boi.cli import run_command

    return run_command("docs", argv)


if __name__ == "__main__":
    sys.exit(main())
