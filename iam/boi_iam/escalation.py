"""Escalation-aware proofs: who can reach a sensitive outcome, directly or by becoming someone else.

The data proofs ask "can role R do data action A on asset X". An attacker asks more: can R become S
(assume it, pass it to code R runs, change S's code or policies, open a shell as S, create a fresh
role with any policy)? This module answers both on the synthesized policies:

1. nodes: every role of the synthesized JSON, plus what a principal could turn into (a fresh role
   under each boundary, a role whose permissions it can rewrite);
2. probes: simulator requests for every node, for every "can become" step and every outcome;
3. edges from the allowed steps, their transitive closure, and for each principal every outcome it
   reaches with the path that reaches it.

Pure: the simulator is a callable `run(requests) -> decisions`; policies come from
`boi_iam.extract`, the one reader of the synthesized JSON.
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import cache

from boi_model.refs import resolve_text
from boi_model.synth import as_synth

from .extract import PolicySet, RoleView
from .simulate import simulation

PATH_KINDS = (
    "assume-role",
    "pass-role",
    "function-code",
    "ecs-exec",
    "modify-trust",
    "modify-permissions",
    "create-role",
    "create-user",
)
ALLOW_ALL = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
PROBE = "probe"
# The context an attacker controls or a real call carries: TLS, MFA done, a source identity given.
BASE_CONTEXT = {"aws:SecureTransport": "true", "aws:MultiFactorAuthPresent": "true", "aws:MultiFactorAuthAge": "60"}
STS_CONTEXT = {"sts:SourceIdentity": "probe-user"}
# Request key (not part of the simulation) naming the resource type an ambiguous ARN is meant as.
TYPE_HINT = "resourceTypeHint"

# Services that run code the caller supplies, with the calls that start it once the role is passed.
CODE_RUNNERS: dict[str, tuple[tuple[str, str], ...]] = {
    "lambda.amazonaws.com": (
        ("lambda:CreateFunction", "arn:{p}:lambda:{r}:{a}:function:probe"),
        ("lambda:UpdateFunctionConfiguration", "arn:{p}:lambda:{r}:{a}:function:probe"),
    ),
    "ecs-tasks.amazonaws.com": (
        ("ecs:RunTask", "arn:{p}:ecs:{r}:{a}:task-definition/probe:1"),
        ("ecs:StartTask", "arn:{p}:ecs:{r}:{a}:task-definition/probe:1"),
        ("ecs:CreateService", "arn:{p}:ecs:{r}:{a}:service/probe/probe"),
        ("ecs:UpdateService", "arn:{p}:ecs:{r}:{a}:service/probe/probe"),
    ),
    "ec2.amazonaws.com": (("ec2:RunInstances", "arn:{p}:ec2:{r}:{a}:instance/*"),),
    "codebuild.amazonaws.com": (("codebuild:CreateProject", "arn:{p}:codebuild:{r}:{a}:project/probe"),),
    "glue.amazonaws.com": (("glue:CreateJob", "arn:{p}:glue:{r}:{a}:job/probe"),),
    "states.amazonaws.com": (("states:CreateStateMachine", "arn:{p}:states:{r}:{a}:stateMachine:probe"),),
    "scheduler.amazonaws.com": (("scheduler:CreateSchedule", "arn:{p}:scheduler:{r}:{a}:schedule/default/probe"),),
    "events.amazonaws.com": (("events:PutTargets", "arn:{p}:events:{r}:{a}:rule/probe"),),
    "cloudformation.amazonaws.com": (("cloudformation:CreateStack", "arn:{p}:cloudformation:{r}:{a}:stack/probe/*"),),
    "ssm.amazonaws.com": (("ssm:StartAutomationExecution", "arn:{p}:ssm:{r}:{a}:automation-definition/probe:1"),),
}
# Services that only ever do their own, AWS-defined work with a role: passing the role to them runs no
# code of the caller's. A trust naming a service in neither list is an error until someone classifies it.
AWS_ONLY = (
    "backup.amazonaws.com",
    "monitoring.rds.amazonaws.com",
    "apigateway.amazonaws.com",
    "vpc-flow-logs.amazonaws.com",
    "malware-protection-plan.guardduty.amazonaws.com",
    "cloudtrail.amazonaws.com",
    "config.amazonaws.com",
    "delivery.logs.amazonaws.com",
    "logging.s3.amazonaws.com",
    "guardduty.amazonaws.com",
    "macie.amazonaws.com",
)

IAM_ROLE_WRITES = ("iam:PutRolePolicy", "iam:AttachRolePolicy")
BOUNDARY_WRITES = ("iam:DeleteRolePermissionsBoundary", "iam:PutRolePermissionsBoundary")
POLICY_WRITES = ("iam:CreatePolicyVersion", "iam:SetDefaultPolicyVersion")
CODE_WRITES = ("lambda:UpdateFunctionCode", "lambda:UpdateFunctionConfiguration")
SIGNING_BYPASS = (
    ("lambda:DeleteFunctionCodeSigningConfig", "function"),
    ("lambda:PutFunctionCodeSigningConfig", "function"),
    ("lambda:UpdateCodeSigningConfig", "csc"),
    ("signer:StartSigningJob", "profile"),
)


class EscalationError(ValueError):
    """The model cannot be built: a trust names an unclassified service, a policy is unknown, ..."""


@dataclass(frozen=True)
class Node:
    name: str
    arn: str
    identity: tuple[tuple[str, dict], ...]
    boundary: tuple[tuple[str, dict], ...] | None
    kind: str = "role"  # role | fresh | widened
    trust: dict | None = None
    services: tuple[str, ...] = ()

    def describe(self) -> str:
        return self.name


@dataclass(frozen=True)
class Outcome:
    """Something sensitive a principal may or may not be able to do."""

    cls: str  # e.g. pii-data, pii-change, audit, identity, key, events, platform-change
    target: str  # a readable name of what it touches
    action: str
    resource: str
    resource_policy: dict | None = None
    context: Mapping = field(default_factory=dict)
    mode: str = "simulate"
    ref: str = ""  # caller's key for the outcome (e.g. matrix asset/operation)
    iam_type: str = ""  # "service:type" the resource is meant as, where its ARN could mean several

    @property
    def key(self) -> tuple:
        return (self.cls, self.target, self.action, self.resource, self.ref)


@dataclass(frozen=True)
class Step:
    """One simulator question a path depends on."""

    action: str
    resource: str
    resource_policy: dict | None = None
    context: Mapping = field(default_factory=dict)


@dataclass
class Edge:
    source: str
    target: str
    kind: str
    via: str  # readable: which call(s) made it possible


@dataclass
class Reach:
    principal: str
    outcome: Outcome
    path: list[Edge]  # empty: direct
    holder: str  # the node that does it in the end

    def path_text(self) -> str:
        if not self.path:
            return "direct"
        return " → ".join(f"{e.kind}: {e.target} ({e.via})" for e in self.path)


def _matches(pattern: str, value: str) -> bool:
    return fnmatch.fnmatchcase(value.lower(), pattern.lower())


def _as_list(value) -> list:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


class _Statements:
    """A document's statements with their action patterns compiled once (managed policies run to
    thousands of patterns and are asked about every action)."""

    def __init__(self, doc: dict) -> None:
        self.doc = doc
        self.items = []
        self._seen: dict[str, list[dict]] = {}
        for st in _as_list(doc.get("Statement")):
            negated = "NotAction" in st
            patterns = [str(p).lower() for p in _as_list(st.get("NotAction" if negated else "Action"))]
            exact = {p for p in patterns if "*" not in p and "?" not in p}
            prefixes = tuple(p[:-1] for p in patterns if p.endswith("*") and "*" not in p[:-1] and "?" not in p)
            rest = [p for p in patterns if p not in exact and p[:-1] not in prefixes]
            regex = re.compile("|".join(fnmatch.translate(p) for p in rest)) if rest else None
            self.items.append((st, negated, exact, prefixes, regex))

    def matching(self, action: str) -> list[dict]:
        found = self._seen.get(action)
        if found is None:
            a = action.lower()
            found = self._seen[action] = [
                st
                for st, negated, exact, prefixes, regex in self.items
                if (a in exact or a.startswith(prefixes) or bool(regex and regex.match(a))) != negated
            ]
        return found


_INDEX: dict[int, tuple[dict, _Statements]] = {}


def _statements(doc: dict) -> _Statements:
    entry = _INDEX.get(id(doc))
    if entry is None or entry[0] is not doc:
        entry = _INDEX[id(doc)] = (doc, _Statements(doc))
    return entry[1]


def relevant(doc: dict, action: str) -> dict:
    """The document with only the statements that can match the action: the same decision for that
    action, a fraction of the size to send and parse."""
    return {**{k: v for k, v in doc.items() if k != "Statement"}, "Statement": _statements(doc).matching(action)}


def may_allow(documents: Iterable[dict], action: str) -> bool:
    """Could any Allow statement of these documents match the action (resources and conditions aside)?
    Sound for skipping: False means the simulator would say implicitly denied."""
    return any(st.get("Effect") == "Allow" for doc in documents for st in _statements(doc).matching(action))


def names_principal(doc: dict, action: str, principal_arn: str) -> bool:
    """Does an Allow statement of this resource policy name the principal itself, or everyone?"""
    for st in _statements(doc).matching(action):
        if st.get("Effect") != "Allow":
            continue
        principal = st.get("Principal")
        if principal == "*":
            return True
        if isinstance(principal, dict):
            values = [str(v) for v in _as_list(principal.get("AWS"))]
            if "*" in values or principal_arn in values:
                return True
    return False


@cache
def applies(key: str, action: str) -> bool:
    """A context key a request for this action can carry (global keys always; service keys when the
    action lists them), so the simulator never has to ignore one."""
    if key.lower().startswith("aws:"):
        return True
    from . import actiondb

    try:
        keys = actiondb.condition_keys(action)
    except KeyError:
        return False
    lowered = key.lower()
    for candidate in keys:
        pattern = re.sub(r"\$\{[^}]+\}", "*", candidate).lower()
        if fnmatch.fnmatchcase(lowered, pattern):
            return True
    return False


def trusted_services(trust: dict | None) -> tuple[str, ...]:
    out = []
    for st in _as_list((trust or {}).get("Statement")):
        if st.get("Effect") == "Allow":
            principal = st.get("Principal") or {}
            if isinstance(principal, dict):
                out += [str(s) for s in _as_list(principal.get("Service"))]
    return tuple(sorted(set(out)))


def _fill(template: str, p: str, r: str, a: str) -> str:
    return template.format(p=p, r=r, a=a)


class Model:
    """Nodes, steps and outcomes of one synthesized environment."""

    def __init__(
        self,
        synth: Mapping[str, dict],
        policies: PolicySet,
        *,
        account_id: str,
        region: str,
        managed: Mapping[str, dict],
        outcomes: Sequence[Outcome],
        base: Iterable[str] = (),
        partition: str = "aws",
        names: Callable[[str], str] | None = None,
    ) -> None:
        self.synth, self.policies = synth, policies
        self.a, self.r, self.p = account_id, region, partition
        self.managed = managed
        self.outcomes = list(outcomes)
        self.short = names or (lambda role_name: role_name)
        self.base = set(base)
        self.nodes: dict[str, Node] = {}
        self.roles: dict[str, RoleView] = {}
        for view in policies.roles():
            node = self._role_node(view)
            self.nodes[node.name] = node
            self.roles[node.name] = view
        self.boundaries = self._boundaries()
        self.functions = self._functions()
        self.services = self._ecs_services()

    # ---- nodes ------------------------------------------------------------------------------------

    def _identity(self, view: RoleView) -> tuple[tuple[str, dict], ...]:
        docs = [(str(p.owner), p.document) for p in view.identity]
        missing = [arn for arn in view.managed_policy_arns if arn not in self.managed]
        if missing:
            raise EscalationError(
                f"role {view.name}: the content of {missing} is not known; give every "
                "attached managed policy to the analysis"
            )
        docs += [(arn, self.managed[arn]) for arn in view.managed_policy_arns]
        return tuple(docs)

    def _role_node(self, view: RoleView) -> Node:
        services = trusted_services(view.trust.document if view.trust else None)
        unknown = [s for s in services if s not in CODE_RUNNERS and s not in AWS_ONLY]
        if unknown:
            raise EscalationError(
                f"role {view.name}: its trust names {unknown}, which the analysis does not "
                "classify; add them to CODE_RUNNERS (runs caller code) or AWS_ONLY"
            )
        boundary = ((str(view.boundary.owner), view.boundary.document),) if view.boundary else None
        if view.boundary_arn and view.boundary is None:
            raise EscalationError(f"role {view.name}: boundary {view.boundary_arn} is not in the synthesized JSON")
        return Node(
            name=self.short(view.name),
            arn=view.arn,
            identity=self._identity(view),
            boundary=boundary,
            trust=view.trust.document if view.trust else None,
            services=services,
        )

    def _boundaries(self) -> dict[str, dict]:
        return {p.arn: p.document for p in self.policies.of_kind("boundary") if p.arn}

    def fresh(self, boundary_arn: str | None, arn: str, kind: str = "fresh") -> Node:
        """A role (or user) the principal creates itself, with any policy it likes under the boundary."""
        label = boundary_arn.rsplit("/", 1)[-1] if boundary_arn else "no boundary"
        boundary = ((boundary_arn, self.boundaries[boundary_arn]),) if boundary_arn else None
        what = "user" if ":user/" in arn else "role"
        return Node(
            name=f"new {what} under {label}",
            arn=arn,
            identity=(("any policy", ALLOW_ALL),),
            boundary=boundary,
            kind=kind,
        )

    def widened(self, node: Node, unbounded: bool) -> Node:
        """A role whose own policies (and maybe boundary) the principal can rewrite."""
        suffix = "with any policy and no boundary" if unbounded else "with any policy"
        return Node(
            name=f"{node.name} {suffix}",
            arn=node.arn,
            identity=(("any policy", ALLOW_ALL),),
            boundary=None if unbounded else node.boundary,
            kind="widened",
            trust=node.trust,
            services=node.services,
        )

    # ---- JSON facts -------------------------------------------------------------------------------

    def _resolve(self, stack: str, text: str) -> str:
        return resolve_text(self.synth, stack, text, account_id=self.a, region=self.r, partition=self.p)

    def _resources(self, rtype: str):
        for r in as_synth(self.synth).resources(rtype):
            yield r.stack, r.name, r.body

    def _role_by_arn(self, arn: str) -> str | None:
        for name, node in self.nodes.items():
            if node.arn == arn:
                return name
        return None

    def _functions(self) -> list[dict]:
        out = []
        signing = {
            f"${{aws_lambda_code_signing_config.{n}.arn}}": b
            for _, n, b in self._resources("aws_lambda_code_signing_config")
        }
        for stack, name, body in self._resources("aws_lambda_function"):
            csc_ref = body.get("code_signing_config_arn")
            csc = signing.get(csc_ref) if isinstance(csc_ref, str) else None
            enforced = bool(csc) and (csc.get("policies") or {}).get("untrusted_artifact_on_deployment") == "Enforce"
            profiles = [
                self._resolve(stack, v)
                for v in _as_list((csc or {}).get("allowed_publishers", {}).get("signing_profile_version_arns"))
            ]
            out.append(
                {
                    "name": body.get("function_name"),
                    "role": self._role_by_arn(self._resolve(stack, body["role"])),
                    "arn": self._resolve(stack, f"${{aws_lambda_function.{name}.arn}}"),
                    "csc": self._resolve(stack, csc_ref) if csc else None,
                    "enforced": enforced,
                    "profiles": [re.sub(r"/[^/]+$", "", p) for p in profiles],
                }
            )
        return out

    def _ecs_services(self) -> list[dict]:
        defs = {
            f"${{aws_ecs_task_definition.{n}.arn}}": (st, b) for st, n, b in self._resources("aws_ecs_task_definition")
        }
        out = []
        for stack, _, body in self._resources("aws_ecs_service"):
            task_def = defs.get(body.get("task_definition"))
            role = None
            if task_def and task_def[1].get("task_role_arn"):
                role = self._role_by_arn(self._resolve(task_def[0], task_def[1]["task_role_arn"]))
            cluster = self._resolve(stack, str(body.get("cluster", "")))
            cluster_name = cluster.rsplit("/", 1)[-1]
            out.append(
                {
                    "name": body.get("name"),
                    "role": role,
                    "exec": bool(body.get("enable_execute_command")),
                    "service_arn": f"arn:{self.p}:ecs:{self.r}:{self.a}:service/{cluster_name}/{body.get('name')}",
                    "task_arn": f"arn:{self.p}:ecs:{self.r}:{self.a}:task/{cluster_name}/{PROBE}",
                }
            )
        return out

    # ---- requests -----------------------------------------------------------------------------------

    def request(
        self,
        node: Node,
        action: str,
        resource: str,
        resource_policy: dict | None = None,
        context: Mapping | None = None,
        iam_type: str = "",
    ) -> dict:
        ctx = dict(BASE_CONTEXT)
        if action.startswith("kms:"):
            ctx["kms:CallerAccount"] = self.a
        if action.startswith("sts:"):
            ctx.update(STS_CONTEXT)
        ctx.update(context or {})
        ctx = {k: v for k, v in ctx.items() if applies(k, action)}
        identity = [(n, relevant(d, action)) for n, d in node.identity]
        identity = [(n, d) for n, d in identity if d["Statement"]]
        boundary = [(n, relevant(d, action)) for n, d in node.boundary] if node.boundary is not None else None
        policy = relevant(resource_policy, action) if resource_policy else None
        request = simulation(
            principal=node.arn,
            action=action,
            resource=resource,
            resource_account=self.a,
            identity_policies=identity,
            boundary_policies=boundary,
            resource_policy=policy if policy and policy["Statement"] else None,
            context=ctx,
        )
        if iam_type:
            request[TYPE_HINT] = iam_type.split(":", 1)[1]
        return request

    def could(self, node: Node, action: str, resource_policy: dict | None) -> bool:
        """False only when no policy could allow: the simulator would answer implicitly denied. A
        resource policy counts on its own only where it names the principal itself (or everyone); one
        that names the account leaves the decision to the principal's own policies."""
        if resource_policy and names_principal(resource_policy, action, node.arn):
            return True
        if not may_allow([d for _, d in node.identity], action):
            return False
        return node.boundary is None or may_allow([d for _, d in node.boundary], action)


