"""Choosing an executor: unknown names and a missing Ray are one-line errors."""

from __future__ import annotations

import sys

import pytest

from cladist.errors import CladistError, UsageError
from cladist.evolve.executors import LocalExecutor, make_executor


def test_local_executor_is_the_default_kind() -> None:
    pool = make_executor("local", 2)
    assert isinstance(pool, LocalExecutor)
    pool.shutdown(wait=True)


def test_unknown_executor_is_refused() -> None:
    with pytest.raises(UsageError, match="allowed: local, ray"):
        make_executor("dask", 2)


def test_ray_executor_without_ray_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` now fails as if missing
    with pytest.raises(CladistError, match=r"pip install 'cladist\[ray\]'"):
        make_executor("ray", 2)
