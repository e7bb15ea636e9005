"""The IAM proof harness: synthesized policies x the reviewed access matrix -> simulator verdicts.

Pure Python around the simulator client; tests/test_iam_proofs.py and boi.privileges run it. Every request carries
the context a real call would (TLS, the KMS service it comes through, encryption-context keys), and
a verdict the simulator could not fully evaluate is refused, never counted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fnmatch import fnmatchcase

from boi_iam.escalation import relevant
from boi_iam.extract import PolicySet, RoleView
from boi_iam.simulate import ANONYMOUS, SimResult, simulation
from boi_model.policies import CREDENTIALS_PERIMETER_SID, IDENTITY_PERIMETER_SID, NETWORK_PERIMETER_SID
from boi_model.refs import resolve_text
from boi_model.synth import as_synth

from boi import managed_policies
from boi.docs import load_access_matrix

# The services each key class may be used through, taken from the key policies' ViaService values.
VIA = ("s3", "sqs", "events", "dynamodb", "rds", "secretsmanager", "lambda", "logs")
FOREIGN_ACCOUNT = "999988887777"


@dataclass(frozen=True)
class Case:
    principal: str  # matrix name, "anonymous" or "foreign-account"
    asset: str
    operation: str  # e.g. "read", "decrypt@s3"
    action: str
    expected: bool  # True = must be allowed
    request: dict
    # Explicit denies the verdict must name (the perimeter proofs: each layer must hold on its own).
    deny_sids: frozenset[str] = frozenset()
    where: str = "inside"

    @property
    def mode(self) -> str:
        """The simulator route: values of kms:EncryptionContext:<key> only the direct route evaluates."""
        ctx = self.request["request"]["contextVariables"]
        return "direct" if any(k.startswith("kms:EncryptionContext:") for k in ctx) else "fast"


def run_cases(simulator, cases: list[Case]) -> list[SimResult]:
    """Verdicts for the cases in order, each through the route that evaluates its context."""
    results: list[SimResult | None] = [None] * len(cases)
    for mode in ("fast", "direct"):
        picked = [i for i, c in enumerate(cases) if c.mode == mode]
        for i, result in zip(picked, simulator.run_many([cases[i].request for i in picked], mode=mode), strict=True):
            results[i] = result
    return results  # type: ignore[return-value]


def deny_sids(result: SimResult) -> set[str]:
    return {str(r.get("statementId")) for r in result.reasons}


def wrong(case: Case, result: SimResult) -> bool:
    if result.allowed != case.expected:
        return True
    return bool(case.deny_sids - deny_sids(result))


@dataclass(frozen=True)
class Mismatch:
    case: Case
    result: SimResult

    def __str__(self) -> str:
        want = "allowed" if self.case.expected else "denied"
        why = (
            "; ".join(
                f"{r.get('policyType')}:{r.get('policyIdentifier', '')}:{r.get('statementId', '')}"
                for r in self.result.reasons
            )
            or "no statement"
        )
        where = f" from {self.case.where}" if self.case.where != "inside" else ""
        sids = f" by {', '.join(sorted(self.case.deny_sids))}" if self.case.deny_sids else ""
        return (
            f"{self.case.principal} {self.case.operation} {self.case.asset}{where} ({self.case.action}): expected "
            f"{want}{sids}, simulator says {self.result.decision} [{why}]"
        )


def load_matrix(env) -> dict:
    """The reviewed matrix (catalogs/iam/access_matrix.yaml) with the environment's names, checked against
    boi_iam.catalog.AccessMatrix (boi.docs renders it too)."""
    return load_access_matrix(env)


class Proofs:
    """Builds simulator requests for every principal x asset x operation of the matrix."""

    def __init__(
        self, synth: dict[str, dict], policies: PolicySet, matrix: dict, *, prefix: str, account_id: str, region: str
    ) -> None:
        self.synth, self.policies, self.matrix = synth, policies, matrix
        self.prefix, self.account, self.region = prefix, account_id, region
        self.managed = managed_policies.load()
        self.key_by_alias = self._keys_by_alias()
        self.db_resource_id = self._db_resource_id()
        self.vpc_id, self.endpoint_ids = self._network()

    def _network(self) -> tuple[str | None, dict[str, str]]:
        """The VPC and the endpoint of each service (by its IAM prefix): the values a call from inside carries."""
        synth = as_synth(self.synth)

        def resolved(resource, attribute: str) -> str:
            ref = "${" + f"{resource.type}.{resource.name}.{attribute}" + "}"
            return resolve_text(self.synth, resource.stack, ref, account_id=self.account, region=self.region)

        vpcs = [resolved(v, "id") for v in synth.resources("aws_vpc")]
        endpoints = {}
        for endpoint in synth.resources("aws_vpc_endpoint"):
            service = endpoint.body["service_name"].split(".", 3)[-1].split(".")[0]
            endpoints.setdefault(service, resolved(endpoint, "id"))
        return (vpcs[0] if vpcs else None), endpoints

    # -- resources ----------------------------------------------------------------------------------

    def _keys_by_alias(self) -> dict[str, str]:
        out = {}
        for alias in as_synth(self.synth).resources("aws_kms_alias"):
            address = re.search(r"\$\{(aws_kms_key\.[^.]+)\.", alias.body["target_key_id"]).group(1)
            out[alias.body["name"]] = resolve_text(
                self.synth, alias.stack, "${" + address + ".arn}", account_id=self.account, region=self.region
            )
        return out

    def _db_resource_id(self) -> str:
        for db in as_synth(self.synth).resources("aws_db_instance"):
            return resolve_text(
                self.synth,
                db.stack,
                "${aws_db_instance." + db.name + ".resource_id}",
                account_id=self.account,
                region=self.region,
            )
        raise ValueError("no aws_db_instance in the synthesized JSON")

    def resource_arn(self, asset: dict) -> str:
        kind, r, a = asset["type"], self.region, self.account
        if kind == "s3_object":
            return f"arn:aws:s3:::{asset['bucket']}/{asset['key']}"
        if kind == "kms_key":
            return self.key_by_alias[asset["alias"]]
        if kind == "secret":
            return next(
                p.target for p in self.policies.policies if p.target and f":secret:{asset['name']}-" in p.target
            )
        if kind == "sqs_queue":
            return f"arn:aws:sqs:{r}:{a}:{asset['name']}"
        if kind == "dynamodb_table":
            return f"arn:aws:dynamodb:{r}:{a}:table/{asset['name']}"
        if kind == "rds_db_user":
            return f"arn:aws:rds-db:{r}:{a}:dbuser:{self.db_resource_id}/{asset['user']}"
        raise ValueError(f"unknown asset type {kind}")

    def resource_policy(self, asset: dict, arn: str) -> dict | None:
        target = f"arn:aws:s3:::{asset['bucket']}" if asset["type"] == "s3_object" else arn
        found = [p.document for p in self.policies.for_target(target) if p.kind in ("resource", "key")]
        return found[0] if found else None

    # -- requests -----------------------------------------------------------------------------------

    def inside(self, action: str) -> dict:
        """The network context of a call from inside the VPC through the action's endpoint."""
        if not self.vpc_id:
            return {}
        ctx = {"aws:SourceVpc": self.vpc_id}
        service = action.split(":")[0]
        if service in self.endpoint_ids:
            ctx["aws:SourceVpce"] = self.endpoint_ids[service]
        return ctx

    def context(self, asset: dict, action: str, via: str | None, where: str = "inside") -> dict:
        """The context of a real call. `where`: "inside" the VPC (through the service's endpoint; a call an
        AWS service makes for the principal carries aws:ViaAWSService instead) or "outside" (the internet)."""
        ctx: dict = {"aws:SecureTransport": "true"}
        service = action.split(":")[0]
        if via:
            ctx["aws:ViaAWSService"] = "true"
        elif where == "inside":
            ctx.update(self.inside(action))
        elif where == "outside":
            ctx["aws:SourceIp"] = "203.0.113.10"
            ctx["aws:ViaAWSService"] = "false"
        if service == "s3":
            ctx["s3:TlsVersion"] = "1.3"
            if action == "s3:PutObject":
                ctx["s3:x-amz-server-side-encryption"] = "aws:kms"
                ctx["s3:x-amz-server-side-encryption-aws-kms-key-id"] = self.key_by_alias[
                    f"alias/{self.prefix}-documents"
                ]
        if service == "kms":
            ctx["kms:CallerAccount"] = self.account
            if via:
                ctx["kms:ViaService"] = f"{via}.{self.region}.amazonaws.com"
            if asset.get("context_keys") and action in ("kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"):
                ctx["kms:EncryptionContextKeys"] = list(asset["context_keys"])
                for key, value in (asset.get("context") or {}).items():
                    ctx[f"kms:EncryptionContext:{key}"] = value
        return ctx

    def operations(self, asset: dict) -> list[tuple[str, str, str | None]]:
        """(operation label, action, via) for every operation on this asset type."""
        out = []
        for op, actions in self.matrix["operations"][asset["type"]].items():
            crypto = asset["type"] == "kms_key" and op in ("decrypt", "encrypt")
            vias = [None, *VIA] if crypto else [None]
            for via in vias:
                label = f"{op}@{via}" if via else op
                out.extend((label, action, via) for action in actions)
        return out

    def role_request(
        self,
        role: RoleView,
        action: str,
        resource: str,
        asset: dict,
        via: str | None,
        identity_override: list | None = None,
        where: str = "inside",
        principal: str | None = None,
    ) -> dict:
        identity = (
            identity_override if identity_override is not None else [(str(p.owner), p.document) for p in role.identity]
        )
        for arn in role.managed_policy_arns:
            if arn not in self.managed:
                raise ValueError(
                    f"role {role.name}: the content of {arn} is not in boi/data/aws_managed_policies.json; "
                    "refresh it (python -m boi.managed_policies --refresh ...)"
                )
            identity.append((arn, self.managed[arn]))
        boundary = [(str(role.boundary.owner), role.boundary.document)] if role.boundary else None
        # Only the statements that can match the action: the same verdict, a fraction of the text to send.
        identity = [(n, d) for n, d in ((n, relevant(d, action)) for n, d in identity) if d["Statement"]]
        boundary = [(n, relevant(d, action)) for n, d in boundary] if boundary else None
        policy = self.resource_policy(asset, resource)
        policy = relevant(policy, action) if policy else None
        return simulation(
            principal=principal or role.arn,
            action=action,
            resource=resource,
            resource_account=self.account,
            identity_policies=identity,
            boundary_policies=boundary,
            resource_policy=policy if policy and policy["Statement"] else None,
            context=self.context(asset, action, via, where),
        )

    # -- the perimeter ------------------------------------------------------------------------------

    def perimeter_cases(self) -> list[Case]:
        """Every expected allow of a workload, with its credentials used from outside the VPC and by the same
        role name in another account: denied, and by each perimeter layer the matrix says must hold (the
        resource policy's own statement, and the workload boundary's), so removing one layer fails a proof.
        Calls an AWS service makes for the workload (operation@service) are the service's, not the network's;
        the base matrix already denies a KMS operation through any service the row does not name."""
        spec = self.matrix.get("perimeter") or {}
        workloads = spec.get("workloads") or []
        guarded = spec.get("resource_policies") or []
        boundary_services = set(spec.get("boundary_services") or [])
        out = []
        for role in self.policies.roles():
            name = role.name.removeprefix(self.prefix + "-")
            if not any(fnmatchcase(name, pattern) for pattern in workloads):
                continue
            for asset_name, labels in self.matrix["allow"].get(name, {}).items():
                asset = self.matrix["assets"][asset_name]
                if asset["type"] == "rds_db_user":
                    continue  # no network context on rds-db:connect; the database is reachable only from the VPC
                arn = self.resource_arn(asset)
                own_policy = any(fnmatchcase(asset_name, pattern) for pattern in guarded)
                for label, action, via in self.operations(asset):
                    if via or label not in labels:
                        continue
                    outside = set()
                    if own_policy:
                        outside.add(NETWORK_PERIMETER_SID)
                    if role.boundary and action.split(":")[0] in boundary_services:
                        outside.add(CREDENTIALS_PERIMETER_SID)
                    request = self.role_request(role, action, arn, asset, via, where="outside")
                    out.append(Case(name, asset_name, label, action, False, request, frozenset(outside), "outside"))
                    foreign = role.arn.replace(f":{self.account}:", f":{FOREIGN_ACCOUNT}:", 1)
                    request = self.role_request(role, action, arn, asset, via, where="outside", principal=foreign)
                    for key in ("kms:CallerAccount",):
                        if key in request["request"]["contextVariables"]:
                            request["request"]["contextVariables"][key] = FOREIGN_ACCOUNT
                    sids = frozenset({IDENTITY_PERIMETER_SID} if own_policy else ())
                    out.append(Case(name, asset_name, label, action, False, request, sids, "another account"))
        return out

    def cases(self, roles: list[RoleView] | None = None, overrides: dict | None = None) -> list[Case]:
        roles = roles if roles is not None else self.policies.roles()
        overrides = overrides or {}
        out = []
        for role in roles:
            name = role.name.removeprefix(self.prefix + "-")
            allowed = self.matrix["allow"].get(name, {})
            for asset_name, asset in self.matrix["assets"].items():
                arn = self.resource_arn(asset)
                for label, action, via in self.operations(asset):
                    request = self.role_request(role, action, arn, asset, via, overrides.get(role.name))
                    out.append(Case(name, asset_name, label, action, label in allowed.get(asset_name, []), request))
        return out

    def outsider_cases(self) -> list[Case]:
        """Anonymous callers and a foreign account that allows itself everything get nothing."""
        out = []
        foreign_role = f"arn:aws:iam::{FOREIGN_ACCOUNT}:role/attacker"
        everything = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
        for asset_name, asset in self.matrix["assets"].items():
            arn = self.resource_arn(asset)
            for label, action, via in self.operations(asset):
                policy = self.resource_policy(asset, arn)
                context = self.context(asset, action, via)
                if "kms:CallerAccount" in context:
                    context["kms:CallerAccount"] = FOREIGN_ACCOUNT
                out.append(
                    Case(
                        "anonymous",
                        asset_name,
                        label,
                        action,
                        False,
                        simulation(
                            principal=ANONYMOUS,
                            action=action,
                            resource=arn,
                            resource_account=self.account,
                            resource_policy=policy,
                            context={k: v for k, v in context.items() if k != "kms:CallerAccount"},
                        ),
                    )
                )
                out.append(
                    Case(
                        "foreign-account",
                        asset_name,
                        label,
                        action,
                        False,
                        simulation(
                            principal=foreign_role,
                            action=action,
                            resource=arn,
                            resource_account=self.account,
                            identity_policies=[("foreign-admin", everything)],
                            resource_policy=policy,
                            context=context,
                        ),
                    )
                )
        return out


