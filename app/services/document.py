from app.services.spec import Need, Service

SERVICE = Service(
    name="document",
    runtime="lambda",
    description="Accepts identity-document uploads and serves them back to the owning company",
    route="documents",
    needs=(
        Need("documents_bucket", "put", "store uploaded identity documents", prefix="uploads/"),
        Need("documents_bucket", "read", "return a company's own uploaded documents", prefix="uploads/"),
        Need("documents_key", "encrypt_decrypt", "S3 encrypts and decrypts documents with the documents key", via="s3"),
        Need("domain_bus", "put_events", "publish DocumentUploaded events"),
        Need("messaging_key", "encrypt", "events on the bus are encrypted with the messaging key", via="events"),
    ),
)
