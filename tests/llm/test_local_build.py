"""The embedded runtime is the portable build: llama.cpp compiled without AVX-512, AVX-VNNI
or AMX (what ``scripts/setup --local`` installs and checks)."""

from __future__ import annotations

import platform
import subprocess
import sys

import pytest

from cladist.llm.local import llama_cpp_missing
from cladist.llm.local_build import build_problem, compiled_features

NATIVE = ("CPU : SSE3 = 1 | SSSE3 = 1 | AVX = 1 | AVX2 = 1 | F16C = 1 | FMA = 1 | BMI2 = 1 | "
          "AVX512 = 1 | AVX512_VBMI = 1 | AVX512_VNNI = 1 | AVX512_BF16 = 1 | AMX_INT8 = 1 | "
          "LLAMAFILE = 1 | OPENMP = 1 | REPACK = 1 | ")
PORTABLE = ("CPU : SSE3 = 1 | SSSE3 = 1 | AVX = 1 | AVX2 = 1 | F16C = 1 | FMA = 1 | BMI2 = 1 | "
            "LLAMAFILE = 1 | OPENMP = 1 | REPACK = 1 | ")


def test_native_features_are_named_and_portable_ones_pass() -> None:
    assert compiled_features(PORTABLE)["AVX2"] == "1"
    problem = build_problem(NATIVE, "x86_64") or ""
    assert "AMX_INT8, AVX512, AVX512_BF16, AVX512_VBMI, AVX512_VNNI" in problem
    assert "scripts/setup --local" in problem
    assert build_problem(PORTABLE, "x86_64") is None
    assert build_problem(NATIVE, "aarch64") is None  # other CPUs keep llama.cpp's defaults


@pytest.mark.skipif(llama_cpp_missing() is not None,
                    reason=f"no embedded runtime to check: {llama_cpp_missing()}")
def test_the_installed_embedded_runtime_is_the_portable_build() -> None:
    done = subprocess.run([sys.executable, "-m", "cladist.llm.local_build"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    if platform.machine() in ("x86_64", "AMD64"):
        features = compiled_features(done.stdout)
        assert features.get("AVX2") == "1"  # x86-64-v3: the report is read, and fast
        assert not [name for name, on in features.items() if on == "1" and
                    (name.startswith("AVX512") or name.startswith("AMX"))], done.stdout
