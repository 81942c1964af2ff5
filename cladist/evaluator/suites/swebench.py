"""SWE-bench through the official harness (``swebench==5.0.2``, extra ``swebench``).

This is the only module of cladist that imports ``swebench`` (always inside functions, so
importing this module is cheap and works without the extra). It does two things:

- :func:`load_rows` reads instances from a dataset by name on the Hugging Face Hub
  (``SWE-bench/SWE-bench_Verified``, ``SWE-bench/SWE-bench_Lite``, optionally at a
  revision) or from a local .json/.jsonl/.parquet file;
- :func:`grade_main` (``python -m cladist.evaluator.suites.swebench REQUEST.json``) grades one
  prediction with the harness's ``make_test_spec`` and ``run_instance``. The harness writes
  ``logs/run_evaluation/<run id>/<model>/<instance>/`` relative to the working directory,
  so grading runs in a child process started with its working directory in our run folder
  (the evaluator's threads never change theirs). The child writes an outcome file the
  caller turns into a verdict (:mod:`cladist.evaluator.suites.swebench_grading`).
"""

from __future__ import annotations

import json
import os
import socket
import sys
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


def grade_main(request_path: str) -> int:
    """Grade the prediction described in ``request_path`` (JSON: instance, prediction,
    run_id, timeout, outcome) with the harness, in the current working directory, and
    write the outcome JSON (report, errors, log excerpts). Returns 0 when the outcome was
    written. Never raises for what the harness or Docker does."""
    request = json.loads(Path(request_path).read_text())
    instance, pred = request["instance"], request["prediction"]
    outcome: dict[str, Any] = {"report": None, "error": None}
    try:
        import docker
        from swebench.harness.constants import (
            APPLY_PATCH_FAIL,
            LOG_INSTANCE,
            LOG_REPORT,
            LOG_TEST_OUTPUT,
            RUN_EVALUATION_LOG_DIR,
        )
        from swebench.harness.infra_failure import classify_logs
        from swebench.harness.run_evaluation import run_instance
        from swebench.harness.utils import make_test_spec

        test_spec = make_test_spec(instance)
        log_dir = (RUN_EVALUATION_LOG_DIR / request["run_id"]
                   / pred["model_name_or_path"].replace("/", "__") / instance["instance_id"])
        outcome["log_dir"] = str(log_dir)
        client = docker.from_env(timeout=max(600, int(request["timeout"]) + 120))
        try:
            run_instance(test_spec, pred, client, request["run_id"], int(request["timeout"]))
        finally:
            client.close()
        log = _read(log_dir / LOG_INSTANCE)
        if (log_dir / LOG_REPORT).exists():
            outcome["report"] = json.loads((log_dir / LOG_REPORT).read_text())[
                instance["instance_id"]]
        outcome["apply_failed"] = APPLY_PATCH_FAIL in log
        outcome["timed_out"] = "Test timed out after" in log
        outcome["image_missing"] = f"Image {test_spec.image} not found" in log
        outcome["test_output"] = _read(log_dir / LOG_TEST_OUTPUT)[-64_000:]
        outcome["log_tail"] = _error_lines(log)
        found = classify_logs(log_dir / LOG_INSTANCE, log_dir / LOG_TEST_OUTPUT)
        outcome["classification"] = list(found) if found else None
    except Exception as err:  # noqa: BLE001 - reported to the caller as an infra error
        outcome["error"] = f"{type(err).__name__}: {err}"[:2000]
    Path(request["outcome"]).write_text(json.dumps(outcome))
    return 0


def _read(path: Path) -> str:
    return path.read_text(errors="replace") if path.exists() else ""


def _error_lines(log: str) -> str:
    """The last lines of the harness's instance log that say what went wrong."""
    lines = [ln for ln in log.splitlines() if any(
        w in ln for w in ("Error", "error", "not found", "Failed", "timed out"))]
    return "\n".join(lines[-5:])[-1500:]


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print("usage: python -m cladist.evaluator.suites.swebench REQUEST.json", file=sys.stderr)
        sys.exit(2)
    sys.exit(grade_main(sys.argv[1]))
