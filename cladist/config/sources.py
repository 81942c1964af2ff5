"""Reading configuration sources: YAML files and ``section.key=value`` overrides, merged,
and pydantic's validation errors turned into one line each (see :mod:`cladist.config`).

Every function takes the root model (``root``) to name the allowed sections and keys.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel

from cladist.errors import ConfigError


def looks_like_override(source: str) -> bool:
    """True if a ``-c`` source is ``section.key=value`` rather than a file."""
    head = source.split("=", 1)[0]
    return "=" in source and "/" not in head and not _is_file(source)


def _is_file(source: str) -> bool:
    try:
        return Path(source).exists()
    except OSError:  # e.g. a long list of task ids is too long for a file name
        return False


def read_yaml_file(path: str, root: type[BaseModel]) -> dict[str, Any]:
    """The mapping in YAML file ``path``; raises ConfigError."""
    try:
        text = Path(path).read_text()
    except FileNotFoundError:
        raise ConfigError([f"{path}: no such config file (give a YAML file or "
                           "section.key=value)"]) from None
    except (IsADirectoryError, PermissionError, UnicodeDecodeError) as err:
        raise ConfigError([f"{path}: cannot read config file ({type(err).__name__})"]) from None
    return parse_yaml(text, path, root)


def parse_yaml(text: str, where: str, root: type[BaseModel]) -> dict[str, Any]:
    """The mapping of sections in YAML ``text`` (from ``where``); raises ConfigError."""
    try:
        loaded = yaml.safe_load(text)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        at = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(err, "problem", None) or "malformed YAML"
        raise ConfigError([f"{where}: malformed YAML{at}: {problem}"]) from None
    if loaded is None:
        return {}
    if not isinstance(loaded, dict):
        raise ConfigError([f"{where}: top level must be a mapping of sections (allowed: "
                           f"{', '.join(root.model_fields)})"])
    return loaded


def apply_override(data: dict[str, Any], source: str, root: type[BaseModel]) -> None:
    """Set ``section.key=value`` (a YAML value) in ``data``; raises ConfigError."""
    key, raw = source.split("=", 1)
    parts = key.strip().split(".")
    if len(parts) < 2 or not all(parts):
        raise ConfigError([f"{source}: override must be section.key=value (sections: "
                           f"{', '.join(root.model_fields)})"])
    try:
        value = yaml.safe_load(raw) if raw.strip() else None
    except yaml.YAMLError:
        raise ConfigError([f"{source}: value is not a valid YAML scalar or list"]) from None
    node = data
    for part in parts[:-1]:
        child = node.get(part)
        if not isinstance(child, dict):
            child = node[part] = {}
        node = child
    node[parts[-1]] = value


def merge(into: dict[str, Any], new: dict[str, Any]) -> None:
    """Deep-merge mapping ``new`` into ``into``."""
    for key, value in new.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            merge(into[key], value)
        else:
            into[key] = value


def describe(error: Any, root: type[BaseModel]) -> str:
    """One line for one pydantic error: where, what is wrong, what is allowed."""
    loc = ".".join(str(p) for p in error["loc"]) or "(top level)"
    kind = error["type"]
    if kind == "extra_forbidden":
        allowed = _allowed_keys(error["loc"][:-1], root)
        return f"{loc}: unknown key (allowed: {', '.join(allowed)})"
    message = error["msg"]
    if kind == "missing":
        return f"{loc}: required"
    field = _field_at(error["loc"], root)
    hint = f" ({field.description.rstrip('.')})" if field and field.description else ""
    given = error.get("input")
    shown = "" if isinstance(given, dict) else f"; got {given!r}"
    return f"{loc}: {message}{shown}{hint}"


def _allowed_keys(loc: tuple[Any, ...], root: type[BaseModel]) -> list[str]:
    model: Any = root
    for part in loc:
        field = model.model_fields.get(part) if isinstance(part, str) else None
        if field is None or not isinstance(field.annotation, type):
            return []
        model = field.annotation
    return list(model.model_fields)


def _field_at(loc: tuple[Any, ...], root: type[BaseModel]) -> Any:
    model: Any = root
    field = None
    for part in loc:
        if not (isinstance(part, str) and hasattr(model, "model_fields")):
            return field
        field = model.model_fields.get(part)
        if field is None:
            return None
        model = field.annotation
    return field
