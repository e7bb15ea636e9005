"""Deny statements generated from protected assets: what nobody outside a named few may do to them.

An asset is marked `pii` (it holds or reaches personal data) or `audit` (it records, keeps or pages
on what happens). Each asset is one or more parts, an IAM resource type and the ARN (or pattern) of
the part. The actions on a part fall in categories (`data/iam_types.yaml`); every Write,
Permissions-management and Tagging action that is not data is `control`, computed from the IAM
action database, so an action AWS adds later is denied before anyone looks at it.

Pure: plain data in, IAM statement dicts out.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache, lru_cache
from pathlib import Path

import yaml

from . import actiondb

CATALOG = Path(__file__).parent / "data" / "iam_types.yaml"
CATEGORIES = ("data_read", "data_write", "config", "control")
# pii: holds personal data or runs code that reads it; audit: records, keeps or pages; path: holds no
# data but decides who gets to it (the network, the API, the user pool, the load balancers).
CLASSES = ("pii", "audit", "path")
READ_LEVELS = frozenset({"Read", "List"})
_VERB = re.compile(r"^[A-Z][a-z0-9]*|^[a-z]+")


class CatalogError(ValueError):
    """The IAM type catalog names an unknown type or action, or leaves a read unclassified."""


@dataclass(frozen=True)
class Part:
    iam_type: str  # "service:type" as in the service reference, e.g. "s3:object"
    arn: str

    @property
    def service(self) -> str:
        return self.iam_type.split(":", 1)[0]


@dataclass(frozen=True)
class ProtectedAsset:
    """Something whose data or configuration only named principals may touch.

    `readers`, `writers` and `managers` are principal ARN patterns let through the deny on
    data_read, data_write and control respectively (for example the auditor reading the archive).
    """

    name: str
    cls: str
    parts: tuple[Part, ...]
    readers: tuple[str, ...] = ()
    writers: tuple[str, ...] = ()
    managers: tuple[str, ...] = ()
    reason: str = ""

    def __post_init__(self) -> None:
        if self.cls not in CLASSES:
            raise ValueError(f"protected asset {self.name}: class {self.cls!r} is not one of {CLASSES}")
        if not self.parts:
            raise ValueError(f"protected asset {self.name}: no parts")
        for part in self.parts:
            categories(part.iam_type)  # validates the type

    def exempt(self, category: str) -> tuple[str, ...]:
        return {"data_read": self.readers, "data_write": self.writers, "control": self.managers}.get(category, ())


def _type_actions(iam_type: str) -> list[actiondb.ActionInfo]:
    service, _, rtype = iam_type.partition(":")
    db = actiondb.load()
    if service not in db.services():
        raise CatalogError(f"IAM type {iam_type!r}: unknown service {service!r}")
    infos = [db.info(a) for a in db.expand(f"{service}:*")]
    return [i for i in infos if any(rt == rtype for rt, _ in i.resource_types)]


@lru_cache(maxsize=1)
def _catalog() -> dict:
    return yaml.safe_load(CATALOG.read_text(encoding="utf-8"))


@cache
def categories(iam_type: str) -> dict[str, tuple[str, ...]]:
    """Every action of an IAM resource type, by category (full `service:Name` strings)."""
    entry = _catalog().get(iam_type)
    if entry is None:
        raise CatalogError(f"IAM type {iam_type!r} is not in {CATALOG.name}; known: {sorted(_catalog())}")
    infos = _type_actions(iam_type)
    if not infos:
        raise CatalogError(f"IAM type {iam_type!r}: no action applies to it in the IAM action database")
    service = iam_type.split(":", 1)[0]
    names = {i.action.split(":", 1)[1]: i for i in infos}

    def listed(key: str, level_filter) -> set[str]:
        value = entry.get(key, [])
        if value == "all":
            return {n for n, i in names.items() if level_filter(i)}
        unknown = [n for n in value if n not in names]
        if unknown:
            raise CatalogError(f"{iam_type}.{key}: {unknown} do not apply to this type")
        return set(value)

    reads = lambda i: bool(set(i.access_levels) & READ_LEVELS)  # noqa: E731
    writes = lambda i: not reads(i)  # noqa: E731
    data_read = listed("data_read", reads)
    data_write = listed("data_write", writes)
    config = listed("config", reads) - data_read
    unclassified = sorted(n for n, i in names.items() if reads(i) and n not in data_read | config)
    if unclassified:
        raise CatalogError(
            f"{iam_type}: read actions {unclassified} are neither data_read nor config; classify them in {CATALOG.name}"
        )
    control = {n for n, i in names.items() if writes(i)} - data_read - data_write
    out = {"data_read": data_read, "data_write": data_write, "config": config, "control": control}
    return {k: tuple(sorted(f"{service}:{n}" for n in v)) for k, v in out.items()}


def known_types() -> list[str]:
    return sorted(_catalog())


def verb(action: str) -> str:
    name = action.split(":", 1)[1]
    match = _VERB.match(name)
    return match.group(0) if match else name


def compress(actions: Iterable[str], iam_types: Iterable[str] | None = None) -> list[str]:
    """Shorten a set of actions of one or more services to verb wildcards where that is exact.

    `Put*` replaces the Put actions only when every action of the service starting with Put is in
    the set, or (when `iam_types` is given, for a statement scoped to those types' ARNs) does not
    apply to any of those types. Reads are never swallowed by a wildcard.
    """
    wanted = set(actions)
    types = set(iam_types or ())
    db = actiondb.load()
    out: list[str] = []
    by_service: dict[str, set[str]] = {}
    for action in wanted:
        by_service.setdefault(action.split(":", 1)[0], set()).add(action)
    for service in sorted(by_service):
        chosen = by_service[service]
        everything = [db.info(a) for a in db.expand(f"{service}:*")]
        by_verb: dict[str, list[actiondb.ActionInfo]] = {}
        for info in everything:
            by_verb.setdefault(verb(info.action), []).append(info)
        for v in sorted({verb(a) for a in chosen}):
            members = by_verb.get(v, [])
            if len(members) > 1 and all(_harmless(i, chosen, types, service) for i in members):
                out.append(f"{service}:{v}*")
            else:
                out.extend(sorted(a for a in chosen if verb(a) == v))
    return out


def _harmless(info: actiondb.ActionInfo, chosen: set[str], types: set[str], service: str) -> bool:
    """May a wildcard cover this action? Yes if it is wanted, or if the statement is scoped to ARNs of
    types it does not apply to (a statement scoped to ARNs never matches an action on other types)."""
    if info.action in chosen:
        return True
    if not types:
        return False
    return not {f"{service}:{rt}" for rt, _ in info.resource_types} & types


@dataclass
class _Group:
    sid: str
    actions: set[str] = field(default_factory=set)
    types: set[str] = field(default_factory=set)
    resources: list[str] = field(default_factory=list)
    exempt: tuple[str, ...] = ()


def _camel(text: str) -> str:
    return "".join(w[:1].upper() + w[1:] for w in re.split(r"[^A-Za-z0-9]+", text) if w)


SID_WORDS = {"data_read": "Read", "data_write": "Write", "control": "Change"}


def deny_statements(
    assets: Sequence[ProtectedAsset],
    *,
    include: Iterable[str] = ("data_read", "data_write", "control"),
    classes: Iterable[str] = CLASSES,
    exempt_all: Sequence[str] = (),
    ceiling: Iterable[str] | None = None,
) -> list[dict]:
    """One Deny per (class, category, exemptions): the category's actions on the assets' parts.

    `exempt_all` are principal ARN patterns exempt from every statement (for example the deployer
    that owns a resource). Statement ids are stable: Deny<Class><Category>[<n>].
    `ceiling`: the only actions the principal can ever be allowed (a workload's grants); each statement
    is narrowed to those, with only the parts they apply to, and dropped when none is left.
    """
    include, classes = tuple(include), tuple(classes)
    allowed = set(ceiling) if ceiling is not None else None
    for c in include:
        if c not in SID_WORDS:
            raise ValueError(f"include: {c!r} is not one of {sorted(SID_WORDS)}")
    groups: dict[tuple, _Group] = {}
    for asset in assets:
        if asset.cls not in classes:
            continue
        for category in include:
            exempt = tuple(sorted(set(asset.exempt(category)) | set(exempt_all)))
            for part in asset.parts:
                acts = categories(part.iam_type)[category]
                if allowed is not None:
                    acts = tuple(a for a in acts if a in allowed)
                if not acts:
                    continue
                key = (asset.cls, category, exempt)
                group = groups.get(key)
                if group is None:
                    base = f"Deny{_camel(asset.cls.title())}{SID_WORDS[category]}"
                    taken = sum(1 for g in groups.values() if g.sid.startswith(base))
                    group = groups[key] = _Group(sid=base + (str(taken + 1) if taken else ""), exempt=exempt)
                group.actions.update(acts)
                group.types.add(part.iam_type)
                if part.arn not in group.resources:
                    group.resources.append(part.arn)
    statements = []
    for group in groups.values():
        actions = sorted(group.actions) if allowed is not None else compress(group.actions, group.types)
        statement: dict = {
            "Sid": group.sid,
            "Effect": "Deny",
            "Action": actions,
            "Resource": group.resources if len(group.resources) > 1 else group.resources[0],
        }
        if group.exempt:
            statement["Condition"] = {"ArnNotLike": {"aws:PrincipalArn": list(group.exempt)}}
        statements.append(statement)
    return statements


def service_mutations(service: str, *, except_actions: Iterable[str] = ()) -> list[str]:
    """Every action of a service that is not Read or List level, minus the exceptions."""
    db = actiondb.load()
    skip = set(except_actions)
    return sorted(
        a for a in db.expand(f"{service}:*") if not set(db.info(a).access_levels) & READ_LEVELS and a not in skip
    )


def policy_size(document: dict) -> int:
    """Characters IAM counts against the managed-policy quota (6,144): the JSON without whitespace."""
    import json

    return len(json.dumps(document, separators=(",", ":")))
