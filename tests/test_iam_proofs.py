"""IAM proofs: the simulator's verdicts on the synthesized policies match the reviewed matrix.

Both directions: every allow in catalogs/iam/access_matrix.yaml is allowed, and every other operation of
every role on every sensitive asset is denied. The simulator (iam-simulate, AGPL) runs as one Node
process for the whole session, a test-time tool only.
"""

from __future__ import annotations

import copy
import json
import time
from pathlib import Path

import pytest
from boi_iam.extract import extract_policies
from boi_iam.simulate import require_complete, simulation
from boi_kms.policy import check_separation_of_duties
from boi_model.policies import CREDENTIALS_PERIMETER_SID, IDENTITY_PERIMETER_SID, NETWORK_PERIMETER_SID
from boi_model.synth import as_synth

from boi.proofs import Mismatch, Proofs, load_matrix, run_cases, wrong

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def proofs(dev):
    s = dev.environment()
    policies = extract_policies(dev, account_id=s.account_id, region=s.region)
    matrix = load_matrix(s)
    return Proofs(dev, policies, matrix, prefix=s.prefix, account_id=s.account_id, region=s.region)


def verdicts(simulator, cases):
    results = run_cases(simulator, cases)
    return [(case, require_complete(result)) for case, result in zip(cases, results, strict=True)]


def mismatches(simulator, cases) -> list[Mismatch]:
    return [Mismatch(c, r) for c, r in verdicts(simulator, cases) if wrong(c, r)]


def test_matrix_names_only_roles_that_exist(proofs):
    roles = {r.name.removeprefix("boi-dev-") for r in proofs.policies.roles()}
    assert set(proofs.matrix["allow"]) - roles == set()
    assert len(roles) >= 20


def test_synthesized_policies_match_the_access_matrix(simulator, proofs):
    started = time.perf_counter()
    cases = proofs.cases()
    results = verdicts(simulator, cases)
    seconds = time.perf_counter() - started
    wrong = [Mismatch(c, r) for c, r in results if r.allowed != c.expected]
    # Evidence for auditors: every simulated request and its verdict.
    artifacts = ROOT / "artifacts"
    artifacts.mkdir(exist_ok=True)
    (artifacts / "iam-proofs.json").write_text(
        json.dumps(
            {
                "simulations": len(cases),
                "seconds": round(seconds, 2),
                "mismatches": [str(m) for m in wrong],
                "results": [
                    {
                        "principal": c.principal,
                        "asset": c.asset,
                        "operation": c.operation,
                        "action": c.action,
                        "expected": "Allowed" if c.expected else "Denied",
                        "decision": r.decision,
                        "reasons": list(r.reasons),
                    }
                    for c, r in results
                ],
            },
            indent=1,
        )
    )
    expected_allows = sum(c.expected for c in cases)
    assert expected_allows >= 40, "the matrix should exercise the platform's real grants"
    assert wrong == [], "\n".join(str(m) for m in wrong)


@pytest.mark.parametrize(
    "principal, asset, operation, decision, sid",
    [
        ("platform-admin", "documents/uploads", "read", "ExplicitlyDenied", "DenyPiiRead"),
        ("break-glass", "documents/uploads", "read", "ExplicitlyDenied", "DenyPiiRead"),
        ("compliance-officer", "documents/uploads", "read", "ExplicitlyDenied", "DenyPiiRead"),
        ("foundation-deploy", "documents/reports", "read", "ExplicitlyDenied", "DenyPiiRead"),
        ("platform-deploy", "documents/reports", "read", "ExplicitlyDenied", "DenyPiiRead"),
        ("platform-admin", "filing-queue", "consume", "ExplicitlyDenied", "DenyPiiRead"),
        ("break-glass", "audit-archive", "delete", "ExplicitlyDenied", None),
        ("authentication-execution", "documents/uploads", "read", "ImplicitlyDenied", None),
        (
            "security-admin",
            "pii-key/beneficial_owner",
            "decrypt",
            "ExplicitlyDenied",
            "DenyDecryptExceptRecordAndLogReaders",
        ),
        ("security-admin", "pii-key/beneficial_owner", "set-policy", "ExplicitlyDenied", "DenyKeyDestruction"),
        ("platform-admin", "audit-archive", "write", "ExplicitlyDenied", "DenyAuditWrite"),
    ],
)
def test_chosen_denials_happen_for_the_expected_reason(simulator, proofs, principal, asset, operation, decision, sid):
    role = next(r for r in proofs.policies.roles() if r.name == f"boi-dev-{principal}")
    case = next(c for c in proofs.cases([role]) if c.asset == asset and c.operation == operation)
    result = require_complete(simulator.run(case.request, mode=case.mode))
    assert result.decision == decision, result
    if sid:  # numbered Sids are the same deny split by its exemptions
        assert sid in {str(r.get("statementId")).rstrip("0123456789") for r in result.reasons}, result.reasons


