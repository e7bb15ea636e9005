"""Read a YAML catalog into its pydantic model; export the model's JSON Schema.

Every catalog of the platform (key classes, Config rules, the access matrix, reviewed exceptions, …)
goes through `load`: a file that does not fit its model fails with one line per problem, naming the
file, the path inside it and what is allowed there.
"""

from __future__ import annotations

import json
import types
import typing
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


def _model_at(model: Any, loc: tuple) -> type[BaseModel] | None:
    """The catalog model that holds the value at `loc` (walking fields, lists and mappings), if any."""

    def models_in(annotation: Any) -> list[Any]:
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            return [annotation]
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            return models_in(typing.get_args(annotation)[0])
        if origin in (typing.Union, types.UnionType):
            return [m for arg in typing.get_args(annotation) for m in models_in(arg)]
        return []

    def containers(annotation: Any) -> list[Any]:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            return containers(typing.get_args(annotation)[0])
        if origin in (typing.Union, types.UnionType):
            return [c for arg in typing.get_args(annotation) for c in containers(arg)]
        if origin in (list, tuple, set, frozenset):
            return [typing.get_args(annotation)[0]]
        if origin is dict:
            return [typing.get_args(annotation)[1]]
        return []

    current: Any = model
    for part in loc:
        if isinstance(current, type) and issubclass(current, BaseModel) and isinstance(part, str):
            field = current.model_fields.get(part)
            if field is None:
                return None
            current = field.annotation
            continue
        inner = containers(current)
        if not inner:
            found = models_in(current)
            if len(found) == 1 and isinstance(part, str) and part in found[0].model_fields:
                current = found[0].model_fields[part].annotation
                continue
            return None
        current = inner[0]
    found = models_in(current)
    return found[0] if len(found) == 1 else None


def problems(err: ValidationError, source: str, model: type[BaseModel] | None = None) -> list[str]:
    """One line per problem: `<file>: <path>: <what is wrong and what is allowed> (got <value>)`."""
    lines = []
    for e in err.errors():
        where = ".".join(str(p) for p in e["loc"]) or "(top level)"
        got = e.get("input")
        shown = "" if isinstance(got, dict | list) else f" (got {got!r})"
        msg = e["msg"]
        if e["type"] == "extra_forbidden" and model is not None:
            holder = _model_at(model, tuple(e["loc"][:-1]))
            if holder is not None:
                msg = f"{msg}; allowed fields: {', '.join(holder.model_fields)}"
        lines.append(f"{source}: {where}: {msg}{shown}")
    return lines


def validate(model: type[M], data: Any, source: str) -> M:
    try:
        return model.model_validate(data)
    except ValidationError as err:
        raise CatalogError("\n".join(problems(err, source, model))) from None


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
