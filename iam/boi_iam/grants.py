"""The grant model: a principal, an asset and an operation become policy statements.

A grant is the only way a permission enters the platform. `statements_for` turns one grant into
identity-policy statements and resource-policy statements; `placement` is the one rule that
decides which of the two a grant lands in.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from . import actiondb
from . import actions as A
from .errors import GrantError
from .policy import Statement

_ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]{1,512}$")
_ACCOUNT = re.compile(r"^\d{12}$")
_PREFIX = re.compile(r"^([A-Za-z0-9!_()-][A-Za-z0-9!_.()-]*/)*$")


@dataclass(frozen=True)
class Principal:
    """Who receives a grant: a role of this platform (by its literal ARN) or an AWS service."""

    name: str
    arn: str | None = None
    account_id: str | None = None
    service: str | None = None

    def __post_init__(self) -> None:
        if self.service:
            if not self.service.endswith(".amazonaws.com"):
                raise GrantError(f"principal {self.name}: service {self.service!r} is not an AWS service principal")
            return
        if not self.arn or not _ROLE_ARN.match(self.arn):
            raise GrantError(
                f"principal {self.name}: ARN {self.arn!r} is not a role ARN "
                "(arn:aws:iam::<12-digit account>:role/<name>)"
            )
        if self.arn.split(":")[4] != self.account_id:
            raise GrantError(f"principal {self.name}: ARN {self.arn} is not in account {self.account_id}")


# A sink receives the resource-side statement of a grant; the asset's construct owns it.
ResourceSink = Callable[["Grant", Statement], None]


@dataclass
class Asset:
    """Something a grant gives access to. `arn` may be a Terraform token."""

    kind: str
    name: str
    arn: str
    account_id: str
    region: str
    sensitive: bool = False
    key_arn: str | None = None
    sink: ResourceSink | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise GrantError(f"asset {self.name}: kind {self.kind!r} is not one of {sorted(KINDS)}")
        if not _ACCOUNT.match(self.account_id):
            raise GrantError(f"asset {self.name}: account id {self.account_id!r} is not 12 digits")


@dataclass(frozen=True)
class Grant:
    principal: Principal
    asset: Asset
    operation: str
    reason: str
    prefix: str = ""
    via: str | None = None
    db_user: str | None = None
    passed_to: str | None = None
    source_arn: str | None = None  # for an AWS service principal: the one resource it acts for
    event_source: str | None = None  # for put_events: the one `source` the principal may publish
    sid: str | None = None
    # For a KMS key: encryption-context values the caller must present, ((key, (values...)), ...).
    context: tuple[tuple[str, tuple[str, ...]], ...] = ()

    def statement_id(self) -> str:
        if self.sid:
            return self.sid
        words = re.split(r"[^A-Za-z0-9]+", f"{self.operation} {self.asset.name} {self.prefix}")
        return "".join(w[:1].upper() + w[1:] for w in words if w)


@dataclass(frozen=True)
class Operation:
    actions: tuple[str, ...]
    resources: Callable[[Grant], tuple[str, ...]]
    conditions: Callable[[Grant], dict] = lambda grant: {}
    needs: tuple[str, ...] = ()


def _objects(g: Grant) -> tuple[str, ...]:
    return (f"{g.asset.arn}/{g.prefix}*",)


def _itself(g: Grant) -> tuple[str, ...]:
    return (g.asset.arn,)


def _put_conditions(g: Grant) -> dict:
    # Uploads must name this bucket's key; the bucket policy denies any other key too.
    if not g.asset.key_arn:
        return {}
    return {
        "StringEquals": {
            "s3:x-amz-server-side-encryption": "aws:kms",
            "s3:x-amz-server-side-encryption-aws-kms-key-id": g.asset.key_arn,
        }
    }


def _list_conditions(g: Grant) -> dict:
    return {"StringLike": {"s3:prefix": [f"{g.prefix}*"]}} if g.prefix else {}


def _kms_conditions(g: Grant) -> dict:
    cond: dict = {"StringEquals": {"kms:CallerAccount": g.asset.account_id}}
    if g.via:
        cond["StringEquals"]["kms:ViaService"] = f"{g.via}.{g.asset.region}.amazonaws.com"
    else:
        # Direct use only: no AWS service may use the key on the principal's behalf.
        cond["Null"] = {"kms:ViaService": "true"}
    for key, values in g.context:
        cond["StringEquals"][f"kms:EncryptionContext:{key}"] = list(values)
    return cond


def _db_users(g: Grant) -> tuple[str, ...]:
    # rds-db ARNs name the instance's resource id (a token) and the database user.
    return (f"arn:aws:rds-db:{g.asset.region}:{g.asset.account_id}:dbuser:{g.asset.arn}/{g.db_user}",)


def _log_streams(g: Grant) -> tuple[str, ...]:
    return (f"{g.asset.arn}:log-stream:*",)


def _event_source(g: Grant) -> dict:
    # Each publisher publishes only its own source: nobody else can forge its events.
    return {"StringEquals": {"events:source": g.event_source}}


def _passed_to(g: Grant) -> dict:
    return {"StringEquals": {"iam:PassedToService": g.passed_to}}


def _star(g: Grant) -> tuple[str, ...]:
    return ("*",)


def _cluster_members(g: Grant) -> tuple[str, ...]:
    # asset.arn is the cluster ARN: arn:aws:ecs:<region>:<account>:cluster/<name>
    base, _, name = g.asset.arn.rpartition(":cluster/")
    return (f"{base}:service/{name}/*", f"{base}:task/{name}/*")


def _eni_resources(g: Grant) -> tuple[str, ...]:
    base = f"arn:aws:ec2:{g.asset.region}:{g.asset.account_id}"
    return (f"{base}:network-interface/*", f"{base}:subnet/*", f"{base}:security-group/*")


OPERATIONS: dict[tuple[str, str], Operation] = {
    ("s3_bucket", "read"): Operation(A.S3_READ_OBJECTS, _objects),
    ("s3_bucket", "put"): Operation(A.S3_PUT_OBJECTS, _objects, _put_conditions),
    ("s3_bucket", "delete"): Operation(A.S3_DELETE_OBJECTS, _objects),
    ("s3_bucket", "list"): Operation(A.S3_LIST_BUCKET, _itself, _list_conditions),
    ("kms_key", "decrypt"): Operation(A.KMS_DECRYPT, _itself, _kms_conditions),
    ("kms_key", "encrypt"): Operation(A.KMS_ENCRYPT, _itself, _kms_conditions),
    ("kms_key", "encrypt_decrypt"): Operation(A.KMS_ENCRYPT_DECRYPT, _itself, _kms_conditions),
    ("sqs_queue", "send"): Operation(A.SQS_SEND, _itself),
    ("sqs_queue", "consume"): Operation(A.SQS_CONSUME, _itself),
    ("sqs_queue", "inspect"): Operation(A.SQS_INSPECT, _itself),
    ("secret", "read"): Operation(A.SECRET_READ, _itself),
    ("dynamodb_table", "read_write"): Operation(A.DYNAMODB_READ_WRITE, _itself),
    ("dynamodb_table", "read"): Operation(A.DYNAMODB_READ, _itself),
    ("database", "connect"): Operation(A.RDS_CONNECT, _db_users, needs=("db_user",)),
    ("event_bus", "put_events"): Operation(A.EVENTS_PUT, _itself, _event_source, needs=("event_source",)),
    ("sns_topic", "publish"): Operation(A.SNS_PUBLISH, _itself),
    ("log_group", "write"): Operation(A.LOGS_WRITE, _log_streams),
    ("log_group", "read"): Operation(A.LOGS_READ, _log_streams),
    ("role", "pass"): Operation(A.IAM_PASS_ROLE, _itself, _passed_to, needs=("passed_to",)),
    ("ecr_repository", "pull"): Operation(A.ECR_PULL, _itself),
    ("account", "ecr_login"): Operation(A.ECR_AUTH_TOKEN, _star),
    ("account", "xray_write"): Operation(A.XRAY_WRITE, _star),
    ("account", "eni_describe"): Operation(A.EC2_ENI_DESCRIBE, _star),
    ("account", "ssm_session_channel"): Operation(A.SSM_SESSION_CHANNEL, _star),
    ("account", "metrics_read"): Operation(A.METRICS_READ, _star),
    ("account", "compliance_read"): Operation(A.CONFIG_COMPLIANCE_READ, _star),
    ("alarms", "read"): Operation(A.ALARMS_READ, _itself),
    ("security_hub", "read_findings"): Operation(A.SECURITYHUB_FINDINGS_READ, _itself),
    ("ecs_cluster", "inspect"): Operation(A.ECS_INSPECT, _cluster_members),
    ("network", "eni_manage"): Operation(A.EC2_ENI_MANAGE, _eni_resources),
}

KINDS = frozenset(kind for kind, _ in OPERATIONS)


@dataclass(frozen=True)
class GrantStatements:
    identity: tuple[Statement, ...]
    resource: tuple[Statement, ...]


def placement(principal: Principal, asset: Asset) -> str:
    """Where a grant lands: 'identity', 'resource' or 'both'.

    - An AWS service has no identity policy: only the resource policy can allow it.
    - A KMS key policy must itself allow every use (KMS does not fall back to IAM unless the
      key policy delegates), and our key policies delegate only to named roles: both.
    - An event bus: both, so the bus policy can name every publisher and refuse everyone else.
    - Another account: its identity policy and our resource policy must both allow.
    - Otherwise the principal's identity policy alone is enough and keeps resource policies small.
    """
    if principal.service:
        return "resource"
    if asset.kind in ("kms_key", "event_bus"):
        return "both"
    if principal.account_id != asset.account_id:
        return "both"
    return "identity"


def statements_for(grant: Grant) -> GrantStatements:
    op = OPERATIONS.get((grant.asset.kind, grant.operation))
    where = f"grant {grant.statement_id()} ({grant.principal.name} -> {grant.asset.name})"
    if op is None:
        allowed = sorted(o for k, o in OPERATIONS if k == grant.asset.kind)
        raise GrantError(
            f"{where}: operation {grant.operation!r} is not defined for a {grant.asset.kind}; allowed: {allowed}"
        )
    for needed in op.needs:
        if not getattr(grant, needed):
            raise GrantError(f"{where}: operation {grant.operation!r} needs {needed}=")
    if grant.prefix and not _PREFIX.match(grant.prefix):
        raise GrantError(f"{where}: prefix {grant.prefix!r} must be path segments ending in '/'")
    if not grant.reason.strip():
        raise GrantError(f"{where}: a reason is required")
    unknown = [a for a in op.actions if not actiondb.is_known(a)]
    if unknown:
        raise GrantError(f"{where}: unknown IAM action(s) {unknown} (checked against the IAM action database)")
    resources = op.resources(grant)
    if resources == ("*",):
        unscoped = [a for a in op.actions if a not in A.RESOURCE_STAR_ONLY]
        if unscoped:
            raise GrantError(
                f"{where}: Resource '*' is only for actions without resource-level permissions; {unscoped} have them"
            )
    conditions = op.conditions(grant)
    if grant.principal.service:
        # Confused-deputy guard: the service may act only for the named resource of ours.
        if not grant.source_arn:
            raise GrantError(
                f"{where}: a grant to {grant.principal.service} needs source_arn= (the resource the service acts for)"
            )
        conditions = {**conditions, "ArnEquals": {"aws:SourceArn": grant.source_arn}}
    statement = Statement(
        sid=grant.statement_id(), actions=op.actions, resources=resources, conditions=conditions, reason=grant.reason
    )
    where_to = placement(grant.principal, grant.asset)
    identity = (statement,) if where_to in ("identity", "both") else ()
    resource: tuple[Statement, ...] = ()
    if where_to in ("resource", "both"):
        principals = {"Service": grant.principal.service} if grant.principal.service else {"AWS": grant.principal.arn}
        resource = (
            Statement(
                sid=statement.sid,
                actions=op.actions,
                resources=resources,
                conditions=statement.conditions,
                reason=grant.reason,
                principals=principals,
            ),
        )
    return GrantStatements(identity=identity, resource=resource)
