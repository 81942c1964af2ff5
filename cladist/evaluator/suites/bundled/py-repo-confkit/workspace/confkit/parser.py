"""Parsing `key.sub = value` config text."""

from confkit.errors import ConfigSyntaxError


def parse_value(raw):
    """A config value: int, float, true/false (any case), or the stripped string.

    Values in double quotes are always strings (quotes removed).
    """
    raw = raw.strip()
    if len(raw) >= 2 and raw[0] == raw[-1] == '"':
        return raw[1:-1]
    if raw.lower() in ("true", "false"):
        return raw.lower() == "true"
    for convert in (int, float):
        try:
            return convert(raw)
        except ValueError:
            pass
    return raw


def set_path(target, dotted, value):
    """Set target[a][b][c] = value for dotted "a.b.c", creating sections as needed."""
    *sections, last = dotted.split(".")
    for name in sections:
        target = target.setdefault(name, {})
        if not isinstance(target, dict):
            raise ValueError(f"{dotted}: {name} is a value, not a section")
    target[last] = value


def parse_text(text):
    """Nested dict from config text; blank lines and # comments are ignored."""
    result = {}
    for lineno, line in enumerate(text.splitlines(), start=1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        if "=" not in line:
            raise ConfigSyntaxError(lineno, f"expected key = value, got {line!r}")
        key, raw = line.split("=", 1)
        key = key.strip().lower()
        if not key:
            raise ConfigSyntaxError(lineno, "empty key")
        try:
            set_path(result, key, parse_value(raw))
        except ValueError as exc:
            raise ConfigSyntaxError(lineno, str(exc)) from None
    return result
