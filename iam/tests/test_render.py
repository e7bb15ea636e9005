import copy
import json
import re
from pathlib import Path

import pytest
from boi_iam.catalog import EXAMPLE, ManagedPoliciesCatalog, load_access_matrix, load_managed_policies
from boi_iam.extract import extract_policies
from boi_iam.render import (
    NOT_RECORDED,
    RenderError,
    check_access_matrix,
    least_privilege_rows,
    missing_managed_policies,
    needed_actions,
    principal_of,
    render_iam_doc,
)
from boi_model.catalog import CatalogError, validate
from boi_model.synth import load_out

FIXTURE = Path(__file__).parent / "fixtures" / "render"
ACCT, REGION = "111122223333", "us-east-1"

MATRIX = load_access_matrix(EXAMPLE / "access_matrix.yaml")
MANAGED = load_managed_policies(EXAMPLE / "managed_policies.yaml")


@pytest.fixture(scope="module")
def synth():
    return load_out(FIXTURE)


@pytest.fixture(scope="module")
def doc(synth):
    return render_iam_doc(synth, account_id=ACCT, region=REGION, managed_policies=MANAGED)


def section(text: str, heading: str) -> str:
    """The text from `heading` to the next heading of the same or a higher level."""
    level = heading.split(" ")[0]
    start = text.index(heading + "\n")
    rest = text[start + len(heading) + 1 :]
    m = re.search(rf"^#{{1,{len(level)}}} ", rest, re.M)
    return text[start : start + len(heading) + 1 + (m.start() if m else len(rest))]


def row(text: str, first_cell: str) -> str:
    [match] = [line for line in text.splitlines() if line.startswith(f"| {first_cell} |")]
    return match


def outside_code_blocks(text: str) -> str:
    return re.sub(r"```json\n.*?```", "", text, flags=re.S)


def test_statement_reasons_come_from_the_json_and_missing_ones_are_said_so(doc):
    role = section(doc, "### boi-dev-intake-task")
    assert row(role, "`ReadUploads`").endswith("| read uploaded identity documents |")
    assert row(role, "`DecryptPii`").endswith("| decrypt PII fields |")
    assert row(role, "`WriteLogs`").endswith(f"| {NOT_RECORDED} |")
    # the key policy statement naming the role carries the key's boi_kms_statement_reasons
    assert (
        "| `PiiUse` | Allow | `kms`: Decrypt, GenerateDataKey | none | the intake service encrypts PII fields |" in role
    )


def test_references_read_as_resource_names_keys_by_alias_across_stacks(doc):
    role = section(doc, "### boi-dev-intake-task")
    assert "`(boi-dev-documents-111122223333 bucket)/uploads/*`" in row(role, "`ReadUploads`")
    assert "`(boi-dev-filing queue)`" in row(role, "`SendFiling`")
    assert "`(alias/boi-dev-pii key)`" in row(role, "`DecryptPii`")  # via terraform_remote_state
    assert "`(/boi/dev/app/intake log group):log-stream:*`" in row(role, "`WriteLogs`")
    # a literal ARN of a resource in the stacks reads the same way (boundary written with literals)
    boundary = section(doc, "#### boi-dev-human-boundary")
    assert "`(boi-dev-documents-111122223333 bucket)/uploads/*`" in row(boundary, "`DenyRawDocuments`")
    # outside the verbatim trust JSON (and the extractor's own notes) no Terraform expression is left
    assert "${" not in outside_code_blocks(doc).split("## Extraction notes")[0]


def pattern_row(doc: str, role: str) -> str:
    """The trust-pattern row that lists `role`, found through the role's **Trust:** link."""
    pid = re.search(r"\*\*Trust:\*\* \[(T\d+)\]", section(doc, f"### {role}")).group(1)
    patterns = section(doc, "### Trust patterns")
    [line] = [ln for ln in patterns.splitlines() if ln.startswith(f'| <a id="trust-{pid.lower()}"></a>{pid} |')]
    assert f"`{role}`" in line
    return line


