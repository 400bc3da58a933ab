"""EM for any dimension: Cholesky-based E steps, accelerated by SQUAREM (vectors,
conditional MI).
"""

import math

import numpy as np
from numba import njit

from .common import (
    _BLOCK,
    _FASTMATH,
    _LOG_2PI,
    _exp_shifted_block,
    _largest_alive,
    _renormalise,
    _weights_from_logs,
)


@njit(cache=True, fastmath=_FASTMATH)
def _cholesky_floor(a, out, reg):
    """Lower Cholesky factor of ``a`` into ``out``; adds jitter until positive."""
    D = a.shape[0]
    jitter = 0.0
    for _attempt in range(30):
        ok = True
        for j in range(D):
            s = a[j, j] + jitter
            for m in range(j):
                s -= out[j, m] * out[j, m]
            if not s > 0.0:
                ok = False
                break
            out[j, j] = math.sqrt(s)
            for i in range(j + 1, D):
                t = a[i, j]
                for m in range(j):
                    t -= out[i, m] * out[j, m]
                out[i, j] = t / out[j, j]
            for i in range(j):
                out[i, j] = 0.0
        if ok:
            return
        jitter = reg if jitter == 0.0 else jitter * 10.0
    for j in range(D):
        for i in range(D):
            out[i, j] = 0.0
        out[j, j] = 1.0


@njit(cache=True, fastmath=_FASTMATH)
def _prepare_components(w, mu, cov, alive, chol, inverse, lognorm, reg):
    """Each live component's Cholesky factor, its inverse (both lower triangular) and its
    log weight minus log normaliser."""
    K, D = mu.shape
    for k in range(K):
        if not alive[k]:
            continue
        factor = chol[k]
        _cholesky_floor(cov[k], factor, reg)
        logdet = 0.0
        for d in range(D):
            logdet += 2.0 * math.log(factor[d, d])
        lognorm[k] = math.log(w[k]) - 0.5 * D * _LOG_2PI - 0.5 * logdet
        inv = inverse[k]
        for j in range(D):
            for i in range(j):
                inv[i, j] = 0.0
            inv[j, j] = 1.0 / factor[j, j]
            for i in range(j + 1, D):
                t = 0.0
                for m in range(j, i):
                    t += factor[i, m] * inv[m, j]
                inv[i, j] = -t / factor[i, i]


@njit(cache=True)
def _scratch_general(n_components, n_dims):
    """Work arrays: chol, inverse, lognorm, terms, log_top, norm, bits, diff, row, q."""
    return (np.zeros((n_components, n_dims, n_dims)), np.zeros((n_components, n_dims, n_dims)),
            np.empty(n_components), np.empty((n_components, _BLOCK)), np.empty(_BLOCK),
            np.empty(_BLOCK), np.empty(_BLOCK, dtype=np.int64), np.empty((n_dims, _BLOCK)),
            np.empty(_BLOCK), np.empty(_BLOCK))


@njit(cache=True, fastmath=_FASTMATH)
def _block_terms_general(Xt, start, m, mu, alive, scratch):
    """``small._block_terms`` for any D: the mixture terms of points ``start .. start + m``
    of ``Xt`` (D, n), each scaled by the point's largest (``terms``, ``log_top``, ``norm``
    of ``scratch``), from the whitened differences inverse factor x (x - mean), with
    the points in the inner loops, so that they vectorise."""
    _, inverse, lognorm, terms, log_top, norm, bits, diff, row, q = scratch
    D = Xt.shape[0]
    for j in range(m):
        log_top[j] = -np.inf
        norm[j] = 0.0
    for k in range(mu.shape[0]):
        if not alive[k]:
            continue
        for d in range(D):
            centre = mu[k, d]
            for j in range(m):
                diff[d, j] = Xt[d, start + j] - centre
        for j in range(m):
            q[j] = 0.0
        inv = inverse[k]
        for d in range(D):
            c = inv[d, 0]
            for j in range(m):
                row[j] = c * diff[0, j]
            for e in range(1, d + 1):
                c = inv[d, e]
                for j in range(m):
                    row[j] += c * diff[e, j]
            for j in range(m):
                q[j] += row[j] * row[j]
        term = terms[k]
        for j in range(m):
            term[j] = lognorm[k] - 0.5 * q[j]
            log_top[j] = max(log_top[j], term[j])
    for k in range(mu.shape[0]):
        if alive[k]:
            _exp_shifted_block(terms[k], log_top, m, bits, norm)


