"""Environment settings: one YAML file per environment, validated into typed settings.

Every problem is reported at once, one line each: the field path, the value given and what is
allowed. Validation happens before any construct is built, so bad settings write nothing.
"""

from __future__ import annotations

import ipaddress
import re
from datetime import date
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from app.settings.organization import Organization, organization_problems

CONFIG_DIR = Path(__file__).resolve().parents[2] / "config"

ROTATION_MIN, ROTATION_MAX = 90, 2560
FINCEN_ENDPOINTS = {
    "sandbox": "https://boiefiling-api.user-test.fincen.gov/preprod",
    "production": "https://boiefiling-api.fincen.gov/prod",
}
# The hosts the FinCEN worker talks to: the BOIR API and FinCEN's OAuth server (client credentials).
FINCEN_EGRESS_HOSTS = {
    "sandbox": ("boiefiling-api.user-test.fincen.gov", "iam.fincen.gov"),
    "production": ("boiefiling-api.fincen.gov", "iam.fincen.gov"),
}
_LABEL = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")
_TLD = re.compile(r"^[a-z]{2,63}$")


def domain_problem(value: object) -> str | None:
    """Why `value` is not a host name the egress firewall may allow, or None. A leading `*.` or `.`
    allows every subdomain, and only under a registered domain (two labels or more)."""
    if not isinstance(value, str) or not value:
        return f"{value!r} is not a domain name"
    if value in ("*", "*.", "."):
        return f"{value!r}: a wildcard at the top level would allow every host on the internet"
    name = value.removeprefix("*.") if value.startswith("*.") else value.removeprefix(".")
    wildcard = name != value
    labels = name.split(".")
    if "*" in name:
        return f"{value!r}: a wildcard is allowed only as the first label (*.example.gov)"
    if wildcard and len(labels) < 2:
        return (
            f"{value!r}: a wildcard at the top level would allow every host under {name!r}; "
            "allow subdomains of a registered domain only (e.g. *.fincen.gov)"
        )
    if len(name) > 253 or len(labels) < 2 or not all(_LABEL.match(label) for label in labels):
        return f"{value!r} is not a domain name (lower-case labels of letters, digits and '-', e.g. iam.fincen.gov)"
    if not _TLD.match(labels[-1]):
        return f"{value!r} is not a domain name (its last label {labels[-1]!r} is not a top-level domain)"
    return None