@dataclass
class Analysis:
    model: Model
    edges: list[Edge]
    direct: dict[str, list[Outcome]]  # node -> outcomes it reaches itself
    simulations: int
    skipped: int
    nodes: dict[str, Node]

    def closure(self, principal: str) -> dict[str, list[Edge]]:
        """Every node the principal can become, with the shortest path to it."""
        paths: dict[str, list[Edge]] = {principal: []}
        frontier = [principal]
        while frontier:
            nxt = []
            for name in frontier:
                for edge in self.edges:
                    if edge.source == name and edge.target not in paths:
                        paths[edge.target] = paths[name] + [edge]
                        nxt.append(edge.target)
            frontier = nxt
        return paths

    def reaches(self, principal: str) -> list[Reach]:
        out = []
        for holder, path in sorted(self.closure(principal).items(), key=lambda kv: len(kv[1])):
            for outcome in self.direct.get(holder, []):
                out.append(Reach(principal, outcome, path, holder))
        return out


class Evaluator:
    """Runs the probes through the simulator, caching answers by request (mutations re-use them)."""

    def __init__(self, run: Callable[[list[dict]], list[bool]]):
        self.run = run
        self.cache: dict[str, bool] = {}
        self.simulations = 0  # requests sent to the simulator over the evaluator's life
        self.asked: set[str] = set()  # distinct requests of the current analysis, cached or not

    def evaluate(self, requests: list[dict]) -> list[bool]:
        keys = [hashlib.sha256(json.dumps(r, sort_keys=True).encode()).hexdigest() for r in requests]
        self.asked.update(keys)
        todo = {k: r for k, r in zip(keys, requests, strict=True) if k not in self.cache}
        if todo:
            answers = self.run(list(todo.values()))
            self.simulations += len(todo)
            self.cache.update(zip(todo.keys(), answers, strict=True))
        return [self.cache[k] for k in keys]


