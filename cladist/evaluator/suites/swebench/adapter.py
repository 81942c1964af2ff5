"""SWE-bench through the official harness's code (``swebench==5.0.2``, extra ``swebench``).

This is the only module of cladist that imports ``swebench`` (always inside functions, so
importing this module is cheap and works without the extra). It does two things:

- :func:`load_rows` reads instances from a dataset by name on the Hugging Face Hub
  (``SWE-bench/SWE-bench_Verified``, ``SWE-bench/SWE-bench_Lite``, optionally at a
  revision) or from a local .json/.jsonl/.parquet file;
- :class:`InstanceHarness` is the harness's own code for one instance, as cladist's
  grading uses it (:mod:`cladist.evaluator.suites.swebench.grading`): the test spec
  (``make_test_spec``: eval script, expected tests, log parser), the patch-apply commands
  of ``run_instance``, the report of a test log (``get_eval_report``), the repository's log
  parser and the classification of environment faults. The harness's container code
  (``run_instance``) is not used: grading runs in cladist's own sandbox.
"""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from cladist.errors import ConfigError, NotFoundError, UsageError

HUB_URL = "https://huggingface.co"
"""The Hub; ``$HF_ENDPOINT`` (a mirror) replaces it, as for the ``datasets`` library."""
LOCAL_SUFFIXES = (".json", ".jsonl", ".parquet")


def require_swebench() -> None:
    """Check the ``swebench`` package is importable. Raises UsageError (one line) if not."""
    try:
        import swebench.harness.utils  # noqa: F401
    except ImportError as err:
        raise UsageError(f"SWE-bench needs the swebench extra ({err}): pip install "
                         "'cladist[swebench]' (or scripts/setup --swebench)") from None


def load_rows(dataset: str, split: str = "test", revision: str | None = None
              ) -> list[dict[str, Any]]:
    """The instances of ``dataset`` as plain JSON-able dicts, in the dataset's order.

    Raises NotFoundError for a missing local file, or a Hub dataset that does not exist or
    cannot be reached (offline: the message says to pass a local file), ConfigError for a
    file that is not a list of instances, UsageError when the extra is not installed.
    """
    if dataset.endswith(LOCAL_SUFFIXES) or Path(dataset).expanduser().is_file():
        path = Path(dataset).expanduser()
        if not path.is_file():
            raise NotFoundError(f"{dataset}: no such SWE-bench dataset file")
        if not str(path).endswith(LOCAL_SUFFIXES):
            raise UsageError(f"{dataset}: a local dataset must be .json, .jsonl or .parquet")
        require_swebench()
        from swebench.harness.utils import load_swebench_dataset

        try:
            rows = load_swebench_dataset(str(path), split)
        except (ValueError, KeyError, TypeError, AttributeError, OSError) as err:
            raise ConfigError([f"{path}: not a SWE-bench dataset ({type(err).__name__}: "
                               f"{str(err).splitlines()[0] if str(err) else ''})"]) from None
    else:
        rows = _hub_rows(dataset, split, revision)
    return [json.loads(json.dumps(dict(row), default=str)) for row in rows]


def _offline_message(name: str) -> str:
    return (f"dataset {name}: the Hugging Face Hub is not reachable (offline?); pass a "
            "local .json/.jsonl/.parquet file instead (--dataset FILE), or set "
            "HF_HUB_OFFLINE=1 to use a cached copy")


def _hub_reachable() -> bool:
    if any(os.environ.get(v) for v in ("HTTPS_PROXY", "https_proxy", "ALL_PROXY")):
        return True  # only the proxy knows; let the download say
    from urllib.parse import urlsplit

    url = urlsplit(os.environ.get("HF_ENDPOINT") or HUB_URL)
    port = url.port or (80 if url.scheme == "http" else 443)
    try:
        socket.create_connection((url.hostname or "", port), timeout=5).close()
        return True
    except OSError:
        return False


