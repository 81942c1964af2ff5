"""The configuration commands: ``cladist config show``. Registered on the ``config``
sub-app of :mod:`cladist.cli.app`."""

from __future__ import annotations

import sys

from cladist.cli.app import ConfigOpt, PresetOpt, config_app


@config_app.command("show")
def config_show(config: ConfigOpt = None, preset: PresetOpt = None) -> None:
    """Print the resolved configuration as YAML."""
    from cladist.config import load_config

    sys.stdout.write(load_config(config or [], preset=preset).to_yaml())