class SettingsError(Exception):
    """Settings failed validation; `problems` holds one message per problem."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = problems
        super().__init__(f"{source}: {len(problems)} problem(s)\n" + "\n".join(f"  - {p}" for p in problems))


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Network(_Strict):
    vpc_cidr: str = Field(description="IPv4 CIDR of the VPC, /16 to /22")
    az_count: Annotated[int, Field(ge=2, le=3, description="availability zones used (2 or 3)")]

    @field_validator("vpc_cidr")
    @classmethod
    def _cidr(cls, value: str) -> str:
        try:
            net = ipaddress.IPv4Network(value, strict=True)
        except ValueError as exc:
            raise ValueError(f"not an IPv4 network in CIDR notation ({exc}); allowed: e.g. 10.20.0.0/16") from exc
        if not 16 <= net.prefixlen <= 22:
            raise ValueError("prefix length must be /16 to /22 to fit three tiers of subnets per AZ")
        if not net.is_private:
            raise ValueError("must be a private (RFC 1918) range")
        return value


class Domains(_Strict):
    hosted_zone: str
    web: str
    api: str

    @model_validator(mode="after")
    def _inside_zone(self) -> Domains:
        for name in ("web", "api"):
            value = getattr(self, name)
            if not value.endswith("." + self.hosted_zone):
                raise ValueError(f"{name} domain {value!r} must be inside hosted_zone {self.hosted_zone!r}")
        return self


CLOUDWATCH_RETENTION_DAYS = (365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653)


class Retention(_Strict):
    log_days: int = Field(description="CloudWatch Logs retention: one of the values CloudWatch accepts, >= 365")
    archive_days: Annotated[int, Field(ge=1825, description="audit archive Object Lock; at least 5 years")]
    backup_days: Annotated[int, Field(ge=7, le=35, description="RDS automated backups, 7-35 days")]

    @field_validator("log_days")
    @classmethod
    def _cloudwatch_value(cls, value: int) -> int:
        if value not in CLOUDWATCH_RETENTION_DAYS:
            raise ValueError(
                f"not a CloudWatch Logs retention of at least a year; allowed: {CLOUDWATCH_RETENTION_DAYS}"
            )
        return value


class Keys(_Strict):
    rotation_days: dict[str, int] = Field(
        default_factory=dict, description="rotation period per key class (overrides the catalog)"
    )
    prevent_destroy: bool = True
    schedule_from: date = Field(
        default=date(2026, 12, 1), description="date the documented rotation schedule counts from (reviewed yearly)"
    )

    @field_validator("rotation_days")
    @classmethod
    def _periods(cls, value: dict[str, int]) -> dict[str, int]:
        from app import catalogs

        known = sorted(catalogs.kms().classes)
        for name, days in value.items():
            if name not in known:
                raise ValueError(f"unknown key class {name!r}; allowed: {known}")
            if not ROTATION_MIN <= days <= ROTATION_MAX:
                raise ValueError(f"{name}: rotation period {days} days is outside {ROTATION_MIN}-{ROTATION_MAX}")
        return value


class Alerts(_Strict):
    emails: list[str] = Field(min_length=1)

    @field_validator("emails")
    @classmethod
    def _emails(cls, value: list[str]) -> list[str]:
        for email in value:
            if not re.fullmatch(r"[^@\s]+@[^@\s]+\.[A-Za-z]{2,}", email):
                raise ValueError(f"{email!r} is not an e-mail address")
        return value


class Fincen(_Strict):
    environment: Literal["sandbox", "production"]
    egress_hosts: list[str] | None = Field(
        default=None,
        description="the only hosts the FinCEN worker may reach (TLS SNI allow-list of the egress firewall); "
        "default: the API host and FinCEN's OAuth host of the environment",
    )

    @field_validator("egress_hosts")
    @classmethod
    def _hosts(cls, value: list[str] | None) -> list[str] | None:
        if value is None:
            return value
        if not value:
            raise ValueError("at least one host (the FinCEN API host) is needed")
        problems = [p for p in (domain_problem(v) for v in value) if p]
        if problems:
            raise ValueError("; ".join(problems))
        return value

    @model_validator(mode="after")
    def _covers_the_api(self) -> Fincen:
        api = self.api_host
        if not any(self._covers(pattern, api) for pattern in self.hosts):
            raise ValueError(
                f"egress_hosts {list(self.hosts)} do not cover the API host {api!r} of environment "
                f"{self.environment!r}; the worker could not reach FinCEN"
            )
        return self

    @staticmethod
    def _covers(pattern: str, host: str) -> bool:
        if pattern.startswith(("*.", ".")):
            return host.endswith("." + pattern.lstrip("*."))
        return host == pattern

    @property
    def endpoint(self) -> str:
        return FINCEN_ENDPOINTS[self.environment]

    @property
    def api_host(self) -> str:
        return self.endpoint.removeprefix("https://").split("/", 1)[0]

    @property
    def hosts(self) -> tuple[str, ...]:
        return tuple(self.egress_hosts) if self.egress_hosts is not None else FINCEN_EGRESS_HOSTS[self.environment]

    @property
    def firewall_domains(self) -> list[str]:
        """The hosts in AWS Network Firewall's domain-list form (a leading '.' matches the subdomains)."""
        return sorted({h.removeprefix("*") if h.startswith("*.") else h for h in self.hosts})


