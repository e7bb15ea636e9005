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


# ---- record_type: bound in two places on purpose ---------------------------------------------------------
#
# The PII key policy names the account (not the role) as principal, so KMS needs BOTH the key policy's
# statement and the role's identity policy to allow a Decrypt: each of the two carries the role's
# kms:EncryptionContext:record_type values, and either alone keeps a service to its own record types (a
# mistaken edit of one policy, or a role policy attached by someone else, does not widen decrypt). The
# simulator therefore cannot see one layer go missing (the other still denies); what catches it is the
# consistency rule below (both layers equal the catalog), and each layer is proven alone with the simulator.

RECORD_TYPE = "kms:EncryptionContext:record_type"


def _statements(policy: str) -> list[dict]:
    raw = json.loads(policy).get("Statement") or []
    return raw if isinstance(raw, list) else [raw]


def record_type_bindings(synth) -> dict[str, dict[str, set[str]]]:
    """layer ("key policy", "identity policy") -> role name -> record_type values it may decrypt, from the synth."""
    synth = as_synth(synth)
    roles = {r.name: r.body.get("name") for r in synth.resources("aws_iam_role")}
    found: dict[str, dict[str, set[str]]] = {"key policy": {}, "identity policy": {}}
    for key in synth.resources("aws_kms_key"):
        if "keys_pii" not in key.name:
            continue
        for st in _statements(key.body["policy"]):
            cond = st.get("Condition") or {}
            if st.get("Effect") != "Allow" or "kms:Decrypt" not in st.get("Action", []):
                continue
            for arn in (cond.get("ArnEquals") or {}).get("aws:PrincipalArn") or []:
                found["key policy"].setdefault(arn.rsplit("/", 1)[-1], set()).update(
                    (cond.get("StringEquals") or {}).get(RECORD_TYPE) or ["<any>"]
                )
    for attached in synth.resources("aws_iam_role_policy"):
        role = roles.get(
            str(attached.body.get("role", "")).split(".")[1] if "${" in str(attached.body.get("role")) else ""
        )
        for st in _statements(attached.body["policy"]):
            if "keys_pii" in json.dumps(st.get("Resource")) and "kms:Decrypt" in st.get("Action", []):
                values = ((st.get("Condition") or {}).get("StringEquals") or {}).get(RECORD_TYPE) or ["<any>"]
                found["identity policy"].setdefault(role, set()).update(values)
    return found


def record_type_problems(synth, prefix: str) -> list[str]:
    """Each role's record_type values in either layer must be the catalog's for its service."""
    from app import catalogs

    standard = catalogs.kms().field_encryption
    bindings = record_type_bindings(synth)
    problems = []
    for role in sorted(set(bindings["key policy"]) | set(bindings["identity policy"])):
        service = role.removeprefix(f"{prefix}-").removesuffix("-task")
        expected = set(standard.record_types_of(service)["decrypt"])
        for layer, by_role in bindings.items():
            if by_role.get(role, set()) != expected:
                problems.append(f"{role}: {layer} binds {sorted(by_role.get(role, set()))}, catalog {sorted(expected)}")
    return problems


def test_both_layers_bind_each_role_to_its_catalog_record_types(dev):
    bindings = record_type_bindings(dev)
    assert set(bindings["key policy"]) == set(bindings["identity policy"])
    assert len(bindings["key policy"]) >= 3
    assert record_type_problems(dev, "boi-dev") == []


def _drop_record_type(synth: dict, layer: str, role_part: str = "") -> dict:
    """A copy with the record_type condition removed from one layer (of the roles whose name has role_part)."""
    mutated = copy.deepcopy(dict(synth))
    removed = 0
    for stack in mutated.values():
        rtype = "aws_kms_key" if layer == "key policy" else "aws_iam_role_policy"
        for name, body in (stack.get("resource", {}).get(rtype) or {}).items():
            if layer == "key policy" and "keys_pii" not in name:
                continue
            if layer == "identity policy" and role_part.replace("-", "_") not in name:
                continue
            document = json.loads(body["policy"])
            for st in document["Statement"] if isinstance(document["Statement"], list) else [document["Statement"]]:
                equals = (st.get("Condition") or {}).get("StringEquals") or {}
                if RECORD_TYPE in equals and (layer == "identity policy" or role_part in json.dumps(st)):
                    del equals[RECORD_TYPE]
                    removed += 1
            body["policy"] = json.dumps(document)
    assert removed, f"no record_type binding in the {layer} of *{role_part}*"
    return mutated


@pytest.mark.parametrize("layer", ["key policy", "identity policy"])
def test_removing_record_type_from_one_layer_is_caught(dev, layer):
    problems = record_type_problems(_drop_record_type(dev, layer, "reporting-company"), "boi-dev")
    assert problems and all(layer in p and "reporting-company" in p for p in problems), problems


def _record_type_cases(synth):
    return [c for c in env_proofs(synth).cases() if c.asset.startswith("pii-key/") and c.operation == "decrypt"]


@pytest.mark.parametrize("layer", ["key policy", "identity policy"])
def test_each_layer_alone_keeps_services_to_their_record_types(simulator, dev, layer):
    """With the other layer's binding gone, the simulator's verdicts still match the matrix."""
    cases = _record_type_cases(_drop_record_type(dev, "identity policy" if layer == "key policy" else "key policy"))
    assert sum(not c.expected for c in cases) >= 3
    assert mismatches(simulator, cases) == []


def test_without_both_layers_the_proofs_fail(simulator, dev):
    mutated = _drop_record_type(
        _drop_record_type(dev, "key policy", "reporting-company"), "identity policy", "reporting-company"
    )
    caught = [m for m in mismatches(simulator, _record_type_cases(mutated))]
    assert any(m.case.principal.endswith("reporting-company-task") for m in caught), (
        "record_type widening went unnoticed"
    )
