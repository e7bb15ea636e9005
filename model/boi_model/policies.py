"""Policy statements in canonical form, and the coverage logic the review and the live audit share.

- `Stmt`, `normalize_statement`, `statements_of`, `covers`: does one statement grant everything another
  does (the review's "permissions broadened");
- `normalize_policy`, `policy_differences`: what differs between a planned and a live document.

Pure.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache, lru_cache


@dataclass(frozen=True)
class Stmt:
    """A policy statement in canonical form. Equality ignores the Sid: matching is by content."""

    effect: str
    actions: tuple[str, ...] = ()
    not_actions: tuple[str, ...] = ()
    resources: tuple[str, ...] = ()
    not_resources: tuple[str, ...] = ()
    principals: tuple[str, ...] = ()  # "AWS:arn:...", "Service:x.amazonaws.com"
    not_principals: tuple[str, ...] = ()
    conditions: tuple[tuple[str, str, tuple[str, ...]], ...] = ()  # (operator, key, values)
    sid: str = field(default="", compare=False)


def _strings(value) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list):
        return [str(v) for v in value]
    return [str(value)]


def _principals(value) -> tuple[str, ...]:
    if value is None:
        return ()
    if value == "*":
        return ("AWS:*",)
    if isinstance(value, dict):
        return tuple(sorted(f"{kind}:{v}" for kind, vals in value.items() for v in _strings(vals)))
    return tuple(sorted(f"AWS:{v}" for v in _strings(value)))


def normalize_statement(raw: Mapping) -> Stmt:
    conditions = []
    for op, by_key in (raw.get("Condition") or {}).items():
        for key, values in (by_key or {}).items():
            conditions.append((op, key.lower(), tuple(sorted(_strings(values)))))
    return Stmt(
        effect=str(raw.get("Effect", "Allow")),
        actions=tuple(sorted({a.lower() for a in _strings(raw.get("Action"))})),
        not_actions=tuple(sorted({a.lower() for a in _strings(raw.get("NotAction"))})),
        resources=tuple(sorted(set(_strings(raw.get("Resource"))))),
        not_resources=tuple(sorted(set(_strings(raw.get("NotResource"))))),
        principals=_principals(raw.get("Principal")),
        not_principals=_principals(raw.get("NotPrincipal")),
        conditions=tuple(sorted(conditions)),
        sid=str(raw.get("Sid", "")),
    )


def statements_of(document: Mapping) -> list[Stmt]:
    raw = document.get("Statement") or []
    return [normalize_statement(s) for s in (raw if isinstance(raw, list) else [raw]) if isinstance(s, dict)]


@lru_cache(maxsize=65536)
def glob_covers(big: str, small: str) -> bool:
    """Every string matched by glob `small` is matched by glob `big` (IAM wildcards `*` and `?`).

    Sound, not complete: a `*` in `small` is only covered by a `*` in `big`."""

    @cache
    def walk(i: int, j: int) -> bool:
        if i == len(big):
            return j == len(small)
        if big[i] == "*":
            return walk(i + 1, j) or (j < len(small) and walk(i, j + 1))
        if j == len(small):
            return False
        if big[i] == "?":
            return small[j] != "*" and walk(i + 1, j + 1)
        return small[j] == big[i] and walk(i + 1, j + 1)

    return walk(0, 0)


def _all_covered(big: Iterable[str], small: Iterable[str]) -> bool:
    big = list(big)
    return all(any(glob_covers(b, s) for b in big) for s in small)


def _principals_covered(big: tuple[str, ...], small: tuple[str, ...]) -> bool:
    def split(p: str) -> tuple[str, str]:
        kind, _, value = p.partition(":")
        return kind, value

    for s in small:
        kind, value = split(s)
        if not any(bk == kind and glob_covers(bv, value) for bk, bv in map(split, big)):
            return False
    return True


def covers(big: Stmt, small: Stmt) -> bool:
    """`big` applies to every request `small` applies to (same effect): actions, resources and
    principals of `small` are within `big`'s, and every condition of `big` is also on `small`
    (for positive operators `small` may list fewer values). Not* elements must be equal."""
    if big.effect != small.effect:
        return False
    if (big.not_actions, big.not_resources, big.not_principals) != (
        small.not_actions,
        small.not_resources,
        small.not_principals,
    ):
        return False
    if not (big.actions or big.not_actions) or not _all_covered(big.actions, small.actions):
        return False
    if (big.resources or small.resources) and not _all_covered(big.resources, small.resources):
        return False
    if (big.principals or small.principals) and not _principals_covered(big.principals, small.principals):
        return False
    small_conditions = {(op, key): set(values) for op, key, values in small.conditions}
    for op, key, values in big.conditions:
        mine = small_conditions.get((op, key))
        if mine is None:
            return False
        positive = "Not" not in op and not op.startswith(("Null", "Bool"))
        if not (mine <= set(values) if positive else mine == set(values)):
            return False
    return True


def _norm(value):
    """Order-free form of a policy element: one-element lists are scalars' lists, lists sorted."""
    if isinstance(value, dict):
        return {k: _norm(v) for k, v in sorted(value.items())}
    if isinstance(value, list | tuple):
        items = [_norm(v) for v in value]
        return sorted(items, key=lambda v: json.dumps(v, sort_keys=True))
    return value


