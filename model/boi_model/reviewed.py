"""Reviewed exceptions: checkov suppressions and accepted IAM lint findings, attached to constructs.

The reviewed catalog names constructs by their path inside the stack (a glob, e.g.
`platform/compute/*/execution/grants`), never by the hashed Terraform address. The app's synth step
writes each matching entry into the resource's `"//"` metadata (`attach`); the gate and the IAM lint
read only that metadata (`suppressions_of`, `acceptances_of`). So a new service whose constructs
match an existing entry inherits its reviewed reason, and an entry that matches no construct in any
environment is stale (`unused`).
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable, Mapping
from typing import Literal

from pydantic import Field, field_validator

from . import meta
from .catalog import CatalogError, Strict

Mode = Literal["synth", "plan"]
CHECK_ID = r"^CKV2?_[A-Z0-9]+_\d+$"
ISSUE = r"^(parliament|cloudsplaining|boi):[A-Za-z_]+$"


class Suppression(Strict):
    """Checkov checks that fail on purpose on the constructs at `path`, in the scan modes listed."""

    path: str = Field(min_length=3, description="construct path inside the stack, glob allowed")
    checks: list[str] = Field(min_length=1)
    modes: list[Mode] = Field(
        min_length=1, description="synth: checkov on cdk.tf.json; plan: checkov on `terraform show -json`"
    )
    reason: str = Field(min_length=20, description="why the finding is accepted, for the reviewer")
    environments: list[str] | None = Field(
        default=None,
        min_length=1,
        description="only in these environments (a deliberate difference of theirs, such as local's "
        "skip_services or prevent_destroy: false); every environment when absent",
    )

    @field_validator("checks")
    @classmethod
    def _check_ids(cls, checks: list[str]) -> list[str]:

        bad = [c for c in checks if not re.match(CHECK_ID, c)]
        if bad:
            raise ValueError(f"not checkov check ids: {bad} (allowed: CKV_<PROVIDER>_<n> or CKV2_<PROVIDER>_<n>)")
        return checks


class Acceptance(Strict):
    """IAM lint findings accepted for the statement `sid` of the policy at `path`."""

    path: str = Field(min_length=3, description="construct path of the policy owner inside the stack, glob allowed")
    sid: str = Field(min_length=1, description="statement Sid, glob allowed")
    issues: list[str] = Field(min_length=1, description="tool:ISSUE, e.g. cloudsplaining:credentials_exposure")
    reason: str = Field(min_length=20)

    @field_validator("issues")
    @classmethod
    def _issue_ids(cls, issues: list[str]) -> list[str]:

        bad = [i for i in issues if not re.match(ISSUE, i)]
        if bad:
            raise ValueError(f"not lint issue ids: {bad} (allowed: parliament:X, cloudsplaining:x, boi:X)")
        return issues


class Suppressions(Strict):
    """catalogs/gate/suppressions.yaml"""

    suppressions: list[Suppression]


class AcceptedFindings(Strict):
    """catalogs/iam/accepted_findings.yaml"""

    accepted: list[Acceptance]


PROWLER_CHECK_ID = r"^[a-z0-9][a-z0-9_]*$"


class ProwlerException(Strict):
    """One Prowler FAIL on the deployment that is reviewed: a real risk accepted on purpose, or the
    emulator (moto) not behaving as AWS for this check and resource."""

    check: str = Field(
        pattern=PROWLER_CHECK_ID,
        description="Prowler check id (metadata.event_code in the OCSF), e.g. s3_bucket_object_lock",
    )
    resource: str = Field(
        min_length=1, description="the resource's uid in the finding (an ARN): exact, or a glob (* ? [..])"
    )
    kind: Literal["accepted", "emulator"] = Field(
        default="accepted",
        description="accepted: a real risk accepted on purpose; emulator: moto is not AWS here (it passes on AWS)",
    )
    reason: str = Field(min_length=20, description="why, for the reviewer (what covers it instead, for emulator gaps)")


class ProwlerExceptions(Strict):
    """catalogs/gate/prowler_exceptions.yaml"""

    exceptions: list[ProwlerException]

    @field_validator("exceptions")
    @classmethod
    def _once_each(cls, exceptions: list[ProwlerException]) -> list[ProwlerException]:
        seen: dict[tuple[str, str], int] = {}
        duplicates = []
        for index, entry in enumerate(exceptions):
            key = (entry.check, entry.resource)
            if key in seen:
                duplicates.append(f"{index} duplicates {seen[key]} ({entry.check} {entry.resource})")
            seen.setdefault(key, index)
        if duplicates:
            raise ValueError(f"each check + resource once; entries {'; '.join(duplicates)}")
        return exceptions


class ReviewedExceptions(Strict):
    suppressions: list[Suppression] = Field(default_factory=list)
    accepted: list[Acceptance] = Field(default_factory=list)

    @classmethod
    def load(cls, suppressions_file, accepted_file) -> ReviewedExceptions:
        from .catalog import load

        return cls(
            suppressions=load(Suppressions, suppressions_file).suppressions,
            accepted=load(AcceptedFindings, accepted_file).accepted,
        )


def expand_braces(pattern: str) -> list[str]:
    """`a/{b,c}/d` -> [`a/b/d`, `a/c/d`], nesting allowed (shell-style alternatives; fnmatch has none)."""
    start = pattern.find("{")
    if start < 0:
        return [pattern]
    depth, options, last = 0, [], start + 1
    for i in range(start, len(pattern)):
        if pattern[i] == "{":
            depth += 1
        elif pattern[i] == "}":
            depth -= 1
            if depth == 0:
                options.append(pattern[last:i])
                head, tail = pattern[:start], pattern[i + 1 :]
                found = [x for option in options for x in expand_braces(head + option + tail)]
                return list(dict.fromkeys(found))
        elif pattern[i] == "," and depth == 1:
            options.append(pattern[last:i])
            last = i + 1
    raise CatalogError(f"unbalanced braces in pattern {pattern!r}")


def glob_match(text: str, pattern: str) -> bool:
    return any(fnmatch.fnmatchcase(text, p) for p in expand_braces(pattern))


def construct_path(body: Mapping) -> str:
    """The construct path without the stack name (`foundation/governance/human_boundary`)."""
    full = str(((body.get(meta.COMMENT) or {}).get("metadata") or {}).get("path", ""))
    return full.split("/", 1)[1] if "/" in full else full


def _entry_label(entry: Suppression | Acceptance) -> str:
    return entry.path + (f" sid {entry.sid}" if isinstance(entry, Acceptance) else "")


def attach(stack: dict, reviewed: ReviewedExceptions) -> int:
    """Write every matching entry into the resources' metadata; returns how many were attached."""
    attached = 0
    clashes = []
    environment = ((stack.get(meta.COMMENT) or {}).get(meta.ENVIRONMENT) or {}).get("name")
    suppressions = [e for e in reviewed.suppressions if e.environments is None or environment in e.environments]
    for rtype, named in [*(stack.get("resource") or {}).items(), *(stack.get("data") or {}).items()]:
        for name, body in named.items():
            path = construct_path(body)
            suppress: dict = {}
            for entry in suppressions:
                if glob_match(path, entry.path):
                    for check in entry.checks:
                        if check in suppress:
                            clashes.append(
                                f"{rtype}.{name} ({path}): {check} by {suppress[check]['entry']!r} and {entry.path!r}"
                            )
                        suppress[check] = {"reason": entry.reason, "modes": list(entry.modes), "entry": entry.path}
            accept: dict = {}
            for entry in reviewed.accepted:
                if glob_match(path, entry.path):
                    accept.setdefault(entry.sid, {}).update(
                        {issue: {"reason": entry.reason, "entry": _entry_label(entry)} for issue in entry.issues}
                    )
            if suppress or accept:
                note = body.setdefault(meta.COMMENT, {})
                if suppress:
                    note[meta.SUPPRESS] = suppress
                if accept:
                    note[meta.ACCEPT] = accept
                attached += len(suppress) + sum(len(v) for v in accept.values())
    if clashes:
        raise CatalogError("two reviewed suppressions cover the same check:\n  " + "\n  ".join(clashes))
    return attached


def suppressions_of(body: Mapping) -> dict[str, dict]:
    """check id -> {reason, modes, entry} attached to one resource."""
    return dict((body.get(meta.COMMENT) or {}).get(meta.SUPPRESS) or {})


def acceptance_for(body: Mapping, sid: str, issue: str) -> dict | None:
    """The reviewed acceptance of one lint finding on a policy owner's resource, if any."""
    for pattern, issues in ((body.get(meta.COMMENT) or {}).get(meta.ACCEPT) or {}).items():
        if glob_match(sid, pattern) and issue in issues:
            return issues[issue]
    return None


def unused(reviewed: ReviewedExceptions, synths: Iterable[Mapping[str, dict]]) -> list[str]:
    """Entries that match no construct in any of the given synthesized environments (stale)."""
    paths = {
        construct_path(body)
        for synth in synths
        for stack in synth.values()
        for named in (stack.get("resource") or {}).values()
        for body in named.values()
    }
    entries: list[Suppression | Acceptance] = [*reviewed.suppressions, *reviewed.accepted]
    return [
        f"{type(e).__name__.lower()} {_entry_label(e)!r}: matches no construct"
        for e in entries
        if not any(glob_match(p, e.path) for p in paths)
    ]