def test_anonymous_and_foreign_accounts_get_nothing(simulator, proofs):
    cases = proofs.outsider_cases()
    assert len(cases) > 50
    wrong = mismatches(simulator, cases)
    assert wrong == [], "\n".join(str(m) for m in wrong)


def test_the_proofs_catch_a_widened_policy(simulator, proofs):
    """Give the authentication function s3:GetObject on the documents bucket: the proofs must fail."""
    role = next(r for r in proofs.policies.roles() if r.name == "boi-dev-authentication-execution")
    widened = [(str(p.owner), p.document) for p in role.identity] + [
        (
            "injected",
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Sid": "Injected",
                        "Effect": "Allow",
                        "Action": "s3:GetObject",
                        "Resource": "arn:aws:s3:::boi-dev-documents-111122223333/*",
                    }
                ],
            },
        )
    ]
    cases = proofs.cases([role], overrides={role.name: widened})
    caught = [str(m) for m in mismatches(simulator, cases)]
    assert any("authentication-execution read documents/uploads" in m for m in caught), caught


def test_no_key_administrator_can_use_a_key(proofs):
    for policy in proofs.policies.of_kind("key"):
        assert check_separation_of_duties(policy.original) == [], policy.owner


def test_encryption_context_rows_use_the_route_that_evaluates_them(simulator, proofs):
    """CloudTrail may use the logs key only for this account's trails: a condition on
    kms:EncryptionContext:aws:cloudtrail:arn, which the normal route silently ignores."""
    key = proofs.key_by_alias["alias/boi-dev-logs"]
    policy = proofs.resource_policy({"type": "kms_key"}, key)
    trail = "arn:aws:cloudtrail:us-east-1:111122223333:trail/boi-dev-audit-trail"

    def request(context_trail: str) -> dict:
        return simulation(
            principal={"type": "Service", "service": "cloudtrail.amazonaws.com"}
            if False
            else "cloudtrail.amazonaws.com",
            action="kms:GenerateDataKey",
            resource=key,
            resource_account="111122223333",
            resource_policy=policy,
            context={
                "kms:EncryptionContext:aws:cloudtrail:arn": context_trail,
                "aws:SourceArn": trail,
                "aws:SourceAccount": "111122223333",
            },
        )

    normal = simulator.run(request(trail))
    assert "kms:EncryptionContext:aws:cloudtrail:arn" in normal.ignored_context_keys
    with pytest.raises(AssertionError):
        require_complete(normal)
    own = require_complete(simulator.run(request(trail), mode="direct"))
    other = require_complete(simulator.run(request("arn:aws:cloudtrail:us-east-1:999988887777:trail/x"), mode="direct"))
    assert own.allowed and not other.allowed


# ---- the data perimeter ---------------------------------------------------------------------------------


def env_proofs(synth) -> Proofs:
    s = as_synth(synth).environment()
    policies = extract_policies(synth, account_id=s.account_id, region=s.region)
    return Proofs(synth, policies, load_matrix(s), prefix=s.prefix, account_id=s.account_id, region=s.region)


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_workload_credentials_are_useless_outside_the_perimeter(simulator, synth_env, env):
    """Every expected allow of a workload, from outside the VPC or from another account, is denied, and by
    every perimeter layer the matrix names (resource policy and workload boundary), each on its own."""
    proofs = env_proofs(synth_env(env)[1])
    cases = proofs.perimeter_cases()
    assert len(cases) >= 20, "the perimeter proofs should cover every workload allow"
    assert {c.where for c in cases} == {"outside", "another account"}
    assert sum(bool(c.deny_sids) for c in cases) >= len(cases) // 2
    bad = mismatches(simulator, cases)
    assert bad == [], "\n".join(str(m) for m in bad)


