"""The escalation graph on a small hand-written synth, with a toy evaluator (no Node, no simulator).

The toy evaluates Allow/Deny by action and resource patterns only (no conditions), which is all the
graph logic needs: which steps make an edge, how the closure follows them, what a new role can do.
"""

from __future__ import annotations

import fnmatch
import json

import pytest
from boi_iam import escalation as esc
from boi_iam.extract import extract_policies

ACCT, REGION = "111122223333", "us-east-1"


def _matches(value, patterns) -> bool:
    patterns = patterns if isinstance(patterns, list) else [patterns]
    return any(fnmatch.fnmatchcase(value.lower(), str(p).lower()) for p in patterns)


def _statement_applies(st, action, resource) -> bool:
    if "Action" in st and not _matches(action, st["Action"]):
        return False
    if "NotAction" in st and _matches(action, st["NotAction"]):
        return False
    return _matches(resource, st.get("Resource", "*")) or st.get("Resource") == "*"


def toy(request: dict) -> bool:
    r = request["request"]
    action, resource = r["action"], r["resource"]["resource"]
    docs = [p["policy"] for p in request.get("identityPolicies", [])]
    boundary = [p["policy"] for p in request.get("permissionBoundaryPolicies", [])]
    resource_policy = request.get("resourcePolicy")
    every = docs + boundary + ([resource_policy] if resource_policy else [])
    if any(st["Effect"] == "Deny" and _statement_applies(st, action, resource) for d in every for st in d["Statement"]):
        return False

    def allows(doc_list):
        return any(
            st["Effect"] == "Allow" and _statement_applies(st, action, resource)
            for d in doc_list
            for st in d["Statement"]
        )

    by_resource = resource_policy is not None and any(
        st["Effect"] == "Allow"
        and _statement_applies(st, action, resource)
        and r["principal"] in json.dumps(st.get("Principal"))
        for st in resource_policy["Statement"]
    )
    return by_resource or (allows(docs) and (not request.get("permissionBoundaryPolicies") or allows(boundary)))


def doc(*statements) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def role(name, trust_service=None, trust_aws=None, boundary=None):
    principal = {"Service": trust_service} if trust_service else {"AWS": trust_aws}
    body = {
        "name": name,
        "assume_role_policy": doc({"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"}),
    }
    if boundary:
        body["permissions_boundary"] = boundary
    return body


BOUNDARY = f"arn:aws:iam::{ACCT}:policy/workload-boundary"


def synth(admin_actions, *, worker_actions=("s3:GetObject",)):
    return {
        "app": {
            "resource": {
                "aws_iam_role": {
                    "admin": role("admin", trust_aws=f"arn:aws:iam::{ACCT}:root"),
                    "worker": role("worker", trust_service="lambda.amazonaws.com", boundary=BOUNDARY),
                    "other": role("other", trust_aws=f"arn:aws:iam::{ACCT}:role/nobody"),
                },
                "aws_iam_policy": {
                    "wb": {
                        "name": "workload-boundary",
                        "policy": doc(
                            {"Effect": "Allow", "Action": ["s3:GetObject", "sqs:SendMessage"], "Resource": "*"}
                        ),
                    }
                },
                "aws_iam_role_policy": {
                    "admin": {
                        "role": "admin",
                        "name": "a",
                        "policy": doc({"Effect": "Allow", "Action": list(admin_actions), "Resource": "*"}),
                    },
                    "worker": {
                        "role": "worker",
                        "name": "w",
                        "policy": doc(
                            {"Effect": "Allow", "Action": list(worker_actions), "Resource": "arn:aws:s3:::secret/*"}
                        ),
                    },
                },
            }
        }
    }


SECRET = esc.Outcome("pii", "secret", "s3:GetObject", "arn:aws:s3:::secret/x")


