from app.services.spec import Need, Service

SERVICE = Service(
    name="beneficial-owner",
    runtime="fargate",
    description="Beneficial owners and company applicants: names, birth dates, addresses, ID numbers",
    route="owners",
    database=True,
    needs=(
        Need(
            "database",
            "connect",
            "log in to PostgreSQL as its own user with IAM authentication",
            db_user="beneficial_owner",
        ),
        Need("pii_key", "encrypt_decrypt", "field-level encryption of owner identity fields"),
        Need("domain_bus", "put_events", "publish OwnerUpdated events"),
        Need("messaging_key", "encrypt", "events on the bus are encrypted with the messaging key", via="events"),
    ),
)