def normalize_policy(doc) -> list[dict]:
    """Statements of a policy in a canonical form (lists for Action/Resource/Principal values...)."""
    if isinstance(doc, str):
        doc = json.loads(doc)
    statements = doc.get("Statement", [])
    if isinstance(statements, dict):
        statements = [statements]
    out = []
    for st in statements:
        st = dict(st)
        for key in ("Action", "NotAction", "Resource", "NotResource"):
            if key in st and isinstance(st[key], str):
                st[key] = [st[key]]
        if isinstance(st.get("Principal"), dict):
            st["Principal"] = {k: [v] if isinstance(v, str) else v for k, v in st["Principal"].items()}
        if isinstance(st.get("Condition"), dict):
            st["Condition"] = {
                op: {k: [v] if not isinstance(v, list) else v for k, v in kv.items()}
                for op, kv in st["Condition"].items()
            }
        if st.get("Sid") == "":
            del st["Sid"]
        out.append(_norm(st))
    return sorted(out, key=lambda v: json.dumps(v, sort_keys=True))


def matches(planned, live, wildcard: str) -> bool:
    """A planned value (where `wildcard` stands for any text) matches a live one, lists in any order."""
    if isinstance(planned, str):
        if wildcard not in planned:
            if isinstance(live, bool):
                return planned == str(live).lower()
            return planned == (live if isinstance(live, str) else str(live))
        pattern = "^" + ".*".join(re.escape(p) for p in planned.split(wildcard)) + "$"
        return isinstance(live, str) and re.match(pattern, live, re.S) is not None
    if isinstance(planned, dict):
        return (
            isinstance(live, dict)
            and planned.keys() == live.keys()
            and all(matches(planned[k], live[k], wildcard) for k in planned)
        )
    if isinstance(planned, list):
        if not isinstance(live, list) or len(planned) != len(live):
            return False
        remaining = list(live)
        for item in planned:
            hit = next((i for i, c in enumerate(remaining) if matches(item, c, wildcard)), None)
            if hit is None:
                return False
            remaining.pop(hit)
        return True
    return planned == live


def _label(st: dict) -> str:
    sid = st.get("Sid")
    if sid:
        return f"Sid {sid}"
    return f"{st.get('Effect')} {','.join(st.get('Action') or st.get('NotAction') or [])}"[:120]


def policy_differences(planned_doc, live_doc, wildcard: str = "\x00ANY\x00") -> list[str]:
    """What differs between a planned and a live policy: statements added, missing or changed.
    `wildcard` in a planned value matches any text (a reference nobody could resolve)."""
    planned, live = normalize_policy(planned_doc), normalize_policy(live_doc)
    unmatched_live = list(live)
    missing = []
    for st in planned:
        hit = next((i for i, c in enumerate(unmatched_live) if matches(st, c, wildcard)), None)
        if hit is None:
            missing.append(st)
        else:
            unmatched_live.pop(hit)
    problems = []
    changed = {s.get("Sid") for s in missing if s.get("Sid")} & {s.get("Sid") for s in unmatched_live}
    for sid in sorted(changed):
        problems.append(f"statement Sid {sid} differs from the plan")
    problems += [f"statement not in the plan: {_label(s)}" for s in unmatched_live if s.get("Sid") not in changed]
    problems += [f"planned statement missing: {_label(s)}" for s in missing if s.get("Sid") not in changed]
    return problems


def deny_insecure_transport(resources: list[str] | str, actions: list[str] | str = "s3:*") -> dict:
    """The one TLS-only statement of every resource policy: any request without TLS is denied."""
    return {
        "Sid": "DenyInsecureTransport",
        "Effect": "Deny",
        "Principal": "*",
        "Action": actions,
        "Resource": resources,
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }


# ---- the data perimeter (AWS data-perimeter patterns), written once for every policy that carries it

IDENTITY_PERIMETER_SID = "DenyOutsideIdentityPerimeter"
NETWORK_PERIMETER_SID = "DenyOutsideNetworkPerimeter"
CREDENTIALS_PERIMETER_SID = "DenyWorkloadCredentialsOutsideVpc"
PERIMETER_SIDS = (IDENTITY_PERIMETER_SID, NETWORK_PERIMETER_SID, CREDENTIALS_PERIMETER_SID)
PERIMETER_REASONS = {
    IDENTITY_PERIMETER_SID: "no principal outside the account (or organization) reaches the resource, whatever "
    "an allow says; AWS service principals (CloudTrail, Config, Macie, log delivery) act under their own "
    "confused-deputy conditions",
    NETWORK_PERIMETER_SID: "workload credentials work here only from the platform's VPC endpoints or through an "
    "AWS service acting for the workload (aws:ViaAWSService): stolen task or function credentials are useless "
    "outside the VPC",
    CREDENTIALS_PERIMETER_SID: "the workload's own credentials reach data only from inside the platform's VPC or "
    "through an AWS service acting for it (aws:ViaAWSService), whichever resource they are used on",
}


