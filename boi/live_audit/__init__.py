"""Live audit: read an account with boto3 and compare it with the synthesized plan.

    boi audit --env local --out cdktf.out [--json] [--state auto|terraform|none]

What is checked, for what the synthesized JSON plans (and nothing it leaves out, such as the
services `local.skip_services` skips). Each check is registered with its metadata (id, title,
severity, the CIS / FSBP / platform controls it verifies) in `registry.CHECKS`; the report prints it:

- trail: logging on, log file validation on, encrypted with the planned KMS key, multi-Region;
- config: the recorder is recording and every planned rule exists;
- kms rotation: rotation on with the planned period (boi_kms.rotation_report);
- kms policy: every key policy equals the synthesized one (an added, removed or changed statement
  is a finding);
- s3 encryption, s3 public access: every planned bucket's default encryption (algorithm and key)
  and its public access block;
- sqs redrive: every planned redrive policy (dead-letter queue and receive count);
- iam: every planned role's inline policies and attached managed policies equal the synthesized
  ones (normalized JSON; an extra inline or attached policy is a finding).
- perimeter egress, perimeter statements, egress firewall (checks/perimeter.py): workload security groups
  and routes, the perimeter statements on the deployed documents and boundaries, the firewall's allow-list.

What a check cannot verify in this environment (a service `local.skip_services` leaves out, such as the
Network Firewall moto lacks) is reported as NOT VERIFIED (`report.gaps`), never as a pass.

Modules: `registry` (Finding, Check, the registry, shared readers), `state` (values from
Terraform), `checks/` (one module per service), `report` (running them, table and JSON), `cli`.

Synthesized documents refer to other resources (`${aws_kms_key.x.arn}`). With `--state terraform`
(the default `auto` does it when the stack folders were initialized) the references are resolved
to the real values from `terraform show -json`; without state a reference matches any value.

boto3 honours AWS_ENDPOINT_URL, so the same command reads a moto server (`make e2e`).
Exit status: 0 clean, 1 any finding, 2 bad arguments or no synthesized stacks.
"""

from __future__ import annotations

from boi.live_audit.cli import add_arguments, main, run
from boi.live_audit.registry import (
    ANY,
    CHECKS,
    SEVERITIES,
    AuditError,
    Check,
    Finding,
    Gap,
    check,
    load_synth,
    policy_differences,
    resources,
)
from boi.live_audit.report import audit, format_checks, format_table, gaps, to_json
from boi.live_audit.state import State

__all__ = [
    "ANY",
    "CHECKS",
    "SEVERITIES",
    "AuditError",
    "Check",
    "Finding",
    "Gap",
    "State",
    "add_arguments",
    "audit",
    "check",
    "format_checks",
    "format_table",
    "gaps",
    "load_synth",
    "main",
    "policy_differences",
    "resources",
    "run",
    "to_json",
]
