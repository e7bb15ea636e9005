"""Foundation stack content: keys, identity guardrails, audit baseline."""

from __future__ import annotations

from boi_audit.baseline import AuditBaseline
from boi_audit.settings import AuditSettings
from boi_kms.classes import resolve_classes
from boi_kms.key_ring import KeyRing
from boi_model.policies import PERIMETER_REASONS
from constructs import Construct

from app import catalogs
from app.core import names, perimeter
from app.core.assets import Registry
from app.foundation.bootstrap import STATE_KEY_CLASS, STATE_KEY_ROTATION_DAYS
from app.foundation.governance import Governance
from app.foundation.people import grant_people
from app.foundation.service_roles import ServiceRoles
from app.foundation.vpc import FoundationNetwork
from app.services import ALL as SERVICES
from app.settings import Settings

# Services the local (moto) apply cannot create; see README "Local apply".
# The keys of the data classes a workload's stolen credentials would be after.
PERIMETER_KEYS = ("pii", "documents")
AUDIT_SKIPPABLE = {"securityhub", "guardduty", "macie", "accessanalyzer", "athena", "guard_rules"}
# Assets that hold PII or decrypt it (the registry's "pii" class): a Lambda service that needs one is a PII
# function, and its invocations are data events on the trail.
PII_ASSETS = frozenset(
    {"documents_bucket", "database", "sessions_table", "fincen_secret", "pii_key", "documents_key", "database_key"}
)


def pii_function_arns(s: Settings) -> list[str]:
    return [
        names.lambda_function_arn(s, service.name)
        for service in SERVICES
        if service.runtime == "lambda" and any(need.asset in PII_ASSETS for need in service.needs)
    ]


def audit_settings(s: Settings) -> AuditSettings:
    skip = {svc for svc in AUDIT_SKIPPABLE if s.skips(svc)}
    return AuditSettings(
        name_prefix=s.prefix,
        account_id=s.account_id,
        region=s.region,
        # The workload keeps its account-level trail, archive, recorder and detectors (its own view); the
        # organization trail, aggregator, analyzers and delegated administrators live in the security
        # tooling account (app/organization/), which sees every account.
        organization_mode=False,
        log_retention_days=s.retention.log_days,
        archive_retention_days=s.retention.archive_days,
        alert_emails=list(s.alerts.emails),
        pii_bucket_arns=[f"arn:aws:s3:::{names.documents_bucket(s)}"],
        pii_bucket_names=[names.documents_bucket(s)],
        pii_function_arns=pii_function_arns(s),
        other_regions=names.other_regions(s),
        prevent_destroy=s.keys.prevent_destroy,
        skip=skip,
        custodian_arns=[names.role_arn(s, names.foundation_deployer(s))],
        catalog=catalogs.audit(),
    )


class Foundation(Construct):
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        settings: Settings,
        registry: Registry,
        regional_providers: dict | None = None,
    ) -> None:
        super().__init__(scope, id)
        s = self.settings = settings
        self.registry = registry
        self.governance = Governance(self, "governance", settings=s, registry=registry)
        classes = resolve_classes(dict(s.keys.rotation_days), catalog=catalogs.kms().classes)
        self.keys = KeyRing(
            self,
            "keys",
            name_prefix=s.prefix,
            account_id=s.account_id,
            region=s.region,
            classes=classes,
            administrator_role_arns=self.governance.key_admin_arns,
            policy_admin_role_arns=self.governance.key_policy_admin_arns,
            break_glass_role_arn=self.governance.break_glass_arn,
            prevent_destroy=s.keys.prevent_destroy,
        )
        grant_people(s, self.governance.humans, self.keys)
        self.audit_settings = audit_settings(s)
        self.audit = AuditBaseline(
            self,
            "audit",
            settings=self.audit_settings,
            logs_key=self.keys.key("logs"),
            alerts_key=self.keys.key("messaging"),
            permissions_boundary_arn=self.governance.operational_boundary_arn,
            break_glass_role_arn=self.governance.break_glass_arn,
            pii_key_arns=[self.keys.key("pii").arn, self.keys.key("documents").arn],
            regional_providers=regional_providers or {},
            guard_inputs={
                "kms_rotation_days": {
                    **{name: c.rotation_days for name, c in classes.items() if c.rotation_days},
                    STATE_KEY_CLASS: STATE_KEY_ROTATION_DAYS,  # the bootstrap's Terraform state key
                },
                "bucket_keys": {names.documents_bucket(s): self.keys.key("documents").arn},
                "database_keys": {f"{s.prefix}-postgres": self.keys.key("database").arn},
            },
        )
        if self.audit_settings.creates("macie"):
            self._macie_reads_documents()
        self.service_roles = ServiceRoles(
            self,
            "service_roles",
            settings=s,
            keys=self.keys,
            boundary_arn=self.governance.operational_boundary.arn,
            malware_scanning=not s.skips("guardduty"),
            guards=self.governance.guards,
        )
        self.network = FoundationNetwork(
            self,
            "network",
            settings=s,
            logs_key=self.keys.key("logs"),
            flow_log_role=self.service_roles.roles["vpc-flow-logs"],
        )
        self.vpc = self.network.vpc
        self._perimeter(s)

    def _perimeter(self, s: Settings) -> None:
        """The PII and documents keys admit workload credentials only from inside the VPC (the keys' KMS
        endpoint, or a service acting for the workload) and no principal outside the account/organization;
        the workload boundary keeps the same credentials inside the VPC on every resource."""
        for class_name in PERIMETER_KEYS:
            for statement in perimeter.resource_guards(s, "*", "kms:*", source_vpc=self.vpc.id):
                self.keys.key(class_name).add_guard(statement, PERIMETER_REASONS[statement["Sid"]])
        self.governance.workload_vpc_id = self.vpc.id

    def _macie_reads_documents(self) -> None:
        """Macie's sensitive-data discovery reads the documents through S3 as its service-linked role, which
        needs the documents key. That role's policy belongs to AWS, so the key policy names the role itself;
        the role exists once Macie is enabled, so the key (and its policy) waits for the Macie account."""
        s = self.settings
        documents = self.keys.key("documents")
        documents.allow_use(
            "MacieDiscoveryDecryptsDocuments",
            names.macie_service_linked_role_arn(s),
            ("kms:Decrypt",),
            "s3",
            "Macie's sensitive-data discovery decrypts the documents it classifies, through S3 only",
            direct=True,
        )
        documents.resource.add_override("depends_on", [f"aws_macie2_account.{self.audit.macie.friendly_unique_id}"])

    def key(self, class_name: str):
        return self.keys.key(class_name)
