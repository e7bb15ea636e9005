"""The data perimeter and the egress control as deployed (issue 17).

- perimeter egress: every workload's security groups (those an ECS service or a Lambda function runs in)
  send nothing to 0.0.0.0/0, ::/0 or a range that covers the whole VPC, and nothing the plan does not hold;
  every workload subnet's route to the internet, if any, goes through a firewall endpoint (a VPC endpoint),
  never straight to a NAT or internet gateway.
- perimeter statements: the perimeter statements the plan puts on key policies, bucket, queue and secret
  policies and on the workload boundary are on the deployed documents, equal to the plan; every workload
  role carries its planned boundary. The other checks compare whole documents too, but only for keys and
  roles, and a drifted perimeter deserves its own name in the report.
- egress firewall: the Network Firewall rule group's TLS SNI allow-list is the planned one. Where the
  environment leaves the firewall out (`local.skip_services`: moto has no Network Firewall) this is not a
  pass: the report lists it under "not verified here" with what covers it instead.
"""

from __future__ import annotations

import ipaddress
import json

from boi_model.policies import PERIMETER_SIDS, matches, perimeter_statements

from boi.live_audit.registry import (
    ANY,
    Finding,
    Gap,
    check,
    error_code,
    name_of,
    policy_differences,
    resources,
)

EVERYWHERE = {"0.0.0.0/0", "::/0"}
# The policy kinds that carry the perimeter, and how the report names each.
KINDS = {
    "aws_kms_key": "key policy",
    "aws_s3_bucket_policy": "bucket policy",
    "aws_sqs_queue_policy": "queue policy",
    "aws_secretsmanager_secret_policy": "secret policy",
    "aws_iam_policy": "managed policy",
}


def _ref_name(rtype: str, value) -> str | None:
    """The resource name inside `${<rtype>.<name>.<attr>}`, else None."""
    text = value if isinstance(value, str) else ""
    prefix = "${" + rtype + "."
    if text.startswith(prefix) and text.endswith("}") and text.count("${") == 1:
        return text[len(prefix) : -1].split(".", 1)[0]
    return None


def _first(value) -> dict:
    if isinstance(value, list):
        return value[0] if value else {}
    return value or {}


# ---------------------------------------------------------------- workloads, their groups and subnets


def workloads(synth) -> list[tuple[str, str, list[str], list[str]]]:
    """(stack, label, security-group refs, subnet refs) of every ECS service and VPC Lambda function."""
    found = []
    for stack, name, cfg in resources(synth, "aws_ecs_service"):
        net = _first(cfg.get("network_configuration"))
        found.append(
            (stack, cfg.get("name") or name, list(net.get("security_groups") or []), list(net.get("subnets") or []))
        )
    for stack, name, cfg in resources(synth, "aws_lambda_function"):
        vpc = _first(cfg.get("vpc_config"))
        if vpc:
            found.append(
                (
                    stack,
                    cfg.get("function_name") or name,
                    list(vpc.get("security_group_ids") or []),
                    list(vpc.get("subnet_ids") or []),
                )
            )
    return found


def _group_ids(synth, state, ec2) -> dict[tuple[str, str], tuple[str, str | None]]:
    """(stack, resource name) -> (group name, live group id or None) for every planned security group."""
    groups = {}
    for stack, name, cfg in resources(synth, "aws_security_group"):
        groups[(stack, name)] = (cfg.get("name") or name, state.address_value(stack, "aws_security_group", name, "id"))
    missing = sorted({g for g, gid in groups.values() if gid is None and "${" not in g})
    if missing:
        live = {}
        for page in ec2.get_paginator("describe_security_groups").paginate(
            Filters=[{"Name": "group-name", "Values": missing}]
        ):
            for g in page["SecurityGroups"]:
                live[g["GroupName"]] = g["GroupId"]
        groups = {k: (g, gid or live.get(g)) for k, (g, gid) in groups.items()}
    return groups


