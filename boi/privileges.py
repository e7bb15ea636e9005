"""Privileged access, proven: every principal x every sensitive outcome, directly or through a path.

The outcomes come from three places: the reviewed access matrix (data, with the exact context of a
real call), the protected-asset registry written into the synthesized JSON (every read, write and
control action of every protected asset, from the IAM action database), and the JSON itself (every
role, policy and key; the event sources). Who may hold each one comes from the matrix's `privileges`
section and from the registry's named readers, writers and managers. Anything else a principal
reaches, directly or by becoming another, is a violation, named with its path.

    boi privileges --out cdktf.out          # print the verdicts, exit 1 on a violation
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import re
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from boi_iam import actiondb
from boi_iam import escalation as esc
from boi_iam.extract import extract_policies
from boi_iam.guardrails import AUDIT_SERVICES, TRIAGE_ACTIONS
from boi_iam.protect import categories, service_mutations
from boi_kms.policy import MAINTENANCE_ACTIONS
from boi_model.refs import resolve_text
from boi_model.synth import as_synth

from boi import managed_policies
from boi.proofs import Proofs, load_matrix

PROTECTED_ASSETS_KEY = "boi_protected_assets"
CLASS_OF = {
    ("pii", "data_read"): "pii-read",
    ("pii", "data_write"): "pii-write",
    ("pii", "control"): "pii-change",
    ("audit", "data_read"): "audit-read",
    ("audit", "data_write"): "audit-write",
    ("audit", "control"): "audit-change",
    ("path", "data_read"): "path-use",
    ("path", "data_write"): "path-use",
    ("path", "control"): "path-change",
}
CLASSES = ("data", *dict.fromkeys(CLASS_OF.values()), "audit-service", "identity", "key", "events", "platform-change")
# Classes whose reach means PII or a blind audit: the headline of the document.
PII_CLASSES = ("data", "pii-read", "pii-write")
# Resource types whose unprotected instances are checked for who may change them (platform-change).
UNPROTECTED_TYPES = {
    "aws_s3_bucket": "s3:bucket",
    "aws_cloudfront_distribution": "cloudfront:distribution",
    "aws_wafv2_web_acl": "wafv2:webacl",
    "aws_route53_zone": "route53:hostedzone",
    "aws_acm_certificate": "acm:certificate",
    "aws_sqs_queue": "sqs:queue",
    "aws_lambda_function": "lambda:function",
    "aws_dynamodb_table": "dynamodb:table",
}
AUDIT_CLASSES = ("audit-write", "audit-change", "audit-service")


class PrivilegesError(ValueError):
    """The matrix's privileges section names something that does not exist or lacks a control."""


@dataclass(frozen=True)
class AcceptedPath:
    principal: str
    kinds: tuple[str, ...]
    to: tuple[str, ...]  # node name patterns
    control: str
    reviewer: str

    def covers(self, principal: str, path: list[esc.Edge]) -> bool:
        return (
            principal == self.principal
            and bool(path)
            and all(e.kind in self.kinds and any(fnmatch.fnmatchcase(e.target, t) for t in self.to) for e in path)
        )


@dataclass
class Privileges:
    base: dict[str, dict]
    accepted: list[AcceptedPath]
    holders: dict[str, dict[str, str]]  # class -> principal -> ARN pattern of what it may touch ("*": all)


def load_privileges(matrix: dict, role_names: set[str]) -> Privileges:
    """The `privileges` section (its shape checked with the matrix, boi_iam.catalog.AccessMatrix) against
    the synthesized roles and the outcome classes; every problem at once."""
    section = matrix.get("privileges")
    if not isinstance(section, dict):
        raise PrivilegesError("matrix.privileges: missing; it names the trusted base and the accepted paths")
    problems: list[str] = []
    base = section.get("trusted_base") or {}
    for name in base:
        if name not in role_names:
            problems.append(f"matrix.privileges.trusted_base.{name}: no such role; roles: {sorted(role_names)}")
    accepted = []
    for i, entry in enumerate(section.get("accepted_paths") or []):
        if entry["principal"] not in role_names:
            problems.append(
                f"matrix.privileges.accepted_paths[{i}].principal: {entry['principal']!r} is not a role; "
                f"roles: {sorted(role_names)}"
            )
        accepted.append(
            AcceptedPath(
                entry["principal"], tuple(entry["kinds"]), tuple(entry["to"]), entry["control"], entry["reviewer"]
            )
        )
    holders = {}
    for cls, who in (section.get("holders") or {}).items():
        if cls not in CLASSES:
            problems.append(f"matrix.privileges.holders.{cls}: unknown outcome class; known: {list(CLASSES)}")
            continue
        for principal in who or {}:
            if principal not in role_names:
                problems.append(f"matrix.privileges.holders.{cls}.{principal}: no such role")
        holders[cls] = dict(who or {})
    if problems:
        raise PrivilegesError("\n".join(problems))
    return Privileges(base, accepted, holders)


