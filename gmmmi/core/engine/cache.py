"""Keeping numba's on-disk cache of the kernels true to their sources, and saying so when
a kernel must be compiled.

numba keys a cached kernel on its own file's time stamp, not on the files of the kernels
it calls, which it compiles into it: after a change to ``small.py`` alone (its ``exp``),
the cached kernels of ``general.py`` and ``density.py`` ran the old code, silently.  So
the engine keeps a fingerprint of all its sources beside the cache; when they differ
from the fingerprint, every source's time stamp is renewed, so that numba recompiles
every kernel once.
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


def refresh_stale(folder):
    """Renew the time stamps of ``folder``'s sources when they changed since the last call
    (their fingerprint in ``folder/__pycache__``); True when they were renewed.

    Nothing happens where the folder cannot be written (an installed package, which
    changes only by reinstalling, and then every file is new).
    """
    folder = Path(folder)
    stored = folder / "__pycache__" / FINGERPRINT
    current = fingerprint(folder)
    try:
        if stored.read_text() == current:
            return False
    except OSError:
        pass  # no fingerprint yet: caches from before it may be stale too
    try:
        stored.parent.mkdir(exist_ok=True)
        for path in folder.glob("*.py"):
            os.utime(path)
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
