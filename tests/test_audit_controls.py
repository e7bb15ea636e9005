"""The audit controls the plan says are in force, exercised on the synthesized dev JSON (issue 14), and the
plan's own claims of how each control is verified (catalogs/audit/controls.yaml `verified_by`).

Each test reads the kind of resource across the whole synth (every access-log target, every Lambda function
that reaches a PII store, every allowed Region), so a new bucket, function or Region is covered without an
edit here.
"""

from __future__ import annotations

import ast
import json
import re
from collections import Counter
from pathlib import Path

import pytest

from boi.catalogs import CATALOGS
from tests.matchers import policy, resources

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
ACCOUNT = "111122223333"
# What the trail must record invocations of: a function whose role reaches one of these stores (or their keys).
PII_STORES = ("aws_s3_bucket.platform_data_documents", "aws_dynamodb_table.", "aws_db_instance.", "rds-db:")
PII_KEY_CLASSES = ("pii", "documents", "database")
# Delivery principals of server access logs, load balancer access logs (ELB account or the delivery service).
S3_LOG_DELIVERY = "logging.s3.amazonaws.com"


@pytest.fixture(scope="module")
def foundation(dev):
    return dev["boi-dev-foundation"]


@pytest.fixture(scope="module")
def platform(dev):
    return dev["boi-dev-platform"]


@pytest.fixture(scope="module")
def settings(dev):
    return dev.environment()


def statements(doc: dict) -> list[dict]:
    st = doc["Statement"]
    return st if isinstance(st, list) else [st]


def as_list(value) -> list:
    return value if isinstance(value, list) else [value]


def region_of(body: dict, home: str) -> str:
    """The Region a resource is created in: its provider alias (`aws.us_west_2`) or the home Region."""
    provider = body.get("provider")
    return provider.removeprefix("aws.").replace("_", "-") if provider else home


# ---- Macie --------------------------------------------------------------------------------------------


def test_macie_decrypts_the_documents_through_s3_only(foundation):
    keys = resources(foundation, "aws_kms_key")
    (name,) = [n for n in keys if "_documents_" in n]
    key = keys[name]
    macie = [st for st in statements(policy(key)) if "macie.amazonaws.com" in json.dumps(st.get("Principal", {}))]
    assert len(macie) == 1, "one key-policy statement admits Macie"
    (st,) = macie
    assert st["Principal"] == {
        "AWS": f"arn:aws:iam::{ACCOUNT}:role/aws-service-role/macie.amazonaws.com/AWSServiceRoleForAmazonMacie"
    }
    assert st["Effect"] == "Allow" and as_list(st["Action"]) == ["kms:Decrypt"]
    assert st["Condition"]["StringEquals"] == {
        "kms:CallerAccount": ACCOUNT,
        "kms:ViaService": "s3.us-east-1.amazonaws.com",
    }
    # no other key admits Macie, and the role exists before the policy names it (KMS refuses unknown principals)
    others = [n for n, k in keys.items() if n != name and "macie.amazonaws.com" in k.get("policy", "")]
    assert others == []
    assert key["depends_on"] == ["aws_macie2_account.audit_macie"]


# ---- access logs --------------------------------------------------------------------------------------


def _bucket_policies(stack: dict) -> dict[str, dict]:
    """Referenced bucket address -> its policy document."""
    out = {}
    for body in resources(stack, "aws_s3_bucket_policy").values():
        address = re.fullmatch(r"\$\{(aws_s3_bucket\.[\w-]+)\.(?:id|bucket)\}", body["bucket"]).group(1)
        out[address] = policy(body)
    return out


def _bucket_name(stack: dict, address: str) -> str:
    return resources(stack, "aws_s3_bucket")[address.split(".", 1)[1]]["bucket"]


def _target(value: str) -> str:
    return re.fullmatch(r"\$\{(aws_s3_bucket\.[\w-]+)\.(?:id|bucket)\}", value).group(1)


