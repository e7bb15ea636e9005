"""KeyRing: maps key classes and their KeyPolicy onto aws_kms_key and aws_kms_alias resources."""

from __future__ import annotations

import json

import cdktn
import jsii
from boi_model import meta
from cdktn import Lazy, TerraformResourceLifecycle
from cdktn_provider_aws.kms_alias import KmsAlias
from cdktn_provider_aws.kms_key import KmsKey
from constructs import Construct

from boi_kms.classes import KeyClass
from boi_kms.errors import ConfigError
from boi_kms.policy import KeyPolicy, ServiceGrant, StatementRecord, UsageGrant

# Terraform JSON ignores "//" properties; the rendered docs read the statement reasons from here.
REASONS_METADATA_PATH = f"{meta.COMMENT}.{meta.KMS_REASONS}"


@jsii.implements(cdktn.IStringProducer)
class _PolicyProducer:
    def __init__(self, policy: KeyPolicy):
        self._policy = policy

    def produce(self, context) -> str:
        return json.dumps(self._policy.document(), sort_keys=False)


@jsii.implements(cdktn.IAnyProducer)
class _ReasonsProducer:
    def __init__(self, policy: KeyPolicy):
        self._policy = policy

    def produce(self, context):
        return {record.sid: record.reason for record in self._policy.records()}


class KeyHandle:
    """One key of the ring: its references and the grants that shape its policy."""

    def __init__(self, class_name: str, key_class: KeyClass, key: KmsKey, alias: KmsAlias, policy: KeyPolicy):
        self.class_name = class_name
        self.key_class = key_class
        self.resource = key
        self.alias_resource = alias
        self.policy = policy
        self.alias_name = alias.name_input

    @property
    def arn(self) -> str:
        return self.resource.arn

    @property
    def key_id(self) -> str:
        return self.resource.key_id

    def allow_use(
        self,
        sid: str,
        principal_arn: str,
        actions: tuple[str, ...],
        via_service: str | None,
        reason: str,
        context: dict | None = None,
    ) -> UsageGrant:
        return self.policy.add_usage(sid, principal_arn, actions, via_service, reason, context=context)

    def add_guard(self, statement: dict, reason: str):
        return self.policy.add_guard(statement, reason)

    def allow_service(
        self, sid: str, service_principal: str, actions: tuple[str, ...], conditions: dict, reason: str
    ) -> ServiceGrant:
        return self.policy.add_service(sid, service_principal, actions, conditions, reason)

    def statements(self) -> list[StatementRecord]:
        return self.policy.records()


class KeyRing(Construct):
    """One customer managed key and alias per key class, with policies that grants fill in later."""

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        name_prefix: str,
        account_id: str,
        region: str,
        partition: str = "aws",
        classes: dict[str, KeyClass],
        administrator_role_arns: list[str],
        break_glass_role_arn: str | None = None,
        policy_admin_role_arns: list[str] | None = None,
        prevent_destroy: bool = True,
        tags: dict[str, str] | None = None,
    ):
        super().__init__(scope, id)
        if (
            not isinstance(name_prefix, str)
            or not name_prefix
            or not all(c.isalnum() or c in "-_/" for c in name_prefix)
        ):
            raise ConfigError("name_prefix", name_prefix, "a non-empty string of letters, digits, - _ /")
        if not isinstance(classes, dict) or not classes:
            raise ConfigError("classes", classes, "a non-empty mapping of class name to KeyClass")
        self._handles: dict[str, KeyHandle] = {}
        for class_name, key_class in classes.items():
            if not isinstance(key_class, KeyClass) or key_class.name != class_name:
                raise ConfigError(f"classes.{class_name}", key_class, f"the KeyClass named {class_name!r}")
            policy = KeyPolicy(
                key_class=key_class,
                account_id=account_id,
                region=region,
                partition=partition,
                administrator_role_arns=tuple(administrator_role_arns or ()),
                break_glass_role_arn=break_glass_role_arn,
                policy_admin_role_arns=tuple(policy_admin_role_arns or ()),
            )
            rotates = key_class.rotation_days is not None
            key = KmsKey(
                self,
                class_name,
                description=f"{name_prefix} {class_name}: {key_class.description}",
                key_usage=key_class.key_usage,
                customer_master_key_spec=key_class.key_spec,
                enable_key_rotation=rotates,
                rotation_period_in_days=key_class.rotation_days if rotates else None,
                deletion_window_in_days=key_class.deletion_window_days,
                multi_region=key_class.multi_region,
                policy=Lazy.string_value(_PolicyProducer(policy)),
                tags={
                    **(tags or {}),
                    "data-class": class_name,
                    "rotation-days": str(key_class.rotation_days) if rotates else "manual",
                },
                lifecycle=TerraformResourceLifecycle(prevent_destroy=prevent_destroy),
            )
            key.add_override(REASONS_METADATA_PATH, Lazy.any_value(_ReasonsProducer(policy)))
            alias = KmsAlias(
                self,
                f"{class_name}_alias",
                name=f"alias/{name_prefix}-{class_name}",
                target_key_id=key.key_id,
            )
            self._handles[class_name] = KeyHandle(class_name, key_class, key, alias, policy)

    def key(self, class_name: str) -> KeyHandle:
        if class_name not in self._handles:
            raise ConfigError("class_name", class_name, f"one of {', '.join(self._handles)}")
        return self._handles[class_name]

    def keys(self) -> list[KeyHandle]:
        return list(self._handles.values())

    def statements(self) -> dict[str, list[StatementRecord]]:
        """Every key policy statement with its reason, by alias name."""
        return {handle.alias_name: handle.statements() for handle in self._handles.values()}