# ---- outcomes -------------------------------------------------------------------------------------------


def _template_regex(template: str) -> re.Pattern:
    parts = re.split(r"\$\{[^}]+\}|\*", template)
    return re.compile("^" + ".+".join(re.escape(p) for p in parts) + "$")


def _concrete(pattern: str, iam_type: str, known: list[str], account: str, region: str) -> list[str]:
    """Instances of an ARN pattern of an IAM resource type: the synthesized resources it covers, else one
    made-up resource in the shape the service reference gives that type."""
    service, _, rtype = iam_type.partition(":")
    template = actiondb.load().arn_template(service, rtype)
    shapes = [(t, _template_regex(t)) for t in template.split(", ")]
    if "*" not in pattern:
        return [pattern]
    hits = sorted(a for a in known if fnmatch.fnmatchcase(a, pattern) and any(s.match(a) for _, s in shapes))
    if hits:
        return hits
    fill = {"Partition": "aws", "Region": region, "Account": account}
    for shape_text, shape in shapes:
        made = re.sub(r"\$\{([^}]+)\}", lambda m: fill.get(m.group(1), esc.PROBE), shape_text).replace("*", account)
        head, _, tail = pattern.rpartition("*")
        guesses = [head.replace("*", esc.PROBE) + "/".join([esc.PROBE] * n) + tail for n in (1, 2, 3)]
        for candidate in (*guesses, made):
            if shape.match(candidate) and fnmatch.fnmatchcase(candidate, pattern):
                return [candidate]
    raise PrivilegesError(
        f"protected asset part {iam_type} {pattern!r}: no resource of the shape {template} "
        "matches it; check the registry entry"
    )


def _favourable(policy: dict | None) -> dict:
    """Context values a caller would supply to pass the resource policy's guard denies (the right
    encryption header, the right key, TLS 1.3): the analysis asks what is possible, not what is sloppy."""
    ctx = {"s3:TlsVersion": "1.3"}
    for st in (policy or {}).get("Statement", []):
        if st.get("Effect") != "Deny":
            continue
        for operator, block in (st.get("Condition") or {}).items():
            if operator.startswith(("StringNotEquals", "ArnNotEquals", "ArnNotLike", "StringNotLike")):
                for key, value in block.items():
                    if not key.lower().startswith("aws:principal") and not key.lower().startswith("aws:source"):
                        ctx.setdefault(key, value[0] if isinstance(value, list) else value)
    return ctx


