"""Run configuration: one pydantic model per component, loaded from YAML plus overrides.

A configuration is built from, in order: the built-in defaults, an optional preset shipped in
``cladist/presets/<name>.yaml``, then each ``-c`` source as given on the command line. A source
is either a YAML file (deep-merged) or an override ``section.key=value`` whose value is parsed
as a YAML scalar or flow collection (``budget.dollars=5``, ``evaluator.tasks=[a,b]``).

The sections live in :mod:`cladist.config.sections`, the reading of sources in
:mod:`cladist.config.sources`, the shipped local models ``llm.local_model`` names in
:mod:`cladist.config.shipped_models`. This package imports nothing else of cladist but its
errors: every floor may read the configuration.

Every model forbids unknown keys, so a typo is an error rather than a silently ignored setting.
All loading problems raise :class:`cladist.errors.ConfigError` with one line per problem:
``<path>: <what is wrong> (<what is allowed>)``.
"""

from __future__ import annotations

from importlib import resources
from typing import Any

import yaml
from pydantic import Field, ValidationError, model_validator

from cladist.config.sections import (
    ArchiveConfig,
    BudgetConfig,
    EvaluatorConfig,
    EvolveConfig,
    LLMConfig,
    RunConfig,
    SandboxConfig,
    SchedulerConfig,
    _Section,
)
from cladist.config.sources import (
    apply_override,
    describe,
    looks_like_override,
    merge,
    parse_yaml,
    read_yaml_file,
)
from cladist.errors import ConfigError

__all__ = ["ArchiveConfig", "BudgetConfig", "Config", "EvaluatorConfig", "EvolveConfig",
           "LLMConfig", "RunConfig", "SandboxConfig", "SchedulerConfig", "load_config",
           "preset_names", "validate_config"]


class Config(_Section):
    """The whole configuration of a run."""

    run: RunConfig = Field(default_factory=RunConfig)
    archive: ArchiveConfig = Field(default_factory=ArchiveConfig)
    llm: LLMConfig = Field(default_factory=LLMConfig)
    sandbox: SandboxConfig = Field(default_factory=SandboxConfig)
    evaluator: EvaluatorConfig = Field(default_factory=EvaluatorConfig)
    scheduler: SchedulerConfig = Field(default_factory=SchedulerConfig)
    evolve: EvolveConfig = Field(default_factory=EvolveConfig)
    budget: BudgetConfig = Field(default_factory=BudgetConfig)

    @model_validator(mode="after")
    def _small_model_defaults(self) -> Config:
        # The embedded models are slow on a CPU: unless the user chose otherwise, give their
        # agents the steps and time the seed agent needs with Qwen2.5-Coder-1.5B on the easy
        # bundled tasks (bench/embedded_model.py): most end within 8 steps, a few minutes.
        given = self.evaluator.model_fields_set
        if self.llm.provider == "local":
            if "agent_max_steps" not in given:
                self.evaluator.agent_max_steps = 8
            if "agent_timeout_s" not in given:
                self.evaluator.agent_timeout_s = 300
        return self

    def to_yaml(self) -> str:
        """Render the resolved configuration as YAML (paths as strings)."""
        return yaml.safe_dump(self.model_dump(mode="json"), sort_keys=False)


def preset_names() -> list[str]:
    """Names of the presets shipped in the package."""
    folder = resources.files("cladist") / "presets"
    return sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".yaml"))


def load_config(sources: list[str] | tuple[str, ...] = (), preset: str | None = None) -> Config:
    """Build a :class:`Config` from a preset and ``-c`` sources (files or key=value).

    Raises ConfigError (one line per problem) for unreadable or malformed YAML, an unknown
    preset, a bad override, an unknown key or an invalid value.
    """
    data: dict[str, Any] = {}
    if preset is not None:
        if preset not in preset_names():
            raise ConfigError([f"preset {preset!r}: unknown (allowed: "
                               f"{', '.join(preset_names())})"])
        text = (resources.files("cladist") / "presets" / f"{preset}.yaml").read_text()
        merge(data, parse_yaml(text, f"preset {preset}", Config))
    for source in sources:
        if looks_like_override(source):
            apply_override(data, source, Config)
        else:
            merge(data, read_yaml_file(source, Config))
    return validate_config(data)


def validate_config(data: dict[str, Any]) -> Config:
    """Validate a plain mapping into a :class:`Config`; raises ConfigError."""
    try:
        return Config.model_validate(data)
    except ValidationError as err:
        raise ConfigError([describe(e, Config) for e in err.errors()]) from None