def _tls_denied(doc: dict) -> bool:
    return any(
        st["Effect"] == "Deny"
        and st.get("Principal") in ("*", {"AWS": "*"})
        and st.get("Condition", {}).get("Bool", {}).get("aws:SecureTransport") in ("false", False)
        for st in statements(doc)
    )


def test_every_access_log_target_admits_its_delivery_principal_only(dev):
    checked = Counter()
    for stack_name in dev:
        stack = dev[stack_name]
        policies = _bucket_policies(stack)
        for body in resources(stack, "aws_s3_bucket_logging").values():
            target, source = _target(body["target_bucket"]), body["bucket"]
            doc = policies.get(target)
            assert doc, f"{stack_name}: access-log target {target} has no bucket policy"
            assert _tls_denied(doc), f"{target}: no TLS deny"
            source_name = _bucket_name(stack, _target(source)) if source.startswith("${") else source
            delivery = [st for st in statements(doc) if st.get("Principal") == {"Service": S3_LOG_DELIVERY}]
            assert delivery, f"{target}: {S3_LOG_DELIVERY} may not write"
            for st in delivery:
                assert as_list(st["Action"]) == ["s3:PutObject"]
                assert st["Condition"]["StringEquals"]["aws:SourceAccount"] == ACCOUNT
            arns = {a for st in delivery for a in as_list(st["Condition"]["ArnLike"]["aws:SourceArn"])}
            assert f"arn:aws:s3:::{source_name}" in arns, f"{target}: the logs of {source_name} are not admitted"
            checked["s3"] += 1
        for lb_name, lb in resources(stack, "aws_lb").items():
            logs = lb.get("access_logs") or {}
            if not logs.get("enabled"):
                continue
            target = _target(logs["bucket"])
            doc = policies.get(target)
            assert doc and _tls_denied(doc), f"{lb_name}: its log bucket {target} has no TLS-only policy"
            prefix = f"{logs['prefix']}/AWSLogs/{ACCOUNT}/*"
            writers = [
                st
                for st in statements(doc)
                if st["Effect"] == "Allow"
                and "s3:PutObject" in as_list(st["Action"])
                and any(r.endswith(prefix) for r in as_list(st["Resource"]))
            ]
            assert writers, f"{lb_name}: nobody may deliver its logs under {prefix}"
            for st in writers:
                principal = st["Principal"]
                if principal.get("Service") == "delivery.logs.amazonaws.com":
                    # the delivery service serves every account: scoped to ours by source account and ARN
                    assert st["Condition"]["StringEquals"]["aws:SourceAccount"] == ACCOUNT
                    assert st["Condition"]["ArnLike"]["aws:SourceArn"].startswith(f"arn:aws:logs:us-east-1:{ACCOUNT}:")
                else:
                    assert principal in (
                        {"AWS": "arn:aws:iam::127311923021:root"},  # ELB's log-delivery account in us-east-1
                        {"Service": "logdelivery.elasticloadbalancing.amazonaws.com"},
                    ), principal
            checked["lb"] += 1
    assert checked["s3"] >= 3 and checked["lb"] >= 2, checked  # not vacuous: archive, documents, web; ALB, NLB


# ---- backups ------------------------------------------------------------------------------------------


def test_backup_vault_is_locked_and_denies_recovery_point_deletion(platform):
    (vault_name, vault), *_ = resources(platform, "aws_backup_vault").items()
    locks = list(resources(platform, "aws_backup_vault_lock_configuration").values())
    assert len(locks) == 1
    lock = locks[0]
    assert lock["backup_vault_name"] == f"${{aws_backup_vault.{vault_name}.name}}"
    # compliance mode: a changeable_for_days grace period, after which nobody can remove the lock
    assert lock.get("changeable_for_days", 0) >= 3 and lock["min_retention_days"] >= 1
    (vp,) = resources(platform, "aws_backup_vault_policy").values()
    deny = [st for st in statements(policy(vp)) if st["Effect"] == "Deny"]
    # BACKUP_RECOVERY_POINT_MANUAL_DELETION_DISABLED looks for a Deny of these to every principal
    assert any(
        {"backup:DeleteRecoveryPoint", "backup:UpdateRecoveryPointLifecycle"} <= set(as_list(st["Action"]))
        and st["Principal"] in ("*", {"AWS": "*"})
        for st in deny
    )
    assert vault.get("kms_key_arn")


