from app.services.spec import Need, Queue, Service

SERVICE = Service(
    name="fincen-worker",
    runtime="fargate",
    description="Takes filings from the queue, submits BOIRs to the FinCEN API, stores transcripts",
    exposure="internal",
    database=True,
    egress_internet_https=True,
    environment={"FINCEN_ENDPOINT": "settings:fincen.endpoint"},
    queues=(
        Queue(
            "filing",
            "filings waiting to be submitted to FinCEN",
            routed_events=("reporting-company", "FilingRequested"),
        ),
    ),
    secrets={"FINCEN_CLIENT": "fincen_secret"},
    needs=(
        Need("filing_queue", "consume", "receive filings to submit; failures retry, then land in the DLQ"),
        Need("messaging_key", "decrypt", "SQS decrypts queued filings with the messaging key", via="sqs"),
        Need("database", "connect", "read the filing's company and owner records", db_user="fincen_worker"),
        Need("pii_key", "decrypt", "decrypt PII fields to build the BOIR XML"),
        Need("documents_bucket", "read", "attach identity document images to the filing", prefix="uploads/"),
        Need("documents_bucket", "put", "store FinCEN transcripts and receipts", prefix="reports/"),
        Need("documents_key", "encrypt_decrypt", "S3 encrypts and decrypts documents with the documents key", via="s3"),
    ),
)
