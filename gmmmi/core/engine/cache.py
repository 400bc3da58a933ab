"""Keeping numba's on-disk cache of the kernels true to their sources, and saying so when
a kernel must be compiled.

numba keys a cached kernel on its own file (numba 0.68: a hash of its contents), not on
the files of the kernels it calls, which it compiles into it: after a change to
``common.py`` alone (its ``exp``), the cached kernels of ``small.py`` and ``general.py``
would run the old code, silently; and an upgrade that leaves a file unchanged keeps its
old cache. So the engine keeps a fingerprint of all its sources in the cache's folder; when
they differ from it, numba's index of every kernel of the engine is removed there, so
that each recompiles once.
"""

import hashlib
import logging
import os
from pathlib import Path

from numba.core import event

FINGERPRINT = "engine-sources.sha256"
NOTICE = ("compiling gmmmi's EM kernels, once for this install (up to a minute); "
          "`gmmmi compile` does it ahead")


def fingerprint(folder):
    """SHA-256 of the ``.py`` files of ``folder``, names and contents, in name order."""
    digest = hashlib.sha256()
    for path in sorted(Path(folder).glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def cache_folder(kernel, folder):
    """Where numba keeps ``kernel``'s cache (``NUMBA_CACHE_DIR``, beside the sources, or
    a folder of the user's): the dispatcher knows; beside the sources if it cannot say."""
    path = getattr(getattr(kernel, "_cache", None), "_cache_path", None)
    return Path(path) if path else Path(folder) / "__pycache__"


def refresh_stale(folder, cache_path):
    """Remove numba's index of each kernel of ``folder``'s modules from ``cache_path``
    when ``folder``'s sources changed since the last call there (their fingerprint in
    ``cache_path``); True when removed. Call it before any kernel runs.

    Nothing happens where the cache's folder cannot be written (numba cannot write it
    either, and compiles in every process).
    """
    cache_path = Path(cache_path)
    stored = cache_path / FINGERPRINT
    current = fingerprint(folder)
    try:
        if stored.read_text() == current:
            return False
    except OSError:
        pass  # no fingerprint yet: caches from before it may be stale
    modules = {path.stem for path in Path(folder).glob("*.py")}
    try:
        cache_path.mkdir(parents=True, exist_ok=True)
        for index in cache_path.glob("*.nbi"):
            if index.name.split(".")[0] in modules:
                index.unlink(missing_ok=True)
        partial = stored.with_name(f"{FINGERPRINT}.{os.getpid()}")
        partial.write_text(current)
        partial.replace(stored)  # atomic: processes starting together read it whole
    except OSError:
        return False
    return True


class CompileNotice(event.Listener):
    """Logs ``NOTICE`` (a warning of the ``gmmmi`` logger) when a kernel of ``package``
    starts compiling, once per process: a silent half minute reads as a hang."""

    def __init__(self, package):
        self.package = package
        self.given = False

    def on_start(self, ev):
        if not self.given and ev.data["dispatcher"].py_func.__module__.startswith(self.package):
            self.given = True
            logging.getLogger("gmmmi").warning(NOTICE)

    def on_end(self, ev):
        pass
