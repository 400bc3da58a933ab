"""Compiling every kernel ahead, into numba's on-disk cache.

numba compiles a kernel on its first call for each type signature and keeps it on disk
(``cache=True``), so only the first process after an install pays: about half a minute
of CPU for a first estimate, a minute for every signature.  ``compile_kernels`` makes
those first calls on a few rows, at install time (``gmmmi compile``, which ``make``
runs), so that a user's first estimate loads the kernels instead of compiling them.
"""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np

from . import compile_notice
from .density import logpdf_batch
from .fit import fit_batch
from .kmeans import kmeanspp_init

# Two parts of about equal cost. The EM loop (``squarem``) serves every D, once per weight
# type: fold masks and bootstrap counts come as uint8, other weights as float64. The
# densities have a closed-form kernel for D <= 2 (2 stands for it) and a general one (3).
PARTS = ((np.uint8, 2), (np.float64, 3))


def compile_part(part):
    """Call the kernels of ``PARTS[part]``: the EM loop for its weight type, the densities
    of its dimension, and the k-means starts."""
    compile_notice.given = True  # compiling is what was asked for
    weight_type, n_dims = PARTS[part]
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, n_dims))
    start = kmeanspp_init(X, np.ones(len(X)), 2, rng, 1e-6)
    batch = [np.repeat(p[None], 2, axis=0) for p in start]
    fit_batch(X, np.ones((2, len(X)), dtype=weight_type), *batch, tol=1e-3, reg_covar=1e-6,
              max_iter=5)
    logpdf_batch(X[None], *batch)
    return part


def compile_kernels(parallel=True):
    """Compile every kernel the estimators use into numba's cache (a second or two when
    the cache holds them already).

    With ``parallel`` and more than one core, the two parts compile side by side, in two
    fresh processes; else one after the other in this one.
    """
    if not parallel or (os.cpu_count() or 1) < 2:
        for part in range(len(PARTS)):
            compile_part(part)
        return
    # fresh interpreters, not forks (a fork of a process whose numba threads have started
    # can hang) nor multiprocessing (which re-runs a caller's unguarded script), importing
    # this very gmmmi whatever the working folder holds
    root = str(Path(__file__).resolve().parents[3])
    code = (f"import sys; sys.path.insert(0, {root!r}); "
            f"from {__name__} import compile_part; compile_part({{}})")
    running = [subprocess.Popen([sys.executable, "-c", code.format(part)])
               for part in range(len(PARTS))]
    failed = [part for part, process in enumerate(running) if process.wait()]
    for part in failed:  # say why, in this process
        compile_part(part)