class Outcomes:
    """Everything sensitive in one environment's synthesized JSON."""

    def __init__(self, synth: dict[str, dict], proofs: Proofs) -> None:
        self.synth, self.proofs = synth, proofs
        self.policies = proofs.policies
        self.a, self.r = proofs.account, proofs.region
        self.registry = self._registry()
        self.known_arns = self._known_arns()

    def _registry(self) -> list[dict]:
        found = [
            body["//"][PROTECTED_ASSETS_KEY]
            for body in self.synth.values()
            if PROTECTED_ASSETS_KEY in (body.get("//") or {})
        ]
        if len(found) != 1:
            raise PrivilegesError(
                f"expected the protected-asset registry in one stack's '//' metadata, found it in {len(found)}"
            )
        return found[0]

    def _known_arns(self) -> list[str]:
        arns = [p.target for p in self.policies.policies if p.target]
        arns += [v.arn for v in self.policies.roles()]
        return sorted(set(arns))

    def resource_policy(self, arn: str) -> dict | None:
        target = arn.split("/", 1)[0] if arn.startswith("arn:aws:s3:::") else arn
        found = [p.document for p in self.policies.for_target(target) if p.kind in ("resource", "key")]
        return found[0] if found else None

    def data(self) -> list[esc.Outcome]:
        """The reviewed matrix: every asset x operation, with the context of a real call."""
        out = []
        for asset_name, asset in self.proofs.matrix["assets"].items():
            arn = self.proofs.resource_arn(asset)
            for label, action, via in self.proofs.operations(asset):
                out.append(
                    esc.Outcome(
                        "data",
                        asset_name,
                        action,
                        arn,
                        self.proofs.resource_policy(asset, arn),
                        self.proofs.context(asset, action, via),
                        ref=label,
                    )
                )
        return out

    def registry_outcomes(self) -> list[esc.Outcome]:
        out = []
        for entry in self.registry:
            for part in entry["parts"]:
                cats = categories(part["iam_type"])
                for arn in _concrete(part["arn"], part["iam_type"], self.known_arns, self.a, self.r):
                    policy = self.resource_policy(arn)
                    ctx = _favourable(policy)
                    for category in ("data_read", "data_write", "control"):
                        cls = CLASS_OF[(entry["class"], category)]
                        for action in cats[category]:
                            out.append(
                                esc.Outcome(
                                    cls,
                                    entry["name"],
                                    action,
                                    arn,
                                    policy,
                                    # From inside the VPC: the perimeter does not hide a path there.
                                    {**ctx, **self.proofs.inside(action)},
                                    ref=part["arn"],
                                    iam_type=part["iam_type"],
                                )
                            )
        return out

    def audit_services(self) -> list[esc.Outcome]:
        actions = [a for s in AUDIT_SERVICES for a in service_mutations(s, except_actions=TRIAGE_ACTIONS)]
        return [esc.Outcome("audit-service", a.split(":")[0], a, "*") for a in actions]

    def identity(self) -> list[esc.Outcome]:
        out = []
        # Passing is a step of a path, not a change; service-linked-role calls touch only AWS's own roles.
        role_actions = [
            a for a in categories("iam:role")["control"] if a != "iam:PassRole" and "ServiceLinkedRole" not in a
        ]
        for view in self.policies.roles():
            out += [esc.Outcome("identity", view.name, a, view.arn) for a in role_actions]
        for policy in self.policies.policies:
            if policy.arn and policy.owner.address.startswith("aws_iam_policy."):
                out += [
                    esc.Outcome("identity", policy.arn.rsplit("/", 1)[-1], a, policy.arn)
                    for a in categories("iam:policy")["control"]
                ]
        return out

    def keys(self) -> list[esc.Outcome]:
        out = []
        destructive = [
            a for a in categories("kms:key")["control"] if a not in MAINTENANCE_ACTIONS and a != "kms:CreateGrant"
        ]
        for policy in self.policies.of_kind("key"):
            for action in destructive:
                out.append(esc.Outcome("key", policy.target, action, policy.target, policy.document))
            out.append(
                esc.Outcome(
                    "key",
                    policy.target,
                    "kms:CreateGrant",
                    policy.target,
                    policy.document,
                    {"kms:GrantIsForAWSResource": "false"},
                )
            )
        return out

    def events(self) -> list[esc.Outcome]:
        out = []
        buses = [p for p in self.policies.of_kind("resource") if ":event-bus/" in (p.target or "")]
        for policy in buses:
            for source in sorted(self.sources()):
                out.append(
                    esc.Outcome(
                        "events",
                        source,
                        "events:PutEvents",
                        policy.target,
                        policy.document,
                        {"events:source": source, **self.proofs.inside("events:PutEvents")},
                    )
                )
        return out

    def sources(self) -> set[str]:
        """Event sources the platform uses: in rule patterns and in publishers' conditions."""
        found = set()
        for _, _, rule in _resources(self.synth, "aws_cloudwatch_event_rule"):
            pattern = json.loads(rule.get("event_pattern") or "{}")
            found.update(s for s in pattern.get("source", []) if isinstance(s, str) and s.startswith("boi."))
        for policy in self.policies.of_kind("identity"):
            for st in policy.document.get("Statement", []):
                for block in (st.get("Condition") or {}).values():
                    value = block.get("events:source") if isinstance(block, dict) else None
                    found.update(v for v in ([value] if isinstance(value, str) else value or []))
        return found

    def platform_change(self) -> list[esc.Outcome]:
        """Control of every other resource of a type the platform could be hurt through (the web front,
        certificates, DNS, the rest): nobody but the operators and the deployer may change it."""
        patterns = [p["arn"] for e in self.registry for p in e["parts"]]
        out = []
        for rtype, iam_type in UNPROTECTED_TYPES.items():
            for stack, name, _ in _resources(self.synth, rtype):
                arn = resolve_text(self.synth, stack, f"${{{rtype}.{name}.arn}}", account_id=self.a, region=self.r)
                if any(fnmatch.fnmatchcase(arn, p) for p in patterns):
                    continue
                out += [
                    esc.Outcome(
                        "platform-change", f"{rtype}.{name}", a, arn, self.resource_policy(arn), iam_type=iam_type
                    )
                    for a in categories(iam_type)["control"]
                ]
        return out

    def all(self) -> list[esc.Outcome]:
        return [
            *self.data(),
            *self.registry_outcomes(),
            *self.audit_services(),
            *self.identity(),
            *self.keys(),
            *self.events(),
            *self.platform_change(),
        ]


