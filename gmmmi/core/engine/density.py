"""Mixture log-densities of a batch of mixtures, for the MI integral and held-out scores.
"""

import math

import numpy as np
from numba import njit, prange

from .common import _FASTMATH, _exp_shifted
from .general import _component_logprob, _prepare_components
from .small import _BLOCK, _block_terms, _coefficients, _scratch_small


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
def _logpdf_batch_general(points, w, mu, cov, out):
    """``out[b, m]`` = log density of mixture ``b`` at ``points[b, m]`` (or ``points[0, m]``
    when ``points`` has one leading row)."""
    M, D = points.shape[1:]
    B, K = w.shape
    step = 0 if points.shape[0] == 1 else 1
    for b in prange(B):
        at = b * step
        alive = w[b] > 0.0
        lognorm = np.empty(K)
        lp = np.empty(K)
        chol = np.zeros((K, D, D))
        z = np.empty(D)
        _prepare_components(w[b], mu[b], cov[b], alive, chol, lognorm, 0.0)
        for m in range(M):
            top = -np.inf
            for k in range(K):
                if alive[k]:
                    lp[k] = _component_logprob(points[at, m], mu[b, k], chol[k], lognorm[k], z)
                    if lp[k] > top:
                        top = lp[k]
            out[b, m] = top + math.log(_exp_shifted(lp, alive, top))


def logpdf_batch(points, weights, means, covariances):
    """Log density of mixture ``b`` at each of ``points[b]`` (shape (B, M, D); a leading
    dimension of 1 gives the same points to every mixture)."""
    points = np.asarray(points, dtype=np.float64)
    out = np.empty((len(weights), points.shape[1]))
    params = [np.ascontiguousarray(p, dtype=np.float64) for p in (weights, means, covariances)]
    if points.shape[2] <= 2:
        _logpdf_batch_small(np.ascontiguousarray(points.transpose(0, 2, 1)), *params, out)
    else:
        _logpdf_batch_general(np.ascontiguousarray(points), *params, out)
    return out


def pointwise_batch(X, weights, means, covariances):
    """Log density of every row of ``X`` under each mixture of a batch: (B, n_samples)."""
    return logpdf_batch(np.asarray(X)[None], weights, means, covariances)


def score_batch(X, sample_weight, weights, means, covariances):
    """Weighted mean log-likelihood of ``X`` under each mixture of a batch."""
    logp = pointwise_batch(X, weights, means, covariances)
    return np.array([np.dot(lp, sw) / sw.sum() for lp, sw in zip(logp, sample_weight)])
