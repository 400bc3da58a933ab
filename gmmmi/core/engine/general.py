"""EM for any dimension: Cholesky-based E steps, plain EM (vectors, conditional MI).
"""

import math

import numpy as np
from numba import njit, prange

from .common import _FASTMATH, _LOG_2PI, _exp_shifted, _largest_alive, _renormalise


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
def _prepare_components(w, mu, cov, alive, chol, lognorm, reg):
    K, D = mu.shape
    for k in range(K):
        if alive[k]:
            _cholesky_floor(cov[k], chol[k], reg)
            logdet = 0.0
            for d in range(D):
                logdet += 2.0 * math.log(chol[k, d, d])
            lognorm[k] = math.log(w[k]) - 0.5 * D * _LOG_2PI - 0.5 * logdet


@njit(cache=True, fastmath=_FASTMATH)
def _component_logprob(x, mu_k, chol_k, lognorm_k, z):
    D = x.shape[0]
    q = 0.0
    for d in range(D):
        t = x[d] - mu_k[d]
        for m in range(d):
            t -= chol_k[d, m] * z[m]
        z[d] = t / chol_k[d, d]
        q += z[d] * z[d]
    return lognorm_k - 0.5 * q


@njit(cache=True, fastmath=_FASTMATH)
def _em_one_general(X, sw, w, mu, cov, tol, reg, max_iter):
    n_samples, D = X.shape
    K = w.shape[0]
    total = 0.0
    for i in range(n_samples):
        total += sw[i]
    if total <= 0.0:
        return 0, True, np.nan

    min_count = D + 1.0
    alive = w > 0.0
    chol = np.zeros((K, D, D))
    lognorm = np.empty(K)
    lp = np.empty(K)
    z = np.empty(D)
    s0 = np.empty(K)
    s1 = np.empty((K, D))
    s2 = np.empty((K, D, D))

    previous = -np.inf
    loglik = np.nan
    converged = False
    n_iter = 0
    for it in range(max_iter):
        n_iter = it + 1
        _prepare_components(w, mu, cov, alive, chol, lognorm, reg)
        s0[:] = 0.0
        s1[:] = 0.0
        s2[:] = 0.0

        loglik = 0.0
        for i in range(n_samples):
            s = sw[i]
            if s == 0.0:
                continue
            x = X[i]
            top = -np.inf
            for k in range(K):
                if alive[k]:
                    lp[k] = _component_logprob(x, mu[k], chol[k], lognorm[k], z)
                    if lp[k] > top:
                        top = lp[k]
            acc = _exp_shifted(lp, alive, top)
            loglik += s * (top + math.log(acc))
            scale = s / acc
            for k in range(K):
                if alive[k]:
                    r = lp[k] * scale
                    s0[k] += r
                    for d in range(D):
                        rx = r * x[d]
                        s1[k, d] += rx
                        for e in range(d, D):
                            s2[k, d, e] += rx * x[e]
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

        if abs(loglik - previous) < tol:
            converged = True
            break
        previous = loglik
    return n_iter, converged, loglik


@njit(cache=True, parallel=True)
def _em_batch_general(X, sample_weight, w, mu, cov, tol, reg, max_iter, accelerate, n_iter,
                      converged, loglik):
    for b in prange(sample_weight.shape[0]):
        n_iter[b], converged[b], loglik[b] = _em_one_general(
            X, sample_weight[b], w[b], mu[b], cov[b], tol, reg, max_iter
        )
