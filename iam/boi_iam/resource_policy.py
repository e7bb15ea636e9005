"""Resource policies assembled from fixed guard statements plus the resource side of grants."""

from __future__ import annotations

from .grants import Grant
from .policy import Statement, document


class ResourcePolicy:
    """Collects statements for one resource policy; rendered once every grant has been made."""

    def __init__(self, name: str, guards: list[dict] | None = None, reasons: dict[str, str] | None = None) -> None:
        self.name = name
        self._guards = list(guards or [])
        self._guard_reasons = dict(reasons or {})
        self.statements: list[Statement] = []

    def sink(self, grant: Grant, statement: Statement) -> None:
        self.statements.append(statement)

    def add(self, statement: Statement) -> None:
        self.statements.append(statement)

    def render(self) -> dict:
        doc = document(self.statements)
        sids = {s["Sid"] for s in doc["Statement"]}
        for guard in self._guards:
            if guard["Sid"] in sids:
                raise ValueError(f"{self.name}: statement Sid {guard['Sid']} is used twice")
        doc["Statement"] = self._guards + doc["Statement"]
        return doc

    def reasons(self) -> dict[str, str]:
        """Sid -> why, for the guards and the grants' statements (written into the `"//"` metadata)."""
        guards = {g["Sid"]: GUARD_REASONS[g["Sid"]] for g in self._guards if g["Sid"] in GUARD_REASONS}
        return {**guards, **self._guard_reasons, **{s.sid: s.reason for s in self.statements}}


GUARD_REASONS = {
    "DenyInsecureTransport": "requests without TLS are refused, whoever sends them",
}


def deny_insecure_transport(resource_arns: list[str] | str, actions: str = "s3:*") -> dict:
    """TLS only, and TLS 1.2 or newer (S3 exposes the version as s3:TlsVersion)."""
    return {
        "Sid": "DenyInsecureTransport",
        "Effect": "Deny",
        "Principal": "*",
        "Action": actions,
        "Resource": resource_arns,
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }
