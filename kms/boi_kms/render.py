"""Render docs/security/<env>/kms.md from synthesized Terraform JSON and the platform's KMS catalog."""

# Markdown table rows read best as one f-string each, so some lines are long.
# ruff: noqa: E501
from __future__ import annotations

import re
from datetime import date

from boi_model import refs
from boi_model.catalog import CatalogError
from boi_model.synth import as_synth, scope_lines

from boi_kms.catalog import KmsCatalog
from boi_kms.policy import check_separation_of_duties, effective_principals
from boi_kms.schedule import rotation_schedule
from boi_kms.synth_reading import SynthKey, keys_from_synth


def _readable(principal: str) -> str:
    # "${aws_iam_role.pii_writer.arn}" reads better as the resource address it points at.
    return refs.TOKEN.sub(lambda m: refs.parse(m.group(1)).address if m.group(1) else m.group(0), principal)


def _cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _node(prefix: str, text: str) -> str:
    return prefix + re.sub(r"[^A-Za-z0-9_]", "_", text)


def _as_list(value) -> list:
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _via_service(statement: dict) -> str:
    values = []
    for operator, block in (statement.get("Condition") or {}).items():
        if operator.startswith("Null"):
            if str(block.get("kms:ViaService", "")).lower() == "true":
                return "direct calls only (kms:ViaService must be absent)"
            continue
        values += [str(v) for v in _as_list(block.get("kms:ViaService"))]
    return ", ".join(values) or "direct"


# Attributes by which a resource encrypts with a key; any other mention only names the key.
_ENCRYPTS = (
    "kms_key",
    "kms_master_key",
    "kms_key_arn",
    "kms_key_id",
    "kms_key_identifier",
    "encryption",
    "master_user_secret_kms",
    "performance_insights_kms",
    "sse",
    "server_side_encryption",
)


def _edge(paths: str) -> str:
    return "encrypts with" if any(word in paths for word in _ENCRYPTS) else "names"


def _resources(synth, rtype: str):
    return [r.body for r in as_synth(synth).resources(rtype)]


def evidence_problems(synth, catalog: KmsCatalog, keys: list[SynthKey]) -> list[str]:
    """Catalog text the synthesized JSON does not bear out (the document refuses to render it)."""
    problems = []
    for item in catalog.secret_material:
        for fact in item.evidence.present:
            if not any(all(body.get(k) == v for k, v in fact.where.items()) for body in _resources(synth, fact.type)):
                where = ", ".join(f"{k} = {v}" for k, v in fact.where.items())
                problems.append(f"secret_material '{item.name}': no {fact.type}" + (f" with {where}" if where else ""))
        for rtype in item.evidence.absent:
            if _resources(synth, rtype):
                problems.append(f"secret_material '{item.name}': says there is no {rtype}, but the synth has one")
    for key in keys:
        key_class = catalog.classes.get(key.class_name or "")
        if key_class is None:
            continue
        types = {u.split(".")[0] for u in key.used_by}
        for rtype in key_class.used_by:
            if rtype not in types:
                problems.append(f"key_classes.{key.class_name}: no {rtype} uses {key.alias or key.address}")
    return problems


def _principal_label(statement: dict) -> str:
    principal = statement.get("Principal") or {}
    if isinstance(principal, dict) and "Service" in principal:
        return ", ".join(str(p) for p in _as_list(principal["Service"]))
    return ", ".join(_readable(p) for p in effective_principals(statement))


def _mermaid(keys: list[SynthKey]) -> list[str]:
    lines = ["```mermaid", "flowchart LR"]
    for stack in sorted({k.stack for k in keys}):
        lines.append(f'  subgraph {_node("s_", stack)}["stack {stack}"]')
        for key in (k for k in keys if k.stack == stack):
            label = f"{key.alias or key.address}<br/>{key.class_name or '?'}"
            lines.append(f'    {_node("k_", stack + "_" + key.logical_id)}["{label}"]')
        lines.append("  end")
    for key in keys:
        key_node = _node("k_", key.stack + "_" + key.logical_id)
        for user in key.used_by:
            address, _, paths = user.partition(": ")
            address = address.split(" ")[0]
            if address.startswith("aws_iam_"):
                continue
            lines.append(f'  {_node("r_", address)}["{address}"] -- {_edge(paths)} --> {key_node}')
    lines.append("```")
    return lines


