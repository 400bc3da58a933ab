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
per-category fits of categorical MI), accelerated by SQUAREM; a general,
Cholesky-based kernel (plain EM) serves any D.
"""

import math

import numpy as np
from numba import njit, prange

# No "nnan"/"ninf": log-densities may legitimately underflow to -inf.
_FASTMATH = {"reassoc", "contract", "arcp", "nsz", "afn"}
_LOG_2PI = math.log(2.0 * math.pi)


@njit(cache=True)
def _largest_alive(alive, counts):
    """The live component with the most responsibility: never dropped."""
    largest = -1
    for k in range(alive.shape[0]):
        if alive[k] and (largest < 0 or counts[k] > counts[largest]):
            largest = k
    return largest


@njit(cache=True, fastmath=_FASTMATH)
def _exp_shifted(lp, alive, top):
    """Replace live log-probabilities by exp(lp - top), in place; return their sum."""
    acc = 0.0
    for k in range(lp.shape[0]):
        if alive[k]:
            lp[k] = math.exp(lp[k] - top)
            acc += lp[k]
    return acc


@njit(cache=True)
def _renormalise(w, alive, weight_sum):
    for k in range(w.shape[0]):
        if alive[k]:
            w[k] /= weight_sum


@njit(cache=True, fastmath=_FASTMATH)
def _em_step_2d(X, sw, total, w, mu, cov, alive, reg, work):
    """One fused E and M step, in place; returns the mean log-likelihood before it."""
    n_samples = X.shape[0]
    K = w.shape[0]
    lognorm, p00, p01, p11, lp = work[0], work[1], work[2], work[3], work[4]
    s0, sx, sy, sxx, sxy, syy = work[5], work[6], work[7], work[8], work[9], work[10]
    min_count = 3.0
    for k in range(K):
        s0[k] = 0.0
        sx[k] = 0.0
        sy[k] = 0.0
        sxx[k] = 0.0
        sxy[k] = 0.0
        syy[k] = 0.0
        if alive[k]:
            a = cov[k, 0, 0]
            b = cov[k, 0, 1]
            c = cov[k, 1, 1]
            det = a * c - b * b
            p00[k] = c / det
            p01[k] = -b / det
            p11[k] = a / det
            lognorm[k] = math.log(w[k]) - _LOG_2PI - 0.5 * math.log(det)

    loglik = 0.0
    for i in range(n_samples):
        s = sw[i]
        if s == 0.0:
            continue
        x = X[i, 0]
        y = X[i, 1]
        top = -np.inf
        for k in range(K):
            if alive[k]:
                dx = x - mu[k, 0]
                dy = y - mu[k, 1]
                q = p00[k] * dx * dx + 2.0 * p01[k] * dx * dy + p11[k] * dy * dy
                lp[k] = lognorm[k] - 0.5 * q
                if lp[k] > top:
                    top = lp[k]
        acc = _exp_shifted(lp, alive, top)
        loglik += s * (top + math.log(acc))
        scale = s / acc
        for k in range(K):
            if alive[k]:
                r = lp[k] * scale
                s0[k] += r
                sx[k] += r * x
                sy[k] += r * y
                sxx[k] += r * x * x
                sxy[k] += r * x * y
                syy[k] += r * y * y

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
        mx = sx[k] / nk
        my = sy[k] / nk
        vx = sxx[k] / nk - mx * mx
        vy = syy[k] / nk - my * my
        cxy = sxy[k] / nk - mx * my
        if (vx < reg or vy < reg) and k != largest:
            alive[k] = False
            w[k] = 0.0
            continue
        vx = max(vx, 0.0) + reg
        vy = max(vy, 0.0) + reg
        limit = (1.0 - 1e-9) * math.sqrt(vx * vy)
        cxy = min(max(cxy, -limit), limit)
        w[k] = nk
        weight_sum += nk
        mu[k, 0] = mx
        mu[k, 1] = my
        cov[k, 0, 0] = vx
        cov[k, 0, 1] = cxy
        cov[k, 1, 0] = cxy
        cov[k, 1, 1] = vy
    _renormalise(w, alive, weight_sum)
    return loglik / total


@njit(cache=True, fastmath=_FASTMATH)
def _pack(w, mu, cov, alive, theta):
    """Unconstrained coordinates of the live components (D = 1 or 2): log weight, means,
    log variances and the correlation's atanh; every point of this space is a mixture."""
    D = mu.shape[1]
    for k in range(w.shape[0]):
        if alive[k]:
            theta[k, 0] = math.log(w[k])
            for d in range(D):
                theta[k, 1 + d] = mu[k, d]
                theta[k, 1 + D + d] = math.log(cov[k, d, d])
            if D == 2:
                theta[k, 5] = math.atanh(cov[k, 0, 1] / math.sqrt(cov[k, 0, 0] * cov[k, 1, 1]))


