"""Key policy documents with fixed statement ids, and the separation-of-duties check.

Pure: plain data in, plain dicts out. Values may be Terraform references or unresolved construct
tokens (anything containing "${"); those are passed through unchecked because they resolve later.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from fnmatch import fnmatchcase

from boi_kms.classes import KeyClass
from boi_kms.errors import ConfigError

KEY_ADMINISTRATION_SID = "KeyAdministration"
POLICY_ADMINISTRATION_SID = "KeyPolicyAdministration"
BREAK_GLASS_SID = "BreakGlassKeyDeletion"
RESOURCE_GRANTS_SID = "AllowAWSResourceGrants"
FIXED_SIDS = (KEY_ADMINISTRATION_SID, POLICY_ADMINISTRATION_SID, BREAK_GLASS_SID, RESOURCE_GRANTS_SID)

# Three tiers of control, each spelled out so no wildcard can ever match a cryptographic operation:
# - maintenance (key administrators): keep the key healthy; nothing here exposes, disables or destroys it;
# - policy administration (whoever deploys the keys): change who may use the key or which key an alias names;
# - destruction (break-glass only): disable or schedule deletion, and recover a lost policy.
MAINTENANCE_ACTIONS = (
    "kms:CancelKeyDeletion",
    "kms:DescribeKey",
    "kms:EnableKey",
    "kms:EnableKeyRotation",
    "kms:GetKeyPolicy",
    "kms:GetKeyRotationStatus",
    "kms:ListAliases",
    "kms:ListGrants",
    "kms:ListKeyPolicies",
    "kms:ListKeyRotations",
    "kms:ListResourceTags",
    "kms:ListRetirableGrants",
    "kms:RevokeGrant",
    "kms:RotateKeyOnDemand",
    "kms:TagResource",
    "kms:UntagResource",
    "kms:UpdateKeyDescription",
)
POLICY_ADMIN_ACTIONS = (
    "kms:CreateAlias",
    "kms:DeleteAlias",
    "kms:DisableKeyRotation",
    "kms:PutKeyPolicy",
    "kms:UpdateAlias",
)
# Every action of the key policy's administrators when no separate policy administrators are named.
ADMIN_ACTIONS = MAINTENANCE_ACTIONS + POLICY_ADMIN_ACTIONS
BREAK_GLASS_ACTIONS = (
    "kms:CancelKeyDeletion",
    "kms:DescribeKey",
    "kms:DisableKey",
    "kms:EnableKey",
    "kms:GetKeyPolicy",
    "kms:PutKeyPolicy",
    "kms:ScheduleKeyDeletion",
)
RESOURCE_GRANT_ACTIONS = ("kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant")

DECRYPT = ("kms:Decrypt",)
ENCRYPT = ("kms:Encrypt", "kms:GenerateDataKey")
ENCRYPT_DECRYPT = ENCRYPT + DECRYPT
GENERATE_DATA_KEY = ("kms:GenerateDataKey",)
GENERATE_DATA_KEY_WITHOUT_PLAINTEXT = ("kms:GenerateDataKeyWithoutPlaintext",)
REENCRYPT = ("kms:ReEncryptFrom", "kms:ReEncryptTo")
DESCRIBE = ("kms:DescribeKey",)
# What producing services (SNS, EventBridge, S3 notifications, CloudWatch alarms) need on a queue/topic key.
SERVICE_PRODUCER = ("kms:GenerateDataKey", "kms:Decrypt")
CLOUDTRAIL_WRITE = ("kms:GenerateDataKey", "kms:DescribeKey")
LOGS_SERVICE = (
    "kms:Encrypt",
    "kms:Decrypt",
    "kms:ReEncryptFrom",
    "kms:ReEncryptTo",
    "kms:GenerateDataKey",
    "kms:GenerateDataKeyWithoutPlaintext",
    "kms:DescribeKey",
)

# Operations that carry an encryption context: the only ones a context-key condition can apply to.
CONTEXT_ACTIONS = frozenset(
    {
        "kms:Encrypt",
        "kms:Decrypt",
        "kms:ReEncryptFrom",
        "kms:ReEncryptTo",
        "kms:GenerateDataKey",
        "kms:GenerateDataKeyWithoutPlaintext",
        "kms:GenerateDataKeyPair",
        "kms:GenerateDataKeyPairWithoutPlaintext",
    }
)
CRYPTO_ACTIONS = CONTEXT_ACTIONS | {"kms:Sign", "kms:Verify", "kms:GenerateMac", "kms:VerifyMac"}
USAGE_ACTIONS = CRYPTO_ACTIONS | {"kms:DescribeKey", "kms:GetPublicKey"}
# Actions that change who may do what with the key, or its existence.
CONTROL_ACTIONS = frozenset(
    {
        "kms:PutKeyPolicy",
        "kms:ScheduleKeyDeletion",
        "kms:CancelKeyDeletion",
        "kms:EnableKey",
        "kms:DisableKey",
        "kms:EnableKeyRotation",
        "kms:DisableKeyRotation",
        "kms:RotateKeyOnDemand",
        "kms:UpdateKeyDescription",
        "kms:CreateAlias",
        "kms:UpdateAlias",
        "kms:DeleteAlias",
        "kms:TagResource",
        "kms:UntagResource",
        "kms:ImportKeyMaterial",
        "kms:DeleteImportedKeyMaterial",
        "kms:CreateGrant",
        "kms:RetireGrant",
        "kms:RevokeGrant",
    }
)
# Service principals that accept aws:SourceAccount/aws:SourceArn or an aws:* encryption context.
CONFUSED_DEPUTY_KEYS = ("aws:SourceAccount", "aws:SourceArn", "aws:SourceOrgID")
CONFUSED_DEPUTY_CONTEXT_PREFIX = "kms:EncryptionContext:aws:"

PARTITIONS = ("aws", "aws-us-gov", "aws-cn")
_SID = re.compile(r"^[A-Za-z0-9]+$")
_ROLE_ARN = re.compile(r"^arn:(aws|aws-us-gov|aws-cn):iam::(\d{12}):role/[\w+=,.@/-]{1,512}$")
_ACCOUNT = re.compile(r"^\d{12}$")
_REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d+$")


def is_unresolved(value: str) -> bool:
    """A Terraform reference or construct token: its value is known only at apply time."""
    return "${" in value


def validate_role_arn(value: object, field_path: str, partition: str) -> str:
    allowed = f"an IAM role ARN like arn:{partition}:iam::123456789012:role/name, or a Terraform reference"
    if not isinstance(value, str):
        raise ConfigError(field_path, value, allowed)
    if is_unresolved(value):
        return value
    match = _ROLE_ARN.match(value)
    if not match or match.group(1) != partition:
        raise ConfigError(field_path, value, allowed)
    return value


def root_arn(partition: str, account_id: str) -> str:
    return f"arn:{partition}:iam::{account_id}:root"


@dataclass(frozen=True)
class UsageGrant:
    sid: str
    principal_arn: str
    actions: tuple[str, ...]
    via_service: str | None
    reason: str
    # Encryption-context values the caller must present (key -> allowed values), checked by value.
    context: tuple[tuple[str, tuple[str, ...]], ...] = ()


@dataclass(frozen=True)
class GuardStatement:
    """A Deny the key's owner adds whole (the data perimeter): it never grants, it only narrows."""

    sid: str
    statement: dict
    reason: str