_FUNCTIONS = (  # fixed Sids of the key policy's custodian statements (boi_kms.policy)
    ("KeyAdministration", "maintain"),
    ("KeyPolicyAdministration", "change policy and aliases"),
    ("BreakGlassKeyDeletion", "disable or delete"),
)


def _short(principal: str) -> str:
    return principal.rsplit("/", 1)[-1] if principal.startswith("arn:") and ":role/" in principal else principal


def custodians(keys: list[SynthKey]) -> list[str]:
    """Who maintains, re-writes, destroys and uses each key, read from its policy; separation of duties checked."""
    out = ["## Custodians and separation of duties", "",
           "Read from each key policy. Custodians never use a key for cryptography; users never administer it.", "",
           "| key | maintain | change policy and aliases | disable or delete | use (encrypt/decrypt) | AWS services | "
           "separation of duties |", "|---|---|---|---|---|---|---|"]  # fmt: skip
    for key in keys:
        roles: dict[str, set[str]] = {label: set() for _, label in _FUNCTIONS}
        users: set[str] = set()
        services: set[str] = set()
        for statement in _as_list(key.policy.get("Statement")):
            if statement.get("Effect") != "Allow":
                continue
            label = dict(_FUNCTIONS).get(statement.get("Sid", ""))
            principal = statement.get("Principal") or {}
            if isinstance(principal, dict) and "Service" in principal:
                services.update(str(p) for p in _as_list(principal["Service"]))
            elif label:
                roles[label].update(_short(p) for p in effective_principals(statement))
            elif statement.get("Sid") != "AllowAWSResourceGrants":
                users.update(_short(_readable(p)) for p in effective_principals(statement))
        conflicts = check_separation_of_duties(key.policy)
        cells = [", ".join(sorted(roles[label])) or "nobody" for _, label in _FUNCTIONS]
        out.append(
            f"| `{key.alias or key.address}` | {' | '.join(_cell(c) for c in cells)} | "
            f"{_cell(', '.join(sorted(users)) or 'nobody')} | {_cell(', '.join(sorted(services)) or '-')} | "
            f"{'holds' if not conflicts else '**broken:** ' + _cell('; '.join(conflicts))} |"
        )
    return out + [""]


