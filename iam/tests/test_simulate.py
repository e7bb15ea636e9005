import sys
import textwrap
import time

import pytest
from boi_iam.simulate import (
    DEFAULT_SIM_DIR,
    IncompleteVerdictError,
    SimResult,
    Simulator,
    SimulatorError,
    principal_context,
    require_complete,
    simulation,
)

pytestmark = pytest.mark.slow  # jsii, a moto server or the Node simulator: not the pure core

ACCT = "111122223333"
ROLE = f"arn:aws:iam::{ACCT}:role/boi/intake"
BUCKET_OBJ = "arn:aws:s3:::boi-docs-prod/uploads/a.pdf"
KEY = f"arn:aws:kms:us-east-1:{ACCT}:key/0f6a1c2e-0000-4000-8000-000000000001"

NEEDS_NODE_MODULES = pytest.mark.skipif(
    not (DEFAULT_SIM_DIR / "node_modules" / "@cloud-copilot" / "iam-simulate").is_dir(),
    reason="iam/sim/node_modules missing: run `npm ci --prefix iam/sim`",
)


def allow(sid, action, resource, **extra):
    return {"Sid": sid, "Effect": "Allow", "Action": action, "Resource": resource, **extra}


def doc(*statements):
    return {"Version": "2012-10-17", "Statement": list(statements)}


@pytest.fixture(scope="session")
def sim():
    if not (DEFAULT_SIM_DIR / "node_modules" / "@cloud-copilot" / "iam-simulate").is_dir():
        pytest.skip("iam/sim/node_modules missing: run `npm ci --prefix iam/sim`")
    with Simulator() as s:
        yield s


# ---- pure parts -------------------------------------------------------------------------------


def test_principal_context_for_role_assumed_role_and_service():
    assert principal_context(ROLE) == {"aws:PrincipalArn": ROLE, "aws:PrincipalAccount": ACCT}
    assumed = f"arn:aws:sts::{ACCT}:assumed-role/intake/session-1"
    assert principal_context(assumed) == {
        "aws:PrincipalArn": f"arn:aws:iam::{ACCT}:role/intake",
        "aws:PrincipalAccount": ACCT,
    }
    assert principal_context("ecs-tasks.amazonaws.com") == {}
    assert principal_context({"type": "Anonymous"}) == {}


def test_simulation_keeps_caller_context_over_derived_values():
    sim = simulation(
        principal=ROLE,
        action="s3:GetObject",
        resource=BUCKET_OBJ,
        resource_account=ACCT,
        context={"aws:PrincipalArn": "arn:aws:iam::999999999999:role/x"},
    )
    assert sim["request"]["contextVariables"]["aws:PrincipalArn"] == "arn:aws:iam::999999999999:role/x"
    assert sim["request"]["contextVariables"]["aws:PrincipalAccount"] == ACCT
    assert "permissionBoundaryPolicies" not in sim


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"action": "s3GetObject"}, "action: expected 'service:Action', got 's3GetObject'"),
        ({"resource_account": "12"}, "resource_account: expected a 12-digit account id, got '12'"),
        ({"identity_policies": [("only-a-name",)]}, "identity_policies[0]: expected (name, policy dict)"),
    ],
)
def test_simulation_rejects_bad_input_naming_the_field(kwargs, message):
    base = {"principal": ROLE, "action": "s3:GetObject", "resource": BUCKET_OBJ, "resource_account": ACCT}
    with pytest.raises(ValueError) as e:
        simulation(**{**base, **kwargs})
    assert message in str(e.value)


def test_require_complete_refuses_ignored_keys_and_errors():
    ok = SimResult(decision="Allowed")
    assert require_complete(ok) is ok
    with pytest.raises(IncompleteVerdictError, match=r"kms:EncryptionContext:app"):
        require_complete(SimResult(decision="Allowed", ignored_context_keys=("kms:EncryptionContext:app",)))
    with pytest.raises(IncompleteVerdictError, match="invalid.action"):
        require_complete(SimResult(decision="Error", errors={"message": "invalid.action"}))


