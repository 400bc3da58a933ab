"""What a plain rerun of the workflow repairs before it plans: the remains of a run that
was killed outright, and chunk results damaged on disk.

- Snakemake locks the working directory for a run and unlocks it when the run ends; a run
  killed with SIGKILL (or by the out-of-memory killer, or a lost node) leaves the locks,
  and the next run stops with a ``LockException`` until ``--unlock``. The workflow
  records which process holds the locks (:func:`record_owner`, at the start of a run);
  when that process is gone, :func:`release_stale_locks` removes them, so the plain
  command resumes. Locks whose owner is alive, unknown or on another host are left: a
  concurrent run is still locked out.
- A chunk result that cannot be read (cut short, damaged) would fail ``gather`` run after
  run, since Snakemake sees nothing to redo: :func:`damaged_chunks` finds them, and the
  workflow removes them so that the run redoes those chunks (their pairs come from the
  cache).
"""

import json
import os
import socket
import time
from pathlib import Path

from .._files import write_json
from .gather import read_chunk

OWNER = "gmmmi-run.json"


def record_owner(snakemake_dir=".snakemake"):
    """Record this process (Snakemake's main one) as the holder of the run's locks."""
    write_json(Path(snakemake_dir) / OWNER,
               {"pid": os.getpid(), "host": socket.gethostname(), "started": time.time()})


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


def release_stale_locks(snakemake_dir=".snakemake"):
    """Remove Snakemake's locks when the run that took them is gone; returns that run's
    pid, or None when nothing was removed."""
    locks = Path(snakemake_dir) / "locks"
    if not locks.is_dir() or not any(locks.glob("*.lock")):
        return None
    try:
        owner = json.loads((Path(snakemake_dir) / OWNER).read_text())
        pid, host = int(owner["pid"]), str(owner["host"])
    except (OSError, ValueError, KeyError, TypeError):
        return None  # no record of who holds them: leave them to --unlock
    if host != socket.gethostname() or _alive(pid):
        return None
    for lock in locks.glob("*.lock"):
        lock.unlink(missing_ok=True)
    return pid


def damaged_chunks(folder, matrix):
    """The chunk results in ``folder`` that cannot be read, among those newer than the
    analysis's ``matrix`` (all of them when it does not exist): older ones were gathered
    whole, so a run that changed nothing reads none."""
    folder, matrix = Path(folder), Path(matrix)
    if not folder.is_dir():
        return []
    since = matrix.stat().st_mtime if matrix.exists() else -1.0
    damaged = []
    for path in sorted(folder.glob("*.json")):
        try:
            if path.stat().st_mtime < since:
                continue
            read_chunk(path)
        except (OSError, ValueError):
            damaged.append(path)
    return damaged