def _planned_egress(synth, state, stack: str, name: str, cfg: dict) -> list[tuple]:
    """(protocol, from, to, target, target kind) of every egress the plan gives a group (inline and rules)."""
    rules = []
    for block in cfg.get("egress") or []:
        for key, kind in (("cidr_blocks", "cidr"), ("ipv6_cidr_blocks", "cidr"), ("prefix_list_ids", "pl")):
            for target in block.get(key) or []:
                head = (str(block.get("protocol")), block.get("from_port"), block.get("to_port"))
                rules.append((*head, state.text(stack, target), kind))
        for target in block.get("security_groups") or []:
            head = (str(block.get("protocol")), block.get("from_port"), block.get("to_port"))
            rules.append((*head, state.text(stack, target), "sg"))
    for rstack, _, rule in resources(synth, "aws_vpc_security_group_egress_rule"):
        if rstack != stack or _ref_name("aws_security_group", rule.get("security_group_id")) != name:
            continue
        for key, kind in (
            ("cidr_ipv4", "cidr"),
            ("cidr_ipv6", "cidr"),
            ("prefix_list_id", "pl"),
            ("referenced_security_group_id", "sg"),
        ):
            if rule.get(key):
                head = (str(rule.get("ip_protocol")), rule.get("from_port"), rule.get("to_port"))
                rules.append((*head, state.text(stack, rule[key]), kind))
    return rules


def _live_egress(group: dict) -> list[tuple]:
    rules = []
    for perm in group.get("IpPermissionsEgress", []):
        head = (str(perm.get("IpProtocol")), perm.get("FromPort"), perm.get("ToPort"))
        targets = (
            [(r["CidrIp"], "cidr") for r in perm.get("IpRanges", [])]
            + [(r["CidrIpv6"], "cidr") for r in perm.get("Ipv6Ranges", [])]
            + [(p["PrefixListId"], "pl") for p in perm.get("PrefixListIds", [])]
            + [(p["GroupId"], "sg") for p in perm.get("UserIdGroupPairs", [])]
        )
        rules += [(*head, *t) for t in targets]
    return rules


def _describe(protocol, low, high, target, _kind="") -> str:
    ports = "all ports" if protocol == "-1" else f"{protocol} {low}" + (f"-{high}" if high != low else "")
    return f"{ports} to {target}"


def too_wide(target: str, vpc_cidrs: list[str]) -> str | None:
    """Why an egress target is forbidden for a workload (the internet, or the whole VPC), else None."""
    try:
        net = ipaddress.ip_network(target, strict=False)
    except ValueError:
        return None  # a prefix list or a security group: judged against the plan
    if net.prefixlen == 0:
        return "the whole internet"
    for cidr in vpc_cidrs:
        vpc = ipaddress.ip_network(cidr, strict=False)
        if vpc.version == net.version and vpc.subnet_of(net):
            return f"a range covering the whole VPC CIDR {cidr}"
    return None


def _egress_gaps(synth) -> list[Gap]:
    if any(groups for _, _, groups, _ in workloads(synth)):
        return []
    return [
        Gap(
            "perimeter egress",
            "workload security groups and subnet routes",
            "the plan has no ECS service or VPC Lambda function with a security group",
            "nothing: there is no workload network to check",
        )
    ]


@check(
    "perimeter egress",
    title="workload security groups send nothing to the internet or the whole VPC, nothing beyond the plan; "
    "workload subnets reach the internet only through a firewall endpoint",
    severity="critical",
    controls=("NIST SC-7", "NIST SC-7(5)", "NIST AC-4"),
    gaps=_egress_gaps,
)
def check_egress(synth, state, session) -> list[Finding]:
    findings = []
    ec2 = session.client("ec2")
    planned = {(stack, name): cfg for stack, name, cfg in resources(synth, "aws_security_group")}
    groups = _group_ids(synth, state, ec2)
    seen_groups: set[tuple[str, str]] = set()
    subnets: dict[str, str] = {}  # live subnet id -> workload label
    for stack, label, group_refs, subnet_refs in workloads(synth):
        for ref in group_refs:
            name = _ref_name("aws_security_group", ref)
            if name is None or (stack, name) not in planned:
                findings.append(Finding("perimeter egress", label, f"security group {ref} is not a planned group"))
                continue
            seen_groups.add((stack, name))
        for ref in subnet_refs:
            subnet = state.text(stack, ref)
            if subnet == ANY or "${" in subnet:
                subnet = _subnet_by_name(synth, stack, ref, ec2) or f"{ref} (not found)"
            subnets.setdefault(subnet, label)
    vpc_cidrs: dict[str, list[str]] = {}
    for stack, name in sorted(seen_groups):
        group_name, group_id = groups[(stack, name)]
        if not group_id:
            findings.append(Finding("perimeter egress", group_name, "security group not found"))
            continue
        try:
            group = ec2.describe_security_groups(GroupIds=[group_id])["SecurityGroups"][0]
            vpc_id = group.get("VpcId", "")
            if vpc_id not in vpc_cidrs:
                vpc = ec2.describe_vpcs(VpcIds=[vpc_id])["Vpcs"][0]
                vpc_cidrs[vpc_id] = [a["CidrBlock"] for a in vpc.get("CidrBlockAssociationSet", [])] or [
                    vpc["CidrBlock"]
                ]
        except Exception as exc:  # noqa: BLE001 - reported as a finding
            findings.append(Finding("perimeter egress", group_name, f"cannot read the group ({error_code(exc)})"))
            continue
        plan = _planned_egress(synth, state, stack, name, planned[(stack, name)])
        for rule in _live_egress(group):
            why = too_wide(rule[3], vpc_cidrs[vpc_id])
            if why:
                findings.append(Finding("perimeter egress", group_name, f"egress {_describe(*rule)}: {why}"))
            elif not any(p[:3] == rule[:3] and p[4] == rule[4] and matches(p[3], rule[3], ANY) for p in plan):
                findings.append(
                    Finding("perimeter egress", group_name, f"egress {_describe(*rule)} is not in the plan")
                )
    if subnets:
        findings += _routes(ec2, subnets)
    return findings


