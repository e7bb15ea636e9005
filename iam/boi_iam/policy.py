"""Policy statements as plain data, rendered to IAM JSON documents.

Every statement carries a Sid and a human reason; the reason never reaches AWS (IAM has no
field for it) but feeds the generated IAM document and the review diff.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .errors import GrantError

_SID = re.compile(r"^[A-Za-z0-9]{1,100}$")


@dataclass(frozen=True)
class Statement:
    sid: str
    actions: tuple[str, ...]
    resources: tuple[str, ...]
    reason: str
    effect: str = "Allow"
    conditions: dict = field(default_factory=dict, hash=False, compare=False)
    principals: dict | None = field(default=None, hash=False, compare=False)

    def __post_init__(self) -> None:
        if not _SID.match(self.sid):
            raise GrantError(f"statement Sid {self.sid!r}: must be 1-100 letters or digits")
        if self.effect not in ("Allow", "Deny"):
            raise GrantError(f"statement {self.sid}: effect {self.effect!r} is not Allow or Deny")
        if not self.actions:
            raise GrantError(f"statement {self.sid}: no actions")
        for action in self.actions:
            if "*" in action:
                raise GrantError(f"statement {self.sid}: action {action!r} has a wildcard; name each action")
        if not self.resources:
            raise GrantError(f"statement {self.sid}: no resources")
        if not self.reason.strip():
            raise GrantError(f"statement {self.sid}: a reason is required")

    def to_json(self) -> dict:
        doc: dict = {"Sid": self.sid, "Effect": self.effect}
        if self.principals is not None:
            doc["Principal"] = self.principals
        doc["Action"] = sorted(self.actions)
        doc["Resource"] = list(self.resources) if len(self.resources) > 1 else self.resources[0]
        if self.conditions:
            doc["Condition"] = self.conditions
        return doc


def document(statements: list[Statement] | tuple[Statement, ...]) -> dict:
    """An IAM policy document; Sids must be unique within it."""
    seen: set[str] = set()
    for statement in statements:
        if statement.sid in seen:
            raise GrantError(f"statement Sid {statement.sid!r} appears twice in one policy")
        seen.add(statement.sid)
    return {"Version": "2012-10-17", "Statement": [s.to_json() for s in statements]}


def trust_document(
    service: str | None = None,
    *,
    federated: str | None = None,
    actions: tuple[str, ...] = ("sts:AssumeRole",),
    conditions: dict | None = None,
    aws: str | list[str] | None = None,
    sid: str = "Trust",
) -> dict:
    """A role trust policy for one kind of principal."""
    principal: dict = {}
    if service:
        principal["Service"] = service
    if federated:
        principal["Federated"] = federated
    if aws:
        principal["AWS"] = aws
    if len(principal) != 1:
        raise GrantError("a trust policy names exactly one kind of principal (service, federated or AWS)")
    stmt: dict = {"Sid": sid, "Effect": "Allow", "Principal": principal, "Action": list(actions)}
    if conditions:
        stmt["Condition"] = conditions
    return {"Version": "2012-10-17", "Statement": [stmt]}