@njit(cache=True, fastmath=_FASTMATH)
def _unpack(theta, alive, w, mu, cov):
    D = mu.shape[1]
    top = -np.inf
    for k in range(w.shape[0]):
        if alive[k] and theta[k, 0] > top:
            top = theta[k, 0]
    weight_sum = 0.0
    for k in range(w.shape[0]):
        if alive[k]:
            w[k] = math.exp(theta[k, 0] - top)
            weight_sum += w[k]
            for d in range(D):
                mu[k, d] = theta[k, 1 + d]
                cov[k, d, d] = math.exp(theta[k, 1 + D + d])
            if D == 2:
                cxy = math.tanh(theta[k, 5]) * math.sqrt(cov[k, 0, 0] * cov[k, 1, 1])
                cov[k, 0, 1] = cxy
                cov[k, 1, 0] = cxy
    _renormalise(w, alive, weight_sum)


@njit(cache=True, fastmath=_FASTMATH)
def _em_step(X, sw, total, w, mu, cov, alive, reg, work):
    if X.shape[1] == 2:
        return _em_step_2d(X, sw, total, w, mu, cov, alive, reg, work)
    return _em_step_1d(X, sw, total, w, mu, cov, alive, reg, work)


@njit(cache=True)
def _count(alive):
    n = 0
    for k in range(alive.shape[0]):
        n += alive[k]
    return n


@njit(cache=True, fastmath=_FASTMATH)
def _em_one_small(X, sw, w, mu, cov, tol, reg, max_iter, accelerate):
    """EM for one mixture of dimension 1 or 2; with ``accelerate``, SQUAREM.

    Varadhan & Roland (2008), Scand. J. Statist. 35, 335-353, scheme S3.

    Plain EM stops when one step improves the mean log-likelihood by less than ``tol``.
    SQUAREM cycles take two EM steps from theta0 (theta1, theta2), extrapolate along
    r = theta1 - theta0 and v = theta2 - 2 theta1 + theta0 to
    theta0 - 2 a r + a^2 v with a = -|r|/|v| (at most -1; a = -1 gives theta2), in
    unconstrained coordinates, and take one more EM step from there; the jump is kept
    only if it does not lower the likelihood below theta1's.  The stopping rule is the
    plain one, applied to the two plain steps of each cycle, and ``max_iter`` counts
    E steps.
    """
    total = 0.0
    for i in range(X.shape[0]):
        total += sw[i]
    if total <= 0.0:
        return 0, True, np.nan
    K = w.shape[0]
    alive = w > 0.0
    work = np.empty((11, K))
    width = 6 if X.shape[1] == 2 else 3
    theta0 = np.zeros((K, width))
    theta1 = np.zeros((K, width))
    theta2 = np.zeros((K, width))
    alive2 = alive.copy()
    previous = -np.inf
    loglik = np.nan
    n_iter = 0
    while n_iter < max_iter:
        if not accelerate:
            loglik = _em_step(X, sw, total, w, mu, cov, alive, reg, work)
            n_iter += 1
            if abs(loglik - previous) < tol:
                return n_iter, True, loglik
            previous = loglik
            continue
        n_alive = _count(alive)
        _pack(w, mu, cov, alive, theta0)
        first = _em_step(X, sw, total, w, mu, cov, alive, reg, work)
        n_iter += 1
        if abs(first - previous) < tol:
            return n_iter, True, first
        _pack(w, mu, cov, alive, theta1)
        loglik = _em_step(X, sw, total, w, mu, cov, alive, reg, work)
        n_iter += 1
        if abs(loglik - first) < tol:
            return n_iter, True, loglik
        previous = loglik
        if _count(alive) != n_alive or n_iter >= max_iter:
            continue  # a component was dropped: no extrapolation across that change
        _pack(w, mu, cov, alive, theta2)
        alive2[:] = alive
        r2 = 0.0
        v2 = 0.0
        for k in range(K):
            if alive[k]:
                for j in range(width):
                    r = theta1[k, j] - theta0[k, j]
                    v = theta2[k, j] - 2.0 * theta1[k, j] + theta0[k, j]
                    r2 += r * r
                    v2 += v * v
        if not v2 > 0.0:
            continue
        step = -math.sqrt(r2 / v2)
        if step > -1.0:
            continue  # a = -1 is theta2, where we already are
        for k in range(K):
            if alive[k]:
                for j in range(width):
                    r = theta1[k, j] - theta0[k, j]
                    v = theta2[k, j] - 2.0 * theta1[k, j] + theta0[k, j]
                    theta0[k, j] += -2.0 * step * r + step * step * v
        _unpack(theta0, alive, w, mu, cov)
        jumped = _em_step(X, sw, total, w, mu, cov, alive, reg, work)
        n_iter += 1
        if jumped >= loglik and _count(alive) == n_alive:
            previous = jumped
        else:  # back to theta2, one E step lost
            alive[:] = alive2
            _unpack(theta2, alive, w, mu, cov)
    return n_iter, False, loglik


@njit(cache=True, fastmath=_FASTMATH)
def _em_step_1d(X, sw, total, w, mu, cov, alive, reg, work):
    """One fused E and M step, in place; returns the mean log-likelihood before it."""
    n_samples = X.shape[0]
    K = w.shape[0]
    lognorm, precision, lp, s0, sx, sxx = work[0], work[1], work[2], work[3], work[4], work[5]
    min_count = 2.0
    for k in range(K):
        s0[k] = 0.0
        sx[k] = 0.0
        sxx[k] = 0.0
        if alive[k]:
            precision[k] = 1.0 / cov[k, 0, 0]
            lognorm[k] = math.log(w[k]) - 0.5 * (_LOG_2PI + math.log(cov[k, 0, 0]))

    loglik = 0.0
    for i in range(n_samples):
        s = sw[i]
        if s == 0.0:
            continue
        x = X[i, 0]
        top = -np.inf
        for k in range(K):
            if alive[k]:
                dx = x - mu[k, 0]
                lp[k] = lognorm[k] - 0.5 * precision[k] * dx * dx
                if lp[k] > top:
                    top = lp[k]
        acc = _exp_shifted(lp, alive, top)
        loglik += s * (top + math.log(acc))
        scale = s / acc
        for k in range(K):
            if alive[k]:
                r = lp[k] * scale
                s0[k] += r
                sx[k] += r * x
                sxx[k] += r * x * x

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
        mx = sx[k] / nk
        vx = sxx[k] / nk - mx * mx
        if vx < reg and k != largest:
            alive[k] = False
            w[k] = 0.0
            continue
        w[k] = nk
        weight_sum += nk
        mu[k, 0] = mx
        cov[k, 0, 0] = max(vx, 0.0) + reg
    _renormalise(w, alive, weight_sum)
    return loglik / total


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
def _em_batch_small(X, sample_weight, w, mu, cov, tol, reg, max_iter, accelerate, n_iter,
                    converged, loglik):
    for b in prange(sample_weight.shape[0]):
        n_iter[b], converged[b], loglik[b] = _em_one_small(
            X, sample_weight[b], w[b], mu[b], cov[b], tol, reg, max_iter, accelerate
        )


@njit(cache=True, parallel=True)
def _em_batch_general(X, sample_weight, w, mu, cov, tol, reg, max_iter, accelerate, n_iter,
                      converged, loglik):
    for b in prange(sample_weight.shape[0]):
        n_iter[b], converged[b], loglik[b] = _em_one_general(
            X, sample_weight[b], w[b], mu[b], cov[b], tol, reg, max_iter
        )