def _subnet_by_name(synth, stack: str, ref: str, ec2) -> str | None:
    """Without state: the live subnet whose Name tag is the planned one."""
    name = _ref_name("aws_subnet", ref)
    tag = (synth[stack].get("resource", {}).get("aws_subnet", {}).get(name or "", {}).get("tags") or {}).get("Name")
    if not tag:
        return None
    found = ec2.describe_subnets(Filters=[{"Name": "tag:Name", "Values": [tag]}]).get("Subnets", [])
    return found[0]["SubnetId"] if len(found) == 1 else None


def _routes(ec2, subnets: dict[str, str]) -> list[Finding]:
    """A workload subnet's default route may only lead to a VPC endpoint (the egress firewall)."""
    findings = [
        Finding("perimeter egress", f"{label} subnet {subnet}", "subnet not found")
        for subnet, label in subnets.items()
        if subnet.endswith("(not found)")
    ]
    live = sorted(s for s in subnets if s.startswith("subnet-"))
    try:
        tables = [
            t
            for page in ec2.get_paginator("describe_route_tables").paginate(
                Filters=[{"Name": "association.subnet-id", "Values": live}]
            )
            for t in page["RouteTables"]
        ]
        associated = {a.get("SubnetId") for t in tables for a in t.get("Associations", [])}
        # A subnet without its own table uses its VPC's main table.
        rest = [s for s in live if s not in associated]
        if rest:
            vpcs = sorted({n["VpcId"] for n in ec2.describe_subnets(SubnetIds=rest)["Subnets"]})
            for table in ec2.describe_route_tables(
                Filters=[{"Name": "association.main", "Values": ["true"]}, {"Name": "vpc-id", "Values": vpcs}]
            )["RouteTables"]:
                tables.append({**table, "Associations": [{"SubnetId": s} for s in rest]})
    except Exception as exc:  # noqa: BLE001
        return [Finding("perimeter egress", "route tables", f"cannot read the route tables ({error_code(exc)})")]
    for table in tables:
        mine = [a["SubnetId"] for a in table.get("Associations", []) if a.get("SubnetId") in subnets]
        for route in table.get("Routes", []):
            if (route.get("DestinationCidrBlock") or route.get("DestinationIpv6CidrBlock")) not in EVERYWHERE:
                continue
            target = route.get("GatewayId") or route.get("NatGatewayId") or route.get("VpcEndpointId") or "?"
            if route.get("VpcEndpointId") or target.startswith("vpce-"):
                continue
            for subnet in mine:
                findings.append(
                    Finding(
                        "perimeter egress",
                        f"{subnets[subnet]} subnet {subnet}",
                        f"route to {route.get('DestinationCidrBlock') or route.get('DestinationIpv6CidrBlock')} "
                        f"via {target} bypasses the egress firewall",
                    )
                )
    return findings


# ---------------------------------------------------------------- perimeter statements on the documents