def _resources(synth: dict[str, dict], rtype: str):
    for r in as_synth(synth).resources(rtype):
        yield r.stack, r.name, r.body


# ---- verdicts -------------------------------------------------------------------------------------------


@dataclass
class Verdict:
    principal: str
    outcome: esc.Outcome
    path: list[esc.Edge]
    holder: str
    verdict: str  # expected | accepted | violation
    note: str = ""


@dataclass
class Result:
    env: str
    simulations: int
    skipped: int
    seconds: float
    verdicts: list[Verdict] = field(default_factory=list)
    base: dict = field(default_factory=dict)
    accepted: list[AcceptedPath] = field(default_factory=list)
    edges: list[esc.Edge] = field(default_factory=list)
    nodes: list[str] = field(default_factory=list)
    outcomes: int = 0

    @property
    def violations(self) -> list[Verdict]:
        return [v for v in self.verdicts if v.verdict == "violation"]

    def summary(self) -> list[str]:
        return [
            f"{v.principal} reaches {v.outcome.cls} {v.outcome.action} on {v.outcome.target} "
            f"({v.outcome.resource}) via {' → '.join(f'{e.kind}: {e.target} [{e.via}]' for e in v.path) or 'direct'}"
            for v in self.violations
        ]

    def to_json(self) -> dict:
        grouped: dict[tuple, dict] = {}
        for v in self.verdicts:
            if v.verdict == "expected" and not v.path:
                continue  # a principal's own expected access is the access matrix, reported there
            key = (v.principal, v.outcome.cls, v.outcome.target, tuple((e.kind, e.target) for e in v.path), v.verdict)
            row = grouped.setdefault(
                key,
                {
                    "principal": v.principal,
                    "class": v.outcome.cls,
                    "target": v.outcome.target,
                    "path": [{"kind": e.kind, "to": e.target, "via": e.via} for e in v.path],
                    "holder": v.holder,
                    "verdict": v.verdict,
                    "note": v.note,
                    "actions": [],
                },
            )
            if v.outcome.action not in row["actions"]:
                row["actions"].append(v.outcome.action)
        return {
            "environment": self.env,
            "simulations": self.simulations,
            "skipped_without_allow": self.skipped,
            "seconds": round(self.seconds, 2),
            "rate_per_second": round(self.simulations / self.seconds) if self.seconds else None,
            "outcomes": self.outcomes,
            "nodes": self.nodes,
            "edges": [{"from": e.source, "to": e.target, "kind": e.kind, "via": e.via} for e in self.edges],
            "trusted_base": self.base,
            "accepted_paths": [a.__dict__ | {"kinds": list(a.kinds), "to": list(a.to)} for a in self.accepted],
            "reach": sorted(
                grouped.values(), key=lambda r: (r["verdict"] != "violation", r["principal"], r["class"], r["target"])
            ),
            "violations": self.summary(),
        }