@njit(cache=True, parallel=True, fastmath=_FASTMATH)
def _logpdf_batch(points, w, mu, cov, out):
    """``out[b, m]`` = log density of mixture ``b`` at ``points[b, m]``."""
    B, M, D = points.shape
    K = w.shape[1]
    for b in prange(B):
        alive = w[b] > 0.0
        lognorm = np.empty(K)
        lp = np.empty(K)
        if D == 2:  # closed-form 2x2 precisions: the MI cubature's hot path
            p00 = np.empty(K)
            p01 = np.empty(K)
            p11 = np.empty(K)
            for k in range(K):
                if alive[k]:
                    det = cov[b, k, 0, 0] * cov[b, k, 1, 1] - cov[b, k, 0, 1] * cov[b, k, 0, 1]
                    p00[k] = cov[b, k, 1, 1] / det
                    p01[k] = -cov[b, k, 0, 1] / det
                    p11[k] = cov[b, k, 0, 0] / det
                    lognorm[k] = math.log(w[b, k]) - _LOG_2PI - 0.5 * math.log(det)
            for m in range(M):
                x = points[b, m, 0]
                y = points[b, m, 1]
                top = -np.inf
                for k in range(K):
                    if alive[k]:
                        dx = x - mu[b, k, 0]
                        dy = y - mu[b, k, 1]
                        lp[k] = lognorm[k] - 0.5 * (p00[k] * dx * dx + 2.0 * p01[k] * dx * dy
                                                    + p11[k] * dy * dy)
                        if lp[k] > top:
                            top = lp[k]
                out[b, m] = top + math.log(_exp_shifted(lp, alive, top))
            continue
        chol = np.zeros((K, D, D))
        z = np.empty(D)
        _prepare_components(w[b], mu[b], cov[b], alive, chol, lognorm, 0.0)
        for m in range(M):
            top = -np.inf
            for k in range(K):
                if alive[k]:
                    lp[k] = _component_logprob(points[b, m], mu[b, k], chol[k], lognorm[k], z)
                    if lp[k] > top:
                        top = lp[k]
            out[b, m] = top + math.log(_exp_shifted(lp, alive, top))


def fit_batch(X, sample_weight, weights, means, covariances, *, tol, reg_covar, max_iter,
              accelerate=True):
    """Run EM on a batch of mixtures, starting from the given parameters.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_dims)
    sample_weight : ndarray of shape (n_fits, n_samples)
        Non-negative weight of each sample in each fit (0 leaves it out).
    weights, means, covariances : ndarray
        Starting parameters, shapes (n_fits, K), (n_fits, K, D), (n_fits, K, D, D).
    tol, reg_covar, max_iter : float, float, int
        Stop when an E step improves the mean log-likelihood by less than ``tol``;
        variance floor; E steps at most.
    accelerate : bool, default=True
        SQUAREM extrapolation between EM steps (D <= 2; the general kernel is plain EM).

    Returns
    -------
    weights, means, covariances : ndarray
        Fitted parameters (new arrays; dropped components have weight 0).
    loglik : ndarray of shape (n_fits,)
        Mean training log-likelihood per unit of sample weight at the last E step.
    n_iter : ndarray of shape (n_fits,)
        E steps taken.
    converged : ndarray of shape (n_fits,)
    """
    X = np.ascontiguousarray(X, dtype=np.float64)
    sample_weight = np.ascontiguousarray(sample_weight, dtype=np.float64)
    w = np.array(weights, dtype=np.float64, order="C")
    mu = np.array(means, dtype=np.float64, order="C")
    cov = np.array(covariances, dtype=np.float64, order="C")
    n_fits = sample_weight.shape[0]
    n_iter = np.zeros(n_fits, dtype=np.int64)
    converged = np.zeros(n_fits, dtype=np.bool_)
    loglik = np.full(n_fits, np.nan)
    kernel = _em_batch_small if X.shape[1] <= 2 else _em_batch_general
    kernel(X, sample_weight, w, mu, cov, float(tol), float(reg_covar), int(max_iter),
           bool(accelerate), n_iter, converged, loglik)
    return w, mu, cov, loglik, n_iter, converged


def logpdf_batch(points, weights, means, covariances):
    """Log density of mixture ``b`` at each of ``points[b]`` (shape (B, M, D))."""
    points = np.ascontiguousarray(points, dtype=np.float64)
    out = np.empty(points.shape[:2])
    _logpdf_batch(points, np.ascontiguousarray(weights, dtype=np.float64),
                  np.ascontiguousarray(means, dtype=np.float64),
                  np.ascontiguousarray(covariances, dtype=np.float64), out)
    return out


def score_batch(X, sample_weight, weights, means, covariances):
    """Weighted mean log-likelihood of ``X`` under each mixture of a batch."""
    n_fits = sample_weight.shape[0]
    points = np.broadcast_to(np.asarray(X, dtype=np.float64), (n_fits,) + X.shape)
    logp = logpdf_batch(points, weights, means, covariances)
    return (logp * sample_weight).sum(axis=1) / sample_weight.sum(axis=1)
