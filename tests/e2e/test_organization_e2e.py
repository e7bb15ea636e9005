"""The organization layout applied across accounts on one moto server, then destroyed.

`local` in organization mode (the settings below: config/local.yaml plus an organization section) is
synthesized with the embedded endpoint; the management stack creates the organization, its OUs, member
accounts, SCPs, RCPs and delegated administrators; the log archive and security tooling stacks reach
their accounts through `assume_role` (moto answers an assumed role's calls in that role's account). Each
account is then read back through its own assumed-role credentials, and after the destroy nothing of ours
may be left in any of them. The workload account's stacks (bootstrap, foundation, platform) are applied
after them, and the live audit (boi.live_audit) runs once per account, with that account's credentials,
over the stacks deployed into it.

moto leaves out, listed loudly in the output (`local.skip_services`): organization admin accounts of
GuardDuty, Macie and Security Hub (`organization_admins`: their Disable/List operations answer 404/500, so
destroy fails), Identity Center permission sets (`identity_center`: ListTagsForResource answers 500), and
the services the single-account e2e already leaves out. moto does not evaluate SCPs or RCPs at all:
tests/test_organization.py proves them on the IAM simulator instead.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys

import boto3
import pytest
import yaml
from boi_model.synth import load_out

from boi import e2e, live_audit
from boi import terraform as tf

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

ACCOUNTS = {
    "management": "100000000001",
    "log_archive": "200000000002",
    "security_tooling": "300000000003",
    "workload-local": "123456789012",
}
ORG_SKIPS = ["organization_admins", "identity_center"]
ORDER = (
    "boi-org-management",
    "boi-org-log-archive",
    "boi-org-security-tooling",
    "boi-local-bootstrap",
    "boi-local-foundation",
    "boi-local-platform",
)


def organization_settings() -> dict:
    data = yaml.safe_load((e2e.REPO_ROOT / "config" / "local.yaml").read_text())
    data["organization_mode"] = True
    # Local state files: this run applies the account stacks without the workload's state bucket (the
    # bootstrap-into-a-bucket pipeline is exercised by tests/e2e/test_e2e.py).
    data["backend"] = {"type": "local"}
    data["organization_id"] = "o-b0ie2etest"  # moto names its organization itself; nothing evaluates the RCP
    data["local"]["skip_services"] = sorted({*data["local"]["skip_services"], *ORG_SKIPS})
    member = {"regions": ["us-east-1"], "deployer_role": "OrganizationAccountAccessRole"}
    data["organization"] = {
        "allowed_regions": ["us-east-1"],
        "management": {
            "account_id": ACCOUNTS["management"],
            "regions": ["us-east-1"],
            "deployer_role": "boi-org-deploy",
        },
        "log_archive": {"account_id": ACCOUNTS["log_archive"], "email": "log-archive@example.com", **member},
        "security_tooling": {"account_id": ACCOUNTS["security_tooling"], "email": "security@example.com", **member},
        "workloads": {"local": {"account_id": ACCOUNTS["workload-local"], "email": "local@example.com", **member}},
        # moto registers delegated administrators only for a few service principals (not cloudtrail.amazonaws.com
        # or config.amazonaws.com: "unrecognized service principal"); GuardDuty, Macie and Security Hub register
        # through their own APIs, left out above.
        "delegated_administrators": {"access-analyzer.amazonaws.com": ACCOUNTS["security_tooling"]},
    }
    return data


def session(url: str, account: str) -> boto3.Session:
    """A boto3 session acting in `account` (moto maps assumed-role credentials to the role's account)."""
    sts = boto3.client("sts", endpoint_url=url, region_name="us-east-1", **_fake())
    creds = sts.assume_role(RoleArn=f"arn:aws:iam::{account}:role/e2e-reader", RoleSessionName="e2e")["Credentials"]
    return boto3.Session(
        region_name="us-east-1",
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
    )


def client(url: str, service: str, account: str):
    return session(url, account).client(service, endpoint_url=url)


def _fake() -> dict:
    return {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}


def leftovers(url: str) -> list[str]:
    found = []
    org = client(url, "organizations", ACCOUNTS["management"])
    with contextlib.suppress(org.exceptions.AWSOrganizationsNotInUseException):
        found.append(f"management: organization {org.describe_organization()['Organization']['Id']}")
    for part, account in ACCOUNTS.items():
        s3 = client(url, "s3", account)
        found += [
            f"{part}: bucket {b['Name']}" for b in s3.list_buckets()["Buckets"] if b["Name"].startswith("boi-org")
        ]
        trails = client(url, "cloudtrail", account).describe_trails()["trailList"]
        found += [f"{part}: trail {t['Name']}" for t in trails if t["Name"].startswith("boi-org")]
        kms = client(url, "kms", account)
        # moto creates "AWS managed" keys (alias/aws/secretsmanager, ...) as customer keys, as e2e.leftovers knows.
        aws_managed = {
            a.get("TargetKeyId") for a in kms.list_aliases()["Aliases"] if a["AliasName"].startswith("alias/aws/")
        }
        for key in kms.list_keys()["Keys"]:
            meta = kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]
            if key["KeyId"] in aws_managed:
                continue
            if meta["KeyManager"] == "CUSTOMER" and meta["KeyState"] != "PendingDeletion":
                found.append(f"{part}: key {key['KeyId']} {meta['KeyState']}")
        roles = client(url, "iam", account).list_roles()["Roles"]
        found += [f"{part}: role {r['RoleName']}" for r in roles if r["RoleName"].startswith("boi-org")]
    return found


