"""Athena: the investigations workgroup, the Glue table over the trail files and the named queries."""

from __future__ import annotations

from cdktn_provider_aws.athena_named_query import AthenaNamedQuery
from cdktn_provider_aws.athena_workgroup import (
    AthenaWorkgroup,
    AthenaWorkgroupConfiguration,
    AthenaWorkgroupConfigurationResultConfiguration,
    AthenaWorkgroupConfigurationResultConfigurationEncryptionConfiguration,
)
from cdktn_provider_aws.glue_catalog_database import GlueCatalogDatabase
from cdktn_provider_aws.glue_catalog_table import (
    GlueCatalogTable,
    GlueCatalogTableStorageDescriptor,
    GlueCatalogTableStorageDescriptorColumns,
    GlueCatalogTableStorageDescriptorSerDeInfo,
)

from boi_audit import queries
from boi_audit.baseline.common import _fix


def build_athena(baseline, logs_key, pii_key_arns: list[str], break_glass_role_arn: str | None) -> None:
    s = baseline.settings
    bucket = baseline.archive_bucket_name
    baseline.athena_workgroup = _fix(
        AthenaWorkgroup(
            baseline,
            "athena",
            name=f"{s.name_prefix}-audit-investigations",
            force_destroy=not s.prevent_destroy,
            configuration=AthenaWorkgroupConfiguration(
                enforce_workgroup_configuration=True,
                publish_cloudwatch_metrics_enabled=True,
                result_configuration=AthenaWorkgroupConfigurationResultConfiguration(
                    output_location=f"s3://{bucket}/athena-results/",
                    encryption_configuration=AthenaWorkgroupConfigurationResultConfigurationEncryptionConfiguration(
                        encryption_option="SSE_KMS", kms_key_arn=logs_key.arn
                    ),
                ),
            ),
        ),
        "audit_investigations",
    )
    db_name = f"{s.name_prefix.replace('-', '_')}_audit"
    database = _fix(GlueCatalogDatabase(baseline, "glue_db", name=db_name), "audit_glue_database")
    trail_prefix = "AWSLogs/" if s.organization_mode else f"AWSLogs/{s.account_id}/CloudTrail/"
    _fix(
        GlueCatalogTable(
            baseline,
            "cloudtrail_table",
            name="cloudtrail",
            database_name=database.name,
            table_type="EXTERNAL_TABLE",
            parameters={"classification": "cloudtrail", "EXTERNAL": "TRUE"},
            storage_descriptor=GlueCatalogTableStorageDescriptor(
                location=f"s3://{bucket}/{trail_prefix}",
                input_format=queries.INPUT_FORMAT,
                output_format=queries.OUTPUT_FORMAT,
                ser_de_info=GlueCatalogTableStorageDescriptorSerDeInfo(serialization_library=queries.SERDE),
                columns=[GlueCatalogTableStorageDescriptorColumns(name=n, type=t) for n, t in queries.TRAIL_COLUMNS],
            ),
        ),
        "audit_cloudtrail",
    )
    table = f"{db_name}.cloudtrail"
    for name, (description, sql) in queries.named_queries(
        table, pii_key_arns=pii_key_arns, investigated_role_arn=break_glass_role_arn
    ).items():
        _fix(
            AthenaNamedQuery(
                baseline,
                f"query_{name}",
                name=f"{s.name_prefix}-{name}",
                description=description,
                database=database.name,
                workgroup=baseline.athena_workgroup.name,
                query=sql,
            ),
            f"audit_query_{name.replace('-', '_')}",
        )
