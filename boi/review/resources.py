"""Resources per stack: added, removed, replaced (identity changed), moved (same content, new
address) and modified in place."""

from __future__ import annotations

from collections.abc import Mapping

from boi.review.attributes import short
from boi.review.model import StackResources

# Attributes Terraform cannot change in place for every type that has them, and per type.
FORCE_NEW_COMMON = frozenset(
    {"name", "name_prefix", "bucket", "bucket_prefix", "function_name", "identifier", "cluster_identifier"}
)
FORCE_NEW: dict[str, frozenset[str]] = {
    "aws_kms_key": frozenset({"customer_master_key_spec", "key_usage", "multi_region"}),
    "aws_iam_role": frozenset({"name", "path"}),
    "aws_s3_bucket": frozenset({"bucket", "object_lock_enabled"}),
    "aws_vpc": frozenset({"cidr_block"}),
    "aws_subnet": frozenset({"cidr_block", "vpc_id", "availability_zone"}),
    "aws_db_instance": frozenset({"identifier", "engine", "storage_encrypted", "kms_key_id", "availability_zone"}),
    "aws_dynamodb_table": frozenset({"name", "hash_key", "range_key"}),
    "aws_sqs_queue": frozenset({"name", "fifo_queue"}),
    "aws_sns_topic": frozenset({"name", "fifo_topic"}),
    "aws_cloudwatch_log_group": frozenset({"name"}),
    "aws_kms_alias": frozenset({"name"}),
    "aws_cognito_user_pool": frozenset({"name", "alias_attributes", "username_attributes"}),
}


def _resource_bodies(stack_json: dict) -> dict[str, dict]:
    out = {}
    for rtype, by_name in (stack_json.get("resource") or {}).items():
        for name, body in (by_name or {}).items():
            out[f"{rtype}.{name}"] = {k: v for k, v in (body or {}).items() if k != "//"}
    return out


def diff_resources(before: Mapping[str, dict], after: Mapping[str, dict]) -> dict[str, StackResources]:
    out: dict[str, StackResources] = {}
    for stack in sorted(set(before) | set(after)):
        b = _resource_bodies(before.get(stack, {}))
        a = _resource_bodies(after.get(stack, {}))
        res = StackResources()
        added = sorted(set(a) - set(b))
        removed = sorted(set(b) - set(a))
        # Same type and content at a new address: a construct-id rename.
        for old in list(removed):
            rtype = old.split(".", 1)[0]
            match = next((new for new in added if new.split(".", 1)[0] == rtype and a[new] == b[old]), None)
            if match:
                res.moved.append(f"{old} → {match}")
                removed.remove(old)
                added.remove(match)
        res.added, res.removed = added, removed
        for address in sorted(set(a) & set(b)):
            if a[address] == b[address]:
                continue
            rtype = address.split(".", 1)[0]
            forced = FORCE_NEW.get(rtype, FORCE_NEW_COMMON)
            identity = [
                f"{attr}: {short(b[address].get(attr))} → {short(a[address].get(attr))}"
                for attr in sorted(forced)
                if b[address].get(attr) != a[address].get(attr)
            ]
            if identity or rtype == "aws_ecs_task_definition":  # task definitions are immutable
                res.replaced.append(f"{address} ({'; '.join(identity) or 'new revision'})")
            else:
                top = sorted(k for k in set(a[address]) | set(b[address]) if a[address].get(k) != b[address].get(k))
                res.modified.append(f"{address} ({', '.join(top)})")
        if not res.empty():
            out[stack] = res
    return out