class S3Backend(_Strict):
    """The state bucket and its key, both created by the bootstrap stack (`make bootstrap`)."""

    type: Literal["s3"]
    bucket: str = Field(
        pattern=r"^[a-z0-9][a-z0-9.-]{1,49}[a-z0-9]$",
        description="state bucket name, at most 51 characters (its access-log bucket adds '-access-logs')",
    )
    region: str
    kms_key_id: str = Field(
        pattern=r"^alias/[A-Za-z0-9/_-]+$",
        description="alias of the key encrypting the state (the bootstrap stack creates key and alias)",
    )
    key_prefix: str = Field(default="boi", pattern=r"^[A-Za-z0-9_-]+$")


class LocalBackend(_Strict):
    type: Literal["local"]


ARTIFACT_KINDS = {
    "fargate": (
        "an image pinned by digest (<registry>/<repository>@sha256:<digest>)",
        r"[^@\s]+/[^@\s]+@sha256:[0-9a-f]{64}",
    ),
    "lambda": ("an s3://<bucket>/<key> package", r"s3://[a-z0-9.-]+/\S+"),
}


def artifact_problems(artifacts: dict[str, str], services) -> list[str]:
    """Each declared service has exactly one artifact of its runtime's kind; nothing else is listed.
    Images and code packages are built elsewhere; the platform only deploys them."""
    declared = {service.name: service for service in services}
    problems = []
    for name, service in declared.items():
        kind, pattern = ARTIFACT_KINDS[service.runtime]
        value = artifacts.get(name)
        if value is None:
            problems.append(f"artifacts.{name}: missing; service {name} ({service.runtime}) needs {kind}")
        elif not re.fullmatch(pattern, value):
            problems.append(f"artifacts.{name}: {value!r} is not {kind}")
    for name in sorted(set(artifacts) - set(declared)):
        problems.append(f"artifacts.{name}: no service of that name (declared: {', '.join(sorted(declared))})")
    return problems


_WORKFLOW = r"^\.github/workflows/[A-Za-z0-9_.-]+\.ya?ml$"


