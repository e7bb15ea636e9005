"""What the account holds according to Terraform: the applied values per stack (`terraform show
-json`), used to resolve the `${...}` references of the synthesized documents."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

from boi_model import refs

from boi.live_audit.registry import ANY, AuditError


class State:
    """Real attribute values per stack from `terraform show -json`, to resolve `${...}` references."""

    def __init__(
        self, values: dict[str, dict[str, dict]] | None = None, outputs: dict[str, dict[str, object]] | None = None
    ) -> None:
        self.values = values or {}  # stack -> address -> attributes
        self.outputs = outputs or {}  # stack -> output -> value
        self.loaded = bool(self.values)
        self._resolver: refs.Resolver | None = None

    @classmethod
    def from_terraform(cls, out: Path, stacks: Iterable[str]) -> State:
        from boi import terraform as tf

        env = tf.cli_env()
        values: dict[str, dict[str, dict]] = {}
        outputs: dict[str, dict[str, object]] = {}
        for stack in stacks:
            stack_dir = Path(out) / "stacks" / stack
            proc = tf.run(["show", "-json", "-no-color"], stack_dir, env=env, check=False)
            if proc.returncode != 0:
                raise AuditError(f"terraform show -json failed in {stack_dir}: {proc.stderr.strip()[:500]}")
            doc = json.loads(proc.stdout or "{}").get("values") or {}
            outputs[stack] = {k: v.get("value") for k, v in (doc.get("outputs") or {}).items()}
            values[stack] = {}
            todo = [doc.get("root_module") or {}]
            while todo:
                module = todo.pop()
                for res in module.get("resources", []):
                    values[stack][res["address"]] = res.get("values") or {}
                todo.extend(module.get("child_modules", []))
        return cls(values, outputs)

    def text(self, stack: str, value: str) -> str:
        """References resolved to the applied values (the model's Live strategy); unknown ones match anything."""
        if self._resolver is None:
            known: dict[str, dict] = {}
            for st, addresses in self.values.items():
                for address in addresses:
                    rtype, _, name = address.partition(".")
                    if rtype != "data":
                        known.setdefault(st, {"resource": {}})["resource"].setdefault(rtype, {})[name] = {}
            self._resolver = refs.Resolver(known, refs.Live(self.values, self.outputs, ANY))
        return self._resolver.text(stack, value)

    def address_value(self, stack: str, rtype: str, name: str, attr: str) -> str | None:
        value = self.values.get(stack, {}).get(f"{rtype}.{name}", {}).get(attr)
        return value if isinstance(value, str) else None
