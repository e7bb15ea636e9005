"""IAM: statements grouped per role and per policy (resource, key, SCP, endpoint, boundary), matched
by content, and the changes between two synths with the broadening verdict."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field

from boi_audit.synth_reading import blocks
from boi_iam.extract import ExtractedPolicy, PolicySet, extract_policies
from boi_kms.synth_reading import keys_from_synth
from boi_model.policies import Stmt, covers, statements_of

from boi.review.model import PolicyDiff, StatementChange

DEFAULT_ACCOUNT, DEFAULT_REGION = "111122223333", "us-east-1"


def synth_environment(synth: Mapping[str, dict]) -> tuple[str, str]:
    """Account and region from the stacks' AWS provider block (placeholders resolve the same way
    on both sides, so their exact value only affects how the report reads)."""
    for stack in sorted(synth):
        for provider in blocks((synth[stack].get("provider") or {}).get("aws")):
            accounts = provider.get("allowed_account_ids") or []
            region = provider.get("region")
            if accounts and re.fullmatch(r"\d{12}", str(accounts[0])) and isinstance(region, str):
                return str(accounts[0]), region
    return DEFAULT_ACCOUNT, DEFAULT_REGION


def _key_labels(synth: Mapping[str, dict], policies: PolicySet) -> dict[str, str]:
    """Placeholder key ARN -> `key(alias/...)`, so statements and groups name keys by alias."""
    aliases = {(k.stack, k.address): k.alias for k in keys_from_synth(dict(synth)) if k.alias}
    labels = {}
    for pol in policies.of_kind("key"):
        alias = aliases.get((pol.owner.stack, pol.owner.address))
        if pol.target and alias:
            labels[pol.target] = f"key({alias})"
    return labels


def _relabel(stmts: list[Stmt], labels: Mapping[str, str]) -> list[Stmt]:
    if not labels:
        return stmts
    pattern = re.compile("|".join(re.escape(k) for k in sorted(labels, key=len, reverse=True)))

    def fix(values: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(sorted(pattern.sub(lambda m: labels[m.group(0)], v) for v in values))

    out = []
    for s in stmts:
        out.append(
            Stmt(
                effect=s.effect,
                actions=s.actions,
                not_actions=s.not_actions,
                resources=fix(s.resources),
                not_resources=fix(s.not_resources),
                principals=fix(s.principals),
                not_principals=fix(s.not_principals),
                conditions=tuple(sorted((op, k, fix(v)) for op, k, v in s.conditions)),
                sid=s.sid,
            )
        )
    return out


@dataclass
class _Group:
    section: str
    subject: str
    part: str
    stacks: set[str] = field(default_factory=set)
    statements: list[Stmt] = field(default_factory=list)
    extras: set[str] = field(default_factory=set)  # attached AWS-managed policy ARNs, boundary ARN
    users: set[str] = field(default_factory=set)  # boundary policies: the roles they bound


BOUNDARY_PART = "permissions boundary policy"


def _groups(synth: Mapping[str, dict], account: str, region: str) -> tuple[dict[tuple, _Group], list[str]]:
    policies = extract_policies(synth, account_id=account, region=region)
    labels = _key_labels(synth, policies)
    groups: dict[tuple, _Group] = {}

    def group(section: str, subject: str, part: str, stack: str) -> _Group:
        g = groups.setdefault((section, subject, part), _Group(section, subject, part))
        g.stacks.add(stack)
        return g

    def add(g: _Group, pol: ExtractedPolicy | None) -> None:
        if pol is not None:
            g.statements += _relabel(statements_of(pol.document), labels)

    in_roles: set[int] = set()
    for role in policies.roles():
        stack = role.owner.stack
        ident = group("role", role.name, "identity policies", stack)
        for pol in role.identity:
            add(ident, pol)
            in_roles.add(id(pol))
        ident.extras |= {f"managed policy {arn}" for arn in role.managed_policy_arns}
        if role.boundary_arn:
            group("role", role.name, "permissions boundary", stack).extras.add(f"boundary {role.boundary_arn}")
        if role.boundary is not None:
            # One group per boundary policy (shared by many roles), not one copy per role.
            shared = group("boundary", role.boundary_arn or str(role.boundary.owner), BOUNDARY_PART, stack)
            if id(role.boundary) not in in_roles:
                add(shared, role.boundary)
                in_roles.add(id(role.boundary))
            shared.users.add(role.name)
        add(group("role", role.name, "trust policy", stack), role.trust)
    for pol in policies.policies:
        stack = pol.owner.stack
        if pol.kind in ("identity", "boundary") and id(pol) not in in_roles:
            add(group("managed", pol.arn or str(pol.owner), f"unattached {pol.kind} policy", stack), pol)
        elif pol.kind == "resource":
            add(group("resource", pol.target or str(pol.owner), "resource policy", stack), pol)
        elif pol.kind == "key":
            add(
                group("key", labels.get(pol.target or "", pol.target or str(pol.owner)), "key policy", stack),
                pol,
            )
        elif pol.kind in ("scp", "rcp"):
            body = (synth[stack].get("resource") or {}).get("aws_organizations_policy", {})
            name = (body.get(pol.owner.address.split(".", 1)[1]) or {}).get("name") or str(pol.owner)
            add(group(pol.kind, str(name), pol.kind.upper(), stack), pol)
        elif pol.kind == "endpoint":
            add(group("endpoint", str(pol.owner), "endpoint policy", stack), pol)
    # Roles without a boundary or policies leave empty groups: drop those.
    groups = {k: g for k, g in groups.items() if g.statements or g.extras}
    return groups, list(policies.warnings)


def _shares_action(a: Stmt, b: Stmt) -> bool:
    return a.effect == b.effect and bool(set(a.actions) & set(b.actions) or set(a.not_actions) & set(b.not_actions))


def diff_statements(before: list[Stmt], after: list[Stmt], *, inert: bool = False) -> list[StatementChange]:
    """Content-matched +/- statements; `broadens` says why an added Allow or removed Deny widens.
    inert: the principal itself is gone (or the policy is attached to nothing), so no
    statement change can widen what anyone may do."""
    b_count, a_count = Counter(before), Counter(after)
    added = list((a_count - b_count).elements())
    removed = list((b_count - a_count).elements())
    changes = []
    for s in removed:
        why = ""
        if s.effect == "Deny" and not inert and not any(covers(a, s) for a in after):
            narrowed = any(_shares_action(a, s) for a in added)
            why = "Deny narrowed" if narrowed else "Deny removed"
        changes.append(StatementChange("-", s, why))
    for s in added:
        why = ""
        if s.effect == "Allow" and not inert and not any(covers(b, s) for b in before):
            widened = any(_shares_action(b, s) for b in removed)
            why = "Allow widened" if widened else "Allow added"
        changes.append(StatementChange("+", s, why))
    return changes


def _boundary_widened(b_groups: dict, a_groups: dict, old_arn: str, new_arn: str) -> bool:
    old = b_groups.get(("boundary", old_arn, BOUNDARY_PART))
    new = a_groups.get(("boundary", new_arn, BOUNDARY_PART))
    if new is None:  # the new boundary's content is not in the synth: cannot show it is narrower
        return True
    return any(c.broadens for c in diff_statements(old.statements if old else [], new.statements))


def diff_policies(
    before: Mapping[str, dict], after: Mapping[str, dict], account: str, region: str
) -> tuple[list[PolicyDiff], list[str]]:
    b_groups, b_warn = _groups(before, account, region)
    a_groups, a_warn = _groups(after, account, region)
    warnings = sorted(set(a_warn) - set(b_warn))
    removed_roles = {k[1] for k in b_groups if k[0] == "role"} - {k[1] for k in a_groups if k[0] == "role"}
    diffs = []
    for key in sorted(set(b_groups) | set(a_groups)):
        bg, ag = b_groups.get(key), a_groups.get(key)
        section, subject, part = key
        # Nothing widens through a removed role, an unattached managed policy, or a boundary that
        # is new or bounds no role any more: attaching, swapping or detaching one is judged under
        # the role (a swapped boundary against the one it replaces).
        inert = (
            (ag is None and section == "role" and subject in removed_roles)
            or section == "managed"
            or (section == "boundary" and (ag is None or bg is None or not ag.users))
        )
        changes = diff_statements(bg.statements if bg else [], ag.statements if ag else [], inert=inert)
        notes = []
        b_extras, a_extras = (bg.extras if bg else set()), (ag.extras if ag else set())
        for text in sorted(a_extras - b_extras):
            why = "AWS-managed policy attached" if text.startswith("managed") else ""
            if text.startswith("boundary "):
                old = next((t for t in b_extras if t.startswith("boundary ")), None)
                if old and _boundary_widened(b_groups, a_groups, old.split(" ", 1)[1], text.split(" ", 1)[1]):
                    why = "permissions boundary replaced by a wider one"
            notes.append((f"+ {text}", why))
        for text in sorted(b_extras - a_extras):
            detached = (
                text.startswith("boundary ") and not inert and not any(t.startswith("boundary ") for t in a_extras)
            )
            notes.append((f"- {text}", "permissions boundary detached" if detached else ""))
        if not changes and not notes:
            continue
        status = "added" if bg is None else "removed" if ag is None else "changed"
        stacks = ", ".join(sorted((bg.stacks if bg else set()) | (ag.stacks if ag else set())))
        if section == "boundary":
            users = sorted((ag or bg).users)
            part = f"{part} of {len(users)} role(s): {', '.join(users)}" if users else f"{part} (bounds no role)"
        diffs.append(PolicyDiff(section, subject, part, stacks, changes, notes, status))
    return diffs, warnings