def test_the_backup_deletion_rule_is_deployed(foundation):
    rules = {r["source"].get("source_identifier") for r in resources(foundation, "aws_config_config_rule").values()}
    assert "BACKUP_RECOVERY_POINT_MANUAL_DELETION_DISABLED" in rules


# ---- Athena -------------------------------------------------------------------------------------------


def test_athena_results_have_their_own_encrypted_expiring_tls_only_bucket(foundation):
    (wg,) = resources(foundation, "aws_athena_workgroup").values()
    result = wg["configuration"]["result_configuration"]
    location = result["output_location"]
    target = re.fullmatch(r"s3://\$\{(aws_s3_bucket\.[\w-]+)\.bucket\}/.+", location).group(1)
    name = target.split(".", 1)[1]
    bucket = resources(foundation, "aws_s3_bucket")[name]
    locked = {_target(b["bucket"]) for b in resources(foundation, "aws_s3_bucket_object_lock_configuration").values()}
    assert target not in locked and not bucket.get("object_lock_enabled"), "results go into an Object-Locked bucket"
    assert result["encryption_configuration"]["encryption_option"] == "SSE_KMS"
    assert wg["configuration"]["enforce_workgroup_configuration"] is True
    sse = [
        b
        for b in resources(foundation, "aws_s3_bucket_server_side_encryption_configuration").values()
        if _target(b["bucket"]) == target
    ]
    assert sse and sse[0]["rule"][0]["apply_server_side_encryption_by_default"]["sse_algorithm"] == "aws:kms"
    lifecycle = [
        b
        for b in resources(foundation, "aws_s3_bucket_lifecycle_configuration").values()
        if _target(b["bucket"]) == target
    ]
    assert lifecycle and all(r["expiration"][0]["days"] <= 90 for r in lifecycle[0]["rule"])
    doc = _bucket_policies(foundation)[target]
    assert _tls_denied(doc)
    pab = [
        b for b in resources(foundation, "aws_s3_bucket_public_access_block").values() if _target(b["bucket"]) == target
    ]
    assert pab and all(
        pab[0][k] is True for k in ("block_public_acls", "block_public_policy", "restrict_public_buckets")
    )


def _role_statements(stack: dict, role_name: str) -> list[dict]:
    roles = {n: r for n, r in resources(stack, "aws_iam_role").items() if r.get("name") == role_name}
    assert len(roles) == 1, f"role {role_name}: {sorted(roles)}"
    (address,) = roles
    out = []
    for body in resources(stack, "aws_iam_role_policy").values():
        if body["role"] in (f"${{aws_iam_role.{address}.name}}", f"${{aws_iam_role.{address}.id}}", role_name):
            out += statements(policy(body))
    for a in resources(stack, "aws_iam_role_policy_attachment").values():
        if a["role"] not in (f"${{aws_iam_role.{address}.name}}", role_name):
            continue
        m = re.fullmatch(r"\$\{aws_iam_policy\.([\w-]+)\.arn\}", a["policy_arn"])
        if m:
            out += statements(policy(resources(stack, "aws_iam_policy")[m.group(1)]))
    return out