def inventory(synth, keys: list[SynthKey]) -> list[str]:
    """Certificates, TLS policies, secrets and tokens, each with how it is renewed, read from the JSON."""
    model = as_synth(synth)
    alias_of = {(k.stack, k.logical_id): k.alias or k.address for k in keys}
    out = ["## Certificates, TLS policies, secrets and tokens", "",
           "Read from the synthesized JSON.", "", "| item | kind | setting | renewal or expiry |",
           "|---|---|---|---|"]  # fmt: skip
    for r in model.resources("aws_acm_certificate"):
        b = r.body
        region = "us-east-1 (CloudFront)" if b.get("provider") == "aws.us_east_1" else "home Region"
        out.append(f"| `{b.get('domain_name')}` | ACM public certificate, {region} | validation {b.get('validation_method')}, "
                   f"key {b.get('key_algorithm', 'RSA_2048')} | renewed by ACM (managed renewal; DNS records kept) |")  # fmt: skip
    for r in model.resources("aws_lb_listener"):
        if r.body.get("protocol") in ("HTTPS", "TLS"):
            out.append(f"| `{r.address}` | load balancer listener ({r.body['protocol']}) | "
                       f"`{r.body.get('ssl_policy', 'provider default')}` | - |")  # fmt: skip
    for r in model.resources("aws_api_gateway_domain_name"):
        out.append(
            f"| `{r.body.get('domain_name')}` | API Gateway custom domain | `{r.body.get('security_policy')}` | - |"
        )
    for r in model.resources("aws_cloudfront_distribution"):
        version = (r.body.get("viewer_certificate") or {}).get("minimum_protocol_version")
        out.append(f"| `{', '.join(r.body.get('aliases') or [])}` | CloudFront viewers | `{version}` | - |")
    rotations = " ".join(
        str(r.body.get("secret_id", "")) for r in model.resources("aws_secretsmanager_secret_rotation")
    )
    for r in model.resources("aws_secretsmanager_secret"):
        key = refs.whole(str(r.body.get("kms_key_id", "")))
        rotated = f"${{{r.address}." in rotations
        out.append(f"| `{r.body.get('name')}` | Secrets Manager secret | key "
                   f"{_cell(_secret_key(r, key, alias_of, model))}; recovery window {r.body.get('recovery_window_in_days', 30)} days | "
                   f"{'automatic rotation' if rotated else 'no automatic rotation: see secret material below'} |")  # fmt: skip
    for r in model.resources("aws_db_instance"):
        if r.body.get("manage_master_user_password"):
            out.append(
                f"| `{r.body.get('identifier')}` master password | RDS-managed secret | managed by RDS | rotated by RDS every 7 days |"
            )
    for r in model.resources("aws_cognito_user_pool_client"):
        b = r.body
        units = ((b.get("token_validity_units") or [{}])[0] if isinstance(b.get("token_validity_units"), list)
                 else b.get("token_validity_units") or {})  # fmt: skip
        out.append(f"| `{b.get('name')}` | Cognito app client (secret: {'yes' if b.get('generate_secret') else 'none'}) | "
                   f"access {b.get('access_token_validity')} {units.get('access_token', 'hours')}, "
                   f"ID {b.get('id_token_validity')} {units.get('id_token', 'hours')}, "
                   f"refresh {b.get('refresh_token_validity')} {units.get('refresh_token', 'days')}; "
                   f"revocation {'on' if b.get('enable_token_revocation') else 'off'} | tokens expire; nothing to rotate |")  # fmt: skip
    return out + [""]


def _secret_key(resource, ref, alias_of, model) -> str:
    if ref is None:
        return "AWS managed (aws/secretsmanager)"
    if ref.kind == "resource" and ref.type == "aws_kms_key":
        return alias_of.get((resource.stack, ref.name), ref.address)
    found = refs.Resolver(model, refs.Strategy()).source_of(resource.stack, ref) if ref.kind == "remote" else None
    if isinstance(found, tuple):
        for inner in refs.find(found[1]):
            if inner.kind == "resource" and inner.type == "aws_kms_key":
                return alias_of.get((found[0], inner.name), inner.address)
    return ref.expr


