"""Batched EM for Gaussian mixtures, compiled with numba.

Every fit of a batch sees the same data matrix ``X`` (N, D) and its own row of
``sample_weight`` (B, N): a cross-validation training fold is a 0/1 mask, a
bootstrap resample is a vector of multinomial counts.  One call fits the whole
batch (``prange`` over fits); inside a fit, one pass over the data per
iteration computes the E step and accumulates the M-step sums.

Parameters are updated in place: ``weights`` (B, K), ``means`` (B, K, D),
``covariances`` (B, K, D, D).  A component whose responsibility falls below
``D + 1`` effective points, or whose raw variance collapses below
``reg_covar``, is dropped (its weight set to 0) so that no input makes a fit
fail; the largest component is never dropped.

Closed-form steps serve D = 2 (the hot path of pairwise MI) and D = 1 (the
per-category fits of categorical MI); a general, Cholesky-based kernel serves any D
(vectors, conditional MI); one EM loop drives both, accelerated by SQUAREM.  The D <= 2
kernels work on blocks of points with the points in the inner loops, so that the
compiler vectorises them, exponentials included.  ``kmeanspp_init`` makes the starting
parameters (k-means++ seeds and a few Lloyd steps).

Modules: ``fit`` (the batch driver), ``squarem`` (the EM loop of every fit), ``small``
(D <= 2 steps), ``general`` (any D), ``density`` (log-densities of batches of
mixtures), ``kmeans`` (starts), ``common`` (what the kernels share), ``cache`` (numba's
cache kept true to the sources) and ``warm`` (every kernel compiled ahead).
"""

from pathlib import Path

from numba.core import event

from .cache import CompileNotice, cache_folder, refresh_stale
from .density import logpdf_batch, pointwise_batch, score_batch
from .fit import Fits, Mixtures, fit_batch
from .kmeans import kmeanspp_init, kmeanspp_start

# before any kernel loads from numba's cache (dispatchers read it on their first call)
refresh_stale(Path(__file__).parent, cache_folder(kmeanspp_start, Path(__file__).parent))
compile_notice = CompileNotice(__name__)
event.register("numba:compile", compile_notice)

__all__ = ["Fits", "Mixtures", "fit_batch", "kmeanspp_init", "kmeanspp_start", "logpdf_batch",
           "pointwise_batch", "score_batch"]
