"""Rotation schedule, synth reading and the kms.md renderer on the example catalog (pure: no cdktn import)."""

import json
from dataclasses import replace
from datetime import date

import pytest
from boi_kms.catalog import example
from boi_kms.errors import ConfigError
from boi_kms.render import render_kms_doc
from boi_kms.rotation_report import plan_from_synth
from boi_kms.schedule import rotation_schedule
from boi_kms.synth_reading import keys_from_synth


def test_new_key_rotates_one_period_after_start():
    (entry,) = rotation_schedule([{"alias": "alias/a", "class": "pii", "rotation_days": 180}], date(2026, 1, 1))
    assert entry.next_rotations == (date(2026, 6, 30), date(2026, 12, 27), date(2027, 6, 25))


def test_existing_key_continues_its_cycle():
    keys = [{"alias": "alias/b", "class": "logs", "rotation_days": 365, "created": date(2024, 3, 1)}]
    (entry,) = rotation_schedule(keys, date(2026, 1, 1), count=2)
    assert entry.next_rotations == (date(2026, 3, 1), date(2027, 3, 1))


def test_rotation_on_the_start_day_is_not_next():
    keys = [{"alias": "alias/c", "class": "logs", "rotation_days": 100, "created": date(2025, 9, 23)}]
    (entry,) = rotation_schedule(keys, date(2026, 1, 1), count=1)
    assert entry.next_rotations == (date(2026, 4, 11),)


@pytest.mark.parametrize(
    ("key", "field"),
    [
        ({"alias": "a", "class": "pii", "rotation_days": 30}, "keys[0].rotation_days"),
        ({"alias": "", "class": "pii", "rotation_days": 180}, "keys[0].alias"),
        ({"alias": "a", "class": "pii", "rotation_days": 180, "created": "2026-01-01"}, "keys[0].created"),
    ],
)
def test_schedule_input_errors(key, field):
    with pytest.raises(ConfigError) as error:
        rotation_schedule([key], date(2026, 1, 1))
    assert error.value.field == field


def test_secret_material_catalog():
    items = {item.name: item for item in example().secret_material}
    assert items["Database master password"].max_age_days == 7
    assert items["IAM access keys"].key_class is None
    assert "OIDC" in items["IAM access keys"].mechanism


def _policy(sid, role):
    return json.dumps(
        {
            "Statement": [
                {
                    "Sid": "KeyAdministration",
                    "Effect": "Allow",
                    "Principal": {"AWS": ["arn:aws:iam::111122223333:role/sec"]},
                    "Action": ["kms:PutKeyPolicy"],
                },
                {
                    "Sid": sid,
                    "Effect": "Allow",
                    "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
                    "Action": ["kms:Decrypt"],
                    "Condition": {
                        "ArnEquals": {"aws:PrincipalArn": [role]},
                        "StringEquals": {"kms:ViaService": "s3.us-east-1.amazonaws.com"},
                    },
                },
            ]
        }
    )


# Hand-written in the shape cdktn synthesizes, including a cross-stack reference.
SYNTH = {
    "security": {
        "resource": {
            "aws_kms_key": {
                "keys_documents_1A2B": {
                    "//": {"boi_kms_statement_reasons": {"DocsRead": "document service reads uploads"}},
                    "description": "documents key",
                    "enable_key_rotation": True,
                    "rotation_period_in_days": 180,
                    "tags": {"data-class": "documents"},
                    "policy": _policy("DocsRead", "${aws_iam_role.document_service.arn}"),
                }
            },
            "aws_kms_alias": {
                "keys_documents_alias_3C4D": {
                    "name": "alias/boi-dev-documents",
                    "target_key_id": "${aws_kms_key.keys_documents_1A2B.key_id}",
                }
            },
            "aws_iam_policy": {
                "docs_read": {"policy": '{"Resource": "${aws_kms_key.keys_documents_1A2B.arn}"}'},
            },
            "aws_secretsmanager_secret": {
                "fincen": {"name": "boi-dev/fincen-api"},
                "db_app": {"name": "boi-dev/db-app"},
            },
            "aws_secretsmanager_secret_rotation": {
                "db_app": {"secret_id": "${aws_secretsmanager_secret.db_app.id}"},
            },
        },
        "output": {
            "cross-stack-output-aws_kms_keykeys_documents_1A2Barn": {"value": "${aws_kms_key.keys_documents_1A2B.arn}"}
        },
    },
    "data": {
        "resource": {
            "aws_s3_bucket_server_side_encryption_configuration": {
                "documents_sse": {
                    "rule": [
                        {
                            "apply_server_side_encryption_by_default": {
                                "kms_master_key_id": "${data.terraform_remote_state.cross-stack-reference-"
                                "input-security.outputs.cross-stack-output-aws_kms_keykeys_documents_1A2Barn}"
                            }
                        }
                    ]
                }
            }
        }
    },
}


def test_keys_from_synth_finds_alias_class_and_users_across_stacks():
    (key,) = keys_from_synth(SYNTH)
    assert (key.alias, key.class_name, key.rotation_days) == ("alias/boi-dev-documents", "documents", 180)
    assert key.reasons == {"DocsRead": "document service reads uploads"}
    users = " ".join(key.used_by)
    assert "aws_s3_bucket_server_side_encryption_configuration.documents_sse (stack data)" in users
    assert "apply_server_side_encryption_by_default.kms_master_key_id" in users
    assert "aws_iam_policy.docs_read" in users


def test_render_is_derived_from_the_synth_and_deterministic():
    catalog = example()
    text = render_kms_doc(SYNTH, catalog, date(2026, 1, 1))
    assert text == render_kms_doc(SYNTH, catalog, date(2026, 1, 1))
    assert "```mermaid" in text
    assert "`alias/boi-dev-documents`" in text
    assert "2026-06-30, 2026-12-27, 2027-06-25" in text
    assert "aws_s3_bucket_server_side_encryption_configuration_documents_sse" in text  # mermaid edge
    assert "| DocsRead | aws_iam_role.document_service | Decrypt | s3.us-east-1.amazonaws.com |" in text
    assert "document service reads uploads" in text
    assert "Third-party API credentials" in text
    assert "AES_256_GCM_HKDF_SHA512_COMMIT_KEY_ECDSA_P384" in text
    assert "REQUIRE_ENCRYPT_REQUIRE_DECRYPT" in text
    assert "`tenant_id`" in text
    assert "Uploaded documents in S3" in text


def test_render_follows_the_synth_not_the_catalog():
    changed = json.loads(json.dumps(SYNTH))
    key = changed["security"]["resource"]["aws_kms_key"]["keys_documents_1A2B"]
    key["rotation_period_in_days"] = 90
    text = render_kms_doc(changed, example(), date(2026, 1, 1))
    assert "| 90 days | 2026-04-01," in text


def test_plan_from_synth():
    plan = plan_from_synth(SYNTH)
    assert [(k.alias, k.class_name, k.rotation_days) for k in plan.keys] == [
        ("alias/boi-dev-documents", "documents", 180)
    ]
    assert {(s.name, s.rotation_expected) for s in plan.secrets} == {
        ("boi-dev/fincen-api", False),
        ("boi-dev/db-app", True),
    }


def test_render_takes_the_catalog_from_the_caller():
    catalog = example()
    standard = catalog.field_encryption.model_copy(update={"library": "a vetted in-house library"})
    text = render_kms_doc(SYNTH, replace(catalog, field_encryption=standard), date(2026, 1, 1))
    assert "- Library: a vetted in-house library." in text
