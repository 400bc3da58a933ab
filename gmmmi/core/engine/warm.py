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

# D = 1 (per-category fits) and 2 (pairs) share the closed-form kernels, 3 stands for the
# general ones; fold masks and bootstrap counts come as uint8, other weights as float64
DIMENSIONS = (2, 3)
WEIGHT_TYPES = (np.uint8, np.float64)


def compile_dimension(n_dims):
    """Call every kernel that fits or evaluates ``n_dims``-dimensional mixtures, once for
    each weight type."""
    compile_notice.given = True  # compiling is what was asked for
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, n_dims))
    start = kmeanspp_init(X, np.ones(len(X)), 2, rng, 1e-6)
    batch = [np.repeat(p[None], 2, axis=0) for p in start]
    for weight_type in WEIGHT_TYPES:
        fit_batch(X, np.ones((2, len(X)), dtype=weight_type), *batch, tol=1e-3,
                  reg_covar=1e-6, max_iter=5)
    logpdf_batch(X[None], *batch)
    return n_dims


def compile_kernels(parallel=True):
    """Compile every kernel the estimators use into numba's cache (a second or two when
    the cache holds them already).

    With ``parallel`` and more than one core, the two families compile side by side, in
    two fresh processes; else one after the other in this one.
    """
    if not parallel or (os.cpu_count() or 1) < 2:
        for n_dims in DIMENSIONS:
            compile_dimension(n_dims)
        return
    # fresh interpreters, not forks (a fork of a process whose numba threads have started
    # can hang) nor multiprocessing (which re-runs a caller's unguarded script), importing
    # this very gmmmi whatever the working folder holds
    root = str(Path(__file__).resolve().parents[3])
    code = (f"import sys; sys.path.insert(0, {root!r}); "
            f"from {__name__} import compile_dimension; compile_dimension({{}})")
    running = [subprocess.Popen([sys.executable, "-c", code.format(n_dims)])
               for n_dims in DIMENSIONS]
    failed = [n_dims for n_dims, process in zip(DIMENSIONS, running) if process.wait()]
    for n_dims in failed:  # say why, in this process
        compile_dimension(n_dims)
