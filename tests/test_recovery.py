"""What a plain rerun repairs: stale locks of a killed run, unreadable chunk results."""

import json
import os
import socket
import subprocess
import sys

from gmmmi.analysis import recovery
from gmmmi.analysis.gather import CHUNK_KEYS


def _locked(folder, owner):
    locks = folder / ".snakemake" / "locks"
    locks.mkdir(parents=True)
    (locks / "0.input.lock").write_text("data.zarr")
    (locks / "0.output.lock").write_text("results")
    if owner is not None:
        (folder / ".snakemake" / recovery.OWNER).write_text(json.dumps(owner))
    return locks


def _dead_pid():
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_locks_of_a_gone_run_are_removed(tmp_path):
    pid = _dead_pid()
    locks = _locked(tmp_path, {"pid": pid, "host": socket.gethostname()})
    assert recovery.release_stale_locks(tmp_path / ".snakemake") == pid
    assert not list(locks.glob("*.lock"))


def test_locks_are_kept_when_their_run_may_be_alive(tmp_path):
    cases = {"alive": {"pid": os.getpid(), "host": socket.gethostname()},
             "other host": {"pid": _dead_pid(), "host": socket.gethostname() + "-other"},
             "no record": None, "damaged record": {"pid": "x"}}
    for name, owner in cases.items():
        folder = tmp_path / name.replace(" ", "-")
        locks = _locked(folder, owner)
        assert recovery.release_stale_locks(folder / ".snakemake") is None, name
        assert len(list(locks.glob("*.lock"))) == 2, name


def test_record_owner_names_this_process(tmp_path):
    recovery.record_owner(tmp_path)
    owner = json.loads((tmp_path / recovery.OWNER).read_text())
    assert owner["pid"] == os.getpid() and owner["host"] == socket.gethostname()


def test_damaged_chunks_are_found_among_those_newer_than_the_matrix(tmp_path):
    chunks = tmp_path / "chunks"
    chunks.mkdir()
    good = json.dumps({key: [] for key in CHUNK_KEYS})
    (chunks / "1-of-3.json").write_text(good)
    (chunks / "2-of-3.json").write_text(good[: len(good) // 2])  # cut short
    (chunks / "3-of-3.json").write_bytes(b"\xff\xfe")  # not text
    matrix = tmp_path / "mi.zarr"
    assert recovery.damaged_chunks(chunks, matrix) == [chunks / "2-of-3.json",
                                                       chunks / "3-of-3.json"]
    matrix.mkdir()  # gathered after them: they were read whole then
    os.utime(matrix, (2e9, 2e9))
    assert recovery.damaged_chunks(chunks, matrix) == []
    assert recovery.damaged_chunks(tmp_path / "none", matrix) == []