def _live_document(kind: str, stack: str, name: str, cfg: dict, synth, state, session, cache: dict):
    """(label, live policy JSON) of one planned policy; raises on a read error."""
    if kind == "aws_kms_key":
        from boi.live_audit.checks.kms import _key_ids

        if "kms" not in cache:
            cache["kms"] = _key_ids(synth, state, session)
        aliases = {
            (s, _ref_name("aws_kms_key", c.get("target_key_id"))): c.get("name")
            for s, _, c in resources(synth, "aws_kms_alias")
        }
        label = aliases.get((stack, name), name)
        key_id = cache["kms"].get((stack, name))
        if not key_id:
            raise LookupError("key not found")
        return label, session.client("kms").get_key_policy(KeyId=key_id, PolicyName="default")["Policy"]
    if kind == "aws_s3_bucket_policy":
        from boi.live_audit.checks.s3 import _bucket_names

        bucket = name_of("aws_s3_bucket", stack, cfg.get("bucket", ""), _bucket_names(synth, state))
        if not bucket:
            raise LookupError("bucket not found")
        return bucket, session.client("s3").get_bucket_policy(Bucket=bucket)["Policy"]
    if kind == "aws_sqs_queue_policy":
        queue = _target_name(synth, stack, "aws_sqs_queue", cfg.get("queue_url"), "name")
        if not queue:
            raise LookupError("queue not found")
        sqs = session.client("sqs")
        url = sqs.get_queue_url(QueueName=queue)["QueueUrl"]
        attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["Policy"]).get("Attributes", {})
        return queue, attrs.get("Policy") or "{}"
    if kind == "aws_secretsmanager_secret_policy":
        secret = _target_name(synth, stack, "aws_secretsmanager_secret", cfg.get("secret_arn"), "name")
        if not secret:
            raise LookupError("secret not found")
        live = session.client("secretsmanager").get_resource_policy(SecretId=secret)
        return secret, live.get("ResourcePolicy") or "{}"
    # aws_iam_policy
    iam = session.client("iam")
    policy_name = cfg.get("name") or name
    if "iam" not in cache:
        cache["iam"] = {
            p["PolicyName"]: p
            for page in iam.get_paginator("list_policies").paginate(Scope="Local")
            for p in page["Policies"]
        }
    policy = cache["iam"].get(policy_name)
    if not policy:
        raise LookupError("policy not found")
    version = iam.get_policy_version(PolicyArn=policy["Arn"], VersionId=policy["DefaultVersionId"])
    return policy_name, version["PolicyVersion"]["Document"]


def _target_name(synth, stack: str, rtype: str, ref, attr: str) -> str | None:
    target = _ref_name(rtype, ref)
    if target is None:
        return None
    body = synth[stack].get("resource", {}).get(rtype, {}).get(target, {})
    value = body.get(attr)
    return value if isinstance(value, str) and "${" not in value else None


def _as_doc(value) -> dict:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return {}
    return value if isinstance(value, dict) else {}


def _planned_perimeters(synth) -> bool:
    """Whether any planned document carries a perimeter statement (references left as they are)."""
    return any(
        set(PERIMETER_SIDS) & {s.get("Sid") for s in _statements(cfg.get("policy"))}
        for kind in KINDS
        for _, _, cfg in resources(synth, kind)
    )


def _statements(policy) -> list[dict]:
    raw = _as_doc(policy).get("Statement") or []
    return [s for s in (raw if isinstance(raw, list) else [raw]) if isinstance(s, dict)]


def _statement_gaps(synth) -> list[Gap]:
    if _planned_perimeters(synth):
        return []
    return [
        Gap(
            "perimeter statements",
            f"the perimeter statements ({', '.join(PERIMETER_SIDS)})",
            "no document in the plan carries them",
            "nothing: the synth tests require them on the sensitive resources of dev and prod",
        )
    ]


@check(
    "perimeter statements",
    title="the perimeter statements (identity, network, workload credentials) are on every deployed document "
    "that plans them, equal to the plan; every workload role carries its planned boundary",
    severity="critical",
    controls=("NIST AC-3", "NIST SC-7", "AUD-15"),
    gaps=_statement_gaps,
)
def check_perimeter_statements(synth, state, session) -> list[Finding]:
    findings = []
    cache: dict = {}
    for kind in KINDS:
        for stack, name, cfg in resources(synth, kind):
            planned = perimeter_statements(_as_doc(state.text(stack, cfg.get("policy") or "{}")))
            if not planned:
                continue
            try:
                label, live_raw = _live_document(kind, stack, name, cfg, synth, state, session, cache)
            except Exception as exc:  # noqa: BLE001 - reported as a finding
                label = cfg.get("name") or name
                findings.append(
                    Finding("perimeter statements", label, f"cannot read the {KINDS[kind]} ({error_code(exc)})")
                )
                continue
            live = perimeter_statements(_as_doc(live_raw))
            for sid, statement in planned.items():
                if sid not in live:
                    findings.append(Finding("perimeter statements", label, f"{KINDS[kind]}: {sid} is missing"))
                    continue
                for problem in policy_differences(json.dumps({"Statement": [statement]}), {"Statement": [live[sid]]}):
                    findings.append(Finding("perimeter statements", label, f"{KINDS[kind]}: {problem}"))
    findings += _boundaries(synth, state, session)
    return findings