def _allows(sts: list[dict], action: str, resource: str) -> bool:
    def match(pattern: str, value: str) -> bool:
        return re.fullmatch(re.escape(pattern).replace(r"\*", ".*").replace(r"\?", "."), value) is not None

    return any(
        st["Effect"] == "Allow"
        and any(match(a, action) for a in as_list(st["Action"]))
        and any(match(r, resource) for r in as_list(st["Resource"]))
        for st in sts
    )


def test_the_auditor_can_run_the_investigations_and_read_the_trail_log_group(foundation):
    sts = _role_statements(foundation, "boi-dev-security-auditor")
    (wg,) = resources(foundation, "aws_athena_workgroup").values()
    wg_arn = f"arn:aws:athena:us-east-1:{ACCOUNT}:workgroup/{wg['name']}"
    for action in (
        "athena:StartQueryExecution",
        "athena:GetQueryResults",
        "athena:GetNamedQuery",
        "athena:ListNamedQueries",
    ):
        assert _allows(sts, action, wg_arn), f"the auditor may not {action} on {wg_arn}"
    (group,) = [g for g in resources(foundation, "aws_cloudwatch_log_group").values() if "cloudtrail" in g["name"]]
    (trail,) = resources(foundation, "aws_cloudtrail").values()
    assert trail["cloud_watch_logs_group_arn"].startswith("${aws_cloudwatch_log_group.")
    group_arn = f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:{group['name']}"
    assert _allows(sts, "logs:FilterLogEvents", f"{group_arn}:*") or _allows(sts, "logs:FilterLogEvents", group_arn)
    assert _allows(sts, "logs:GetLogEvents", f"{group_arn}:log-stream:x")
    # the results the workgroup writes are readable by the auditor
    location = wg["configuration"]["result_configuration"]["output_location"]
    target = re.fullmatch(r"s3://\$\{aws_s3_bucket\.([\w-]+)\.bucket\}/(.+)", location)
    results = resources(foundation, "aws_s3_bucket")[target.group(1)]["bucket"]
    obj = f"arn:aws:s3:::{results}/{target.group(2)}q.csv"
    assert _allows(sts, "s3:GetObject", obj) and _allows(sts, "s3:PutObject", obj)
    # and nothing broader than the workgroup
    assert not _allows(sts, "athena:StartQueryExecution", f"arn:aws:athena:us-east-1:{ACCOUNT}:workgroup/primary")


# ---- alarms and data events ---------------------------------------------------------------------------


def test_archive_changes_raise_an_alarm(foundation):
    archive = [
        b["bucket"]
        for n, b in resources(foundation, "aws_s3_bucket").items()
        if any(
            _target(lock["bucket"]) == f"aws_s3_bucket.{n}"
            for lock in resources(foundation, "aws_s3_bucket_object_lock_configuration").values()
        )
    ]
    assert archive
    alarms = {a["metric_name"]: a for a in resources(foundation, "aws_cloudwatch_metric_alarm").values()}
    watching = []
    for f in resources(foundation, "aws_cloudwatch_log_metric_filter").values():
        pattern = f["pattern"]
        if all(f'"{name}"' in pattern for name in archive) and all(
            f"= {event})" in pattern
            for event in ("PutObjectLockConfiguration", "PutBucketLifecycle", "PutBucketPolicy", "PutBucketVersioning")
        ):
            watching.append(f["metric_transformation"]["name"])
    assert watching, "no metric filter watches Object Lock, lifecycle, policy and versioning changes of the archive"
    for metric in watching:
        assert alarms[metric]["alarm_actions"] == ["${aws_sns_topic.audit_alerts.arn}"]


def test_trail_log_group_is_encrypted_and_kept(foundation):
    (trail,) = resources(foundation, "aws_cloudtrail").values()
    address = re.fullmatch(
        r"\$\{aws_cloudwatch_log_group\.([\w-]+)\.arn\}:\*", trail["cloud_watch_logs_group_arn"]
    ).group(1)
    group = resources(foundation, "aws_cloudwatch_log_group")[address]
    assert group["kms_key_id"].startswith("${aws_kms_key.foundation_keys_logs_")
    assert group["retention_in_days"] >= 365


