from app.services.spec import Need, Service

SERVICE = Service(
    name="reporting-company",
    runtime="fargate",
    description="Reporting companies: legal names, addresses, tax identifiers (PII fields encrypted)",
    route="companies",
    database=True,
    needs=(
        Need(
            "database",
            "connect",
            "log in to PostgreSQL as its own user with IAM authentication",
            db_user="reporting_company",
        ),
        Need("pii_key", "encrypt_decrypt", "field-level encryption of company identifiers"),
        Need("domain_bus", "put_events", "publish CompanyUpdated and FilingRequested events"),
        Need("messaging_key", "encrypt", "events on the bus are encrypted with the messaging key", via="events"),
    ),
)