def test_missing_node_modules_tells_how_to_install(tmp_path):
    with pytest.raises(SimulatorError, match=r"npm ci --prefix iam/sim"):
        Simulator(sim_dir=tmp_path)


def test_dead_server_raises_instead_of_hanging(tmp_path):
    # A stand-in server (run by Python, not node) that answers the version probe, then crashes.
    (tmp_path / "node_modules" / "@cloud-copilot" / "iam-simulate").mkdir(parents=True)
    (tmp_path / "sim-server.mjs").write_text(
        textwrap.dedent("""
        import sys, json
        json.loads(sys.stdin.readline())
        print(json.dumps({"id": 0, "result": "Version", "iamSimulate": "x", "iamData": "y"}), flush=True)
        sys.stderr.write("boom: simulated crash")
        sys.exit(3)
    """)
    )
    with Simulator(sim_dir=tmp_path, node=sys.executable) as s:
        with pytest.raises(SimulatorError, match=r"died \(exit 3\).*boom"):
            s.run(simulation(principal=ROLE, action="s3:GetObject", resource=BUCKET_OBJ, resource_account=ACCT))
        with pytest.raises(SimulatorError, match="not running"):
            s.run(simulation(principal=ROLE, action="s3:GetObject", resource=BUCKET_OBJ, resource_account=ACCT))


# ---- against the real simulator (one node process per session) ---------------------------------


@NEEDS_NODE_MODULES
def test_versions_are_the_pinned_ones(sim):
    assert sim.versions == {"iam-simulate": "0.1.173", "iam-data": "0.21.202609261"}


@NEEDS_NODE_MODULES
def test_allow_explicit_deny_and_boundary_with_reasons(sim):
    identity = doc(
        allow("ReadUploads", "s3:GetObject", "arn:aws:s3:::boi-docs-prod/uploads/*"),
        allow("SendIntake", "sqs:SendMessage", f"arn:aws:sqs:us-east-1:{ACCT}:intake"),
        {"Sid": "NoDelete", "Effect": "Deny", "Action": "s3:DeleteObject", "Resource": "*"},
        allow("DeleteUploads", "s3:DeleteObject", "arn:aws:s3:::boi-docs-prod/uploads/*"),
    )
    boundary = doc(allow("BoundS3", ["s3:GetObject", "s3:DeleteObject"], "*"))
    base = {
        "principal": ROLE,
        "resource_account": ACCT,
        "identity_policies": [("inline", identity)],
        "boundary_policies": [("boundary", boundary)],
    }
    got = sim.run_many(
        [
            simulation(action="s3:GetObject", resource=BUCKET_OBJ, **base),
            simulation(action="s3:GetObject", resource="arn:aws:s3:::boi-docs-prod/other/a.pdf", **base),
            simulation(action="s3:DeleteObject", resource=BUCKET_OBJ, **base),
            simulation(action="sqs:SendMessage", resource=f"arn:aws:sqs:us-east-1:{ACCT}:intake", **base),
        ]
    )
    assert [r.decision for r in got] == [
        "Allowed",
        "ImplicitlyDenied",
        "ExplicitlyDenied",
        "ImplicitlyDenied",
    ]
    assert got[0].reasons[0]["statementId"] == "ReadUploads"
    assert got[0].resource_type == "object"
    assert {"policyType": "identity", "statementId": "NoDelete"}.items() <= got[2].reasons[0].items()
    assert any(r["policyType"] == "pb" and r.get("blocking") for r in got[3].reasons)


@NEEDS_NODE_MODULES
def test_principal_arn_is_filled_so_bucket_guard_does_not_misfire(sim):
    bucket_policy = doc(
        allow("ReadByIntake", "s3:GetObject", "arn:aws:s3:::boi-docs-prod/*", Principal={"AWS": ROLE}),
        {
            "Sid": "OnlyIntake",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": "arn:aws:s3:::boi-docs-prod/*",
            "Condition": {"ArnNotEquals": {"aws:PrincipalArn": ROLE}},
        },
    )
    other = f"arn:aws:iam::{ACCT}:role/boi/report"
    got = sim.run_many(
        [
            simulation(
                principal=p,
                action="s3:GetObject",
                resource=BUCKET_OBJ,
                resource_account=ACCT,
                resource_policy=bucket_policy,
            )
            for p in (ROLE, other)
        ]
    )
    assert [require_complete(r).decision for r in got] == ["Allowed", "ExplicitlyDenied"]
    assert got[1].reasons[0]["statementId"] == "OnlyIntake"


@NEEDS_NODE_MODULES
def test_unknown_action_in_request_is_an_error(sim):
    r = sim.run(simulation(principal=ROLE, action="s3:GetObjekt", resource=BUCKET_OBJ, resource_account=ACCT))
    assert r.decision == "Error" and r.errors["message"] == "invalid.action"


def _kms_ctx_pair():
    key_policy = doc(
        allow("RootAdmin", "kms:*", "*", Principal={"AWS": f"arn:aws:iam::{ACCT}:root"}),
        allow(
            "ReportDecryptOwnContext",
            "kms:Decrypt",
            "*",
            Principal={"AWS": ROLE},
            Condition={"StringEquals": {"kms:EncryptionContext:app": "bo-report"}},
        ),
    )
    return [
        simulation(
            principal=ROLE,
            action="kms:Decrypt",
            resource=KEY,
            resource_account=ACCT,
            resource_policy=key_policy,
            context={"kms:EncryptionContext:app": app},
        )
        for app in ("bo-report", "bo-intake")
    ]


@NEEDS_NODE_MODULES
def test_normal_route_reports_the_dropped_encryption_context_key(sim):
    results = sim.run_many(_kms_ctx_pair())
    # The public route cannot tell the two apart: both lose the key and both answers are refused.
    assert [r.ignored_context_keys for r in results] == [("kms:EncryptionContext:app",)] * 2
    for r in results:
        with pytest.raises(IncompleteVerdictError, match="kms:EncryptionContext:app"):
            require_complete(r)


@NEEDS_NODE_MODULES
def test_direct_route_evaluates_encryption_context(sim):
    allowed, denied = (require_complete(r) for r in sim.run_many(_kms_ctx_pair(), mode="direct"))
    assert (allowed.decision, denied.decision) == ("Allowed", "ImplicitlyDenied")
    assert allowed.route == denied.route == "direct"
    # iam-simulate also lists the account-root statement among grant reasons; the context one must be there.
    assert "ReportDecryptOwnContext" in {r.get("statementId") for r in allowed.reasons}


@NEEDS_NODE_MODULES
def test_direct_route_still_reports_other_ignored_keys(sim):
    s = _kms_ctx_pair()[0]
    s["request"]["contextVariables"]["s3:prefix"] = "x"  # not a key of kms:Decrypt
    r = sim.run(s, mode="direct")
    assert r.decision == "Allowed" and r.ignored_context_keys == ("s3:prefix",)


@NEEDS_NODE_MODULES
def test_pipelined_batch_is_fast(sim):
    identity = doc(allow("ReadUploads", "s3:GetObject", "arn:aws:s3:::boi-docs-prod/uploads/*"))
    sims = [
        simulation(
            principal=ROLE,
            action="s3:GetObject",
            resource=f"arn:aws:s3:::boi-docs-prod/uploads/{i}",
            resource_account=ACCT,
            identity_policies=[("inline", identity)],
        )
        for i in range(1000)
    ]
    start = time.perf_counter()
    results = sim.run_many(sims)
    elapsed = time.perf_counter() - start
    assert all(r.decision == "Allowed" for r in results)
    print(f"\n1000 simulations in {elapsed:.2f}s ({1000 / elapsed:.0f}/s)")  # the rate is measured by make bench