def test_trust_in_words_for_service_account_root_with_mfa_and_oidc(doc):
    assert (
        "the AWS service `ecs-tasks.amazonaws.com` may assume it (`sts:AssumeRole`), only on behalf of "
        "resources in account `111122223333` (`aws:SourceAccount` StringEquals)"
    ) in pattern_row(doc, "boi-dev-intake-task")
    human = pattern_row(doc, "boi-dev-security-auditor")
    assert "any IAM principal of account `111122223333` whose own policies allow it" in human
    assert "only when signed in with **MFA**" in human
    assert "only when MFA was used less than `3600` seconds ago" in human
    ci = pattern_row(doc, "boi-dev-ci-deploy")
    assert "identities federated through `(token.actions.githubusercontent.com OIDC provider)`" in ci
    assert "(`sts:AssumeRoleWithWebIdentity`)" in ci
    assert "token subject (`sub`) StringEquals `repo:boi-platform/boi-platform:environment:dev`" in ci
    assert "token audience (`aud`) StringEquals `sts.amazonaws.com`" in ci
    assert "${" not in ci


def test_roles_with_the_same_trust_share_one_pattern(doc):
    patterns = section(doc, "### Trust patterns")
    rows = [ln for ln in patterns.splitlines() if ln.startswith('| <a id="trust-')]
    listed = [role for ln in rows for role in re.findall(r"`(boi-dev-[a-z-]+)`", ln.rsplit("|", 2)[1])]
    assert len(listed) == len(set(listed)), "a role is in two patterns"
    assert len(rows) < len(listed) or len(rows) == len(listed)


def test_role_index_kinds_trust_boundaries_and_purposes(doc):
    index = section(doc, "## Roles")
    intake = row(index, "[boi-dev-intake-task](#boi-dev-intake-task)")
    assert "| workload | [T" in intake and "[boi-dev-workload-boundary](#boi-dev-workload-boundary)" in intake
    assert intake.endswith("| The intake service at run time |")  # purposes come from "//"
    assert "| CI |" in row(index, "[boi-dev-ci-deploy](#boi-dev-ci-deploy)")
    assert "| human |" in row(index, "[boi-dev-security-auditor](#boi-dev-security-auditor)")
    assert "| operational |" in row(index, "[boi-dev-rds-monitoring](#boi-dev-rds-monitoring)")
    # an undefined boundary is not linked to a section that does not exist
    assert "(not in these stacks)" in section(doc, "### boi-dev-rds-monitoring")
    assert "[boi-dev-operational-boundary](#" not in doc


def test_terraform_addresses_come_second_in_an_appendix(doc):
    appendix = section(doc, "## Appendix: Terraform addresses")
    assert "| `boi-dev-intake-task` | role | `boi-dev-platform` | `aws_iam_role.intake_task` |" in appendix
    roles = section(doc, "## Role details")
    assert "aws_iam_role." not in roles


def test_managed_policies_listed_with_reason_and_size(doc):
    auditor = section(doc, "### boi-dev-security-auditor")
    assert row(auditor, "`SecurityAudit`").startswith(
        "| `SecurityAudit` | AWS-maintained read-only view of security configuration | Read access"
    )
    assert "2 statement(s), 1199 action entries (v94, moto 5.2.5 snapshot)" in row(auditor, "`SecurityAudit`")
    overview = section(doc, "## AWS managed policies")
    line = row(overview, "`service-role/AmazonRDSEnhancedMonitoringRole`")
    assert "`boi-dev-rds-monitoring` (the AWS-maintained policy RDS enhanced monitoring requires)" in line
    assert "2 statement(s), 6 action entries" in line


def test_an_unreviewed_managed_policy_fails_the_render(synth):
    changed = copy.deepcopy(synth)
    attachments = changed["boi-dev-platform"]["resource"]["aws_iam_role_policy_attachment"]
    attachments["extra"] = {"role": "${aws_iam_role.intake_task.name}",
                            "policy_arn": "arn:aws:iam::aws:policy/AmazonS3FullAccess"}  # fmt: skip
    ps = extract_policies(changed, account_id=ACCT, region=REGION)
    assert missing_managed_policies(ps, MANAGED) == ["AmazonS3FullAccess"]
    with pytest.raises(RenderError, match=r"not in the reviewed catalog of managed policies: \['AmazonS3FullAccess'\]"):
        render_iam_doc(changed, account_id=ACCT, region=REGION, managed_policies=MANAGED)


def test_the_render_needs_the_reviewed_catalog(synth):
    with pytest.raises(RenderError, match="managed_policies: the reviewed catalog"):
        render_iam_doc(synth, account_id=ACCT, region=REGION)