@dataclass(frozen=True)
class ServiceGrant:
    sid: str
    service_principal: str
    actions: tuple[str, ...]
    conditions: dict
    reason: str


@dataclass(frozen=True)
class StatementRecord:
    """Why a statement exists: rendered into the generated documentation."""

    sid: str
    principal: str
    actions: tuple[str, ...]
    reason: str


@dataclass
class KeyPolicy:
    """The key policy of one key: fixed administration statements plus validated grants."""

    key_class: KeyClass
    account_id: str
    region: str
    partition: str
    administrator_role_arns: tuple[str, ...]
    break_glass_role_arn: str | None = None
    # Who may rewrite the policy and the aliases (the foundation deployer). Empty: the administrators.
    policy_admin_role_arns: tuple[str, ...] = ()
    usage: list[UsageGrant] = field(default_factory=list)
    services: list[ServiceGrant] = field(default_factory=list)
    guards: list[GuardStatement] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.partition not in PARTITIONS:
            raise ConfigError("partition", self.partition, f"one of {', '.join(PARTITIONS)}")
        if not isinstance(self.account_id, str) or not (
            _ACCOUNT.match(self.account_id) or is_unresolved(self.account_id)
        ):
            raise ConfigError("account_id", self.account_id, "a 12-digit AWS account id")
        if not isinstance(self.region, str) or not _REGION.match(self.region):
            raise ConfigError("region", self.region, "an AWS region name like us-east-1")
        admins = tuple(self.administrator_role_arns or ())
        if not admins:
            raise ConfigError(f"key {self.key_class.name}: administrator_role_arns", admins, "at least one role ARN")
        for i, arn in enumerate(admins):
            validate_role_arn(arn, f"key {self.key_class.name}: administrator_role_arns[{i}]", self.partition)
        if len(set(admins)) != len(admins):
            raise ConfigError(
                f"key {self.key_class.name}: administrator_role_arns", list(admins), "each role at most once"
            )
        self.administrator_role_arns = admins
        if self.break_glass_role_arn is not None:
            validate_role_arn(
                self.break_glass_role_arn, f"key {self.key_class.name}: break_glass_role_arn", self.partition
            )
        policy_admins = tuple(self.policy_admin_role_arns or ())
        for i, arn in enumerate(policy_admins):
            validate_role_arn(arn, f"key {self.key_class.name}: policy_admin_role_arns[{i}]", self.partition)
        self.policy_admin_role_arns = policy_admins

    def _where(self, sid: str) -> str:
        return f"key class {self.key_class.name}, statement {sid}"

    def _check_sid(self, sid: object) -> str:
        where = f"key class {self.key_class.name}: sid"
        if not isinstance(sid, str) or not _SID.match(sid):
            raise ConfigError(where, sid, "letters and digits only (A-Z, a-z, 0-9)")
        if sid in FIXED_SIDS:
            raise ConfigError(where, sid, f"any id except the fixed ids {', '.join(FIXED_SIDS)}")
        taken = [g.sid for g in self.usage] + [g.sid for g in self.services] + [g.sid for g in self.guards]
        if sid in taken:
            raise ConfigError(where, sid, f"an id unique within the key; taken: {', '.join(taken)}")
        return sid

    def _check_reason(self, sid: str, reason: object) -> str:
        if not isinstance(reason, str) or not reason.strip():
            raise ConfigError(f"{self._where(sid)}: reason", reason, "a non-empty sentence saying why")
        return reason.strip()

    def _check_actions(self, sid: str, actions: object) -> tuple[str, ...]:
        where = f"{self._where(sid)}: actions"
        allowed = f"a non-empty tuple of {', '.join(sorted(USAGE_ACTIONS))}"
        if isinstance(actions, str) or not isinstance(actions, (tuple, list)) or not actions:
            raise ConfigError(where, actions, allowed)
        for action in actions:
            if action not in USAGE_ACTIONS:
                raise ConfigError(where, action, allowed)
        return tuple(dict.fromkeys(actions))

    def add_usage(
        self,
        sid: str,
        principal_arn: str,
        actions: tuple[str, ...],
        via_service: str | None,
        reason: str,
        context: dict[str, list[str] | tuple[str, ...]] | None = None,
    ) -> UsageGrant:
        sid = self._check_sid(sid)
        pinned = self._check_context(sid, context or {}, actions)
        reason = self._check_reason(sid, reason)
        actions = self._check_actions(sid, actions)
        validate_role_arn(principal_arn, f"{self._where(sid)}: principal_arn", self.partition)
        controllers = set(self.administrator_role_arns) | set(self.policy_admin_role_arns)
        if principal_arn in controllers or principal_arn == self.break_glass_role_arn:
            raise ConfigError(
                f"{self._where(sid)}: principal_arn",
                principal_arn,
                "a role that does not administer the key (separation of duties: administrators and the "
                "break-glass role never use it)",
            )
        allowed_via = self.key_class.allowed_via_services
        if via_service is not None and via_service not in allowed_via:
            raise ConfigError(
                f"{self._where(sid)}: via_service",
                via_service,
                f"one of {', '.join(allowed_via)} or None" if allowed_via else "None (direct calls only)",
            )
        if self.key_class.allowed_encryption_context_keys:
            with_context = [a for a in actions if a in CONTEXT_ACTIONS]
            without = [a for a in actions if a not in CONTEXT_ACTIONS]
            if with_context and without:
                raise ConfigError(
                    f"{self._where(sid)}: actions",
                    actions,
                    "context-bearing operations and others in separate grants (this class requires an "
                    f"encryption context, which {', '.join(without)} does not carry)",
                )
        grant = UsageGrant(sid, principal_arn, actions, via_service, reason, pinned)
        self.usage.append(grant)
        return grant

    def _check_context(self, sid: str, context: dict, actions) -> tuple[tuple[str, tuple[str, ...]], ...]:
        where = f"{self._where(sid)}: context"
        if not isinstance(context, dict):
            raise ConfigError(where, context, "a mapping of encryption-context key to its allowed values")
        if not context:
            return ()
        allowed = self.key_class.allowed_encryption_context_keys
        if not allowed:
            raise ConfigError(where, context, "nothing: this key class takes no encryption context")
        if not all(a in CONTEXT_ACTIONS for a in actions):
            raise ConfigError(where, context, "only on grants of context-bearing operations")
        pinned = []
        for key, values in sorted(context.items()):
            if key not in allowed:
                raise ConfigError(f"{where}.{key}", key, f"one of the class's context keys {', '.join(allowed)}")
            values = [values] if isinstance(values, str) else list(values or ())
            if not values or not all(isinstance(v, str) and v and "*" not in v for v in values):
                raise ConfigError(f"{where}.{key}", values, "one or more literal values (no wildcard)")
            pinned.append((key, tuple(sorted(set(values)))))
        return tuple(pinned)

    def add_guard(self, statement: dict, reason: str) -> GuardStatement:
        """Add a Deny statement (its own Sid) to the policy, e.g. the data perimeter."""
        if not isinstance(statement, dict) or statement.get("Effect") != "Deny":
            raise ConfigError(f"key class {self.key_class.name}: guard", statement, "a Deny statement")
        sid = self._check_sid(statement.get("Sid"))
        guard = GuardStatement(sid, dict(statement), self._check_reason(sid, reason))
        self.guards.append(guard)
        return guard

    def add_service(
        self, sid: str, service_principal: str, actions: tuple[str, ...], conditions: dict, reason: str
    ) -> ServiceGrant:
        sid = self._check_sid(sid)
        reason = self._check_reason(sid, reason)
        actions = self._check_actions(sid, actions)
        allowed = self.key_class.service_principals_in(self.region)
        if service_principal not in allowed:
            raise ConfigError(
                f"{self._where(sid)}: service_principal",
                service_principal,
                f"one of {', '.join(allowed)}" if allowed else "none (this class admits no service principal)",
            )
        where = f"{self._where(sid)}: conditions"
        if not isinstance(conditions, dict) or not all(isinstance(v, dict) for v in conditions.values()):
            raise ConfigError(where, conditions, "a mapping of condition operator to {key: value}")
        keys = {key for block in conditions.values() for key in block}
        if not any(k in CONFUSED_DEPUTY_KEYS or k.startswith(CONFUSED_DEPUTY_CONTEXT_PREFIX) for k in keys):
            raise ConfigError(
                where,
                conditions,
                f"a confused-deputy condition on one of {', '.join(CONFUSED_DEPUTY_KEYS)} or "
                f"{CONFUSED_DEPUTY_CONTEXT_PREFIX}* (see confused_deputy_conditions())",
            )
        grant = ServiceGrant(sid, service_principal, actions, conditions, reason)
        self.services.append(grant)
        return grant

    def records(self) -> list[StatementRecord]:
        admin_actions = self._admin_actions()
        records = [
            StatementRecord(
                KEY_ADMINISTRATION_SID,
                ", ".join(self.administrator_role_arns),
                admin_actions,
                "Key administrators keep the key healthy but never use, disable or destroy it (separation of duties)."
                if self.policy_admin_role_arns
                else "Security administrators manage the key but never use it (separation of duties).",
            )
        ]
        if self.policy_admin_role_arns:
            records.append(
                StatementRecord(
                    POLICY_ADMINISTRATION_SID,
                    ", ".join(self.policy_admin_role_arns),
                    POLICY_ADMIN_ACTIONS,
                    "Only the deployer of the keys may change who uses a key or which key an alias names.",
                )
            )
        if self.break_glass_role_arn:
            records.append(
                StatementRecord(
                    BREAK_GLASS_SID,
                    self.break_glass_role_arn,
                    BREAK_GLASS_ACTIONS,
                    "Only the break-glass role may disable the key, schedule its deletion or recover its policy.",
                )
            )
        records += [StatementRecord(g.sid, g.principal_arn, g.actions, g.reason) for g in self.usage]
        records += [StatementRecord(g.sid, g.service_principal, g.actions, g.reason) for g in self.services]
        records += [
            StatementRecord(g.sid, "* (Deny)", tuple(_as_list(g.statement.get("Action"))), g.reason)
            for g in self.guards
        ]
        if self.usage:
            records.append(
                StatementRecord(
                    RESOURCE_GRANTS_SID,
                    ", ".join(self._usage_principals()),
                    RESOURCE_GRANT_ACTIONS,
                    "Integrated services (RDS, EBS, Secrets Manager...) create grants on behalf of the key "
                    "users; only for AWS resources.",
                )
            )
        return records

    def _admin_actions(self) -> tuple[str, ...]:
        actions = MAINTENANCE_ACTIONS if self.policy_admin_role_arns else ADMIN_ACTIONS
        if not self.break_glass_role_arn:
            # Without a break-glass role the administrators keep the destructive actions.
            actions = actions + tuple(a for a in BREAK_GLASS_ACTIONS if a not in actions)
        return tuple(sorted(actions))

    def _usage_principals(self) -> list[str]:
        return list(dict.fromkeys(g.principal_arn for g in self.usage))

    def document(self) -> dict:
        root = root_arn(self.partition, self.account_id)
        statements: list[dict] = [
            {
                "Sid": KEY_ADMINISTRATION_SID,
                "Effect": "Allow",
                "Principal": {"AWS": list(self.administrator_role_arns)},
                "Action": list(self._admin_actions()),
                "Resource": "*",
            }
        ]
        if self.policy_admin_role_arns:
            statements.append(
                {
                    "Sid": POLICY_ADMINISTRATION_SID,
                    "Effect": "Allow",
                    "Principal": {"AWS": list(self.policy_admin_role_arns)},
                    "Action": list(POLICY_ADMIN_ACTIONS),
                    "Resource": "*",
                }
            )
        if self.break_glass_role_arn:
            statements.append(
                {
                    "Sid": BREAK_GLASS_SID,
                    "Effect": "Allow",
                    "Principal": {"AWS": self.break_glass_role_arn},
                    "Action": list(BREAK_GLASS_ACTIONS),
                    "Resource": "*",
                }
            )
        for grant in self.usage:
            statements.append(self._usage_statement(grant, root))
        for grant in self.services:
            statements.append(
                {
                    "Sid": grant.sid,
                    "Effect": "Allow",
                    "Principal": {"Service": grant.service_principal},
                    "Action": list(grant.actions),
                    "Resource": "*",
                    "Condition": grant.conditions,
                }
            )
        if self.usage:
            statements.append(
                {
                    "Sid": RESOURCE_GRANTS_SID,
                    "Effect": "Allow",
                    "Principal": {"AWS": root},
                    "Action": list(RESOURCE_GRANT_ACTIONS),
                    "Resource": "*",
                    "Condition": {
                        "ArnEquals": {"aws:PrincipalArn": self._usage_principals()},
                        "Bool": {"kms:GrantIsForAWSResource": "true"},
                    },
                }
            )
        statements += [dict(g.statement) for g in self.guards]
        return {
            "Version": "2012-10-17",
            "Id": f"key-policy-{self.key_class.name}",
            "Statement": statements,
        }

    def _usage_statement(self, grant: UsageGrant, root: str) -> dict:
        # The principal is the account because KMS rejects key policies naming roles that do not exist
        # yet; the PrincipalArn condition narrows it to the one role, whose identity policy must also
        # allow the call.
        string_equals: dict = {"kms:CallerAccount": self.account_id}
        if grant.via_service:
            string_equals["kms:ViaService"] = self.key_class.via_service_endpoint(grant.via_service, self.region)
        condition: dict = {
            "ArnEquals": {"aws:PrincipalArn": [grant.principal_arn]},
            "StringEquals": string_equals,
        }
        if not grant.via_service:
            # A direct grant is only for direct calls, not for any service acting on the role's behalf.
            condition["Null"] = {"kms:ViaService": "true"}
        context_keys = self.key_class.allowed_encryption_context_keys
        if context_keys and any(a in CONTEXT_ACTIONS for a in grant.actions):
            condition["ForAllValues:StringEquals"] = {"kms:EncryptionContextKeys": list(context_keys)}
            # ForAllValues is true for an empty set: require that a context is present at all.
            condition.setdefault("Null", {})["kms:EncryptionContextKeys"] = "false"
        for key, values in grant.context:
            # By value, not only by key: the caller decrypts only the records it owns.
            string_equals[f"kms:EncryptionContext:{key}"] = list(values)
        return {
            "Sid": grant.sid,
            "Effect": "Allow",
            "Principal": {"AWS": root},
            "Action": list(grant.actions),
            "Resource": "*",
            "Condition": condition,
        }