@pytest.fixture(scope="module")
def layout(tmp_path_factory):
    """Apply the three organization stacks; yield (url, stacks, phases); destroy in reverse order."""
    work = tmp_path_factory.mktemp("org-e2e")
    config = work / "config"
    config.mkdir()
    (config / "local.yaml").write_text(yaml.safe_dump(organization_settings()))
    timings = e2e.Timings()
    skipped = ", ".join(organization_settings()["local"]["skip_services"])
    print(
        f"[e2e] LEFT OUT on the embedded AWS (local.skip_services): {skipped}",
        file=sys.stderr,
    )
    with e2e.MotoServer() as server:
        out = work / "cdktf.out"
        with timings.phase("synth (organization mode)"):
            env = dict(
                os.environ,
                BOI_ENV="local",
                BOI_OUT_DIR=str(out),
                BOI_CONFIG_DIR=str(config),
                BOI_LOCAL_ENDPOINT=server.url,
            )
            proc = subprocess.run(
                [sys.executable, str(e2e.REPO_ROOT / "main.py")],
                cwd=e2e.REPO_ROOT,
                env=env,
                capture_output=True,
                text=True,
                check=False,
            )
            assert proc.returncode == 0, proc.stderr[-4000:]
        stacks = tf.find_stacks(out)
        tf_env = {**tf.cli_env(), **e2e.FAKE_CREDENTIALS}
        tf_env.pop("AWS_PROFILE", None)
        applied: list[str] = []
        uploaded: list[tuple[str, str]] = []
        try:
            for name in ORDER:
                if name == "boi-local-platform":
                    with e2e.aws_env(server.url, "us-east-1"):
                        uploaded = e2e.upload_artifacts(load_out(out).environment())
                applied.append(name)  # destroyed even when its apply fails half way
                with timings.phase(f"apply {name}"):
                    e2e.terraform(["init", "-input=false", "-no-color"], stacks[name], tf_env)
                    e2e.terraform(
                        ["apply", "-auto-approve", "-input=false", "-no-color", "-parallelism=20"], stacks[name], tf_env
                    )
            yield server.url, stacks, timings
        finally:
            for name in reversed(applied):
                with timings.phase(f"destroy {name}"):
                    e2e.terraform(
                        ["destroy", "-auto-approve", "-input=false", "-no-color", "-parallelism=20"],
                        stacks[name],
                        tf_env,
                    )
            with e2e.aws_env(server.url, "us-east-1"):
                e2e.remove_artifacts(uploaded)
            with timings.phase("leftovers"):
                left = leftovers(server.url) if applied else []
                if applied:
                    with e2e.aws_env(server.url, "us-east-1"):
                        left += e2e.leftovers()
            print(timings.report(), file=sys.stderr)
            assert left == [], f"left after destroy: {left}"


def test_management_account_holds_the_organization(layout):
    url, _, _ = layout
    org = client(url, "organizations", ACCOUNTS["management"])
    described = org.describe_organization()["Organization"]
    assert described["MasterAccountId"] == ACCOUNTS["management"]
    root = org.list_roots()["Roots"][0]
    ous = {ou["Name"] for ou in org.list_organizational_units_for_parent(ParentId=root["Id"])["OrganizationalUnits"]}
    assert ous == {"Security", "Workloads"}
    members = {a["Name"] for a in org.list_accounts()["Accounts"]}
    assert {"boi-log_archive", "boi-security_tooling", "boi-workload-local"} <= members
    scps = org.list_policies(Filter="SERVICE_CONTROL_POLICY")["Policies"]
    assert {p["Name"] for p in scps} >= {"boi-org-scp-security-workloads-1", "boi-org-scp-security-1"}
    security = next(
        ou
        for ou in org.list_organizational_units_for_parent(ParentId=root["Id"])["OrganizationalUnits"]
        if ou["Name"] == "Security"
    )
    attached = {
        p["Name"]
        for p in org.list_policies_for_target(TargetId=security["Id"], Filter="SERVICE_CONTROL_POLICY")["Policies"]
    }
    assert "boi-org-scp-security-1" in attached
    delegated = org.list_delegated_administrators()["DelegatedAdministrators"]
    assert {d["Name"] for d in delegated} == {"boi-security_tooling"}


def test_log_archive_account_holds_the_locked_archive(layout):
    url, _, _ = layout
    s3 = client(url, "s3", ACCOUNTS["log_archive"])
    bucket = f"boi-org-audit-archive-{ACCOUNTS['log_archive']}"
    lock = s3.get_object_lock_configuration(Bucket=bucket)["ObjectLockConfiguration"]
    assert lock["Rule"]["DefaultRetention"]["Mode"] == "COMPLIANCE"
    assert (
        s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"][0][
            "ApplyServerSideEncryptionByDefault"
        ]["SSEAlgorithm"]
        == "aws:kms"
    )
    # nothing of the archive in the workload or the tooling account
    for part in ("workload-local", "security_tooling"):
        names = [b["Name"] for b in client(url, "s3", ACCOUNTS[part]).list_buckets()["Buckets"]]
        assert bucket not in names


def test_security_tooling_account_holds_the_organization_trail(layout):
    url, _, _ = layout
    trails = client(url, "cloudtrail", ACCOUNTS["security_tooling"]).describe_trails()["trailList"]
    trail = next(t for t in trails if t["Name"] == "boi-org-audit-trail")
    assert trail["IsOrganizationTrail"] is True
    assert trail["S3BucketName"] == f"boi-org-audit-archive-{ACCOUNTS['log_archive']}"
    config = client(url, "config", ACCOUNTS["security_tooling"])
    aggregators = config.describe_configuration_aggregators()["ConfigurationAggregators"]
    assert [a["ConfigurationAggregatorName"] for a in aggregators] == ["boi-org-organization"]
    assert config.describe_configuration_recorder_status()["ConfigurationRecordersStatus"][0]["recording"] is True


def test_live_audit_is_clean_in_every_account(layout):
    """The live audit of each account, with that account's credentials, against the stacks deployed into it."""
    url, stacks, timings = layout
    out = next(iter(stacks.values())).parents[1]
    synth = live_audit.load_synth(out)
    audited = {}
    with timings.phase("live audit per account"), e2e.aws_env(url, "us-east-1"):
        for account, deployed in synth.by_account().items():
            state = live_audit.State.from_terraform(out, deployed)
            audited[account] = (sorted(deployed), live_audit.audit(deployed, session(url, account), state))
    assert set(audited) == {ACCOUNTS[p] for p in ("management", "log_archive", "security_tooling", "workload-local")}
    for account, (names, findings) in audited.items():
        assert findings == [], f"{account} ({', '.join(names)}): {findings}"
