from app.services.spec import Need, Service

SERVICE = Service(
    name="authentication",
    runtime="lambda",
    description="Sign-up, sign-in and session bookkeeping on top of Cognito",
    route="auth",
    exposure="public",  # sign-up and sign-in come before any token
    needs=(
        Need("sessions_table", "read_write", "keep sessions and idempotency keys"),
        Need(
            "database_key",
            "encrypt_decrypt",
            "DynamoDB encrypts the sessions table with the database key",
            via="dynamodb",
        ),
    ),
)