def confused_deputy_conditions(
    service_principal: str,
    *,
    account_id: str,
    region: str,
    partition: str = "aws",
    source_arn: str | None = None,
) -> dict:
    """The confused-deputy conditions AWS documents for a service principal on a key policy."""
    if service_principal == "cloudtrail.amazonaws.com":
        any_trail = f"arn:{partition}:cloudtrail:*:{account_id}:trail/*"
        conditions: dict = {"StringLike": {"kms:EncryptionContext:aws:cloudtrail:arn": any_trail}}
        if source_arn:
            conditions["StringEquals"] = {"aws:SourceArn": source_arn}
        return conditions
    if service_principal == f"logs.{region}.amazonaws.com":
        pattern = source_arn or f"arn:{partition}:logs:{region}:{account_id}:log-group:*"
        return {"ArnLike": {"kms:EncryptionContext:aws:logs:arn": pattern}}
    conditions = {"StringEquals": {"aws:SourceAccount": account_id}}
    if source_arn:
        conditions["ArnLike"] = {"aws:SourceArn": source_arn}
    return conditions


def _as_list(value: object) -> list:
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _matches_any(patterns: list[str], actions: frozenset[str]) -> list[str]:
    hits = []
    for pattern in patterns:
        lowered = str(pattern).lower()
        hits += [a for a in actions if fnmatchcase(a.lower(), lowered)]
    return sorted(set(hits))


