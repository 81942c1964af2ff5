"""Choosing the suite and the tasks a configuration asks for (``evaluator.suite``,
``evaluator.tasks``, ``evaluator.tier``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cladist.errors import UsageError

if TYPE_CHECKING:
    from cladist.config import EvaluatorConfig
    from cladist.evaluator.contracts import Suite, Task


def load_suite(config: EvaluatorConfig) -> Suite:
    """The suite ``config.suite`` names. Raises UsageError when it needs a path or dataset
    that is not given, NotFoundError when that path does not exist."""
    if config.suite == "bundled":
        from cladist.evaluator.suites.bundled import BundledSuite

        return BundledSuite()
    if config.suite == "polyglot":
        if config.polyglot_path is None:
            raise UsageError("evaluator.suite=polyglot needs evaluator.polyglot_path=<clone of "
                             "polyglot-benchmark>")
        from cladist.evaluator.suites.polyglot import PolyglotSuite

        return PolyglotSuite(config.polyglot_path)
    raise UsageError(f"suite {config.suite!r} is not available yet (use bundled or polyglot)")


def select_tasks(config: EvaluatorConfig, seed: int = 0) -> list[Task]:
    """The tasks of the configured suite, restricted to ``config.tasks`` and
    ``config.tier``, then to a random ``config.sample`` of them (drawn with ``seed``).
    Raises what the suite raises for unknown ids or tiers."""
    chosen = load_suite(config).tasks(config.tasks or None, config.tier)
    if config.sample is not None and config.sample < len(chosen):
        import random

        chosen = sorted(random.Random(seed).sample(chosen, config.sample), key=lambda t: t.id)
    return chosen