class Judge:
    """Who may hold each outcome: the matrix, the registry's named principals, the privileges section."""

    def __init__(self, proofs: Proofs, outcomes: Outcomes, privileges: Privileges, short) -> None:
        self.proofs, self.outcomes, self.privileges, self.short = proofs, outcomes, privileges, short
        self.arn_of = {short(v.name): v.arn for v in proofs.policies.roles()}
        self.registry = {(e["name"], p["arn"]): e for e in outcomes.registry for p in e["parts"]}
        self.matrix_arns = {name: proofs.resource_arn(asset) for name, asset in proofs.matrix["assets"].items()}

    def matrix_allows(self, principal: str, asset: str, operation: str) -> bool:
        return operation in self.proofs.matrix["allow"].get(principal, {}).get(asset, [])

    def _named(self, holder_arn: str | None, patterns) -> bool:
        return bool(holder_arn) and any(fnmatch.fnmatchcase(holder_arn, p) for p in patterns)

    def expected(self, principal: str, outcome: esc.Outcome) -> bool:
        arn = self.arn_of.get(principal)
        cls = outcome.cls
        extra = self.privileges.holders.get(cls, {})
        if principal in extra and fnmatch.fnmatchcase(outcome.resource, extra[principal]):
            return True
        if cls == "data":
            return self.matrix_allows(principal, outcome.target, outcome.ref)
        if cls in CLASS_OF.values():
            entry = self.registry[(outcome.target, outcome.ref)]
            category = {"read": "readers", "write": "writers", "use": "writers", "change": "managers"}[
                cls.split("-")[1]
            ]
            # Whoever may change a way in may also use it.
            named = entry[category] + (entry["readers"] + entry["managers"] if cls == "path-use" else [])
            if self._named(arn, named):
                return True
            # A workload's own data access is the matrix's to decide, at the grain of its operations.
            return cls.endswith(("read", "write", "use")) and self._matrix_covers(principal, outcome)
        if cls == "events":
            service = outcome.target.removeprefix("boi.")
            return principal in (f"{service}-task", f"{service}-execution")
        return False

    def _matrix_covers(self, principal: str, outcome: esc.Outcome) -> bool:
        for asset_name, ops in self.proofs.matrix["allow"].get(principal, {}).items():
            if not fnmatch.fnmatchcase(self.matrix_arns[asset_name], outcome.ref):
                continue
            kinds = self.proofs.matrix["operations"][self.proofs.matrix["assets"][asset_name]["type"]]
            if any(outcome.action in kinds.get(op.split("@")[0], []) for op in ops):
                return True
        return False

    def judge(self, reach: esc.Reach) -> Verdict:
        p, o = reach.principal, reach.outcome
        if self.expected(p, o):
            return Verdict(p, o, reach.path, reach.holder, "expected")
        for accepted in self.privileges.accepted:
            if accepted.covers(p, reach.path):
                return Verdict(p, o, reach.path, reach.holder, "accepted", accepted.control)
        return Verdict(p, o, reach.path, reach.holder, "violation")


def prove(
    synth: dict[str, dict], env, simulator, *, evaluator: esc.Evaluator | None = None, matrix: dict | None = None
) -> Result:
    """Run the escalation proofs of one environment."""
    started = time.perf_counter()
    policies = extract_policies(synth, account_id=env.account_id, region=env.region)
    matrix = matrix if matrix is not None else load_matrix(env)
    proofs = Proofs(synth, policies, matrix, prefix=env.prefix, account_id=env.account_id, region=env.region)

    def short(name: str) -> str:
        return name.removeprefix(env.prefix + "-")

    outcomes = Outcomes(synth, proofs)
    privileges = load_privileges(matrix, {short(v.name) for v in policies.roles()})
    model = esc.Model(
        synth,
        policies,
        account_id=env.account_id,
        region=env.region,
        managed=managed_policies.load(),
        outcomes=outcomes.all(),
        base=privileges.base,
        names=short,
    )
    evaluator = evaluator or esc.Evaluator(lambda reqs: _run(simulator, reqs))
    analysis = esc.analyse(model, evaluator, candidates=esc.role_candidates, skip_nodes=privileges.base)
    judge = Judge(proofs, outcomes, privileges, short)
    result = Result(
        env.name,
        analysis.simulations,
        analysis.skipped,
        0.0,
        base=privileges.base,
        accepted=privileges.accepted,
        edges=analysis.edges,
        nodes=sorted(analysis.nodes),
        outcomes=len(model.outcomes),
    )
    for principal in sorted(model.nodes):
        if principal in privileges.base:
            continue
        for target, path in analysis.closure(principal).items():
            if target in privileges.base and target != principal:
                edge_kinds = " → ".join(e.kind for e in path)
                result.verdicts.append(
                    Verdict(
                        principal,
                        esc.Outcome("identity", target, "become", model.nodes[target].arn),
                        path,
                        target,
                        "violation",
                        f"becomes a trusted-base member ({edge_kinds})",
                    )
                )
        for reach in analysis.reaches(principal):
            result.verdicts.append(judge.judge(reach))
    result.seconds = time.perf_counter() - started
    return result