class Cicd(_Strict):
    """Who may deploy: one repository, one workflow file on the main branch, one GitHub environment per
    deployer. The foundation deployer changes keys, boundaries, people's roles and the audit baseline,
    so it has its own environment (its own required reviewers)."""

    github_repository: str = Field(pattern=r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")
    github_environment: str = Field(pattern=r"^[A-Za-z0-9_.-]+$", description="environment of the platform deployer")
    foundation_environment: str = Field(
        pattern=r"^[A-Za-z0-9_.-]+$", description="environment of the foundation deployer"
    )
    deploy_workflow: str = Field(
        default=".github/workflows/main.yml",
        pattern=_WORKFLOW,
        description="the only workflow file the deploy roles trust (job_workflow_ref)",
    )
    pull_request_workflow: str = Field(
        default=".github/workflows/pull-request.yml",
        pattern=_WORKFLOW,
        description="the workflow whose pull-request jobs may plan with the read-only plan role",
    )

    @model_validator(mode="after")
    def _separate(self) -> Cicd:
        if self.github_environment == self.foundation_environment:
            raise ValueError(
                "foundation_environment must differ from github_environment: the foundation "
                "deployer needs its own protection rules"
            )
        return self


_PRINCIPAL = re.compile(r"^arn:aws(-us-gov|-cn)?:iam::(\d{12}):(user|role)/[\w+=,.@/-]*[\w+=,.@-]\*?$")


class Access(_Strict):
    """Who may assume the break-glass role: named people (IAM users or identity-center roles), never the
    account root, so holding sts:AssumeRole somewhere in the account is not enough."""

    break_glass_principals: list[str] = Field(min_length=1, max_length=10)
    bootstrap_administrators: list[str] = Field(
        min_length=1,
        max_length=10,
        description="who applies the bootstrap stack (make bootstrap): administrators of the state key",
    )

    @field_validator("break_glass_principals", "bootstrap_administrators")
    @classmethod
    def _principals(cls, value: list[str]) -> list[str]:
        for arn in value:
            if not _PRINCIPAL.match(arn):
                raise ValueError(
                    f"{arn!r} is not an IAM user or role ARN (a trailing * is allowed in the "
                    "name; the account root and bare wildcards are not)"
                )
        return value


class LocalEndpoint(_Strict):
    """Only for the `local` environment: an embedded AWS endpoint and what it cannot emulate."""

    skip_services: list[
        Literal[
            "cloudfront",
            "wafv2",
            "securityhub",
            "guardduty",
            "macie",
            "accessanalyzer",
            "athena",
            "cognito_advanced_security",
            "guard_rules",
            "lambda_code_signing",
            "backup",
            "sqs_redrive_allow_policy",
            "network_firewall",
            # organization mode (app/organization/): GuardDuty, Macie and Security Hub organization admin
            # accounts, and Identity Center permission sets
            "organization_admins",
            "identity_center",
        ]
    ] = []


# Which of the platform's VPC endpoints each protected resource accepts workload requests through
# (aws:SourceVpce), by the endpoint's service name; each must be an endpoint the platform creates.
PERIMETER_SERVICES = {"documents_bucket": "s3", "queues": "sqs", "secrets": "secretsmanager"}


class Perimeter(_Strict):
    """The data perimeter's network part: the endpoints each protected resource trusts. IDs are not
    known before apply, so endpoints are named by their service; anything the platform does not create
    (another VPC's endpoint ID included) is refused."""

    endpoints: dict[Literal["documents_bucket", "queues", "secrets"], list[str]] = Field(
        default_factory=lambda: {name: [service] for name, service in PERIMETER_SERVICES.items()},
        description="resource -> endpoint service names (aws:SourceVpce values)",
    )

    @field_validator("endpoints")
    @classmethod
    def _created(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        from app.settings.endpoints import ENDPOINTS, iam_prefix

        problems = []
        for resource, names in value.items():
            service = PERIMETER_SERVICES[resource]
            if not names:
                problems.append(f"{resource}: at least the {service} endpoint is needed")
            for name in names:
                if name.startswith("vpce-"):
                    problems.append(
                        f"{resource}: {name!r} is an endpoint ID; only the platform's own endpoints may be trusted "
                        f"and their IDs exist only after apply, so name the endpoint by its service ({service})"
                    )
                elif name not in ENDPOINTS:
                    problems.append(
                        f"{resource}: {name!r} is not an endpoint the platform creates; allowed: {', '.join(ENDPOINTS)}"
                    )
                elif iam_prefix(name) != service:
                    problems.append(
                        f"{resource}: the {name} endpoint does not serve {service}; {resource} is reached only "
                        f"through the {service} endpoint"
                    )
        if problems:
            raise ValueError("; ".join(problems))
        return value


class Settings(_Strict):
    environment: str = Field(pattern=r"^[a-z][a-z0-9-]{1,15}$", description="the config file's name")
    account_id: str = Field(pattern=r"^\d{12}$", description="12-digit AWS account id")
    region: str = Field(pattern=r"^[a-z]{2}(-gov)?-[a-z]+-\d$")
    allowed_regions: list[str] = Field(min_length=1)
    organization_mode: bool = False
    organization_id: str | None = Field(
        default=None, pattern=r"^o-[a-z0-9]{10,32}$", description="the AWS Organizations id (organization mode)"
    )
    network: Network
    domains: Domains
    retention: Retention
    keys: Keys = Keys()
    alerts: Alerts
    fincen: Fincen
    backend: S3Backend | LocalBackend = Field(discriminator="type")
    artifacts: dict[str, str] = Field(description="service name -> its image (fargate) or package (lambda)")
    cicd: Cicd
    access: Access
    local: LocalEndpoint | None = None
    # The accounts of the AWS Security Reference Architecture layout (app/settings/organization.py).
    organization: Organization | None = None
    perimeter: Perimeter = Perimeter()

    @model_validator(mode="after")
    def _consistency(self) -> Settings:
        if self.region not in self.allowed_regions:
            raise ValueError(f"region {self.region!r} is not in allowed_regions {self.allowed_regions}")
        if self.backend.type == "local" and self.local is None:
            raise ValueError(
                "the local backend is only for an environment on an embedded AWS endpoint (with a local: "
                "section); an environment on AWS needs the s3 backend (locking and encryption)"
            )
        if self.organization_mode and not self.organization_id:
            raise ValueError(
                "organization_mode needs organization_id (o-...): the resource control policies and the "
                "identity perimeter name the organization"
            )
        if self.local is not None and self.fincen.environment == "production":
            raise ValueError("an environment on an embedded AWS endpoint must not use the FinCEN production endpoint")
        return self

    @property
    def prefix(self) -> str:
        return f"boi-{self.environment}"

    def description(self) -> dict:
        """What the tooling may know of this environment; written into every stack (`//.boi_environment`).
        The tooling reads the synthesized output, never these settings."""
        return {
            "name": self.environment,
            "prefix": self.prefix,
            "account_id": self.account_id,
            "region": self.region,
            "allowed_regions": list(self.allowed_regions),
            "organization_mode": self.organization_mode,
            "organization_id": self.organization_id,
            "partition": "aws",
            "retention": self.retention.model_dump(),
            "keys": {
                "rotation_days": dict(self.keys.rotation_days),
                "schedule_from": self.keys.schedule_from.isoformat(),
            },
            "lambda_packages": {n: a for n, a in sorted(self.artifacts.items()) if a.startswith("s3://")},
            "backend": self.backend.type,
            "local_skip_services": list(self.local.skip_services) if self.local else [],
            **({"organization": self.organization.description()} if self.organization else {}),
        }

    def skips(self, service: str) -> bool:
        return self.local is not None and service in self.local.skip_services


def _format(error: dict) -> str:
    path = ".".join(str(p) for p in error["loc"]) or "(top level)"
    value = error.get("input")
    msg = error["msg"].removeprefix("Value error, ")
    if error["type"] == "extra_forbidden":
        return f"{path}: unknown field (value {value!r}); remove it or check its spelling"
    if error["type"] == "missing":
        return f"{path}: required field is missing"
    if isinstance(value, dict | list):
        return f"{path}: {msg}"  # the message itself names the offending entry
    return f"{path}: {msg} (got {value!r})"


def parse_settings(data: object, source: str = "<settings>") -> Settings:
    if not isinstance(data, dict):
        raise SettingsError(source, [f"(top level): expected a mapping of settings, got {type(data).__name__}"])
    from app.services import ALL as services

    try:
        settings = Settings.model_validate(data)
    except ValidationError as exc:
        raise SettingsError(source, [_format(e) for e in exc.errors()]) from None
    problems = artifact_problems(settings.artifacts, services)
    problems += organization_problems(
        settings.organization,
        organization_mode=settings.organization_mode,
        environment=settings.environment,
        account_id=settings.account_id,
        region=settings.region,
    )
    if problems:
        raise SettingsError(source, problems)
    return settings


def load_settings(env: str, config_dir: Path = CONFIG_DIR) -> Settings:
    path = config_dir / f"{env}.yaml"
    if not path.is_file():
        known = sorted(p.stem for p in config_dir.glob("*.yaml"))
        raise SettingsError(str(path), [f"environment {env!r} has no settings file; known: {known}"])
    try:
        data = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        raise SettingsError(str(path), [f"not valid YAML: {exc}"]) from None
    settings = parse_settings(data, str(path))
    if settings.environment != env:
        raise SettingsError(str(path), [f"environment: {settings.environment!r} does not match the file name {env!r}"])
    return settings