def _is_account_principal(principal: str) -> bool:
    return principal.endswith(":root") or bool(_ACCOUNT.match(principal))


def effective_principals(statement: dict) -> list[str]:
    principal = statement.get("Principal")
    if principal == "*" or (isinstance(principal, dict) and "*" in _as_list(principal.get("AWS"))):
        principals = ["*"]
    elif isinstance(principal, dict):
        principals = [str(p) for p in _as_list(principal.get("AWS"))]
    else:
        return []
    # An account principal narrowed by aws:PrincipalArn means exactly the named roles.
    narrowed: list[str] = []
    for operator, block in (statement.get("Condition") or {}).items():
        base = operator.split(":")[-1].removesuffix("IfExists")
        if base in ("ArnEquals", "ArnLike", "StringEquals", "StringLike"):
            for key, value in block.items():
                if key.lower() == "aws:principalarn":
                    narrowed += [str(v) for v in _as_list(value)]
    if narrowed and all(_is_account_principal(p) or p == "*" for p in principals):
        return narrowed
    return principals


def _grants_only_for_aws_resources(statement: dict) -> bool:
    for operator, block in (statement.get("Condition") or {}).items():
        if operator == "Bool" and str(block.get("kms:GrantIsForAWSResource", "")).lower() == "true":
            return True
    return False


def check_separation_of_duties(policy_doc: dict) -> list[str]:
    """Principals that both control the key and use it for cryptography, one message each."""
    controls: dict[str, set[str]] = {}
    uses: dict[str, set[str]] = {}
    for i, statement in enumerate(_as_list(policy_doc.get("Statement"))):
        if statement.get("Effect") != "Allow":
            continue
        sid = statement.get("Sid") or f"Statement[{i}]"
        actions = _as_list(statement.get("Action"))
        control = _matches_any(actions, CONTROL_ACTIONS)
        if _grants_only_for_aws_resources(statement):
            # Grants only an integrated AWS service can use: part of using the key, not controlling it.
            control = [a for a in control if a not in RESOURCE_GRANT_ACTIONS]
        crypto = _matches_any(actions, CRYPTO_ACTIONS)
        for principal in effective_principals(statement):
            if control:
                controls.setdefault(principal, set()).add(sid)
            if crypto:
                uses.setdefault(principal, set()).add(sid)
    return [
        f"{principal} administers the key ({', '.join(sorted(controls[principal]))}) "
        f"and uses it ({', '.join(sorted(uses[principal]))})"
        for principal in sorted(set(controls) & set(uses))
    ]