def _run(simulator, requests: list[dict]) -> list[bool]:
    """Simulate; requests whose ARN could mean several resource types go again, as the type they mean."""
    hints = [r.pop(esc.TYPE_HINT, None) for r in requests]
    results = simulator.run_many(requests, mode="fast")
    retry = [
        i
        for i, r in enumerate(results)
        if r.decision == "Error"
        and hints[i]
        and (r.errors or {}).get("message") in ("multiple.resource.types", "no.resource.types")
    ]
    if retry:
        typed = simulator.run_many([requests[i] for i in retry], mode="typed", resource_types=[hints[i] for i in retry])
        for i, result in zip(retry, typed, strict=True):
            results[i] = result
    # Encryption-context values (the PII key's record_type) are evaluated only by the direct route.
    context = [
        i for i, r in enumerate(results) if any(k.startswith("kms:EncryptionContext:") for k in r.ignored_context_keys)
    ]
    if context:
        direct = simulator.run_many([requests[i] for i in context], mode="direct")
        for i, result in zip(context, direct, strict=True):
            results[i] = result
    for request, hint in zip(requests, hints, strict=True):
        if hint:
            request[esc.TYPE_HINT] = hint
    return _complete(requests, results)


def _complete(requests: list[dict], results) -> list[bool]:
    """Refuse any verdict the simulator could not fully evaluate, naming the request."""
    from boi_iam.simulate import IncompleteVerdictError, require_complete

    out = []
    for request, result in zip(requests, results, strict=True):
        try:
            out.append(require_complete(result).allowed)
        except IncompleteVerdictError as exc:
            r = request["request"]
            raise IncompleteVerdictError(
                f"{r['principal']} {r['action']} on {r['resource']['resource']}: {exc}"
            ) from None
    return out


# ---- the document's first section ---------------------------------------------------------------------