def analyse(
    model: Model,
    evaluator: Evaluator,
    *,
    candidates: Callable[[Node], list[str]] | None = None,
    skip_nodes: Iterable[str] = (),
) -> Analysis:
    """Build the graph. Nodes grow as principals turn out able to create roles, or to rewrite the
    policies of a role they can already become; every new node is analysed like the others."""
    skip = set(skip_nodes)
    evaluator.asked = set()
    nodes = dict(model.nodes)
    analysis = Analysis(model, [], {}, 0, 0, nodes)
    can_modify: dict[str, list[tuple[str, bool]]] = {}
    pending = [n for n in nodes if n not in skip]
    while pending:
        _analyse_batch(model, evaluator, analysis, pending, can_modify, candidates)
        pending = []
        for source, modifies in list(can_modify.items()):
            reach = analysis.closure(source)
            for target, unbounded in modifies:
                if target not in reach or target not in nodes:
                    continue
                widened = model.widened(nodes[target], unbounded)
                if widened.name not in nodes:
                    nodes[widened.name] = widened
                    pending.append(widened.name)
                if not any(e.source == source and e.target == widened.name for e in analysis.edges):
                    analysis.edges.append(
                        Edge(source, widened.name, "modify-permissions", f"rewrites the policies of {target}")
                    )
    # What this proof asked, so the figure does not depend on what an earlier run left in the cache.
    analysis.simulations = len(evaluator.asked)
    return analysis