def analyse(data, outcomes=(SECRET,)):
    policies = extract_policies(data, account_id=ACCT, region=REGION)
    model = esc.Model(data, policies, account_id=ACCT, region=REGION, managed={}, outcomes=list(outcomes))
    evaluator = esc.Evaluator(lambda requests: [toy(r) for r in requests])
    return esc.analyse(model, evaluator, candidates=esc.role_candidates)


def test_pass_role_with_a_launch_is_an_edge_and_the_closure_follows_it():
    analysis = analyse(synth(["iam:PassRole", "lambda:CreateFunction"]))
    kinds = {(e.source, e.target, e.kind) for e in analysis.edges}
    assert ("admin", "worker", "pass-role") in kinds
    reach = analysis.reaches("admin")
    assert [r.path_text() for r in reach if r.outcome == SECRET] == [
        "pass-role: worker (iam:PassRole to lambda.amazonaws.com + lambda:CreateFunction)"
    ]


def test_pass_role_without_anything_to_run_it_is_no_edge():
    analysis = analyse(synth(["iam:PassRole"]))
    assert analysis.edges == [] and analysis.reaches("admin") == []


def test_creating_a_role_under_a_boundary_yields_what_the_boundary_allows():
    analysis = analyse(synth(["iam:CreateRole", "iam:PutRolePolicy", "sts:AssumeRole"]))
    fresh = {e.target for e in analysis.edges if e.kind == "create-role"}
    assert "new role under workload-boundary" in fresh and "new role under no boundary" in fresh
    holders = {r.holder for r in analysis.reaches("admin") if r.outcome == SECRET}
    assert {"new role under workload-boundary", "new role under no boundary"} <= holders


def test_rewriting_a_trust_then_assuming_is_an_edge():
    analysis = analyse(synth(["iam:UpdateAssumeRolePolicy", "sts:AssumeRole"]))
    assert ("admin", "other", "modify-trust") in {(e.source, e.target, e.kind) for e in analysis.edges}


def test_rewriting_the_policies_of_a_role_one_can_become_widens_it():
    analysis = analyse(
        synth(["iam:PutRolePolicy", "iam:PassRole", "lambda:CreateFunction"], worker_actions=["sqs:SendMessage"])
    )
    widened = {e.target for e in analysis.edges if e.kind == "modify-permissions" and e.source == "admin"}
    # Its own policies too: a principal that can rewrite itself has its boundary as its only ceiling.
    assert {"worker with any policy", "admin with any policy"} <= widened
    # The widened role stays under its boundary: it can read the secret (the boundary allows GetObject).
    assert any(r.holder == "worker with any policy" for r in analysis.reaches("admin") if r.outcome == SECRET)


def test_a_trust_naming_an_unclassified_service_is_refused():
    data = synth([])
    data["app"]["resource"]["aws_iam_role"]["odd"] = role("odd", trust_service="mystery.amazonaws.com")
    with pytest.raises(esc.EscalationError, match="mystery.amazonaws.com"):
        analyse(data)


def test_an_unknown_managed_policy_is_refused():
    data = synth([])
    data["app"]["resource"]["aws_iam_role_policy_attachment"] = {
        "x": {"role": "admin", "policy_arn": "arn:aws:iam::aws:policy/SomethingNew"}
    }
    with pytest.raises(esc.EscalationError, match="SomethingNew"):
        analyse(data)


def test_prefilter_and_relevance_keep_the_decision():
    document = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "NotAction": ["iam:*"], "Resource": "*"},
            {"Effect": "Deny", "Action": ["s3:Put*"], "Resource": "*"},
        ],
    }
    assert esc.may_allow([document], "s3:GetObject") and not esc.may_allow([document], "iam:CreateUser")
    assert [s["Effect"] for s in esc.relevant(document, "s3:PutObject")["Statement"]] == ["Allow", "Deny"]
    assert esc.relevant(document, "iam:PassRole")["Statement"] == []
    assert esc.names_principal(
        {"Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:x:role/a"}, "Action": "kms:Decrypt"}]},
        "kms:Decrypt",
        "arn:x:role/a",
    )
