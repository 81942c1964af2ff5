"""Is the installed llama.cpp the portable build? (``python -m cladist.llm.local_build``)

cladist builds llama-cpp-python for x86-64-v3 (AVX2, FMA, F16C, BMI2) with every AVX-512,
AVX-VNNI and AMX option off (``scripts/portable-llama-wheel``): a build with native flags
runs only on CPUs like the one it was built on, and dies with SIGILL on virtual machines
that advertise AMX without letting it run. :func:`build_problem` reads llama.cpp's own
report of what it was compiled with (``llama_print_system_info``).
"""

from __future__ import annotations

import platform
import sys

NOT_PORTABLE = ("AVX512", "AMX", "AVX_VNNI")
"""Prefixes of llama.cpp CPU features a portable x86-64 build must not be compiled with."""


def compiled_features(info: str) -> dict[str, str]:
    """The ``NAME = VALUE`` pairs of a ``llama_print_system_info`` text."""
    found = {}
    for part in info.replace("\n", "|").split("|"):
        name, sep, value = part.rpartition("=")
        name = name.split(":")[-1].strip()
        if sep and name:
            found[name] = value.strip()
    return found


def build_problem(info: str, machine: str | None = None) -> str | None:
    """Why the build described by ``info`` is not portable (one line), or None. Only
    x86-64 builds are checked (``machine`` defaults to this one's): elsewhere llama.cpp's
    default flags are used, which are portable."""
    machine = (machine or platform.machine()).lower()
    if machine not in ("x86_64", "amd64"):
        return None
    bad = sorted(name for name, value in compiled_features(info).items()
                 if value == "1" and name.startswith(NOT_PORTABLE))
    if not bad:
        return None
    return (f"llama-cpp-python was compiled with {', '.join(bad)}: it runs only on CPUs like "
            "the one that built it (and dies with SIGILL where AMX is advertised but "
            "faults); rebuild it with: scripts/setup --local")


def installed_info() -> str:
    """What the installed llama.cpp reports it was compiled with. Raises ImportError
    when llama-cpp-python is not installed."""
    import llama_cpp

    raw = llama_cpp.llama_print_system_info()
    return raw.decode(errors="replace") if isinstance(raw, bytes) else str(raw)


def main() -> int:
    """Print the installed build's features and whether it is portable; 0 when it is."""
    info = installed_info()
    problem = build_problem(info)
    print(f"llama.cpp {platform.machine()} build: {info.strip()}")
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return 1
    if platform.machine().lower() not in ("x86_64", "amd64"):
        print(f"{platform.machine()}: llama.cpp's default portable flags (not checked)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