def render_kms_doc(synth: dict[str, dict], catalog: KmsCatalog, today: date) -> str:
    """Keys, rotation and policies from the synth; what each class protects, secrets, runbook and the
    field-level standard from the catalog (`boi_kms.catalog.load_kms_catalog`)."""
    classes = catalog.classes
    keys = keys_from_synth(synth)
    problems = evidence_problems(synth, catalog, keys)
    if problems:
        raise CatalogError("KMS catalog text the synthesized JSON does not bear out:\n  " + "\n  ".join(problems))
    out: list[str] = [
        "# KMS keys, rotation and encryption standards",
        "",
        "<!-- Generated by boi_kms.render from the synthesized Terraform JSON; do not edit by hand. -->",
        "",
        *scope_lines(synth),
        f"Rotation dates are **projected**: each key's period from the synthesized JSON, counted from "
        f"{today.isoformat()} (the environment's `keys.schedule_from`). The live rotation report "
        "(`boi rotation-report`) reads the actual dates from the account where credentials exist.",
        "",
        "## Key hierarchy",
        "",
    ]
    out += _mermaid(keys)
    out += [
        "",
        "## Keys",
        "",
        "| alias | class | protects (from the catalog) | rotation | next rotations |",
        "|---|---|---|---|---|",
    ]
    planned = [
        {"alias": k.alias or k.address, "class": k.class_name or "?", "rotation_days": k.rotation_days}
        for k in keys
        if k.rotation_days
    ]
    next_dates = {r.alias: r.next_rotations for r in rotation_schedule(planned, today)}
    for key in keys:
        key_class = classes.get(key.class_name or "")
        protects = "; ".join(key_class.protects) if key_class else "(class not in catalog)"
        rotation = f"{key.rotation_days} days" if key.rotation_days else "manual (no automatic rotation)"
        dates = ", ".join(d.isoformat() for d in next_dates.get(key.alias or key.address, ()))
        out.append(
            f"| `{key.alias or key.address}` | {_cell(key.class_name)} | {_cell(protects)} | "
            f"{rotation} | {dates or '-'} |"
        )
    for key in keys:
        key_class = classes.get(key.class_name or "")
        out += ["", f"### `{key.alias or key.address}` ({key.stack}: `{key.address}`)", ""]
        if key_class:
            out += [
                key_class.description + ".",
                "",
                f"Rotation: {_cell(key_class.rotation_justification)}",
                "",
            ]
        stores = [u for u in key.used_by if not u.startswith("aws_iam_")]
        policies = [u for u in key.used_by if u.startswith("aws_iam_")]
        out.append("Referenced by resources:")
        out += [f"- `{u}`" for u in stores] or ["- none in the synthesized stacks"]
        if policies:
            out += ["", "Referenced by IAM policies:"] + [f"- `{u}`" for u in policies]
        out += [
            "",
            "| statement | principal | actions | via | reason |",
            "|---|---|---|---|---|",
        ]
        for statement in _as_list(key.policy.get("Statement")):
            sid = statement.get("Sid", "")
            actions = ", ".join(a.removeprefix("kms:") for a in _as_list(statement.get("Action")))
            out.append(
                f"| {_cell(sid)} | {_cell(_principal_label(statement))} | {_cell(actions)} | "
                f"{_cell(_via_service(statement))} | {_cell(key.reasons.get(sid, ''))} |"
            )
    out += [""] + custodians(keys) + inventory(synth, keys)
    out += [
        "## Secret material other than KMS keys",
        "",
        "| material | mechanism | rotated by | rotation | max age (days) | KMS key class |",
        "|---|---|---|---|---|---|",
    ]
    for item in catalog.secret_material:
        out.append(
            f"| {_cell(item.name)} | {_cell(item.mechanism)} | {_cell(item.rotated_by)} | "
            f"{_cell(item.rotation)} | {item.max_age_days if item.max_age_days is not None else '-'} | "
            f"{item.key_class or '-'} |"
        )
    out += [
        "",
        "## Compromise runbook",
        "",
        "On-demand rotation changes only the material used for new encryption: it re-encrypts nothing "
        "and does not help against a leaked data key or a principal that could already decrypt.",
        "",
        "| data store | key class | on-demand rotation is enough when | new key and re-encryption when |",
        "|---|---|---|---|",
    ]
    for entry in catalog.compromise_runbook:
        out.append(
            f"| {_cell(entry.store)} | {entry.key_class} | "
            f"{_cell(entry.on_demand_rotation_enough_when)} | {_cell(entry.new_key_needed_when)} |"
        )
    standard = catalog.field_encryption
    field_class = classes.get(standard.key_class)
    context_keys = ", ".join(f"`{k}`" for k in field_class.allowed_encryption_context_keys) if field_class else "-"
    caching = standard.data_key_caching
    out += [
        "",
        "## Field-level PII encryption standard",
        "",
        f"- Library: {standard.library}.",
        f"- Algorithm suite: `{standard.algorithm_suite}` ({standard.algorithm_suite_why}).",
        f"- Commitment policy: `{standard.commitment_policy}`.",
        f"- Keyring: {standard.keyring}.",
        f"- Allowed encryption context keys (enforced by the key policy): {context_keys}.",
    ]
    out += [f"- {rule}" for rule in standard.context_rules]
    out += [
        f"- Data-key caching: {caching.use}; at most {caching.max_age_seconds} s, "
        f"{caching.max_messages_encrypted} messages and {caching.max_bytes_encrypted} bytes per data "
        f"key; {caching.scope}.",
        "",
    ]
    return "\n".join(out)
