"""Mixture log-densities of a batch of mixtures, for the MI integral and held-out scores.
"""

import math

import numpy as np
from numba import njit, prange

from .common import _BLOCK, _FASTMATH
from .general import _block_terms_general, _prepare_components, _scratch_general
from .small import _block_terms, _coefficients, _scratch_small


@njit(cache=True, parallel=True, fastmath=_FASTMATH)
def _logpdf_batch_small(points_t, w, mu, cov, out):
    """``out[b, m]`` = log density of mixture ``b`` at ``points_t[b, :, m]`` (D = 1 or 2);
    a ``points_t`` with one leading row holds the points of every mixture."""
    D, M = points_t.shape[1:]
    B = w.shape[0]
    step = 0 if points_t.shape[0] == 1 else 1
    for b in prange(B):
        coef, live, _, terms, log_top, norm, bits = _scratch_small(w.shape[1])
        n_live = _coefficients(w[b], mu[b], cov[b], w[b] > 0.0, live, coef)
        points = points_t[b * step]
        for start in range(0, M, _BLOCK):
            m = min(_BLOCK, M - start)
            _block_terms(points, start, m, coef, n_live, terms, log_top, norm, bits)
            for j in range(m):
                out[b, start + j] = log_top[j] + math.log(norm[j])


@njit(cache=True, parallel=True, fastmath=_FASTMATH)
def _logpdf_batch_general(points_t, w, mu, cov, out):
    """``out[b, m]`` = log density of mixture ``b`` at ``points_t[b, :, m]`` (any D); a
    ``points_t`` with one leading row holds the points of every mixture."""
    D, M = points_t.shape[1:]
    B, K = w.shape
    step = 0 if points_t.shape[0] == 1 else 1
    for b in prange(B):
        alive = w[b] > 0.0
        scratch = _scratch_general(K, D)
        _prepare_components(w[b], mu[b], cov[b], alive, scratch[0], scratch[1], scratch[2],
                            0.0)
        log_top, norm = scratch[4], scratch[5]
        points = points_t[b * step]
        for start in range(0, M, _BLOCK):
            m = min(_BLOCK, M - start)
            _block_terms_general(points, start, m, mu[b], alive, scratch)
            for j in range(m):
                out[b, start + j] = log_top[j] + math.log(norm[j])


def logpdf_batch(points, weights, means, covariances):
    """Log density of mixture ``b`` at each of ``points[b]`` (shape (B, M, D); a leading
    dimension of 1 gives the same points to every mixture)."""
    points = np.asarray(points, dtype=np.float64)
    out = np.empty((len(weights), points.shape[1]))
    params = [np.ascontiguousarray(p, dtype=np.float64) for p in (weights, means, covariances)]
    kernel = _logpdf_batch_small if points.shape[2] <= 2 else _logpdf_batch_general
    kernel(np.ascontiguousarray(points.transpose(0, 2, 1)), *params, out)
    return out


def pointwise_batch(X, weights, means, covariances):
    """Log density of every row of ``X`` under each mixture of a batch: (B, n_samples)."""
    return logpdf_batch(np.asarray(X)[None], weights, means, covariances)


def score_batch(X, sample_weight, weights, means, covariances):
    """Weighted mean log-likelihood of ``X`` under each mixture of a batch."""
    logp = pointwise_batch(X, weights, means, covariances)
    return np.array([np.dot(lp, sw) / sw.sum() for lp, sw in zip(logp, sample_weight)])