def _join(items, limit: int = 6) -> str:
    items = list(dict.fromkeys(items))
    shown = ", ".join(items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")


def render_privileged_access(result: Result) -> list[str]:
    """Markdown: who can reach PII and who can change identities, keys and the audit, from the proofs."""
    out = [
        "## Privileged access: who can reach PII, and who can change IAM, keys and the audit",
        "",
        f"Proven by the escalation proofs (`boi.privileges`) on this synthesized JSON: {result.outcomes} sensitive "
        f"outcomes for {len(result.nodes)} principals ({len(result.nodes) - len(result.base)} analysed, including "
        f"the roles a principal could create or rewrite), {result.simulations} simulations. Every path by which a "
        "principal can become another is followed: assume a role, pass it to code it runs, change a function's "
        "code, open a shell in a task, rewrite a role's trust or policies, create a role or user. Whatever a "
        "principal reaches outside this table and the access matrix fails the tests.",
        "",
        "| principal | reaches | how | control | reviewer |",
        "|---|---|---|---|---|",
    ]
    for name, entry in result.base.items():
        out.append(
            f"| **{name}** (trusted base) | everything: admin-equivalent by necessity ({entry.get('why', '')}) "
            f"| by design | {' '.join(str(entry['control']).split())} | {entry['reviewer']} |"
        )
    accepted: dict[str, dict] = {}
    for v in result.verdicts:
        if v.verdict != "accepted":
            continue
        row = accepted.setdefault(v.principal, {"classes": {}, "paths": {}, "note": v.note})
        row["classes"].setdefault(v.outcome.cls, set()).add(v.outcome.target)
        first = v.path[0]
        row["paths"][(first.kind, first.target)] = first.via
    reviewers = {a.principal: a.reviewer for a in result.accepted}
    for principal, row in sorted(accepted.items()):
        reaches = "; ".join(f"{cls}: {_join(sorted(t))}" for cls, t in sorted(row["classes"].items()))
        by_kind: dict[str, list[str]] = {}
        for kind, target in sorted(row["paths"]):
            by_kind.setdefault(kind, []).append(target)
        how = "; ".join(f"{kind} → {_join(targets, 8)}" for kind, targets in by_kind.items())
        out.append(
            f"| **{principal}** | {reaches} | {how} | {' '.join(row['note'].split())} | "
            f"{reviewers.get(principal, '')} |"
        )
    out += [
        "",
        "### Effective access per sensitive asset",
        "",
        "Read from the simulator's verdicts: for each store or key of PII, the principals that reach it with "
        "their own permissions, and those that reach it only by becoming another principal (how the path "
        "starts, in brackets). The trusted base reaches everything and is not repeated.",
        "",
        "| asset | directly | through a path |",
        "|---|---|---|",
    ]
    assets: dict[str, tuple[set, dict[str, set]]] = {}
    for v in result.verdicts:
        if v.outcome.cls not in PII_CLASSES or v.verdict == "violation" or v.principal in result.base:
            continue
        direct, paths = assets.setdefault(v.outcome.target, (set(), {}))
        if v.path:
            paths.setdefault(v.principal, set()).add(v.path[0].kind)
        else:
            direct.add(v.principal)
    for asset, (direct, paths) in sorted(assets.items()):
        through = "; ".join(f"{p} ({', '.join(sorted(kinds))})" for p, kinds in sorted(paths.items()))
        out.append(f"| {asset} | {_join(sorted(direct), 8) or 'nobody'} | {through or 'nobody'} |")
    out += [
        "",
        "### Who reads or writes PII directly",
        "",
        "The access matrix (appendix) grants each of these; the data proofs check every other principal is denied.",
        "",
        "| principal | PII it reaches directly |",
        "|---|---|",
    ]
    direct: dict[str, set] = {}
    for v in result.verdicts:
        if not v.path and v.verdict == "expected" and v.outcome.cls in PII_CLASSES:
            direct.setdefault(v.principal, set()).add(v.outcome.target)
    for principal, targets in sorted(direct.items()):
        out.append(f"| {principal} | {_join(sorted(targets), 10)} |")
    out += [
        "",
        "### Who can change data stores, identities, keys, the audit and the way in",
        "",
        "| outcome | who, besides the trusted base (what) |",
        "|---|---|",
    ]
    holders: dict[str, dict[str, set]] = {}
    for v in result.verdicts:
        if v.outcome.cls in CHANGE_MEANING and v.verdict != "violation":
            who = v.principal + (" (through a path)" if v.path else "")
            target = v.outcome.target.rsplit("/", 1)[-1]
            holders.setdefault(v.outcome.cls, {}).setdefault(who, set()).add(target)
    for cls, text in CHANGE_MEANING.items():
        found = holders.get(cls, {})
        who = "; ".join(f"{p} ({_join(sorted(t), 4)})" for p, t in sorted(found.items())) or "nobody"
        out.append(f"| {text} | {who} |")
    return out + [""]


CHANGE_MEANING = {
    "pii-change": "change, copy or delete a store of PII or the code that reads it",
    "path-change": "change the way in: network, API, user pool, load balancers",
    "identity": "change a role, policy, user or identity provider",
    "key": "re-write a key policy, disable, delete or re-point a key, grant a key to a principal",
    "audit-change": "change the trail, archive, recorder, detectors, alarms, paging or the platform's logs",
    "audit-write": "write into the audit's records (their own deliverers aside)",
    "audit-service": "change CloudTrail, Config, GuardDuty, Security Hub, Macie or Access Analyzer",
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", type=Path, default=Path("cdktf.out"), help="synth output (stacks/*/cdk.tf.json)")
    parser.add_argument("--json", type=Path, help="write the verdicts here")


def run(args: argparse.Namespace) -> int:
    from boi_iam.simulate import Simulator

    from boi.docs import load_out
    from boi.progress import step

    synth = load_out(args.out)
    env = synth.environment()
    with step(f"escalation proofs for {env.name}"), Simulator() as sim:
        result = prove(synth, env, sim)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result.to_json(), indent=1))
    print(
        f"{env.name}: {result.outcomes} outcomes, {len(result.nodes)} principals, "
        f"{result.simulations} simulations in {result.seconds:.1f} s, {len(result.violations)} violations"
    )
    for line in result.summary():
        print(f"  VIOLATION {line}")
    return 1 if result.violations else 0


def main(argv: list[str] | None = None) -> int:
    from boi.cli import run_command

    return run_command("privileges", argv)


if __name__ == "__main__":
    sys.exit(main())