def _analyse_batch(
    model: Model, evaluator: Evaluator, analysis: Analysis, batch: list[str], can_modify: dict, candidates
) -> None:
    nodes = analysis.nodes
    asks: list[tuple[str, str, object]] = []
    requests: list[dict] = []
    # The simulator (another process) answers one chunk while this thread builds the next.
    pending: list = []
    with ThreadPoolExecutor(max_workers=1) as pool:
        for name in batch:
            node = nodes[name]
            for outcome in model.outcomes:
                if model.could(node, outcome.action, outcome.resource_policy):
                    asks.append((name, "outcome", outcome))
                    requests.append(
                        model.request(
                            node,
                            outcome.action,
                            outcome.resource,
                            outcome.resource_policy,
                            outcome.context,
                            outcome.iam_type,
                        )
                    )
                else:
                    analysis.skipped += 1
            for key, step in _steps(model, node, candidates):
                if model.could(node, step.action, step.resource_policy):
                    asks.append((name, "step", key))
                    requests.append(model.request(node, step.action, step.resource, step.resource_policy, step.context))
                else:
                    analysis.skipped += 1
            if len(requests) >= CHUNK:
                pending.append(pool.submit(evaluator.evaluate, requests))
                requests = []
        if requests:
            pending.append(pool.submit(evaluator.evaluate, requests))
        answers = [ok for future in pending for ok in future.result()]
    allowed: dict[str, set] = {}
    for (name, purpose, detail), ok in zip(asks, answers, strict=True):
        if ok and purpose == "outcome":
            analysis.direct.setdefault(name, []).append(detail)
        elif ok:
            allowed.setdefault(name, set()).add(detail)
    created: list[str] = []
    for name in batch:
        edges, new_nodes, modifies = _edges(model, nodes[name], allowed.get(name, set()), candidates)
        analysis.edges += edges
        can_modify[name] = modifies
        for node in new_nodes:
            if node.name not in nodes:
                nodes[node.name] = node
                created.append(node.name)
    if created:
        _analyse_batch(model, evaluator, analysis, created, can_modify, candidates)