def _boundaries(synth, state, session) -> list[Finding]:
    findings = []
    iam = session.client("iam")
    for stack, _, cfg in resources(synth, "aws_iam_role"):
        boundary = cfg.get("permissions_boundary")
        if not boundary or not cfg.get("name"):
            continue
        planned = state.text(stack, boundary)
        try:
            live = iam.get_role(RoleName=cfg["name"])["Role"].get("PermissionsBoundary", {})
        except Exception as exc:  # noqa: BLE001
            findings.append(Finding("perimeter statements", cfg["name"], f"role cannot be read ({error_code(exc)})"))
            continue
        arn = live.get("PermissionsBoundaryArn")
        if not arn:
            findings.append(
                Finding("perimeter statements", cfg["name"], f"no permissions boundary (planned {planned})")
            )
        elif not matches(planned, arn, ANY):
            findings.append(
                Finding("perimeter statements", cfg["name"], f"permissions boundary {arn} is not the planned {planned}")
            )
    return findings


# ---------------------------------------------------------------- the egress firewall


def _firewall_gaps(synth) -> list[Gap]:
    from boi_model.synth import Synth

    if resources(synth, "aws_networkfirewall_rule_group"):
        return []
    skipped = Synth(synth).environment().detail("local_skip_services", default=[]) or []
    if "network_firewall" not in skipped:
        return [
            Gap(
                "egress firewall",
                "the egress firewall's allow-list",
                "the plan has no Network Firewall rule group",
                "nothing: the synth tests require the firewall in dev and prod",
            )
        ]
    return [
        Gap(
            "egress firewall",
            "the FinCEN worker's egress firewall (AWS Network Firewall, TLS SNI allow-list of fincen.egress_hosts)",
            "moto 5.2.5 emulates Network Firewall firewalls only (no rule groups, firewall policies or endpoints), "
            "so the environment leaves it out (local.skip_services: network_firewall)",
            "the synth tests of the rule group (domains, TLS_SNI, strict order, drop established) in dev and prod; "
            "here the 'perimeter egress' check proves the worker's subnets have no route out at all",
        )
    ]


@check(
    "egress firewall",
    title="the egress firewall's TLS SNI allow-list is the planned one (FinCEN hosts only)",
    severity="critical",
    controls=("NIST SC-7(5)", "NIST AC-4"),
    gaps=_firewall_gaps,
)
def check_firewall(synth, state, session) -> list[Finding]:
    groups = resources(synth, "aws_networkfirewall_rule_group")
    if not groups:
        return []  # _firewall_gaps lists it under "not verified here"
    findings = []
    client = session.client("network-firewall")
    for _, name, cfg in groups:
        label = cfg.get("name") or name
        source = _first(_first(cfg.get("rule_group")).get("rules_source"))
        planned = _first(source.get("rules_source_list"))
        try:
            live = client.describe_rule_group(RuleGroupName=label, Type=cfg.get("type", "STATEFUL"))
        except Exception as exc:  # noqa: BLE001 - an API moto lacks is a finding here, never a pass
            findings.append(Finding("egress firewall", label, f"cannot read the rule group ({error_code(exc)})"))
            continue
        live_list = live.get("RuleGroup", {}).get("RulesSource", {}).get("RulesSourceList", {})
        live_targets, planned_targets = sorted(live_list.get("Targets", [])), sorted(planned.get("targets") or [])
        if live_targets != planned_targets:
            findings.append(
                Finding("egress firewall", label, f"allow-list {live_targets} is not the planned {planned_targets}")
            )
        if sorted(live_list.get("TargetTypes", [])) != sorted(planned.get("target_types") or []):
            findings.append(
                Finding("egress firewall", label, f"target types {live_list.get('TargetTypes')} not planned")
            )
        if live_list.get("GeneratedRulesType") != planned.get("generated_rules_type"):
            findings.append(
                Finding("egress firewall", label, f"rules type {live_list.get('GeneratedRulesType')} is not planned")
            )
    return findings
