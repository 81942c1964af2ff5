"""Fixtures of the evaluator tests: the demo SWE-bench dataset and its images (built once
per session, FROM the base image, offline)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from swebench_demo import Demo, build_images, image_name, make_demo


@pytest.fixture(scope="session")
def swebench_dataset(tmp_path_factory: pytest.TempPathFactory) -> Demo:
    """The demo dataset file and repository (no Docker needed)."""
    pytest.importorskip("swebench", reason="needs the swebench extra (scripts/setup --swebench)")
    return make_demo(tmp_path_factory.mktemp("swebench-demo"))


@pytest.fixture(scope="session")
def swebench_demo(swebench_dataset: Demo, docker_client, base_image: str,  # noqa: ANN001
                  tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    """The demo dataset with its instance images built in the local engine (removed at
    the end: the demo repository's commits differ each session, so each build is new)."""
    build_images(docker_client, base_image, swebench_dataset,
                 tmp_path_factory.mktemp("swebench-image"))
    yield swebench_dataset
    for iid in swebench_dataset.rows:
        try:
            docker_client.images.remove(image_name(iid), force=True)
        except Exception:  # noqa: BLE001 - gone, in use (cleanup removes it) or a busy engine
            pass