CHUNK = 500
_TRUSTS: dict[str, dict] = {}


def _trust_naming(arn: str) -> dict:
    """A trust policy naming the principal (what a principal that rewrites a trust would write)."""
    if arn not in _TRUSTS:
        _TRUSTS[arn] = {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Principal": {"AWS": arn}, "Action": ["sts:AssumeRole", "sts:SetSourceIdentity"]}
            ],
        }
    return _TRUSTS[arn]


def _steps(model: Model, node: Node, candidates) -> list[tuple[tuple, Step]]:
    """Every simulator question the edges out of `node` depend on."""
    fill = lambda t: _fill(t, model.p, model.r, model.a)  # noqa: E731
    out: list[tuple[tuple, Step]] = []
    for target in model.nodes.values():
        if target.name == node.name:
            continue
        out.append((("assume", target.name), Step("sts:AssumeRole", target.arn, target.trust)))
        for service in target.services:
            if service in CODE_RUNNERS:
                out.append(
                    (
                        ("pass", target.name, service),
                        Step("iam:PassRole", target.arn, None, {"iam:PassedToService": service}),
                    )
                )
        out.append((("trust", target.name), Step("iam:UpdateAssumeRolePolicy", target.arn)))
        out.append((("assume-any", target.name), Step("sts:AssumeRole", target.arn, _trust_naming(node.arn))))
    for target in list(model.nodes.values()):
        for action in IAM_ROLE_WRITES + BOUNDARY_WRITES:
            out.append((("write", target.name, action), Step(action, target.arn)))
        view = model.roles.get(target.name)
        if view is not None:
            attached = [p.arn for p in view.identity if p.arn] + ([view.boundary_arn] if view.boundary_arn else [])
            for policy_arn in attached:
                for action in POLICY_WRITES:
                    out.append((("policy", target.name, policy_arn, action), Step(action, policy_arn)))
    for service, launches in CODE_RUNNERS.items():
        for action, template in launches:
            out.append((("launch", service, action), Step(action, fill(template))))
    for fn in model.functions:
        for action in CODE_WRITES:
            out.append((("code", fn["name"], action), Step(action, fn["arn"])))
        for action, where in SIGNING_BYPASS:
            resources = {"function": [fn["arn"]], "csc": [fn["csc"]] if fn["csc"] else [], "profile": fn["profiles"]}[
                where
            ]
            for resource in resources:
                out.append((("unsign", fn["name"], action), Step(action, resource)))
    for svc in model.services:
        out.append((("exec", svc["name"]), Step("ecs:ExecuteCommand", svc["task_arn"])))
        out.append((("exec-enable", svc["name"]), Step("ecs:UpdateService", svc["service_arn"])))
    for name in (candidates(node) if candidates else []) + [f"arn:{model.p}:iam::{model.a}:role/{PROBE}"]:
        for boundary in [*model.boundaries, None]:
            ctx = {"iam:PermissionsBoundary": boundary} if boundary else {}
            out.append((("create", name, boundary), Step("iam:CreateRole", name, None, ctx)))
        for action in IAM_ROLE_WRITES:
            out.append(
                (
                    ("create-write", name, action),
                    Step(action, name, None, {"iam:PolicyARN": "arn:aws:iam::aws:policy/AdministratorAccess"}),
                )
            )
        out.append((("create-assume", name), Step("sts:AssumeRole", name, _trust_naming(node.arn))))
        for service in CODE_RUNNERS:
            out.append(
                (("create-pass", name, service), Step("iam:PassRole", name, None, {"iam:PassedToService": service}))
            )
    user = f"arn:{model.p}:iam::{model.a}:user/{PROBE}"
    for boundary in [*model.boundaries, None]:
        ctx = {"iam:PermissionsBoundary": boundary} if boundary else {}
        out.append((("user", boundary), Step("iam:CreateUser", user, None, ctx)))
    for action in ("iam:PutUserPolicy", "iam:AttachUserPolicy", "iam:CreateAccessKey", "iam:CreateLoginProfile"):
        out.append((("user-write", action), Step(action, user)))
    return out