def _listed(values, what: str) -> list[str]:
    out = [values] if isinstance(values, str) else list(values or ())
    if not out or not all(isinstance(v, str) and v for v in out):
        raise ValueError(f"{what}: expected one or more non-empty strings, got {values!r}")
    return out


def identity_perimeter(
    resources: list[str] | str,
    actions: list[str] | str,
    *,
    account_id: str | None = None,
    organization_id: str | None = None,
) -> dict:
    """Deny every principal outside the account (or, with an organization id, the organization).

    Anonymous callers carry no aws:PrincipalAccount, so the IfExists form denies them too. AWS service
    principals carry none either and are exempt through aws:PrincipalIsAWSService: each is admitted only by an
    allow that names it with its own confused-deputy condition."""
    if bool(account_id) == bool(organization_id):
        raise ValueError("identity_perimeter: give exactly one of account_id or organization_id")
    key, value = ("aws:PrincipalOrgID", organization_id) if organization_id else ("aws:PrincipalAccount", account_id)
    return {
        "Sid": IDENTITY_PERIMETER_SID,
        "Effect": "Deny",
        "Principal": "*",
        "Action": actions,
        "Resource": resources,
        "Condition": {
            "StringNotEqualsIfExists": {key: value},
            "BoolIfExists": {"aws:PrincipalIsAWSService": "false"},
        },
    }


def network_perimeter(
    resources: list[str] | str,
    actions: list[str] | str,
    *,
    principals: list[str] | str,
    source_vpce: list[str] | str | None = None,
    source_vpc: list[str] | str | None = None,
    exempt_principals: list[str] | tuple[str, ...] = (),
) -> dict:
    """Deny the named (workload) principals unless the request comes through one of the given VPC endpoints
    (or from the given VPC) or from an AWS service acting for them.

    `principals` are ARN patterns: the perimeter applies to the credentials a compromised workload could
    leak, not to people, who work from outside the VPC by design. `exempt_principals` are roles whose calls
    here an AWS service makes with their credentials from its own network (a Lambda event source mapping,
    a function's dead-letter delivery), where aws:ViaAWSService is not set."""
    if (source_vpce is None) == (source_vpc is None):
        raise ValueError("network_perimeter: give exactly one of source_vpce or source_vpc")
    key, values = (
        ("aws:SourceVpce", _listed(source_vpce, "source_vpce"))
        if source_vpce is not None
        else ("aws:SourceVpc", _listed(source_vpc, "source_vpc"))
    )
    condition: dict = {
        "ArnLike": {"aws:PrincipalArn": _listed(principals, "principals")},
        "StringNotEqualsIfExists": {key: values},
        "BoolIfExists": {"aws:ViaAWSService": "false"},
    }
    if exempt_principals:
        condition["ArnNotLike"] = {"aws:PrincipalArn": _listed(exempt_principals, "exempt_principals")}
    return {
        "Sid": NETWORK_PERIMETER_SID,
        "Effect": "Deny",
        "Principal": "*",
        "Action": actions,
        "Resource": resources,
        "Condition": condition,
    }


def data_perimeter(
    resources: list[str] | str,
    actions: list[str] | str,
    *,
    principals: list[str] | str,
    account_id: str | None = None,
    organization_id: str | None = None,
    source_vpce: list[str] | str | None = None,
    source_vpc: list[str] | str | None = None,
    exempt_principals: list[str] | tuple[str, ...] = (),
) -> list[dict]:
    """The two perimeter statements of a sensitive resource's policy: identity, then network."""
    return [
        identity_perimeter(resources, actions, account_id=account_id, organization_id=organization_id),
        network_perimeter(
            resources,
            actions,
            principals=principals,
            source_vpce=source_vpce,
            source_vpc=source_vpc,
            exempt_principals=exempt_principals,
        ),
    ]


def credentials_perimeter(actions: list[str], *, source_vpc: list[str] | str) -> dict:
    """The identity-side half (a workload's permission boundary): its credentials reach data only from inside
    the VPC or through an AWS service acting for it, on any resource, ours or anyone's."""
    return {
        "Sid": CREDENTIALS_PERIMETER_SID,
        "Effect": "Deny",
        "Action": _listed(actions, "actions"),
        "Resource": "*",
        "Condition": {
            "StringNotEqualsIfExists": {"aws:SourceVpc": _listed(source_vpc, "source_vpc")},
            "BoolIfExists": {"aws:ViaAWSService": "false"},
        },
    }


def perimeter_statements(document: Mapping) -> dict[str, dict]:
    """Sid -> statement of the perimeter statements a policy document carries."""
    raw = document.get("Statement") or []
    return {
        s["Sid"]: s
        for s in (raw if isinstance(raw, list) else [raw])
        if isinstance(s, dict) and s.get("Sid") in PERIMETER_SIDS
    }