def _hub_rows(name: str, split: str, revision: str | None) -> list[Any]:
    offline = any(os.environ.get(v) == "1" for v in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE"))
    if not offline and not _hub_reachable():
        raise NotFoundError(_offline_message(name))
    require_swebench()
    from datasets import load_dataset

    try:
        return list(load_dataset(name, split=split, revision=revision))
    except ConnectionError:
        raise NotFoundError(_offline_message(name)) from None
    except Exception as err:  # noqa: BLE001 - DatasetNotFoundError, bad split, bad revision
        first = (str(err).splitlines() or [""])[0][:200]
        at = f"@{revision}" if revision else ""
        raise NotFoundError(f"dataset {name}{at} (split {split}): {type(err).__name__}: "
                            f"{first}") from None


PYTEST_PARSERS = frozenset({
    "parse_log_pytest", "parse_log_pytest_options", "parse_log_pytest_v2",
    "parse_log_seaborn", "parse_log_matplotlib", "parse_log_astroid", "parse_log_flask",
    "parse_log_marshmallow", "parse_log_pvlib", "parse_log_pyvista", "parse_log_sqlfluff",
    "parse_log_xarray", "parse_log_pydicom", "parse_log_requests", "parse_log_pylint",
    "parse_log_astropy", "parse_log_scikit", "parse_log_sphinx"})
"""The harness's log parsers that read pytest's output: their instances run pytest, so
cladist's signed pytest reporter goes into the run."""
UNITTEST_PARSERS = frozenset({"parse_log_django"})
"""Parsers of unittest's verbose output (Django's ``runtests.py``): cladist's unittest
reporter goes into the run. Other runners (sympy's ``bin/test``, other languages) are
graded from the log alone, as the harness grades them."""


class InstanceHarness:
    """The official harness's code for one instance (see the module doc).

    The constructor raises ConfigError when the row is not an instance the harness can
    make a test spec of, UsageError when the extra is not installed.
    """

    def __init__(self, instance: Mapping[str, Any]):
        require_swebench()
        from swebench.harness.utils import make_test_spec

        try:
            self.spec = make_test_spec(dict(instance))
        except (KeyError, ValueError, TypeError) as err:
            raise ConfigError([f"SWE-bench instance {instance.get('instance_id', '?')}: the "
                               f"harness cannot make its test spec ({type(err).__name__}: "
                               f"{err})"]) from None
        self.instance_id: str = self.spec.instance_id

    @property
    def eval_script(self) -> str:
        """The instance's evaluation script as the harness runs it (test exit code kept)."""
        return str(self.spec.eval_script)

    @property
    def runner(self) -> str | None:
        """``pytest`` or ``unittest`` when cladist can sign the instance's test run (its log
        parser reads that runner's output), else None."""
        if self.spec.log_parser in PYTEST_PARSERS:
            return "pytest"
        return "unittest" if self.spec.log_parser in UNITTEST_PARSERS else None

    @property
    def has_image_assets(self) -> bool:
        """Whether the harness would fetch binary assets from URLs for this instance."""
        return bool(self.spec.image_assets)

    @property
    def expected_tests(self) -> list[str]:
        """FAIL_TO_PASS then PASS_TO_PASS."""
        return [*self.spec.FAIL_TO_PASS, *self.spec.PASS_TO_PASS]

    @staticmethod
    def apply_commands() -> list[str]:
        """``run_instance``'s patch commands, tried in order on a clean tree."""
        from swebench.harness.run_evaluation import GIT_APPLY_CMDS

        return list(GIT_APPLY_CMDS)

    @staticmethod
    def marker(name: str) -> str:
        """A log marker of the harness (``START_TEST_OUTPUT``, ``APPLY_PATCH_FAIL``...)."""
        from swebench.harness import constants

        return str(getattr(constants, name))

    def report(self, patch: str, test_log: Path) -> dict[str, Any]:
        """The harness's report (``get_eval_report``, with tests' status) of a test log."""
        from swebench.harness.grading import get_eval_report

        pred = {"instance_id": self.instance_id, "model_patch": patch,
                "model_name_or_path": "cladist"}
        return dict(get_eval_report(self.spec, pred, str(test_log), True)[self.instance_id])

    def parse(self, log: str) -> dict[str, str]:
        """Test name -> status, by the instance's own log parser."""
        from swebench.harness.log_parsers import PARSER_REGISTRY

        return dict(PARSER_REGISTRY[self.spec.log_parser](log, self.spec))

    def tests_report(self, status_map: Mapping[str, str]) -> dict[str, dict[str, list[str]]]:
        """The harness's FAIL_TO_PASS/PASS_TO_PASS success and failure lists for a status
        map (``get_eval_tests_report`` with the instance's eval type)."""
        from swebench.harness.constants import FAIL_TO_PASS, PASS_TO_PASS, EvalType
        from swebench.harness.grading import get_eval_tests_report

        gold = {FAIL_TO_PASS: self.spec.FAIL_TO_PASS, PASS_TO_PASS: self.spec.PASS_TO_PASS}
        found = get_eval_tests_report(dict(status_map), gold,
                                      eval_type=EvalType(self.spec.eval_type))
        return {k: found[k] for k in (FAIL_TO_PASS, PASS_TO_PASS)}

    @staticmethod
    def entry(name: str, status_map: Mapping[str, str]) -> str | None:
        """The key of ``status_map`` the harness reads for test ``name`` (its tolerance of
        truncated parametrized ids included), None when it has none."""
        from swebench.harness.grading import _resolve_case

        return _resolve_case(name, dict(status_map))

    @staticmethod
    def environment_fault(log: str) -> str | None:
        """The harness's reason when ``log`` shows a fault of the environment (its
        ``infra_failure`` signatures of the environment tier), else None."""
        from swebench.harness.infra_failure import TIER_ENVIRONMENT, classify_text

        found = classify_text(log)
        return found[0] if found and found[1] == TIER_ENVIRONMENT else None
