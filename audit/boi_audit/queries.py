"""Athena table layout over the trail prefix and the investigation queries (pure)."""

from __future__ import annotations

from boi_audit.errors import ConfigError

# CloudTrail JSON columns in the layout AWS documents for Athena (nested fields kept as strings where
# their shape varies by service).
TRAIL_COLUMNS: list[tuple[str, str]] = [
    ("eventversion", "string"),
    (
        "useridentity",
        "struct<type:string,principalid:string,arn:string,accountid:string,invokedby:string,"
        "accesskeyid:string,username:string,sessioncontext:struct<attributes:struct<"
        "mfaauthenticated:string,creationdate:string>,sessionissuer:struct<type:string,"
        "principalid:string,arn:string,accountid:string,username:string>>>",
    ),
    ("eventtime", "string"),
    ("eventsource", "string"),
    ("eventname", "string"),
    ("awsregion", "string"),
    ("sourceipaddress", "string"),
    ("useragent", "string"),
    ("errorcode", "string"),
    ("errormessage", "string"),
    ("requestparameters", "string"),
    ("responseelements", "string"),
    ("additionaleventdata", "string"),
    ("requestid", "string"),
    ("eventid", "string"),
    ("resources", "array<struct<arn:string,accountid:string,type:string>>"),
    ("eventtype", "string"),
    ("recipientaccountid", "string"),
    ("readonly", "string"),
]

SERDE = "org.apache.hive.hcatalog.data.JsonSerDe"
INPUT_FORMAT = "com.amazon.emr.cloudtrail.CloudTrailInputFormat"
OUTPUT_FORMAT = "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat"


def _sql_list(field: str, values: list[str]) -> str:
    for v in values:
        if "'" in v:
            raise ConfigError(field, v, "values without single quotes")
    return ", ".join(f"'{v}'" for v in values)


def named_queries(
    table: str, *, pii_key_arns: list[str], investigated_role_arn: str | None = None
) -> dict[str, tuple[str, str]]:
    """Query name -> (description, SQL). Table is '<database>.<table>'."""
    queries: dict[str, tuple[str, str]] = {}
    if pii_key_arns:
        keys = _sql_list("pii_key_arns", pii_key_arns)
        queries["pii-key-usage"] = (
            "Who used the PII keys, with which operation, and when.",
            f"SELECT eventtime, useridentity.arn AS principal, eventname, sourceipaddress, r.arn AS key_arn\n"
            f"FROM {table} CROSS JOIN UNNEST(resources) AS t(r)\n"
            f"WHERE eventsource = 'kms.amazonaws.com' AND r.arn IN ({keys})\n"
            f"ORDER BY eventtime DESC",
        )
    queries["iam-and-key-policy-changes"] = (
        "Changes to IAM policies and roles and to KMS key policies.",
        f"SELECT eventtime, useridentity.arn AS principal, eventsource, eventname, requestparameters\n"
        f"FROM {table}\n"
        f"WHERE (eventsource = 'iam.amazonaws.com' AND eventname IN ('PutRolePolicy', 'DeleteRolePolicy', "
        f"'AttachRolePolicy', 'DetachRolePolicy', 'CreatePolicyVersion', 'DeletePolicyVersion', 'CreatePolicy', "
        f"'DeletePolicy', 'UpdateAssumeRolePolicy', 'PutRolePermissionsBoundary', 'DeleteRolePermissionsBoundary', "
        f"'CreateRole', 'DeleteRole'))\n"
        f"   OR (eventsource = 'kms.amazonaws.com' AND eventname IN ('PutKeyPolicy', 'CreateGrant', 'RevokeGrant'))\n"
        f"ORDER BY eventtime DESC",
    )
    queries["console-signin-without-mfa"] = (
        "Console sign-ins that did not use a second factor.",
        f"SELECT eventtime, useridentity.arn AS principal, sourceipaddress, useragent\n"
        f"FROM {table}\n"
        f"WHERE eventname = 'ConsoleLogin' AND json_extract_scalar(additionaleventdata, '$.MFAUsed') <> 'Yes'\n"
        f"ORDER BY eventtime DESC",
    )
    queries["access-denied-spikes"] = (
        "Hours with many denied calls per principal (probing or a broken grant).",
        f"SELECT date_trunc('hour', from_iso8601_timestamp(eventtime)) AS hour, useridentity.arn AS principal,\n"
        f"       count(*) AS denied\n"
        f"FROM {table}\n"
        f"WHERE errorcode IN ('AccessDenied', 'AccessDeniedException', 'UnauthorizedOperation', "
        f"'Client.UnauthorizedOperation')\n"
        f"GROUP BY 1, 2 HAVING count(*) >= 20\n"
        f"ORDER BY denied DESC",
    )
    role = investigated_role_arn or "<role ARN>"
    _sql_list("investigated_role_arn", [role])
    queries["activity-of-role"] = (
        "Everything a given role did (replace the ARN when running for another role).",
        f"SELECT eventtime, eventsource, eventname, errorcode, sourceipaddress\n"
        f"FROM {table}\n"
        f"WHERE useridentity.sessioncontext.sessionissuer.arn = '{role}'\n"
        f"ORDER BY eventtime DESC",
    )
    return queries
