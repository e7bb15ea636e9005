"""Resource policies assembled from fixed guard statements plus the resource side of grants."""

from __future__ import annotations

from boi_model.policies import PERIMETER_REASONS, deny_insecure_transport

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


__all__ = ["GUARD_REASONS", "ResourcePolicy", "deny_insecure_transport"]

GUARD_REASONS = {
    "DenyInsecureTransport": "requests without TLS are refused, whoever sends them",
    **PERIMETER_REASONS,
}
