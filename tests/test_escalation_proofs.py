"""Escalation proofs: no principal outside the trusted base reaches PII, the audit, identities or keys,
directly or by becoming another principal, except through the paths the matrix accepts.

Each mutation below re-opens one path an attacker would use; the proofs must fail and name it.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from boi_iam.render import RenderError, check_access_matrix

from boi.privileges import PrivilegesError, load_privileges, prove
from boi.proofs import load_matrix

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def dev_result(dev_privileges):
    return dev_privileges


def _record(result) -> None:
    artifacts = ROOT / "artifacts"
    artifacts.mkdir(exist_ok=True)
    path = artifacts / "iam-escalation.json"
    data = json.loads(path.read_text()) if path.is_file() else {}
    data[result.env] = result.to_json()
    path.write_text(json.dumps(data, indent=1))


def test_dev_proofs_pass_and_cover_every_kind_of_path(dev_result):
    _record(dev_result)
    assert dev_result.violations == [], "\n".join(dev_result.summary())
    print(
        f"\ndev: {dev_result.outcomes} outcomes x {len(dev_result.nodes)} principals, "
        f"{dev_result.simulations} simulations in {dev_result.seconds:.1f} s "
        f"({dev_result.simulations / dev_result.seconds:.0f}/s)"
    )
    assert dev_result.outcomes > 1500
    classes = {v.outcome.cls for v in dev_result.verdicts}
    assert {"data", "pii-read", "pii-write", "events"} <= classes
    # The platform deployer runs code as the workloads it deploys: documented, and nothing more.
    deployer = [v for v in dev_result.verdicts if v.principal == "platform-deploy" and v.path]
    assert deployer and {v.verdict for v in deployer} <= {"accepted", "expected"}
    assert any(v.verdict == "accepted" for v in deployer)
    assert {e.kind for e in dev_result.edges} >= {"pass-role", "function-code", "create-role"}


def test_prod_proofs_pass(synth_env, simulator, evaluator):
    _, prod = synth_env("prod")
    result = prove(prod, prod.environment(), simulator, evaluator=evaluator)
    _record(result)
    assert result.violations == [], "\n".join(result.summary())


def _mutated(dev: dict, mutate) -> dict:
    synth = copy.deepcopy(dev)
    mutate(synth)
    return synth


def _violations(dev, simulator, evaluator, mutate) -> list[str]:
    return prove(_mutated(dev, mutate), dev.environment(), simulator, evaluator=evaluator).summary()


def _policy_body(synth: dict, stack: str, name: str) -> dict:
    return next(b for b in synth[stack]["resource"]["aws_iam_policy"].values() if b["name"] == name)


def test_power_user_on_the_support_role_is_caught(dev, simulator, evaluator):
    def mutate(synth):
        synth["boi-dev-foundation"]["resource"]["aws_iam_role_policy_attachment"]["mutation"] = {
            "role": "boi-dev-support-engineer",
            "policy_arn": "arn:aws:iam::aws:policy/PowerUserAccess",
        }

    found = _violations(dev, simulator, evaluator, mutate)
    assert any(v.startswith("support-engineer reaches platform-change") for v in found), found


@pytest.mark.parametrize(
    "policy, sid",
    [
        ("boi-dev-human-boundary", "DenyAssumeRoles"),
        ("boi-dev-guard-*", "DenyPiiChange"),
        ("boi-dev-guard-*", "DenyPiiRead"),
        ("boi-dev-guard-*", "DenyAuditServiceChanges"),
        ("boi-dev-guard-*", "DenyAuditChange"),
    ],
)
def test_a_missing_deny_in_the_peoples_guardrails_is_caught(dev, simulator, evaluator, policy, sid):
    def mutate(synth):
        for body in synth["boi-dev-foundation"]["resource"]["aws_iam_policy"].values():
            if body["name"] == policy or (policy.endswith("*") and body["name"].startswith(policy[:-1])):
                doc = json.loads(body["policy"])
                # Numbered Sids (DenyPiiRead2, ...) are parts of the same deny split by exemptions.
                doc["Statement"] = [s for s in doc["Statement"] if s["Sid"].rstrip("0123456789") != sid]
                body["policy"] = json.dumps(doc)

    found = _violations(dev, simulator, evaluator, mutate)
    assert found, f"dropping {sid} from {policy} went unnoticed"
    assert any(
        v.split(" ")[0]
        in ("platform-admin", "security-admin", "security-auditor", "support-engineer", "compliance-officer")
        for v in found
    ), found


def test_widening_the_platform_deployers_role_pattern_is_caught(dev, simulator, evaluator):
    def mutate(synth):
        text = json.dumps(synth["boi-dev-bootstrap"])
        synth["boi-dev-bootstrap"] = json.loads(text.replace("role/boi-dev-platform/*", "role/boi-dev-*"))

    found = _violations(dev, simulator, evaluator, mutate)
    assert any(v.startswith("platform-deploy reaches identity") for v in found), found


def test_removing_the_event_source_condition_is_caught(dev, simulator, evaluator):
    def mutate(synth):
        for body in synth["boi-dev-platform"]["resource"]["aws_iam_role_policy"].values():
            doc = json.loads(body["policy"])
            for st in doc["Statement"]:
                for block in (st.get("Condition") or {}).values():
                    block.pop("events:source", None)
                st["Condition"] = {k: v for k, v in (st.get("Condition") or {}).items() if v}
                if not st["Condition"]:
                    del st["Condition"]
            body["policy"] = json.dumps(doc)

    found = _violations(dev, simulator, evaluator, mutate)
    assert any(" reaches events events:PutEvents on boi.reporting-company" in v for v in found), found


def test_bad_privileges_entries_are_named(dev):
    matrix = load_matrix(dev.environment())
    roles = {"break-glass", "foundation-deploy", "platform-deploy", "platform-admin"}

    def problems(mutate) -> str:
        bad = copy.deepcopy(matrix)
        mutate(bad["privileges"])
        with pytest.raises(PrivilegesError) as err:
            load_privileges(bad, roles)
        return str(err.value)

    ghost = {"why": "w", "control": "x", "reviewer": "r"}
    assert "trusted_base.ghost: no such role" in problems(lambda p: p["trusted_base"].update(ghost=ghost))
    assert "accepted_paths[0].principal" in problems(lambda p: p["accepted_paths"][0].update(principal="nobody"))
    assert "holders.mystery: unknown outcome class" in problems(lambda p: p["holders"].update(mystery={}))


def test_the_shape_of_the_privileges_section_is_checked_with_the_matrix(dev):
    matrix = load_matrix(dev.environment())

    def problems(mutate) -> str:
        bad = copy.deepcopy(matrix)
        mutate(bad["privileges"])
        with pytest.raises(RenderError) as err:
            check_access_matrix(bad)
        return str(err.value)

    assert "privileges.trusted_base.break-glass.control: Field required" in problems(
        lambda p: p["trusted_base"]["break-glass"].pop("control")
    )
    assert "privileges.accepted_paths.0.kinds.0: Input should be 'assume-role'" in problems(
        lambda p: p["accepted_paths"][0].update(kinds=["teleport"])
    )
