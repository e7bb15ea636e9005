"""Load the synthesized stacks and read them: resources, metadata, the environment they describe."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from . import meta


class SynthError(ValueError):
    """The output folder or its JSON is not what a synthesized BOI environment looks like."""


@dataclass(frozen=True)
class Resource:
    stack: str
    type: str
    name: str
    body: dict

    @property
    def address(self) -> str:
        return f"{self.type}.{self.name}"

    @property
    def meta(self) -> dict:
        found = self.body.get(meta.COMMENT)
        return found if isinstance(found, dict) else {}

    @property
    def path(self) -> str:
        """The construct path cdktn wrote, e.g. boi-dev-platform/platform/data/documents."""
        return str((self.meta.get("metadata") or {}).get("path", ""))


@dataclass(frozen=True)
class Environment:
    """What the app synthesized for, as it wrote it into every stack (`//.boi_environment`)."""

    name: str
    prefix: str
    account_id: str
    region: str
    allowed_regions: tuple[str, ...]
    organization_mode: bool = False
    partition: str = "aws"
    details: Mapping = field(default_factory=dict)  # retention, keys, artifacts, local: see the app's description

    @classmethod
    def from_dict(cls, data: Mapping) -> Environment:
        try:
            return cls(
                name=data["name"],
                prefix=data["prefix"],
                account_id=data["account_id"],
                region=data["region"],
                allowed_regions=tuple(data["allowed_regions"]),
                organization_mode=bool(data.get("organization_mode", False)),
                partition=data.get("partition", "aws"),
                details={k: v for k, v in data.items() if k not in _FIELDS},
            )
        except KeyError as exc:
            raise SynthError(f"//.{meta.ENVIRONMENT}: missing {exc.args[0]!r}") from None

    def detail(self, *path: str, default=None):
        node = self.details
        for key in path:
            if not isinstance(node, Mapping) or key not in node:
                return default
            node = node[key]
        return node


_FIELDS = {"name", "prefix", "account_id", "region", "allowed_regions", "organization_mode", "partition"}


class Synth(dict):
    """stack name -> parsed cdk.tf.json (a plain dict, so it copies and serialises as one), with the
    readers every tool needs."""

    @property
    def _stacks(self) -> dict:
        return self

    def resources(self, rtype: str | None = None, stack: str | None = None) -> Iterator[Resource]:
        """Every resource (of a type, of a stack) in a stable order."""
        for name in sorted(self._stacks):
            if stack is not None and name != stack:
                continue
            blocks = self._stacks[name].get("resource") or {}
            for t in sorted(blocks) if rtype is None else [rtype]:
                for rname, body in sorted((blocks.get(t) or {}).items()):
                    yield Resource(name, t, rname, body)

    def resource(self, stack: str, rtype: str, name: str) -> Resource | None:
        body = ((self._stacks.get(stack, {}).get("resource") or {}).get(rtype) or {}).get(name)
        return Resource(stack, rtype, name, body) if body is not None else None

    def top(self, key: str) -> list:
        """A top-level `"//"` metadata value of every stack that has it."""
        return [
            body[meta.COMMENT][key] for _, body in sorted(self._stacks.items()) if key in (body.get(meta.COMMENT) or {})
        ]

    def environment(self) -> Environment:
        found = self.top(meta.ENVIRONMENT)
        if not found:
            raise SynthError(f"no stack carries //.{meta.ENVIRONMENT}: synthesized by another version of the app?")
        if any(f != found[0] for f in found):
            raise SynthError("the stacks were synthesized for different environments")
        return Environment.from_dict(found[0])


def as_synth(stacks: Mapping[str, dict]) -> Synth:
    """The readers over a plain stack-name -> JSON mapping (no copy when it already is a Synth)."""
    return stacks if isinstance(stacks, Synth) else Synth(stacks)


def load_out(out: str | Path) -> Synth:
    """Read `<out>/stacks/*/cdk.tf.json`."""
    stacks_dir = Path(out) / "stacks"
    files = sorted(stacks_dir.glob("*/cdk.tf.json"))
    if not files:
        raise SynthError(f"no stacks under {stacks_dir}; run the synth first (make synth)")
    stacks = {}
    for file in files:
        try:
            stacks[file.parent.name] = json.loads(file.read_text())
        except json.JSONDecodeError as exc:
            raise SynthError(f"{file}: not valid JSON: {exc}") from None
    return Synth(stacks)


def digest(stacks: Mapping[str, dict]) -> str:
    """SHA-256 of the synthesized stacks (canonical JSON), the identity documents and evidence refer to."""
    import hashlib

    return hashlib.sha256(json.dumps(stacks, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def scope_lines(stacks: Mapping[str, dict]) -> list[str]:
    """The document-control block every generated document opens with: what it describes."""
    synth = as_synth(stacks)
    try:
        env = synth.environment()
    except SynthError:  # stacks written by hand (tests, other apps) may describe no environment
        return [f"> **Scope:** stacks {', '.join(f'`{s}`' for s in sorted(synth))}.", ""]
    regions = ", ".join(f"`{r}`" + (" (home)" if r == env.region else "") for r in env.allowed_regions)
    mode = "organization" if env.organization_mode else "single account"
    return [
        f"> **Scope:** environment `{env.name}` · account `{env.account_id}` ({mode}) · Regions {regions} · "
        f"stacks {', '.join(f'`{s}`' for s in sorted(synth))} · synthesized output sha256 `{digest(synth)[:16]}` "
        "(the evidence pack binds it to a commit and a date).",
        "",
    ]
