"""Loads and validates the data catalogs in boi_audit/data (pure: no cdktn import)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from importlib import resources

import yaml

from boi_audit.errors import ConfigError

REVIEW_CADENCES = ("daily", "weekly", "quarterly", "yearly")
_IMPL_PREFIXES = ("config_rule:", "guard_rule:", "cis_alarm:", "event_rule:", "standard:")
_ADDRESS = re.compile(r"^aws_[a-z0-9_]+\.[A-Za-z0-9_-]+$")


@dataclass(frozen=True)
class ConfigRule:
    identifier: str
    name: str
    deploy: bool
    parameters: dict[str, str]
    why: str
    mappings: dict
    reason_deployed: str = ""
    covered_by: str = ""
    scope_tag: dict[str, str] | None = None


@dataclass(frozen=True)
class GuardRule:
    name: str
    resource_type: str
    input: str
    why: str
    mappings: dict


@dataclass(frozen=True)
class CisFilter:
    id: str
    name: str
    watches: str
    pattern: str
    security_hub: str
    nist_800_53_r5: list[str]

    @property
    def metric_name(self) -> str:
        return f"cis-{self.id.replace('.', '-')}-{self.name}"


@dataclass(frozen=True)
class DisabledControl:
    control_id: str
    reason: str


@dataclass(frozen=True)
class Standard:
    id: str
    title: str
    arn_template: str
    default: bool
    disabled_controls: list[DisabledControl]

    def arn(self, partition: str, region: str) -> str:
        return self.arn_template.format(partition=partition, region=region)

    @property
    def arn_suffix(self) -> str:
        """The part after '::' identifies the standard in any partition and Region."""
        return self.arn_template.split("::", 1)[1]


@dataclass(frozen=True)
class EventRule:
    name: str
    why: str
    pattern: dict
    requires: str = ""


@dataclass(frozen=True)
class Control:
    id: str
    title: str
    frameworks: dict
    implemented_by: list[str]
    evidence: dict[str, str]
    review: str
    service: str = ""


@dataclass(frozen=True)
class Catalog:
    rules: list[ConfigRule]
    guard_rules: list[GuardRule]
    alarm: dict
    cis_filters: list[CisFilter]
    standards: list[Standard]
    event_rules: list[EventRule]
    controls: list[Control]
    reviews: dict[str, str] = field(default_factory=dict)

    def rule(self, identifier: str) -> ConfigRule:
        for r in self.rules:
            if r.identifier == identifier:
                return r
        raise ConfigError("config_rule_ids", identifier, f"one of {sorted(r.identifier for r in self.rules)}")

    def standard(self, standard_id: str) -> Standard:
        for s in self.standards:
            if s.id == standard_id:
                return s
        raise ConfigError("standards", standard_id, f"one of {[s.id for s in self.standards]}")

    @property
    def default_rule_ids(self) -> list[str]:
        return [r.identifier for r in self.rules if r.deploy]

    @property
    def default_standard_ids(self) -> list[str]:
        return [s.id for s in self.standards if s.default]


def _read(name: str) -> dict:
    text = resources.files("boi_audit").joinpath("data", name).read_text(encoding="utf-8")
    return yaml.safe_load(text)


def _require(entry: dict, keys: tuple[str, ...], where: str) -> None:
    for key in keys:
        if key not in entry or entry[key] in (None, ""):
            raise ConfigError(f"{where}.{key}", entry.get(key), "a non-empty value")


def parse_catalog(raw: dict[str, dict]) -> Catalog:
    """Build a Catalog from the raw YAML documents keyed by file stem; validates cross references."""
    rules, guard_rules, filters, standards, event_rules, controls = [], [], [], [], [], []
    for i, r in enumerate(raw["config_rules"]["rules"]):
        where = f"config_rules.rules[{i}]"
        _require(r, ("identifier", "name", "why", "mappings"), where)
        if not r.get("deploy") and not r.get("covered_by"):
            raise ConfigError(f"{where}.covered_by", None, "the control that covers a rule we do not deploy")
        rules.append(
            ConfigRule(
                identifier=r["identifier"],
                name=r["name"],
                deploy=bool(r.get("deploy")),
                parameters={k: str(v) for k, v in (r.get("parameters") or {}).items()},
                why=r["why"],
                mappings=r["mappings"],
                reason_deployed=r.get("reason_deployed", ""),
                covered_by=r.get("covered_by", ""),
                scope_tag=r.get("scope_tag"),
            )
        )
    for i, g in enumerate(raw["config_rules"].get("guard_rules", [])):
        _require(g, ("name", "resource_type", "input", "why", "mappings"), f"config_rules.guard_rules[{i}]")
        guard_rules.append(GuardRule(**g))
    for i, f in enumerate(raw["cis_alarms"]["filters"]):
        _require(f, ("id", "name", "watches", "pattern"), f"cis_alarms.filters[{i}]")
        filters.append(
            CisFilter(
                id=str(f["id"]),
                name=f["name"],
                watches=f["watches"],
                pattern=f["pattern"],
                security_hub=f.get("security_hub", "-"),
                nist_800_53_r5=list(f.get("nist_800_53_r5", [])),
            )
        )
    for i, s in enumerate(raw["standards"]["standards"]):
        where = f"standards.standards[{i}]"
        _require(s, ("id", "title", "arn_template"), where)
        if "::standards/" not in s["arn_template"]:
            raise ConfigError(
                f"{where}.arn_template",
                s["arn_template"],
                "arn:{partition}:securityhub:{region}::standards/...",
            )
        disabled = []
        for j, d in enumerate(s.get("disabled_controls") or []):
            _require(d, ("control_id", "reason"), f"{where}.disabled_controls[{j}]")
            disabled.append(DisabledControl(d["control_id"], " ".join(d["reason"].split())))
        standards.append(Standard(s["id"], s["title"], s["arn_template"], bool(s.get("default")), disabled))
    for i, e in enumerate(raw["event_rules"]["rules"]):
        _require(e, ("name", "why", "pattern"), f"event_rules.rules[{i}]")
        event_rules.append(EventRule(e["name"], e["why"], e["pattern"], e.get("requires", "")))
    for i, c in enumerate(raw["controls"]["controls"]):
        where = f"controls.controls[{i}]"
        _require(c, ("id", "title", "frameworks", "implemented_by", "evidence", "review"), where)
        if c["review"] not in REVIEW_CADENCES:
            raise ConfigError(f"{where}.review", c["review"], f"one of {list(REVIEW_CADENCES)}")
        for j, impl in enumerate(c["implemented_by"]):
            if not (impl.startswith(_IMPL_PREFIXES) or _ADDRESS.match(impl)):
                raise ConfigError(
                    f"{where}.implemented_by[{j}]",
                    impl,
                    f"a Terraform address <type>.<id> or one of the prefixes {list(_IMPL_PREFIXES)}",
                )
        controls.append(
            Control(
                c["id"],
                c["title"],
                c["frameworks"],
                list(c["implemented_by"]),
                c["evidence"],
                c["review"],
                c.get("service", ""),
            )
        )
    catalog = Catalog(
        rules,
        guard_rules,
        raw["cis_alarms"]["alarm"],
        filters,
        standards,
        event_rules,
        controls,
        raw["controls"].get("reviews", {}),
    )
    _check_references(catalog)
    return catalog


def _check_references(catalog: Catalog) -> None:
    """Prefixed implemented_by entries must name something the catalog knows."""
    known = {
        "config_rule": {r.identifier for r in catalog.rules},
        "guard_rule": {g.name for g in catalog.guard_rules},
        "cis_alarm": {f.id for f in catalog.cis_filters},
        "event_rule": {e.name for e in catalog.event_rules},
        "standard": {s.id for s in catalog.standards},
    }
    for c in catalog.controls:
        for impl in c.implemented_by:
            kind, _, name = impl.partition(":")
            if kind in known and name not in known[kind]:
                raise ConfigError(f"controls[{c.id}].implemented_by", impl, f"{kind}: one of {sorted(known[kind])}")
    ids = [c.id for c in catalog.controls]
    if len(ids) != len(set(ids)):
        raise ConfigError("controls[].id", ids, "unique control ids")


CATALOG_FILES = ("config_rules", "cis_alarms", "standards", "event_rules", "controls")


def load_catalog() -> Catalog:
    return parse_catalog({name: _read(f"{name}.yaml") for name in CATALOG_FILES})
