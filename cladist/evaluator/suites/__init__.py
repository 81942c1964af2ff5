"""The suites cladist knows, by the name ``evaluator.suite`` gives: the bundled suite
(``bundled.py``), Aider's polyglot benchmark (``polyglot/``) and SWE-bench (``swebench/``).
Each is a :class:`~cladist.evaluator.contracts.Suite`; :func:`load_suite` is the one place
that maps a name to a suite (modules load only when their suite is asked for)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cladist.errors import UsageError

if TYPE_CHECKING:
    from cladist.config import EvaluatorConfig
    from cladist.evaluator.contracts import Suite


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
        from cladist.evaluator.suites.polyglot.suite import PolyglotSuite

        return PolyglotSuite(config.polyglot_path)
    if config.suite == "swebench":
        if not config.dataset:
            raise UsageError("evaluator.suite=swebench needs evaluator.dataset=<a Hub name such "
                             "as SWE-bench/SWE-bench_Verified, or a .json/.jsonl/.parquet file> "
                             "(cladist eval: --dataset)")
        from cladist.evaluator.suites.swebench.suite import SWEbenchSuite

        return SWEbenchSuite(config.dataset, split=config.dataset_split,
                             revision=config.dataset_revision, seed=config.stage_seed,
                             test_timeout_s=config.test_timeout_s)
    raise UsageError(f"suite {config.suite!r} is not available (use bundled, polyglot or "
                     "swebench)")