def test_each_allow_still_holds_from_inside_the_vpc(proofs):
    """The base matrix sends every workload call from inside (the VPC and the service's endpoint)."""
    role = next(r for r in proofs.policies.roles() if r.name == "boi-dev-fincen-worker-task")
    case = next(c for c in proofs.cases([role]) if c.asset == "documents/uploads" and c.operation == "read")
    ctx = case.request["request"]["contextVariables"]
    assert ctx["aws:SourceVpc"] == proofs.vpc_id and ctx["aws:SourceVpce"] == proofs.endpoint_ids["s3"]
    assert case.expected


@pytest.mark.parametrize(
    "principal, record_type, allowed",
    [
        ("reporting-company-task", "reporting_company", True),
        ("reporting-company-task", "beneficial_owner", False),
        ("beneficial-owner-task", "reporting_company", False),
        ("beneficial-owner-task", "company_applicant", True),
        ("fincen-worker-task", "beneficial_owner", True),
    ],
)
def test_pii_decrypt_is_bound_to_the_record_types_a_service_owns(simulator, proofs, principal, record_type, allowed):
    """kms:EncryptionContext:record_type is checked by value; the normal route would ignore it."""
    role = next(r for r in proofs.policies.roles() if r.name == f"boi-dev-{principal}")
    case = next(c for c in proofs.cases([role]) if c.asset == f"pii-key/{record_type}" and c.operation == "decrypt")
    assert case.mode == "direct" and case.expected == allowed
    normal = simulator.run(case.request, mode="fast")
    assert "kms:EncryptionContext:record_type" in normal.ignored_context_keys
    assert require_complete(simulator.run(case.request, mode="direct")).allowed == allowed


def _without(synth: dict, resource_type: str, name_part: str, sid: str) -> dict:
    """A copy of the synth with one statement removed from the policy of the named resource(s)."""
    mutated = copy.deepcopy(dict(synth))
    removed = 0
    for stack in mutated.values():
        for name, body in (stack.get("resource", {}).get(resource_type) or {}).items():
            if name_part not in name and name_part not in str(body.get("name", "")):
                continue
            document = json.loads(body["policy"])
            kept = [s for s in document["Statement"] if s.get("Sid") != sid]
            removed += len(document["Statement"]) - len(kept)
            body["policy"] = json.dumps({**document, "Statement": kept})
    assert removed, f"no {sid} in {resource_type} *{name_part}*"
    return mutated


@pytest.mark.parametrize(
    "resource_type, name_part, sid",
    [
        ("aws_kms_key", "pii", NETWORK_PERIMETER_SID),
        ("aws_kms_key", "pii", IDENTITY_PERIMETER_SID),
        ("aws_s3_bucket_policy", "documents", NETWORK_PERIMETER_SID),
        ("aws_s3_bucket_policy", "documents", IDENTITY_PERIMETER_SID),
        ("aws_sqs_queue_policy", "filing_queue", NETWORK_PERIMETER_SID),
        ("aws_secretsmanager_secret_policy", "fincen", NETWORK_PERIMETER_SID),
        ("aws_secretsmanager_secret_policy", "fincen", IDENTITY_PERIMETER_SID),
        ("aws_iam_policy", "workload-boundary", CREDENTIALS_PERIMETER_SID),
    ],
)
def test_the_perimeter_proofs_fail_when_one_statement_is_removed(simulator, dev, resource_type, name_part, sid):
    cases = env_proofs(_without(dev, resource_type, name_part, sid)).perimeter_cases()
    caught = [str(m) for m in mismatches(simulator, cases)]
    assert any(sid in m for m in caught), f"removing {sid} from {resource_type} {name_part} went unnoticed"
