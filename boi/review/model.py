"""The review's data: what changed per policy, key, control and stack, and the verdict."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from boi_model.policies import Stmt

EXIT_OK, EXIT_ERROR, EXIT_BROADENED = 0, 2, 3


class ReviewError(Exception):
    """The review cannot give a verdict (exit 2)."""


@dataclass
class StatementChange:
    sign: str  # "+" or "-"
    statement: Stmt
    broadens: str = ""  # why it broadens permissions, or ""


@dataclass
class PolicyDiff:
    section: str  # "role", "resource", "key", "scp", "endpoint", "managed"
    subject: str  # role name, resource ARN, key alias, policy name
    part: str  # "identity", "boundary", "trust", "resource policy", "key policy", ...
    stacks: str
    changes: list[StatementChange] = field(default_factory=list)
    notes: list[tuple[str, str]] = field(default_factory=list)  # (text, broadens reason or "")
    status: str = "changed"  # "added", "removed", "changed"

    @property
    def broadened(self) -> bool:
        return any(c.broadens for c in self.changes) or any(b for _, b in self.notes)


@dataclass
class KeyChange:
    key: str  # alias or stack:address
    stack: str
    status: str  # added, removed, changed
    changes: list[str] = field(default_factory=list)
    weakened: list[str] = field(default_factory=list)


@dataclass
class ControlChange:
    category: str
    identity: str
    stack: str
    status: str  # added, removed, changed
    changes: list[str] = field(default_factory=list)
    weakened: str = ""


@dataclass
class StackResources:
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)  # "address (attr: old -> new)"
    moved: list[str] = field(default_factory=list)  # "old -> new"
    modified: list[str] = field(default_factory=list)  # "address (attrs)"

    def empty(self) -> bool:
        return not (self.added or self.removed or self.replaced or self.moved or self.modified)


@dataclass
class CheckovDiff:
    new_failures: list[str] = field(default_factory=list)
    fixed: list[str] = field(default_factory=list)
    new_suppressions: list[str] = field(default_factory=list)
    skipped: str = ""


@dataclass
class Review:
    policies: list[PolicyDiff] = field(default_factory=list)
    keys: list[KeyChange] = field(default_factory=list)
    controls: list[ControlChange] = field(default_factory=list)
    resources: dict[str, StackResources] = field(default_factory=dict)
    checkov: CheckovDiff | None = None
    plans: dict[str, dict[str, int]] | None = None
    plans_note: str = ""
    warnings: list[str] = field(default_factory=list)
    base: str = ""
    head: str = ""

    @property
    def permissions_broadened(self) -> bool:
        return any(p.broadened for p in self.policies)

    def broadening_reasons(self) -> list[str]:
        out = []
        for p in self.policies:
            for c in p.changes:
                if c.broadens:
                    out.append(f"{p.section} {p.subject} ({p.part}): {c.broadens}")
            for text, why in p.notes:
                if why:
                    out.append(f"{p.section} {p.subject} ({p.part}): {why}: {text}")
        return out

    def weakened(self) -> list[str]:
        out = [f"key {k.key}: {w}" for k in self.keys for w in k.weakened]
        out += [f"{c.category} {c.identity}: {c.weakened}" for c in self.controls if c.weakened]
        return out

    def exit_code(self) -> int:
        return EXIT_BROADENED if self.permissions_broadened else EXIT_OK

    def to_dict(self) -> dict:
        return {
            "permissions_broadened": self.permissions_broadened,
            "broadening": self.broadening_reasons(),
            "weakened": self.weakened(),
            **asdict(self),
        }
