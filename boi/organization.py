"""Proofs across the accounts of the organization layout, from the synthesized output only.

The management stack holds the SCPs and RCPs and where they attach; `OrgView` reads them (through
boi_model's reader and reference resolver) into per-account levels, root to account, as the IAM
simulator takes them. `cases()` are the questions an auditor asks of a multi-account layout: can anyone
outside the trusted base in a member account stop the trail, the recorder or the detectors, leave the
organization, change a privileged role, use the root user, work outside the allowed Regions; can a
workload principal reach the log archive; can a principal outside the organization reach its data even
when a resource policy says yes. Each case states its expected verdict; `run()` asks the simulator.

Principals are given `Allow *` as identity policy on purpose: these proofs are about what the
organization's guardrails stop whatever a member account grants itself. The per-role proofs with the
real identity policies are tests/test_iam_proofs.py and the escalation proofs.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable
from dataclasses import dataclass, field

from boi_iam.simulate import require_complete, simulation
from boi_model import meta, refs
from boi_model.synth import Synth, SynthError

ALLOW_ALL = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
FULL_ACCESS = ("FullAWSAccess", ALLOW_ALL)
OUTSIDER = "999988887777"  # an account of no organization


@dataclass(frozen=True)
class Case:
    name: str
    sim: dict
    allowed: bool  # the expected verdict
    explicit: bool = False  # a denial must come from an explicit Deny (a guardrail), not the absence of an Allow


@dataclass
class OrgView:
    """The organization as the management stack synthesized it."""

    synth: Synth
    stack: str
    accounts: dict[str, str]  # part -> account id
    regions: dict[str, str]  # part -> home Region
    allowed_regions: list[str]
    org_id: str
    ou_parent: dict[str, str | None]  # OU resource name -> parent OU resource name (None: the root)
    account_ou: dict[str, str | None]  # part -> OU resource name (None: the management account)
    policies: dict[str, tuple[str, dict]] = field(default_factory=dict)  # resource name -> (type, document)
    attachments: dict[str, list[str]] = field(default_factory=dict)  # OU resource name -> policy resource names
    stacks_by_part: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, synth: Synth) -> OrgView:
        env = synth.environment()
        org = env.detail("organization")
        by_part = {}
        for name, body in synth.items():
            account = (body.get(meta.COMMENT) or {}).get(meta.ACCOUNT)
            if account:
                by_part[account["part"]] = name
        if not env.organization_mode or not org or "management" not in by_part:
            raise SynthError("not an organization-mode synth: no management stack with //.boi_account")
        stack = by_part["management"]
        accounts = {part: a["account_id"] for part, a in org["accounts"].items()}
        regions = {part: a["regions"][0] for part, a in org["accounts"].items()}
        resolver = refs.Resolver(synth, refs.Placeholders(accounts["management"], regions["management"]))

        def target(text: str) -> str | None:
            ref = refs.whole(text)
            return ref.name if ref and ref.type == "aws_organizations_organizational_unit" else None

        ous = {
            r.name: target(r.body["parent_id"]) for r in synth.resources("aws_organizations_organizational_unit", stack)
        }
        account_ou: dict[str, str | None] = {"management": None}
        names = {f"boi-{part}": part for part in accounts}
        for r in synth.resources("aws_organizations_account", stack):
            account_ou[names[r.body["name"]]] = target(r.body["parent_id"])
        org_id = env.detail("organization_id")
        if not org_id:
            org_resource = next(synth.resources("aws_organizations_organization", stack))
            org_id = resolver.text(stack, f"${{aws_organizations_organization.{org_resource.name}.id}}")
        view = cls(synth, stack, accounts, regions, list(org["allowed_regions"]), org_id, ous, account_ou)
        view.stacks_by_part = by_part
        for r in synth.resources("aws_organizations_policy", stack):
            view.policies[r.name] = (r.body["type"], json.loads(resolver.text(stack, r.body["content"])))
        for r in synth.resources("aws_organizations_policy_attachment", stack):
            policy = refs.whole(r.body["policy_id"]).name
            view.attachments.setdefault(target(r.body["target_id"]), []).append(policy)
        return view

    def _path(self, ou: str | None) -> list[str]:
        path: list[str] = []
        while ou is not None:
            path.insert(0, ou)
            ou = self.ou_parent[ou]
        return path

    def levels(self, account_id: str, kind: str) -> list[tuple[str, list[tuple[str, dict]]]]:
        """Root, each OU down to the account, the account: the policies of `kind` at each level. The
        management account is never subject to SCPs or RCPs; an account outside the layout has none."""
        part = next((p for p, a in self.accounts.items() if a == account_id), None)
        if part is None or part == "management":
            return []
        base = [FULL_ACCESS] if kind == "SERVICE_CONTROL_POLICY" else []
        levels = [(f"r-{self.org_id[2:6]}", list(base))]
        for ou in self._path(self.account_ou[part]):
            attached = [(n, self.policies[n][1]) for n in self.attachments.get(ou, []) if self.policies[n][0] == kind]
            levels.append((f"ou-{ou}", base + attached))
        levels.append((account_id, list(base)))
        return levels

    def resource_policy(self, part: str, rtype: str, name: str, attr: str = "policy") -> dict:
        stack = self.stacks_by_part[part]
        body = self.synth.resource(stack, rtype, name)
        if body is None:
            raise SynthError(f"{stack}: no {rtype}.{name}")
        resolver = refs.Resolver(self.synth, refs.Placeholders(self.accounts[part], self.regions[part]))
        return json.loads(resolver.text(stack, body.body[attr]))

    def without(self, sid: str) -> OrgView:
        """The same organization with one guardrail statement removed (mutation tests)."""
        clone = copy.copy(self)
        clone.policies = {}
        for name, (kind, doc) in self.policies.items():
            doc = copy.deepcopy(doc)
            doc["Statement"] = [st for st in doc["Statement"] if st.get("Sid") != sid]
            clone.policies[name] = (kind, doc)
        return clone

    def sids(self) -> list[str]:
        return sorted({st["Sid"] for _, doc in self.policies.values() for st in doc["Statement"] if st.get("Sid")})


def _sim(
    view: OrgView,
    *,
    principal: str,
    principal_account: str,
    action: str,
    resource: str,
    resource_account: str,
    region: str,
    identity: dict | None = ALLOW_ALL,
    resource_policy: dict | None = None,
    in_org: bool = True,
    tls: bool = True,
) -> dict:
    context = {"aws:RequestedRegion": region, "aws:SecureTransport": "true" if tls else "false"}
    if in_org:
        context["aws:PrincipalOrgID"] = view.org_id
    return simulation(
        principal=principal,
        action=action,
        resource=resource,
        resource_account=resource_account,
        identity_policies=[("AllowAll", identity)] if identity else [],
        resource_policy=resource_policy,
        scps=view.levels(principal_account, "SERVICE_CONTROL_POLICY"),
        rcps=view.levels(resource_account, "RESOURCE_CONTROL_POLICY"),
        context=context,
    )


# Changes that blind the audit: the trail, the recorder and the detectors of an account.
AUDIT_CHANGES = (
    ("cloudtrail:StopLogging", "arn:aws:cloudtrail:{r}:{a}:trail/boi-audit-trail"),
    ("cloudtrail:DeleteTrail", "arn:aws:cloudtrail:{r}:{a}:trail/boi-audit-trail"),
    ("config:StopConfigurationRecorder", "*"),
    ("config:DeleteDeliveryChannel", "*"),
    ("guardduty:DeleteDetector", "arn:aws:guardduty:{r}:{a}:detector/12abc34d567e8fa901bc2d34e56789f0"),
    ("guardduty:DisassociateFromAdministratorAccount", "*"),
    ("securityhub:DisableSecurityHub", "arn:aws:securityhub:{r}:{a}:hub/default"),
    ("macie2:DisableMacie", "*"),
    ("access-analyzer:DeleteAnalyzer", "arn:aws:access-analyzer:{r}:{a}:analyzer/boi-external-access"),
)


def cases(view: OrgView) -> list[Case]:
    out: list[Case] = []
    a, r = view.accounts, view.regions
    members = [p for p in a if p != "management"]
    workloads = [p for p in members if p.startswith("workload-")]
    archive_part = "log_archive"
    archive_stack = view.stacks_by_part[archive_part]
    archive = next(x for x in view.synth.resources("aws_s3_bucket", archive_stack) if x.name == "audit_log_archive")
    bucket = archive.body["bucket"]
    bucket_arn = f"arn:aws:s3:::{bucket}"
    archive_policy = view.resource_policy(archive_part, "aws_s3_bucket_policy", "audit_log_archive_policy")
    for part in members:
        acct, region = a[part], r[part]
        operator = f"arn:aws:iam::{acct}:role/boi-operator"  # any role of the account outside the trusted base
        for action, template in AUDIT_CHANGES:
            resource = template.format(r=region, a=acct)
            out.append(
                Case(
                    f"{part}: an account administrator cannot {action}",
                    _sim(
                        view,
                        principal=operator,
                        principal_account=acct,
                        action=action,
                        resource=resource,
                        resource_account=acct,
                        region=region,
                    ),
                    allowed=False,
                    explicit=True,
                )
            )
        out.append(
            Case(
                f"{part}: nobody leaves the organization",
                _sim(
                    view,
                    principal=operator,
                    principal_account=acct,
                    action="organizations:LeaveOrganization",
                    resource="*",
                    resource_account=acct,
                    region=region,
                ),
                allowed=False,
                explicit=True,
            )
        )
        out.append(
            Case(
                f"{part}: the root user is denied",
                _sim(
                    view,
                    principal=f"arn:aws:iam::{acct}:root",
                    principal_account=acct,
                    action="s3:ListAllMyBuckets",
                    resource="*",
                    resource_account=acct,
                    region=region,
                ),
                allowed=False,
                explicit=True,
            )
        )
        outside = next(x for x in ("eu-west-1", "ap-southeast-2", "sa-east-1") if x not in view.allowed_regions)
        out.append(
            Case(
                f"{part}: nothing runs in {outside}",
                _sim(
                    view,
                    principal=operator,
                    principal_account=acct,
                    action="ec2:RunInstances",
                    resource=f"arn:aws:ec2:{outside}:{acct}:instance/*",
                    resource_account=acct,
                    region=outside,
                ),
                allowed=False,
                explicit=True,
            )
        )
        out.append(
            Case(
                f"{part}: work in an allowed Region is not blocked",
                _sim(
                    view,
                    principal=operator,
                    principal_account=acct,
                    action="ec2:RunInstances",
                    resource=f"arn:aws:ec2:{region}:{acct}:instance/*",
                    resource_account=acct,
                    region=region,
                ),
                allowed=True,
            )
        )
        out.append(
            Case(
                f"{part}: no IAM users or access keys",
                _sim(
                    view,
                    principal=operator,
                    principal_account=acct,
                    action="iam:CreateUser",
                    resource=f"arn:aws:iam::{acct}:user/someone",
                    resource_account=acct,
                    region=region,
                ),
                allowed=False,
                explicit=True,
            )
        )
        out.append(
            Case(
                f"{part}: the account's public access block stays",
                _sim(
                    view,
                    principal=operator,
                    principal_account=acct,
                    action="s3:PutAccountPublicAccessBlock",
                    resource="*",
                    resource_account=acct,
                    region=region,
                ),
                allowed=False,
                explicit=True,
            )
        )
        key = f"arn:aws:kms:{region}:{acct}:key/11111111-2222-3333-4444-555555555555"
        delegating = {
            "Version": "2012-10-17",
            "Statement": [  # KMS's default key policy: IAM decides
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{acct}:root"},
                    "Action": "kms:*",
                    "Resource": "*",
                }
            ],
        }
        out.append(
            Case(
                f"{part}: keys are not scheduled for deletion outside the trusted base",
                _sim(
                    view,
                    principal=operator,
                    principal_account=acct,
                    action="kms:ScheduleKeyDeletion",
                    resource=key,
                    resource_account=acct,
                    region=region,
                    resource_policy=delegating,
                ),
                allowed=False,
                explicit=True,
            )
        )
    for part in workloads:
        acct, region, env = a[part], r[part], part.removeprefix("workload-")
        operator = f"arn:aws:iam::{acct}:role/boi-{env}-platform-admin"
        glass = f"arn:aws:iam::{acct}:role/boi-{env}-break-glass"
        for role in (f"boi-{env}-foundation-deploy", f"boi-{env}-break-glass", f"boi-{env}-platform-deploy"):
            out.append(
                Case(
                    f"{part}: the platform admin cannot re-write the trust of {role}",
                    _sim(
                        view,
                        principal=operator,
                        principal_account=acct,
                        action="iam:UpdateAssumeRolePolicy",
                        resource=f"arn:aws:iam::{acct}:role/{role}",
                        resource_account=acct,
                        region=region,
                    ),
                    allowed=False,
                    explicit=True,
                )
            )
        out.append(
            Case(
                f"{part}: break-glass (trusted base) can still stop the trail in an incident",
                _sim(
                    view,
                    principal=glass,
                    principal_account=acct,
                    action="cloudtrail:StopLogging",
                    resource=f"arn:aws:cloudtrail:{region}:{acct}:trail/boi-{env}-audit-trail",
                    resource_account=acct,
                    region=region,
                ),
                allowed=True,
            )
        )
        for action, resource in (
            ("s3:GetObject", f"{bucket_arn}/AWSLogs/{acct}/CloudTrail/x.json.gz"),
            ("s3:PutObject", f"{bucket_arn}/AWSLogs/{acct}/CloudTrail/forged.json.gz"),
            ("s3:DeleteObject", f"{bucket_arn}/AWSLogs/{acct}/CloudTrail/x.json.gz"),
            ("s3:PutBucketPolicy", bucket_arn),
            ("s3:PutLifecycleConfiguration", bucket_arn),
        ):
            out.append(
                Case(
                    f"{part}: an administrator of the workload cannot {action} on the log archive",
                    _sim(
                        view,
                        principal=operator,
                        principal_account=acct,
                        action=action,
                        resource=resource,
                        resource_account=a[archive_part],
                        region=r[archive_part],
                        resource_policy=archive_policy,
                    ),
                    allowed=False,
                )
            )
    la = a[archive_part]
    la_operator = f"arn:aws:iam::{la}:role/boi-operator"
    for action, resource in (
        ("s3:PutBucketPolicy", bucket_arn),
        ("s3:PutBucketObjectLockConfiguration", bucket_arn),
        ("s3:PutLifecycleConfiguration", bucket_arn),
        ("s3:PutObjectRetention", f"{bucket_arn}/AWSLogs/x.json.gz"),
    ):
        out.append(
            Case(
                f"log_archive: an administrator of the archive account cannot {action}",
                _sim(
                    view,
                    principal=la_operator,
                    principal_account=la,
                    action=action,
                    resource=resource,
                    resource_account=la,
                    region=r[archive_part],
                    resource_policy=archive_policy,
                ),
                allowed=False,
                explicit=True,
            )
        )
    # A resource policy that (by mistake) lets anyone in: the RCP still keeps outsiders out.
    for part in workloads:
        acct, region, env = a[part], r[part], part.removeprefix("workload-")
        documents = f"arn:aws:s3:::boi-{env}-documents-{acct}"
        mistake_s3 = {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "s3:GetObject", "Resource": f"{documents}/*"}
            ],
        }
        for action, resource, principal_field in (
            ("s3:GetObject", f"{documents}/uploads/x.png", {"AWS": "*"}),
            ("sts:AssumeRole", f"arn:aws:iam::{acct}:role/boi-{env}-platform-admin", {"AWS": "*"}),
        ):
            mistake = {
                "Version": "2012-10-17",
                "Statement": [
                    {"Effect": "Allow", "Principal": principal_field, "Action": action, "Resource": resource}
                ],
            }
            out.append(
                Case(
                    f"{part}: an outsider is kept from {action} despite a resource policy that allows it",
                    _sim(
                        view,
                        principal=f"arn:aws:iam::{OUTSIDER}:role/intruder",
                        principal_account=OUTSIDER,
                        action=action,
                        resource=resource,
                        resource_account=acct,
                        region=region,
                        resource_policy=mistake,
                        in_org=False,
                    ),
                    allowed=False,
                    explicit=True,
                )
            )
            other = next(p for p in members if p != part)
            out.append(
                Case(
                    f"{part}: the RCP leaves {action} from inside the organization to the resource policy",
                    _sim(
                        view,
                        principal=f"arn:aws:iam::{a[other]}:role/boi-operator",
                        principal_account=a[other],
                        action=action,
                        resource=resource,
                        resource_account=acct,
                        region=region,
                        resource_policy=mistake,
                    ),
                    allowed=True,
                )
            )
        out.append(
            Case(
                f"{part}: no request without TLS reaches the organization's data, whatever the policy says",
                _sim(
                    view,
                    principal=f"arn:aws:iam::{acct}:role/boi-operator",
                    principal_account=acct,
                    action="s3:GetObject",
                    resource=f"{documents}/uploads/x.png",
                    resource_account=acct,
                    region=region,
                    resource_policy=mistake_s3,
                    tls=False,
                ),
                allowed=False,
                explicit=True,
            )
        )
    return out


def run(simulator, cases_: Iterable[Case]) -> list[tuple[Case, object]]:
    cases_ = list(cases_)
    results = simulator.run_many([c.sim for c in cases_])
    return [(c, require_complete(res)) for c, res in zip(cases_, results, strict=True)]


def failures(verdicts: Iterable[tuple[Case, object]]) -> list[str]:
    out = []
    for case, result in verdicts:
        if result.allowed != case.allowed:
            out.append(f"{case.name}: expected {'Allowed' if case.allowed else 'denied'}, got {result.decision}")
        elif case.explicit and not case.allowed and result.decision != "ExplicitlyDenied":
            out.append(f"{case.name}: expected a guardrail's explicit Deny, got {result.decision}")
    return out