def test_functions_and_objects_that_touch_pii_are_data_events(dev, foundation, platform):
    (trail,) = resources(foundation, "aws_cloudtrail").values()
    selected = {
        arn
        for sel in trail["advanced_event_selector"]
        if {"field": "resources.type", "equals": ["AWS::Lambda::Function"]} in sel["field_selector"]
        for fs in sel["field_selector"]
        if fs["field"] == "resources.ARN"
        for arn in fs["equals"]
    }
    touching = set()
    roles = {f"${{aws_iam_role.{n}.name}}": n for n in resources(platform, "aws_iam_role")}
    for fn in resources(platform, "aws_lambda_function").values():
        role = re.fullmatch(r"\$\{aws_iam_role\.([\w-]+)\.arn\}", fn["role"]).group(1)
        text = json.dumps(
            [p["policy"] for p in resources(platform, "aws_iam_role_policy").values() if roles.get(p["role"]) == role]
        )
        keys = any(f"foundation_keys_{c}_" in text for c in PII_KEY_CLASSES)
        if keys or any(store in text for store in PII_STORES):
            touching.add(f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:{fn['function_name']}")
    assert touching, "no Lambda function reaches PII: the check would be vacuous"
    assert touching <= selected, f"PII functions whose invocations are not data events: {sorted(touching - selected)}"
    objects = [
        sel
        for sel in trail["advanced_event_selector"]
        if {"field": "resources.type", "equals": ["AWS::S3::Object"]} in sel["field_selector"]
    ]
    documents = [b["bucket"] for n, b in resources(platform, "aws_s3_bucket").items() if "documents" in n]
    assert objects and all(
        any(f"arn:aws:s3:::{d}/" in fs.get("starts_with", []) for fs in objects[0]["field_selector"]) for d in documents
    )


# ---- every allowed Region -----------------------------------------------------------------------------

PER_REGION = (
    "aws_config_configuration_recorder",
    "aws_config_delivery_channel",
    "aws_config_configuration_recorder_status",
    "aws_guardduty_detector",
    "aws_securityhub_account",
    "aws_macie2_account",
    "aws_accessanalyzer_analyzer",
)


def test_every_allowed_region_has_the_recorder_detectors_and_paging_rules(dev, foundation, settings):
    regions = list(settings.allowed_regions)
    home = settings.region
    assert len(regions) > 1, "dev allows more than one Region: the check would be vacuous"
    aliases = {p.get("alias") for p in foundation["provider"]["aws"]}
    assert {r.replace("-", "_") for r in regions if r != home} <= aliases
    counts = {rtype: Counter(region_of(b, home) for b in resources(foundation, rtype).values()) for rtype in PER_REGION}
    for rtype, per_region in counts.items():
        assert set(per_region) == set(regions), f"{rtype}: {dict(per_region)} (allowed: {regions})"
        assert len(set(per_region.values())) == 1, f"{rtype}: not the same in every Region: {dict(per_region)}"
    rules = Counter(
        (region_of(b, home), b["name"]) for b in resources(foundation, "aws_cloudwatch_event_rule").values()
    )
    names = {name for _, name in rules}
    for region in regions:
        assert {n for r, n in rules if r == region} == names, f"{region} lacks paging rules"


def test_break_glass_use_pages_from_every_allowed_region(foundation, settings):
    home = settings.region
    break_glass = f"arn:aws:iam::{ACCOUNT}:role/boi-dev-break-glass"
    targets = {}
    for t in resources(foundation, "aws_cloudwatch_event_target").values():
        targets[re.fullmatch(r"\$\{aws_cloudwatch_event_rule\.([\w-]+)\.name\}", t["rule"]).group(1)] = t
    by_region: dict[str, set[str]] = {}
    for name, rule in resources(foundation, "aws_cloudwatch_event_rule").items():
        pattern = json.loads(rule["event_pattern"])
        if break_glass not in json.dumps(pattern):
            continue
        region = region_of(rule, home)
        target = targets[name]
        if region == home:
            assert target["arn"] == "${aws_sns_topic.audit_alerts.arn}"
        else:
            # forwarded to the home bus, where the same pattern pages
            assert target["arn"] == f"arn:aws:events:{home}:{ACCOUNT}:event-bus/default" and target["role_arn"]
        detail = pattern.get("detail", {})
        kind = "assumed" if detail.get("eventName") == ["AssumeRole"] else "used"
        by_region.setdefault(region, set()).add(kind)
    assert by_region == {r: {"assumed", "used"} for r in list(settings.allowed_regions)}


# ---- the plan's verification claims -------------------------------------------------------------------


def _test_functions(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    return {n.name for n in tree.body if isinstance(n, ast.FunctionDef) and n.name.startswith("test_")}


def test_every_control_says_how_it_is_verified_and_the_references_exist():
    from boi_audit.catalog import load_catalog

    import boi.live_audit.checks  # noqa: F401  (registers)
    from boi.live_audit.registry import CHECKS

    catalog = load_catalog(CATALOGS / "audit")
    problems = []
    for c in catalog.controls:
        kinds = {v["by"] for v in c.verified_by}
        if not kinds - {"not_locally"}:
            problems.append(f"{c.id}: nothing verifies it here, only what is not verified")
        for v in c.verified_by:
            if v["by"] == "synth_test":
                file, _, name = v["ref"].partition("::")
                if not (ROOT / file).is_file() or name not in _test_functions(ROOT / file):
                    problems.append(f"{c.id}: synth_test {v['ref']} does not exist")
            elif v["by"] == "live_audit":
                check = CHECKS.get(v["ref"])
                if check is None:
                    problems.append(f"{c.id}: live_audit check {v['ref']!r} is not registered ({sorted(CHECKS)})")
                elif c.id not in check.controls:
                    problems.append(f"{c.id}: live_audit check {v['ref']!r} does not name it among its controls")
            elif v["by"] == "prowler":
                exceptions = (CATALOGS / "gate" / "prowler_exceptions.yaml").read_text()
                if re.search(rf"check:\s*{re.escape(v['ref'])}\b", exceptions):
                    problems.append(f"{c.id}: Prowler check {v['ref']} is an accepted FAIL, not a verification")
    assert problems == []


def test_a_missing_verification_is_refused_naming_the_control(tmp_path):
    import shutil

    from boi_audit.catalog import load_catalog
    from boi_model.catalog import CatalogError

    folder = tmp_path / "audit"
    shutil.copytree(CATALOGS / "audit", folder)
    controls = folder / "controls.yaml"
    # the first control's verifications, all of them, gone
    text = re.sub(r"verified_by:\n(      - .*\n)+", "verified_by: []\n", controls.read_text(), count=1)
    controls.write_text(text)
    with pytest.raises(CatalogError) as err:
        load_catalog(folder)
    assert "controls.0.verified_by" in str(err.value)
    controls.write_text(
        (CATALOGS / "audit" / "controls.yaml")
        .read_text()
        .replace('{by: guard_engine, ref: "kms-rotation-period"}', '{by: guard_engine, ref: "no-such-rule"}', 1)
    )
    with pytest.raises(CatalogError) as err:
        load_catalog(folder)
    assert "guard rule 'no-such-rule'" in str(err.value) and "kms-rotation-period" in str(err.value)
    controls.write_text(
        (CATALOGS / "audit" / "controls.yaml")
        .read_text()
        .replace('why: "AWS Backup is left out locally: moto does not implement CreateBackupSelection"', 'why: "no"', 1)
    )
    with pytest.raises(CatalogError) as err:
        load_catalog(folder)
    assert "not_locally needs a why" in str(err.value)
