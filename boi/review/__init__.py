"""Security review of a change: diff the synthesized JSON of a base ref against the working tree.

    boi review --base origin/main [--env dev] [--out report.md] [--plans cdktf.out/plans]
               [--no-checkov] [--before-dir D --after-dir D] [--json]
    make review BASE=origin/main

The base is synthesized in a temporary `git worktree` of the ref (with this checkout's uv
environment; the worktree's own code, components included, comes first on the import path), the
working tree in a temporary folder, then both are compared and a Markdown report is written for a
pull-request comment:

* IAM, per role (identity policies, permissions boundary, trust policy) and per resource, key,
  service-control and endpoint policy: statements added and removed. Statements are matched by
  content (effect, actions, resources, principals, conditions), never by position or Sid, so a
  rename is not a change. **Permissions broadened** when an Allow is added or widened, or a Deny is
  removed or narrowed (an added Allow that an existing Allow already covers, or a removed Deny that
  a remaining Deny still covers, does not broaden), when an AWS-managed policy is attached or a
  permissions boundary is detached (same rule as AWS CDK's `IamChanges.permissionsBroadened`).
* KMS keys: added/removed, rotation, key spec, deletion window; key policy statements.
* Audit controls: trails, Config rules, alarms and metric filters, Security Hub standards and
  control associations, GuardDuty features; changes that weaken one are marked.
* checkov (the gate, run on both outputs; about 8 s each, `--no-checkov` skips it): failed checks
  new and fixed, suppressions new.
* Resources per stack: added, removed, replaced (same address, changed identity such as `name` or
  `bucket`, which Terraform cannot change in place), moved (same content at a new address: Terraform
  destroys and re-creates it unless a `moved` block says otherwise) and modified.
* With `--plans DIR` (files `<stack>.json` from `terraform show -json`): create/update/delete/replace
  counts per stack.

Exit codes: 0 report written, nothing broadens; 3 report written and permissions broaden (CI fails
unless a reviewer labels the pull request `security-reviewed`); 2 error (bad ref, synth failed, bad
input), no verdict.

The diff core (`diff_synth`, `render_markdown`) is pure: parsed cdk.tf.json dicts in, no cdktn.

Modules: `model` (the review's data and exit codes), `iam` (statements grouped per role and policy,
the broadening verdict), `keys`, `controls`, `resources` (with `attributes`, the attribute-level
change text), `checkov`, `core` (`diff_synth`), `markdown` (`render_markdown`), `synth` (base and
head synthesized through a git worktree), `cli` (`boi review`).
"""

from __future__ import annotations

from boi.review.checkov import diff_gate, run_checkov_diff
from boi.review.cli import add_arguments, main, run
from boi.review.controls import CONTROL_TYPES, diff_controls
from boi.review.core import diff_synth
from boi.review.iam import BOUNDARY_PART, diff_policies, diff_statements
from boi.review.keys import diff_keys
from boi.review.markdown import MAX_REPORT_CHARS, SECTION_TITLES, render_markdown
from boi.review.model import (
    EXIT_BROADENED,
    EXIT_ERROR,
    EXIT_OK,
    CheckovDiff,
    ControlChange,
    KeyChange,
    PolicyDiff,
    Review,
    ReviewError,
    StackResources,
    StatementChange,
)
from boi.review.resources import FORCE_NEW, FORCE_NEW_COMMON, diff_resources
from boi.review.synth import REPO_ROOT, load_synth, remove_worktree, synth_base_and_head

__all__ = [
    "BOUNDARY_PART",
    "CONTROL_TYPES",
    "EXIT_BROADENED",
    "EXIT_ERROR",
    "EXIT_OK",
    "FORCE_NEW",
    "FORCE_NEW_COMMON",
    "MAX_REPORT_CHARS",
    "REPO_ROOT",
    "SECTION_TITLES",
    "CheckovDiff",
    "ControlChange",
    "KeyChange",
    "PolicyDiff",
    "Review",
    "ReviewError",
    "StackResources",
    "StatementChange",
    "add_arguments",
    "diff_controls",
    "diff_gate",
    "diff_keys",
    "diff_policies",
    "diff_resources",
    "diff_statements",
    "diff_synth",
    "load_synth",
    "main",
    "remove_worktree",
    "render_markdown",
    "run",
    "run_checkov_diff",
    "synth_base_and_head",
]
