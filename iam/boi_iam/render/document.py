"""The document: the role, policy, guardrail and access sections put together over one synth."""

# Markdown table rows read best as one f-string each, so some lines are long.
# ruff: noqa: E501
from __future__ import annotations

from boi_model.policies import perimeter_statements
from boi_model.synth import scope_lines

from boi_iam.extract import ExtractedPolicy, RoleView, extract_policies
from boi_iam.render.access import AccessSections
from boi_iam.render.common import NOT_RECORDED, RenderError, _cell, _Names, statement_reason
from boi_iam.render.managed import ManagedPolicySection, missing_managed_policies
from boi_iam.render.matrix import _check_rows, check_access_matrix
from boi_iam.render.policies import PolicyTables
from boi_iam.render.roles import RolePages


class _Doc(RolePages, PolicyTables, ManagedPolicySection, AccessSections):
    def __init__(self, synth, account_id, region, matrix, report_rows, partition, preface=(), managed_policies=None):
        self.preface = list(preface)
        self.synth = synth
        self.ps = extract_policies(synth, account_id=account_id, region=region, partition=partition)
        self.names = _Names(synth, account_id, region, partition)
        if managed_policies is None:
            raise RenderError(
                "managed_policies: the reviewed catalog (boi_iam.catalog.load_managed_policies) is required"
            )
        self.catalog = managed_policies
        missing = missing_managed_policies(self.ps, self.catalog)
        if missing:
            raise RenderError(
                f"AWS managed policies attached in the synthesized JSON but not in the reviewed catalog of "
                f"managed policies: {missing}; add each with what, why and size"
            )
        self.matrix = check_access_matrix(matrix) if matrix is not None else None
        self.rows = _check_rows(report_rows) if report_rows is not None else None
        self.views = sorted(self.ps.roles(), key=lambda v: (v.owner.stack, v.name))
        self.boundaries = {p.arn: p for p in self.ps.of_kind("boundary")}
        self.attachment_reasons = self._attachment_reasons()

    # -- lookups in the JSON

    def body(self, owner) -> dict:
        rtype, _, name = owner.address.partition(".")
        return self.names.body(owner.stack, rtype, name) or {}

    def meta(self, owner) -> dict:
        meta = self.body(owner).get("//")
        return meta if isinstance(meta, dict) else {}

    def reason(self, policy: ExtractedPolicy, sid: str | None) -> str:
        found = statement_reason(self.synth, policy.owner, sid)
        return _cell(found) if found else NOT_RECORDED

    def _attachment_reasons(self) -> dict[tuple[str, str], str]:
        # Matched against the extracted roles, so resolved the way the extractor resolves.
        reasons = {}
        r = self.names.placeholders
        for stack in sorted(self.synth):
            res = self.synth[stack].get("resource") or {}
            for body in (res.get("aws_iam_role_policy_attachment") or {}).values():
                reason = (body.get("//") or {}).get("reason")
                if isinstance(reason, str):
                    role = r.text(stack, str(body.get("role", "")))
                    reasons[(role, r.text(stack, str(body.get("policy_arn", ""))))] = reason
        return reasons

    def boundary_name(self, view: RoleView) -> str | None:
        if not view.boundary_arn:
            return None
        if view.boundary is not None:
            name = self.body(view.boundary.owner).get("name")
            if isinstance(name, str):
                return name
        return view.boundary_arn.rsplit("/", 1)[-1]

    def readable(self, stack: str):
        return lambda value: self.names.text(stack, value)

    # -- sections

    def perimeter(self) -> list[str]:
        """The data perimeter as the policies carry it: which policy denies what outside the perimeter."""
        rows = []
        for policy in self.ps.policies:
            for sid, st in sorted(perimeter_statements(policy.document).items()):
                keys = sorted({k for c in (st.get("Condition") or {}).values() for k in c})
                what = policy.target or (policy.arn or str(policy.owner))
                rows.append(f"| {_cell(str(what))} | {policy.kind} | {sid} | {_cell(', '.join(keys))} |")
        if not rows:
            return []
        return [
            "## Data perimeter",
            "",
            "Stolen workload credentials are useless outside the VPC: the workload boundary denies data calls "
            "that come neither from the VPC nor through an AWS service acting for the workload, and each "
            "sensitive resource policy denies the same for workload roles (by the platform's VPC endpoints) "
            "and every principal outside the account or organization. The IAM proofs check each layer on its "
            "own, from outside the VPC and from another account.",
            "",
            "| resource or policy | kind | statement | condition keys |",
            "|---|---|---|---|",
            *sorted(set(rows)),
            "",
        ]

    def render(self) -> str:
        out = [
            "# IAM: roles, permissions and guardrails",
            "",
            "<!-- Generated by boi_iam.render from the synthesized Terraform JSON; do not edit by hand. -->",
            "",
            *scope_lines(self.synth),
            "Every statement below is read from the synthesized Terraform JSON (`cdk.tf.json`); purposes and "
            "reasons come from the `//` metadata next to each resource, which Terraform ignores. References "
            "to other resources are shown by name: `(<name> bucket)` stands for the ARN of that bucket, keys are "
            "named by alias, `(<attribute> of <name> ...)` for another attribute of the resource.",
            "",
        ]
        out += self.preface
        out += self.index()
        out += self.roles()
        out += self.shared()
        out += self.guardrails()
        out += self.perimeter()
        out += self.managed()
        if self.matrix is not None:
            out += self.reviewed_matrix()
        out += self.access_matrix()
        if self.rows is not None:
            out += self.least_privilege()
        out += self.addresses()
        if self.ps.warnings:
            out += ["## Extraction notes", ""]
            out += [f"- {_cell(w)}" for w in self.ps.warnings] + [""]
        return "\n".join(out).rstrip() + "\n"
