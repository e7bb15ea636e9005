"""A standalone CDK Terrain app that uses only the boi-kms component: two keys and one grant.

    pip install dist/boi_kms-1.0.0-py3-none-any.whl    # after `make wheels`; pulls cdktn and the provider
    python main.py                                    # writes cdktf.out/stacks/kms-example/cdk.tf.json

Nothing here imports the BOI platform app (boi, modules, services) or the other components. The key
classes come from the component's example catalog; an application keeps its own key_classes.yaml (same
schema, boi_kms.catalog.KeyClassesCatalog) and loads it with load_key_classes(<file>).
"""

from __future__ import annotations

from boi_kms import policy as P
from boi_kms.catalog import EXAMPLE, load_key_classes
from boi_kms.classes import resolve_classes
from boi_kms.key_ring import KeyRing
from cdktn import App, TerraformStack
from cdktn_provider_aws.provider import AwsProvider

ACCOUNT_ID = "111122223333"
REGION = "us-east-1"
SECURITY_ADMIN = f"arn:aws:iam::{ACCOUNT_ID}:role/security-admin"
BREAK_GLASS = f"arn:aws:iam::{ACCOUNT_ID}:role/break-glass"
APP_ROLE = f"arn:aws:iam::{ACCOUNT_ID}:role/document-reader"


def build(app: App, stack_id: str = "kms-example") -> TerraformStack:
    stack = TerraformStack(app, stack_id)
    AwsProvider(stack, "aws", region=REGION, allowed_account_ids=[ACCOUNT_ID])
    classes = load_key_classes(EXAMPLE / "key_classes.yaml")  # validated against the catalog model
    catalog = resolve_classes({"documents": 180}, catalog=classes)  # per-environment rotation override, validated
    ring = KeyRing(
        stack,
        "keys",
        name_prefix="example",
        account_id=ACCOUNT_ID,
        region=REGION,
        classes={name: catalog[name] for name in ("documents", "logs")},
        administrator_role_arns=[SECURITY_ADMIN],
        break_glass_role_arn=BREAK_GLASS,
    )
    # The grant: the reader role may decrypt documents, only through S3.
    ring.key("documents").allow_use("DocumentReaderDecrypt", APP_ROLE, P.DECRYPT, "s3", "the app reads uploads")
    return stack


if __name__ == "__main__":
    app = App()
    build(app)
    app.synth()
