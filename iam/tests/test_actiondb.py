import importlib.util
from pathlib import Path

import pytest
from boi_iam import actiondb

IAM_DIR = Path(__file__).resolve().parents[1]
BUILD_SCRIPT = IAM_DIR / "scripts" / "build_actiondb.py"


def load_build_script():
    spec = importlib.util.spec_from_file_location("build_actiondb", BUILD_SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_snapshot_is_fresh_against_the_pinned_npm_package():
    build = load_build_script()
    if not build.DATA_PACKAGE.is_dir():
        pytest.skip("iam/sim/node_modules missing (run `npm ci --prefix iam/sim`): cannot check freshness")
    assert build.build() == actiondb.SNAPSHOT.read_text(encoding="utf-8"), (
        "boi_iam/data/actions.json is stale: run `python iam/scripts/build_actiondb.py` and commit it"
    )


def test_snapshot_covers_the_platform_services():
    build = load_build_script()
    assert set(build.REQUIRED_SERVICES) <= set(actiondb.load().services())
    assert actiondb.data_version() == "0.21.202609261"


def test_known_actions_case_insensitively():
    assert actiondb.is_known("s3:GetObject")
    assert actiondb.is_known("S3:getobject")
    assert not actiondb.is_known("s3:GetObjekt")
    assert not actiondb.is_known("nosuchservice:Get")


def test_resource_level_support():
    assert actiondb.supports_resource_level("s3:GetObject")
    assert not actiondb.supports_resource_level("s3:ListAllMyBuckets")
    assert not actiondb.supports_resource_level("ecr:GetAuthorizationToken")
    assert actiondb.resource_types("kms:Decrypt") == [("key", True)]
    assert actiondb.access_level("iam:PutRolePolicy") == "Permissions management, Write"
    assert actiondb.access_level("s3:GetObject") == "Read"
    assert "kms:EncryptionContext:${EncryptionContextKey}" in actiondb.condition_keys("kms:Decrypt")


def test_expand_wildcards():
    gets = actiondb.expand("s3:Get*")
    assert "s3:GetObject" in gets and "s3:GetBucketPolicy" in gets
    assert all(a.startswith("s3:Get") for a in gets)
    assert actiondb.expand("sqs:SendMessage") == ["sqs:SendMessage"]
    messages = actiondb.expand("SQS:*message")
    assert {"sqs:SendMessage", "sqs:ReceiveMessage", "sqs:DeleteMessage"} <= set(messages)
    assert all(a.startswith("sqs:") and a.endswith("Message") for a in messages)
    assert actiondb.expand("kms:?ecrypt") == ["kms:Decrypt"]
    assert actiondb.expand("s3:GetObjekt") == []
    assert len(actiondb.expand("*")) > 20000


@pytest.mark.parametrize(
    ("call", "arg", "error", "message"),
    [
        (
            actiondb.supports_resource_level,
            "s3:GetObjekt",
            KeyError,
            "action 's3:GetObjekt' is not in iam-data",
        ),
        (actiondb.is_known, "s3:Get*", ValueError, "action: expected one action like 's3:GetObject'"),
        (actiondb.expand, "s3Get*", ValueError, "pattern: expected 'service:Action'"),
    ],
)
def test_bad_input_is_named(call, arg, error, message):
    with pytest.raises(error) as e:
        call(arg)
    assert message in str(e.value)


def test_loading_is_cached():
    # Its speed is measured by `make bench`, not asserted here (a loaded machine is not a slow loader).
    actiondb.load.cache_clear()
    db = actiondb.load()
    assert actiondb.load() is db