@njit(cache=True, fastmath=_FASTMATH)
def _em_step_general(Xt, sw, total, w, mu, cov, alive, reg, scratch, s0, s1, s2):
    """One EM step in place on the kept points ``Xt`` (D, n) of weights ``sw``; returns
    the mean log-likelihood before it (the E step's)."""
    D, n_points = Xt.shape
    K = w.shape[0]
    min_count = D + 1.0
    chol, inverse, lognorm, terms, log_top, norm, _, _, row, q = scratch
    _prepare_components(w, mu, cov, alive, chol, inverse, lognorm, reg)
    s0[:] = 0.0
    s1[:] = 0.0
    s2[:] = 0.0
    loglik = 0.0
    for start in range(0, n_points, _BLOCK):
        m = min(_BLOCK, n_points - start)
        _block_terms_general(Xt, start, m, mu, alive, scratch)
        for j in range(m):
            loglik += sw[start + j] * (log_top[j] + math.log(norm[j]))
            q[j] = sw[start + j] / norm[j]
        for k in range(K):
            if not alive[k]:
                continue
            term = terms[k]
            total_k = 0.0
            for j in range(m):
                term[j] *= q[j]
                total_k += term[j]
            s0[k] += total_k
            for d in range(D):
                x = Xt[d, start:start + m]
                first = 0.0
                for j in range(m):
                    row[j] = term[j] * x[j]
                    first += row[j]
                s1[k, d] += first
                for e in range(d, D):
                    y = Xt[e, start:start + m]
                    second = 0.0
                    for j in range(m):
                        second += row[j] * y[j]
                    s2[k, d, e] += second
    loglik /= total

    largest = _largest_alive(alive, s0)
    weight_sum = 0.0
    for k in range(K):
        if not alive[k]:
            continue
        nk = s0[k]
        if nk < min_count and k != largest:
            alive[k] = False
            w[k] = 0.0
            continue
        nk = max(nk, 1e-300)
        collapsed = False
        for d in range(D):
            mu_d = s1[k, d] / nk
            if s2[k, d, d] / nk - mu_d * mu_d < reg:
                collapsed = True
        if collapsed and k != largest:
            alive[k] = False
            w[k] = 0.0
            continue
        for d in range(D):
            mu[k, d] = s1[k, d] / nk
        for d in range(D):
            for e in range(d, D):
                c = s2[k, d, e] / nk - mu[k, d] * mu[k, e]
                if d == e:
                    c = max(c, 0.0) + reg
                cov[k, d, e] = c
                cov[k, e, d] = c
        w[k] = nk
        weight_sum += nk
    _renormalise(w, alive, weight_sum)
    return loglik


@njit(cache=True, fastmath=_FASTMATH)
def _pack(w, mu, cov, alive, chol, reg, theta):
    """Unconstrained coordinates of the live components: log weight, means, and the
    Cholesky factor of the covariance (log of its diagonal, then the entries below it);
    every point of this space is a mixture."""
    D = mu.shape[1]
    for k in range(w.shape[0]):
        if alive[k]:
            _cholesky_floor(cov[k], chol[k], reg)
            theta[k, 0] = math.log(w[k])
            j = 1 + 2 * D
            for d in range(D):
                theta[k, 1 + d] = mu[k, d]
                theta[k, 1 + D + d] = math.log(chol[k, d, d])
                for e in range(d):
                    theta[k, j] = chol[k, d, e]
                    j += 1


@njit(cache=True, fastmath=_FASTMATH)
def _unpack(theta, alive, w, mu, cov):
    D = mu.shape[1]
    _weights_from_logs(theta, alive, w)
    factor = np.zeros((D, D))
    for k in range(w.shape[0]):
        if not alive[k]:
            continue
        j = 1 + 2 * D
        for d in range(D):
            mu[k, d] = theta[k, 1 + d]
            factor[d, d] = math.exp(theta[k, 1 + D + d])
            for e in range(d):
                factor[d, e] = theta[k, j]
                j += 1
        for d in range(D):
            for e in range(d + 1):
                c = 0.0
                for m in range(e + 1):
                    c += factor[d, m] * factor[e, m]
                cov[k, d, e] = c
                cov[k, e, d] = c