def test_catalog_validation_names_the_entry_and_accepts_not_measured():
    ok = validate(
        ManagedPoliciesCatalog,
        {"managed_policies": {"X": {"what": "a", "why": "b", "size": "not measured offline"}}},
        "m.yaml",
    )
    assert ok.managed_policies["X"].size == "not measured offline"
    bad = {"managed_policies": {"X": {"what": "a", "why": "", "size": {"statements": 0, "action_entries": 3}}}}
    with pytest.raises(CatalogError) as err:
        validate(ManagedPoliciesCatalog, bad, "m.yaml")
    message = str(err.value)
    assert "m.yaml: managed_policies.X.why: String should have at least 1 character" in message
    assert (
        "m.yaml: managed_policies.X.size.MeasuredSize.statements: Input should be greater than or equal to 1 (got 0)"
        in message
    )
    assert "m.yaml: managed_policies.X.size.MeasuredSize.source: Field required" in message
    assert (
        "m.yaml: managed_policies.X.size.literal['not measured offline']: Input should be 'not measured offline'"
        in message
    )


def test_derived_access_matrix_rows(doc):
    matrix = section(doc, "## Access matrix: principal × asset × access level")
    assert row(matrix, "`(boi-dev-documents-111122223333 bucket)/uploads/*`") == (
        "| `(boi-dev-documents-111122223333 bucket)/uploads/*` | boi-dev-intake-task | "
        "**Read**: s3:GetObject, s3:GetObjectVersion | `ReadUploads` |"
    )
    assert row(matrix, "`(alias/boi-dev-pii key)`").endswith("| `DecryptPii` *(conditional)* |")
    assert "**Read**: iam:GetRole<br>**Write**: iam:PassRole" in row(
        matrix, "`arn:aws:iam::111122223333:role/boi-dev-*`"
    )


def test_guardrails_list_boundaries_scps_and_what_they_deny(doc):
    guardrails = section(doc, "## Guardrails")
    assert "Boundary of 2 role(s): `boi-dev-ci-deploy`, `boi-dev-security-auditor`." in guardrails
    assert "- `DenyIdentityChanges`: denies `iam:*`, `sts:AssumeRole`" in guardrails
    scp = section(doc, "#### protect-audit (SCP)")
    assert "Attached to: `r-ab12`." in scp
    assert (
        "- `DenyAuditTampering`: denies `cloudtrail:StopLogging` (Write) on `*`, "
        "only when `aws:PrincipalArn` "
        "ArnNotLike `arn:aws:iam::111122223333:role/boi-dev-break-glass`"
    ) in scp
    assert "operational-boundary` (used by `boi-dev-rds-monitoring`) is not defined in these stacks" in guardrails


def test_no_scp_section_says_only_what_the_json_shows(synth):
    without = copy.deepcopy(synth)
    del without["boi-dev-foundation"]["resource"]["aws_organizations_policy"]
    text = render_iam_doc(without, account_id=ACCT, region=REGION, managed_policies=MANAGED)
    assert "No SCP or RCP is in the JSON." in text


def test_reviewed_matrix_and_least_privilege_table(synth):
    ps = extract_policies(synth, account_id=ACCT, region=REGION)
    rows = least_privilege_rows(ps, MATRIX)
    by_role = {r["role"]: r for r in rows}
    intake = by_role["boi-dev-intake-task"]
    assert (intake["granted"], intake["needed"], intake["ratio"]) == (6, 4, 1.5)
    assert intake["extra"] == ["logs:PutLogEvents", "xray:PutTraceSegments"] and intake["missing"] == []
    assert by_role["boi-dev-ci-deploy"]["ratio"] is None and by_role["boi-dev-ci-deploy"]["needed"] is None
    text = render_iam_doc(
        synth, account_id=ACCT, region=REGION, managed_policies=MANAGED, matrix=MATRIX, report_rows=rows
    )
    reviewed = section(text, "## Reviewed access expectations")
    assert "| ghost-service | **no such role in the JSON** |" in reviewed
    assert "| intake-task | `boi-dev-intake-task` | documents-uploads (bucket-prefix) | read |" in reviewed
    table = section(text, "## Least privilege")
    assert row(table, "boi-dev-intake-task") == (
        "| boi-dev-intake-task | 6 | 4 | 1.50 | none | `logs:PutLogEvents`, `xray:PutTraceSegments` | 1 |"
    )
    assert row(table, "boi-dev-ci-deploy").startswith("| boi-dev-ci-deploy | 2 | n/a | n/a |")