def run_access_proofs(stacks, simulator=None) -> dict:
    """The access-matrix proofs of a synth as a verdict (what `make evidence` records): every role's and
    every outsider's operation on every sensitive asset, simulated and compared with the matrix. A verdict
    the simulator could not fully evaluate counts as a failure, never as a pass. Raises
    boi_iam.simulate.SimulatorError when the simulator cannot run."""
    import time

    from boi_iam.extract import extract_policies
    from boi_iam.simulate import IncompleteVerdictError, Simulator, require_complete
    from boi_model.synth import digest

    synth = as_synth(stacks)
    env = synth.environment()
    policies = extract_policies(synth, account_id=env.account_id, region=env.region)
    proofs = Proofs(synth, policies, load_matrix(env), prefix=env.prefix, account_id=env.account_id, region=env.region)
    cases = [*proofs.cases(), *proofs.outsider_cases()]
    started = time.perf_counter()
    if simulator is None:
        with Simulator() as sim:
            results = run_cases(sim, cases)
    else:
        results = run_cases(simulator, cases)
    mismatches, incomplete = [], []
    for case, result in zip(cases, results, strict=True):
        try:
            require_complete(result)
        except IncompleteVerdictError as err:
            incomplete.append(f"{case.principal} {case.operation} {case.asset} ({case.action}): {err}")
            continue
        if result.allowed != case.expected:
            mismatches.append(str(Mismatch(case, result)))
    return {
        "verdict": "passed" if cases and not mismatches and not incomplete else "failed",
        "simulations": len(cases),
        "expected_allows": sum(c.expected for c in cases),
        "mismatches": mismatches,
        "incomplete": incomplete,
        "seconds": round(time.perf_counter() - started, 2),
        "environment": env.name,
        "synth_digest": digest(synth),
    }
