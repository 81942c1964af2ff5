"""confkit: layered configuration (defaults < config file < environment)."""

from confkit.env import env_overrides
from confkit.errors import ConfigSyntaxError
from confkit.merge import deep_merge
from confkit.parser import parse_text, parse_value

__all__ = ["ConfigSyntaxError", "deep_merge", "env_overrides", "load_config", "parse_text",
           "parse_value"]


def load_config(defaults, text="", environ=None, prefix="APP"):
    """defaults, overridden by the `key.sub = value` text, overridden by the environment.

    Environment variables named PREFIX__SECTION__KEY override section.key.
    """
    config = deep_merge(defaults, parse_text(text))
    if environ is not None:
        config = deep_merge(config, env_overrides(environ, prefix))
    return config
