"""Overrides from environment variables."""

from confkit.parser import set_path


def env_overrides(environ, prefix="APP"):
    """Nested dict from variables named PREFIX__A__B (-> a.b); others are ignored."""
    result = {}
    start = prefix + "__"
    for name, raw in sorted(environ.items()):
        if not name.startswith(start) or len(name) == len(start):
            continue
        dotted = name[len(start):].lower().replace("__", ".")
        set_path(result, dotted, raw)
    return result
