"""Read a YAML catalog into its pydantic model; export the model's JSON Schema.

Every catalog of the platform (key classes, Config rules, the access matrix, reviewed exceptions, …)
goes through `load`: a file that does not fit its model fails with one line per problem, naming the
file, the path inside it and what is allowed there.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

M = TypeVar("M", bound=BaseModel)


class CatalogError(ValueError):
    """A catalog file is missing, not YAML, or does not fit its schema."""


class Strict(BaseModel):
    """Base of every catalog model: unknown fields are errors, values are not coerced silently."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


def problems(err: ValidationError, source: str) -> list[str]:
    lines = []
    for e in err.errors():
        where = ".".join(str(p) for p in e["loc"]) or "(top level)"
        got = e.get("input")
        shown = "" if isinstance(got, dict | list) else f" (got {got!r})"
        lines.append(f"{source}: {where}: {e['msg']}{shown}")
    return lines


def validate(model: type[M], data: Any, source: str) -> M:
    try:
        return model.model_validate(data)
    except ValidationError as err:
        raise CatalogError("\n".join(problems(err, source))) from None


def read_yaml(path: str | Path) -> Any:
    path = Path(path)
    if not path.is_file():
        raise CatalogError(f"{path}: catalog file not found")
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as err:
        raise CatalogError(f"{path}: not valid YAML: {err}") from None


def load(model: type[M], path: str | Path) -> M:
    return validate(model, read_yaml(path), str(path))


def schema_text(model: type[BaseModel]) -> str:
    """The JSON Schema a catalog file is checked against (committed next to the catalogs)."""
    return json.dumps(model.model_json_schema(), indent=2, sort_keys=True) + "\n"
