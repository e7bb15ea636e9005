"""Render ``docs/security/<env>/iam.md`` from the synthesized Terraform JSON (pure: no cdktn import).

Everything in the document is read from the JSON (names, purposes, trust policies, statements, the
reasons kept under ``"//"`` keys, boundaries, SCPs), from the platform's reviewed catalog of AWS managed
policies (``boi_iam.catalog.load_managed_policies``) and, when given, from the reviewed access matrix and the
least-privilege rows. Nothing is described that the JSON does not hold: a missing purpose or reason is
shown as "not recorded", never guessed. The output is deterministic (sorted, no timestamps).

    from boi_iam.render import render_iam_doc
    text = render_iam_doc(synth, account_id="111122223333", region="us-east-1", managed_policies=reviewed)

Modules: `common` (error, Markdown cells, access levels, readable names, reasons), `managed` (AWS
managed policies against their reviewed catalog), `matrix` (access-matrix checks, least-privilege rows), `trust` (trust
policies in words), `roles` (role index and pages), `policies` (statement tables, guardrails),
`access` (access matrix, reviewed expectations, least privilege), `document` (the sections together).
"""

from __future__ import annotations

from collections.abc import Mapping

from boi_iam.render.common import NOT_RECORDED, RenderError, statement_reason
from boi_iam.render.document import _Doc
from boi_iam.render.managed import managed_policy_name, missing_managed_policies
from boi_iam.render.matrix import ROW_KEYS, check_access_matrix, least_privilege_rows, needed_actions, principal_of
from boi_iam.render.trust import role_kind, trust_in_words

__all__ = [
    "NOT_RECORDED",
    "ROW_KEYS",
    "RenderError",
    "check_access_matrix",
    "least_privilege_rows",
    "managed_policy_name",
    "missing_managed_policies",
    "needed_actions",
    "principal_of",
    "render_iam_doc",
    "role_kind",
    "statement_reason",
    "trust_in_words",
]


def render_iam_doc(
    synth: dict[str, dict],
    *,
    account_id: str,
    region: str,
    matrix: dict | None = None,
    report_rows: list[dict] | None = None,
    partition: str = "aws",
    preface: list[str] = (),
    managed_policies: Mapping[str, dict] | None = None,
) -> str:
    """Markdown for docs/security/<env>/iam.md. Raises ValueError (RenderError) on input it cannot render truthfully.
    `preface`: Markdown lines that open the document (the privileged-access section the app proves).
    `managed_policies`: the platform's reviewed AWS managed policies (boi_iam.catalog.load_managed_policies)."""
    return _Doc(synth, account_id, region, matrix, report_rows, partition, preface, managed_policies).render()
