"""IAM proofs: the simulator's verdicts on the synthesized policies match the reviewed matrix.

Both directions: every allow in catalogs/iam/access_matrix.yaml is allowed, and every other operation of
every role on every sensitive asset is denied. The simulator (iam-simulate, AGPL) runs as one Node
process for the whole session, a test-time tool only.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from boi_iam.extract import extract_policies
from boi_iam.simulate import require_complete, simulation
from boi_kms.policy import check_separation_of_duties

from boi.proofs import Mismatch, Proofs, load_matrix

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def proofs(dev):
    s = dev.environment()
    policies = extract_policies(dev, account_id=s.account_id, region=s.region)
    matrix = load_matrix(s)
    return Proofs(dev, policies, matrix, prefix=s.prefix, account_id=s.account_id, region=s.region)


def verdicts(simulator, cases):
    results = simulator.run_many([c.request for c in cases], mode="fast")
    return [(case, require_complete(result)) for case, result in zip(cases, results, strict=True)]


def mismatches(simulator, cases) -> list[Mismatch]:
    return [Mismatch(c, r) for c, r in verdicts(simulator, cases) if r.allowed != c.expected]


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
        ("security-admin", "pii-key", "decrypt", "ExplicitlyDenied", "DenyDecryptExceptRecordAndLogReaders"),
        ("security-admin", "pii-key", "set-policy", "ExplicitlyDenied", "DenyKeyDestruction"),
        ("platform-admin", "audit-archive", "write", "ExplicitlyDenied", "DenyAuditWrite"),
    ],
)
def test_chosen_denials_happen_for_the_expected_reason(simulator, proofs, principal, asset, operation, decision, sid):
    role = next(r for r in proofs.policies.roles() if r.name == f"boi-dev-{principal}")
    case = next(c for c in proofs.cases([role]) if c.asset == asset and c.operation == operation)
    result = require_complete(simulator.run(case.request))
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