def test_matrix_errors_are_reported_together():
    bad = json.loads(json.dumps(MATRIX))
    bad["assets"]["orphan"] = {"type": "nope"}
    bad["allow"]["intake-task"]["documents-uploads"] = ["delete"]
    bad["allow"]["intake-task"]["missing-asset"] = ["read"]
    with pytest.raises(RenderError) as err:
        check_access_matrix(bad)
    assert str(err.value).splitlines() == [
        "matrix: assets.orphan.type: 'nope' has no operations; allowed: bucket-prefix, key, queue",
        "matrix: allow.intake-task.documents-uploads.0: operation 'delete' is not defined for type 'bucket-prefix'; "
        "allowed: read, write",
        "matrix: allow.intake-task.missing-asset: unknown asset; allowed: documents-uploads, filing-queue, orphan, "
        "pii-key",
    ]
    with pytest.raises(RenderError, match=r"matrix: \(top level\): Input should be a valid dictionary"):
        check_access_matrix(["not", "a", "mapping"])


@pytest.mark.parametrize(
    ("mutate", "line"),
    [
        (
            lambda m: m["assets"].update(x={"type": "kms_key"}),
            "matrix: assets.x: Value error, an asset of type kms_key needs alias",
        ),
        (
            lambda m: m["operations"]["queue"].update(send=["SendMessage"]),
            "matrix: operations.queue.send.0: String should match pattern",
        ),
        (
            lambda m: m["allow"]["intake-task"].update({"pii-key": []}),
            "matrix: allow.intake-task.pii-key: List should have at least 1 item",
        ),
        (
            lambda m: m["privileges"]["accepted_paths"][0].update(kinds=["teleport"]),
            "matrix: privileges.accepted_paths.0.kinds.0: Input should be 'assume-role', 'pass-role'",
        ),
        (
            lambda m: m["privileges"]["trusted_base"]["break-glass"].pop("control"),
            "matrix: privileges.trusted_base.break-glass.control: Field required",
        ),
        (
            lambda m: m.update(owners={}),
            "matrix: owners: Extra inputs are not permitted; allowed fields: operations, assets, allow, privileges, "
            "perimeter, runtime_needs",
        ),
    ],
)
def test_matrix_structure_errors_name_the_path_and_what_is_allowed(mutate, line):
    bad = copy.deepcopy(MATRIX)
    mutate(bad)
    with pytest.raises(RenderError) as err:
        check_access_matrix(bad)
    assert line in str(err.value)


def test_needed_actions_and_principal_names():
    assert needed_actions(MATRIX, "intake-task") == {"s3:GetObject", "s3:GetObjectVersion", "sqs:SendMessage",
                                                     "kms:Decrypt"}  # fmt: skip
    assert needed_actions(MATRIX, "nobody") is None
    assert principal_of("boi-dev-intake-task") == "intake-task"
    assert principal_of("boi-prod-ci-deploy") == "ci-deploy"
    assert principal_of("other-role") == "other-role"


def test_bad_rows_and_bad_input_fail_clearly(synth):
    with pytest.raises(RenderError, match=r"report_rows\[0\]: missing keys"):
        render_iam_doc(synth, account_id=ACCT, region=REGION, managed_policies=MANAGED, report_rows=[{"role": "x"}])
    with pytest.raises(ValueError, match="account_id: expected a 12-digit account id"):
        render_iam_doc(synth, account_id="123", region=REGION, managed_policies=MANAGED)


def test_rendering_is_deterministic_and_has_no_timestamps(synth, doc):
    again = render_iam_doc(copy.deepcopy(synth), account_id=ACCT, region=REGION, managed_policies=MANAGED)
    assert again == doc
    dates = set(re.findall(r"\b20\d\d-\d\d-\d\d\b", doc)) - {"2012-10-17"}  # the IAM policy language version
    assert not dates and not re.search(r"\b\d\d:\d\d:\d\d\b", doc)
    assert doc.endswith("\n") and not doc.endswith("\n\n")
