"""The audit catalogs a platform passes in: their models (the schema), the loader of a catalog folder and
the values the constructs and renderers read (pure: no cdktn import).

A catalog folder holds five files, each checked against its model (`boi_model.catalog.load`: one line per
problem naming the file, the path inside it and what is allowed), then cross-checked (every
`implemented_by` reference names an entry of the other files):

- `config_rules.yaml` (`ConfigRulesCatalog`): managed Config rules with their mappings, Guard rules;
- `cis_alarms.yaml` (`CisAlarmsCatalog`): the alarm recipe and the CIS metric filters;
- `standards.yaml` (`StandardsCatalog`): Security Hub standards and the controls disabled in them;
- `event_rules.yaml` (`EventRulesCatalog`): EventBridge rules that page at once;
- `controls.yaml` (`ControlsCatalog`): the control catalog with evidence and review cadences.

The component ships a complete example folder (`EXAMPLE`, used by its tests and as documentation); a
platform keeps its own folder and passes `load_catalog(<folder>)` as `AuditSettings(catalog=...)` and to
the renderers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

from boi_model.catalog import CatalogError, Strict, read_yaml, validate
from pydantic import Field, StringConstraints, field_validator, model_validator

from boi_audit.errors import ConfigError
from boi_audit.guard import GUARD_BUILDERS

EXAMPLE = Path(__file__).resolve().parent / "example"
REVIEW_CADENCES = ("daily", "weekly", "quarterly", "yearly")
# How a control is shown to work, strongest first. ref: synth_test a pytest node id
# (<file>.py::<test>), guard_engine a guard rule name, live_audit a live-audit check id, prowler a Prowler
# check id; not_locally: what cannot be exercised on this machine (ref names it, why says why).
VERIFICATION_KINDS = ("synth_test", "guard_engine", "live_audit", "prowler", "not_locally")
SERVICES = ("securityhub", "guardduty", "macie", "accessanalyzer", "athena", "guard_rules")
IMPLEMENTED_BY = (
    r"^(aws_[a-z0-9_]+\.[A-Za-z0-9_-]+|(config_rule|guard_rule|cis_alarm|audit_alarm|event_rule|standard):.+)$"
)


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
    remediation: str = ""


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
class AuditFilter:
    """A metric filter and alarm of the platform's own (not a CIS recommendation) on the trail's log group."""

    name: str
    watches: str
    pattern: str
    nist_800_53_r5: list[str]

    @property
    def metric_name(self) -> str:
        return f"audit-{self.name}"


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
    owner: str = ""
    # [{"by": kind, "ref": ..., "why": ...}], see VERIFICATION_KINDS
    verified_by: list[dict] = field(default_factory=list)


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
    audit_filters: list[AuditFilter] = field(default_factory=list)

    def rule(self, identifier: str) -> ConfigRule:
        for r in self.rules:
            if r.identifier == identifier:
                return r
        raise ConfigError("config_rule_ids", identifier, f"one of {sorted(r.identifier for r in self.rules)}")

    def event_rule(self, name: str) -> EventRule:
        for e in self.event_rules:
            if e.name == name:
                return e
        raise ConfigError("event_rules", name, f"one of {[e.name for e in self.event_rules]}")

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


Text = Annotated[str, StringConstraints(min_length=1)]
Name = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]*$")]
Cadence = Literal[REVIEW_CADENCES]  # type: ignore[valid-type]


class Mappings(Strict):
    cis_aws_v3: Text = Field(description='CIS AWS Foundations v3.0 recommendation, "-" when none')
    fsbp: Text = Field(description='Security Hub control id, "-" when none')
    nist_800_53_r5: list[Text] = Field(description="related NIST SP 800-53 rev 5 controls")


class ScopeTag(Strict):
    key: Text
    value: Text


class ConfigRuleEntry(Strict):
    identifier: Annotated[str, StringConstraints(pattern=r"^[A-Z0-9_]+$")] = Field(
        description="AWS managed rule source identifier"
    )
    name: Name
    deploy: Annotated[bool, Field(strict=True)]
    reason_deployed: str = Field(default="", description="why the rule is deployed (gap or custom parameter)")
    covered_by: str = Field(default="", description="what covers a rule that is not deployed")
    parameters: dict[str, str] = Field(
        default_factory=dict, description="input parameters (strings); {log_retention_days} is filled in"
    )
    scope_tag: ScopeTag | None = None
    why: Text
    mappings: Mappings
    remediation: str = Field(default="", description="what on-call does when the rule reports non-compliance")

    @model_validator(mode="after")
    def _deployed_needs_remediation(self) -> ConfigRuleEntry:
        if self.deploy and len(self.remediation.strip()) < 20:
            raise ValueError("a deployed rule needs a remediation of 20 characters or more (what to do when it fails)")
        return self

    @model_validator(mode="after")
    def _not_deployed_needs_cover(self) -> ConfigRuleEntry:
        if not self.deploy and not self.covered_by.strip():
            raise ValueError("covered_by: a rule with deploy: false needs the control that covers it (allowed: text)")
        return self


class GuardRuleEntry(Strict):
    name: str = Field(description="a Guard rule the component builds")
    resource_type: Annotated[str, StringConstraints(pattern=r"^AWS::[A-Za-z0-9]+::[A-Za-z0-9]+$")]
    input: Text
    why: Text
    mappings: Mappings

    @field_validator("name")
    @classmethod
    def _built_by_the_component(cls, name: str) -> str:
        if name not in GUARD_BUILDERS:
            raise ValueError(f"no Guard rule {name!r} in boi_audit.guard; allowed: {', '.join(GUARD_BUILDERS)}")
        return name


class ConfigRulesCatalog(Strict):
    """config_rules.yaml"""

    rules: list[ConfigRuleEntry] = Field(min_length=1)
    guard_rules: list[GuardRuleEntry] = Field(default_factory=list)

    @field_validator("rules")
    @classmethod
    def _unique(cls, rules: list[ConfigRuleEntry]) -> list[ConfigRuleEntry]:
        _no_duplicates([r.identifier for r in rules], "rule identifiers")
        return rules


class AlarmRecipe(Strict):
    namespace: Text
    statistic: Literal["Sum", "Average", "Maximum", "Minimum", "SampleCount"]
    period_seconds: Annotated[int, Field(strict=True, ge=10)]
    evaluation_periods: Annotated[int, Field(strict=True, ge=1)]
    threshold: Annotated[int, Field(strict=True, ge=0)]
    comparison_operator: Literal[
        "GreaterThanOrEqualToThreshold",
        "GreaterThanThreshold",
        "LessThanThreshold",
        "LessThanOrEqualToThreshold",
    ]
    routing: Text


class CisFilterEntry(Strict):
    id: Annotated[str, StringConstraints(pattern=r"^\d+\.\d+$")] = Field(description="CIS recommendation, e.g. '4.1'")
    name: Name
    watches: Text
    pattern: Text = Field(description="CloudWatch Logs filter pattern")
    security_hub: Text = "-"
    nist_800_53_r5: list[Text] = Field(default_factory=list)


class AuditFilterEntry(Strict):
    name: Name
    watches: Text
    pattern: Text = Field(
        description="CloudWatch Logs filter pattern; AUDIT_BUCKETS stands for one bucketName test per audit bucket"
    )
    nist_800_53_r5: list[Text] = Field(default_factory=list)


class CisAlarmsCatalog(Strict):
    """cis_alarms.yaml"""

    alarm: AlarmRecipe
    filters: list[CisFilterEntry] = Field(min_length=1)
    audit_filters: list[AuditFilterEntry] = Field(
        default_factory=list, description="the platform's own alarms (same recipe), named audit-<name>"
    )

    @field_validator("filters")
    @classmethod
    def _unique(cls, filters: list[CisFilterEntry]) -> list[CisFilterEntry]:
        _no_duplicates([f.id for f in filters], "filter ids")
        return filters


class DisabledControlEntry(Strict):
    control_id: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9]+\.\d+$")]
    reason: Text = Field(description="why an auditor can accept the control being off")


class StandardEntry(Strict):
    id: Name
    title: Text
    arn_template: Annotated[
        str, StringConstraints(pattern=r"^arn:\{partition\}:securityhub:(\{region\})?::standards/.+")
    ] = Field(description="arn:{partition}:securityhub:{region}::standards/...")
    default: Annotated[bool, Field(strict=True)] = False
    disabled_controls: list[DisabledControlEntry] = Field(default_factory=list)


class StandardsCatalog(Strict):
    """standards.yaml"""

    standards: list[StandardEntry] = Field(min_length=1)


class EventRuleEntry(Strict):
    name: Name
    why: Text
    requires: Literal["", "break_glass_role_arn"] = Field(
        default="", description="the constructor input without which the rule is left out"
    )
    pattern: dict[str, Any] = Field(min_length=1, description="EventBridge event pattern")


class EventRulesCatalog(Strict):
    """event_rules.yaml"""

    rules: list[EventRuleEntry] = Field(min_length=1)


class Frameworks(Strict):
    cis_aws_v3: Text
    fsbp: Text
    nist_800_53_r5: list[Text]
    soc2: list[Annotated[str, StringConstraints(pattern=r"^(CC\d\.\d+|A1\.\d|C1\.\d|PI1\.\d|P\d\.\d)$")]] = Field(
        min_length=1, description="AICPA Trust Services Criteria (2017, revised points of focus 2022), e.g. CC7.2"
    )
    bsa: Text = Field(default="-", description="a retention benchmark or other local obligation")


class Evidence(Strict):
    where: Text
    retention: Text = Field(description="archive, log_group or free text")


class Verification(Strict):
    by: Literal[VERIFICATION_KINDS]  # type: ignore[valid-type]
    ref: Text = Field(
        description="synth_test: <file>.py::<test>; guard_engine: a guard rule name; live_audit: a check id; "
        "prowler: a Prowler check id; not_locally: what is not exercised here"
    )
    why: str = Field(default="", description="required for not_locally: why it cannot be exercised here")

    @model_validator(mode="after")
    def _why_when_not_local(self):
        if self.by == "not_locally" and len(self.why.strip()) < 20:
            raise ValueError("not_locally needs a why of 20 characters or more (what stops it here)")
        if self.by == "synth_test" and not re.fullmatch(r"[\w./-]+\.py::\w+", self.ref):
            raise ValueError(f"synth_test ref {self.ref!r}: a pytest node id <file>.py::<test function>")
        return self


class ControlEntry(Strict):
    id: Annotated[str, StringConstraints(pattern=r"^[A-Z]+-\d+$")]
    title: Text
    service: Literal[("", *SERVICES)] = Field(  # type: ignore[valid-type]
        default="", description="a skippable service: the control is not created or checked when it is skipped"
    )
    frameworks: Frameworks
    implemented_by: list[Annotated[str, StringConstraints(pattern=IMPLEMENTED_BY)]] = Field(
        min_length=1,
        description="<terraform type>.<logical id>, or config_rule:, guard_rule:, cis_alarm:, audit_alarm:, "
        "event_rule:, standard:",
    )
    evidence: Evidence
    review: Cadence
    owner: Text = Field(description="who answers for the control (a team or role, not a person)")
    verified_by: list[Verification] = Field(
        min_length=1, description="how the control is shown to work (a control nothing verifies is not claimed)"
    )


class ControlsCatalog(Strict):
    """controls.yaml"""

    controls: list[ControlEntry] = Field(min_length=1)
    reviews: dict[Cadence, Text] = Field(default_factory=dict, description="what each review cadence covers")

    @field_validator("controls")
    @classmethod
    def _unique(cls, controls: list[ControlEntry]) -> list[ControlEntry]:
        _no_duplicates([c.id for c in controls], "control ids")
        return controls


def _no_duplicates(values: list[str], what: str) -> None:
    seen = [v for i, v in enumerate(values) if v in values[:i]]
    if seen:
        raise ValueError(f"duplicate {what} {sorted(set(seen))}; allowed: each once")


MODELS: dict[str, type[Strict]] = {
    "config_rules": ConfigRulesCatalog,
    "cis_alarms": CisAlarmsCatalog,
    "standards": StandardsCatalog,
    "event_rules": EventRulesCatalog,
    "controls": ControlsCatalog,
}
CATALOG_FILES = tuple(MODELS)


def parse_catalog(raw: dict[str, Any], folder: str | Path = "") -> Catalog:
    """Validate the documents (file stem -> parsed YAML) against their models, cross-check the
    references between them and build the Catalog; CatalogError with every problem, one line each."""
    source = {name: str(Path(folder) / f"{name}.yaml") if folder else f"{name}.yaml" for name in MODELS}
    models: dict[str, Any] = {}
    problems: list[str] = []
    for name, model in MODELS.items():
        try:
            models[name] = validate(model, raw.get(name), source[name])
        except CatalogError as err:
            problems += str(err).splitlines()
    if problems:
        raise CatalogError("\n".join(problems))
    rules, cis, standards, events, controls = (models[n] for n in MODELS)
    known = {
        "config_rule": ("config_rules", {r.identifier for r in rules.rules}),
        "guard_rule": ("config_rules", {g.name for g in rules.guard_rules}),
        "cis_alarm": ("cis_alarms", {f.id for f in cis.filters}),
        "audit_alarm": ("cis_alarms", {f.name for f in cis.audit_filters}),
        "event_rule": ("event_rules", {e.name for e in events.rules}),
        "standard": ("standards", {s.id for s in standards.standards}),
    }
    for i, c in enumerate(controls.controls):
        for j, impl in enumerate(c.implemented_by):
            kind, _, name = impl.partition(":")
            if kind in known and name not in known[kind][1]:
                file, names = known[kind]
                problems.append(
                    f"{source['controls']}: controls.{i}.implemented_by.{j}: {impl!r} is not in {file}.yaml; "
                    f"allowed: {', '.join(f'{kind}:{n}' for n in sorted(names))}"
                )
        for j, v in enumerate(c.verified_by):
            if v.by == "guard_engine" and v.ref not in known["guard_rule"][1]:
                problems.append(
                    f"{source['controls']}: controls.{i}.verified_by.{j}: guard rule {v.ref!r} is not in "
                    f"config_rules.yaml; allowed: {', '.join(sorted(known['guard_rule'][1]))}"
                )
    unreviewed = sorted({c.review for c in controls.controls} - set(controls.reviews))
    if controls.reviews and unreviewed:
        problems.append(
            f"{source['controls']}: reviews: no text for the cadences {unreviewed}; allowed: {list(REVIEW_CADENCES)}"
        )
    if problems:
        raise CatalogError("\n".join(problems))
    return Catalog(
        rules=[
            ConfigRule(
                identifier=r.identifier,
                name=r.name,
                deploy=r.deploy,
                parameters=dict(r.parameters),
                why=r.why,
                mappings=r.mappings.model_dump(),
                reason_deployed=r.reason_deployed,
                covered_by=r.covered_by,
                scope_tag=r.scope_tag.model_dump() if r.scope_tag else None,
                remediation=r.remediation,
            )
            for r in rules.rules
        ],
        guard_rules=[
            GuardRule(g.name, g.resource_type, g.input, g.why, g.mappings.model_dump()) for g in rules.guard_rules
        ],
        alarm=cis.alarm.model_dump(),
        cis_filters=[
            CisFilter(f.id, f.name, f.watches, f.pattern, f.security_hub, list(f.nist_800_53_r5)) for f in cis.filters
        ],
        standards=[
            Standard(
                s.id,
                s.title,
                s.arn_template,
                s.default,
                [DisabledControl(d.control_id, " ".join(d.reason.split())) for d in s.disabled_controls],
            )
            for s in standards.standards
        ],
        event_rules=[EventRule(e.name, e.why, e.pattern, e.requires) for e in events.rules],
        controls=[
            Control(
                c.id,
                c.title,
                c.frameworks.model_dump(),
                list(c.implemented_by),
                c.evidence.model_dump(),
                c.review,
                c.service,
                c.owner,
                [v.model_dump() for v in c.verified_by],
            )
            for c in controls.controls
        ],
        reviews=dict(controls.reviews),
        audit_filters=[AuditFilter(f.name, f.watches, f.pattern, list(f.nist_800_53_r5)) for f in cis.audit_filters],
    )


def load_catalog(folder: str | Path) -> Catalog:
    """The five files of an audit catalog folder, validated and cross-checked."""
    folder = Path(folder)
    raw, problems = {}, []
    for name in MODELS:
        try:
            raw[name] = read_yaml(folder / f"{name}.yaml")
        except CatalogError as err:
            problems.append(str(err))
    if problems:
        raise CatalogError("\n".join(problems))
    return parse_catalog(raw, folder)


def example() -> Catalog:
    """The example catalog shipped with the component (its tests and documentation use it)."""
    return load_catalog(EXAMPLE)