def _edges(model: Model, node: Node, ok: set, candidates):
    """Turn the allowed steps of one node into edges, new nodes and (deferred) rewrites."""
    edges: list[Edge] = []
    new: list[Node] = []
    modifies: list[tuple[str, bool]] = []
    launch = {svc: [a for a, _ in steps if ("launch", svc, a) in ok] for svc, steps in CODE_RUNNERS.items()}
    for target in model.nodes.values():
        t = target.name
        if t == node.name:
            continue
        if ("assume", t) in ok:
            edges.append(Edge(node.name, t, "assume-role", "sts:AssumeRole, allowed by its trust policy"))
        for service in target.services:
            if ("pass", t, service) in ok and launch.get(service):
                edges.append(Edge(node.name, t, "pass-role", f"iam:PassRole to {service} + {launch[service][0]}"))
        if ("trust", t) in ok and ("assume-any", t) in ok:
            edges.append(Edge(node.name, t, "modify-trust", "iam:UpdateAssumeRolePolicy, then sts:AssumeRole"))
    for target in model.nodes.values():
        t = target.name
        rewrites = [a for a in IAM_ROLE_WRITES if ("write", t, a) in ok]
        view = model.roles.get(t)
        boundary_arn = view.boundary_arn if view else None
        unbounded = any(("write", t, a) in ok for a in BOUNDARY_WRITES) or any(
            ("policy", t, boundary_arn, a) in ok for a in POLICY_WRITES
        )
        rewrites += [a for key in ok if key[0] == "policy" and key[1] == t and key[2] != boundary_arn for a in [key[3]]]
        if rewrites or unbounded:
            modifies.append((t, unbounded))
    for fn in model.functions:
        if not fn["role"]:
            continue
        code = [a for a in CODE_WRITES if ("code", fn["name"], a) in ok]
        unsign = [a for a, _ in SIGNING_BYPASS if ("unsign", fn["name"], a) in ok]
        if code and (not fn["enforced"] or unsign):
            how = code[0] + (f" after {unsign[0]}" if fn["enforced"] else " (no enforced code signing)")
            edges.append(Edge(node.name, fn["role"], "function-code", f"{how} on {fn['name']}"))
    for svc in model.services:
        if not svc["role"]:
            continue
        if ("exec", svc["name"]) in ok and (svc["exec"] or ("exec-enable", svc["name"]) in ok):
            how = "ecs:ExecuteCommand" + ("" if svc["exec"] else " after ecs:UpdateService enables it")
            edges.append(Edge(node.name, svc["role"], "ecs-exec", f"{how} in {svc['name']}"))
    for name in (candidates(node) if candidates else []) + [f"arn:{model.p}:iam::{model.a}:role/{PROBE}"]:
        writes = [a for a in IAM_ROLE_WRITES if ("create-write", name, a) in ok]
        runnable = ("create-assume", name) in ok or any(
            ("create-pass", name, s) in ok and launch.get(s) for s in CODE_RUNNERS
        )
        for boundary in [*model.boundaries, None]:
            if ("create", name, boundary) in ok and writes and runnable:
                fresh = model.fresh(boundary, name)
                new.append(fresh)
                edges.append(
                    Edge(
                        node.name, fresh.name, "create-role", f"iam:CreateRole {name.rsplit('/', 1)[-1]} + {writes[0]}"
                    )
                )
    user_writes = [a for a in ("iam:PutUserPolicy", "iam:AttachUserPolicy") if ("user-write", a) in ok]
    keys = [a for a in ("iam:CreateAccessKey", "iam:CreateLoginProfile") if ("user-write", a) in ok]
    for boundary in [*model.boundaries, None]:
        if ("user", boundary) in ok and user_writes and keys:
            fresh = model.fresh(boundary, f"arn:{model.p}:iam::{model.a}:user/{PROBE}")
            new.append(fresh)
            edges.append(Edge(node.name, fresh.name, "create-user", f"iam:CreateUser + {user_writes[0]} + {keys[0]}"))
    return edges, new, modifies


def role_candidates(node: Node) -> list[str]:
    """Role ARNs a principal could create: its own iam:CreateRole resource patterns, made concrete."""
    found = set()
    for _, doc in node.identity:
        for st in _as_list(doc.get("Statement")):
            if st.get("Effect") != "Allow":
                continue
            actions = _as_list(st.get("Action"))
            if not any(_matches(p, "iam:CreateRole") for p in actions):
                continue
            for resource in _as_list(st.get("Resource")):
                if resource != "*" and ":role/" in resource:
                    found.add(resource.replace("*", PROBE))
    return sorted(found)
