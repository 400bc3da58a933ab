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
Cholesky-based kernel (plain EM) serves any D.  The D <= 2 kernels work on
blocks of points with the points in the inner loops, so that the compiler
vectorises them, exponentials included.  ``kmeanspp_start`` makes the starting
parameters (k-means++ seeds and a few Lloyd steps).
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


_BLOCK = 256  # points per block: the block's component terms stay in L1
_LOG2_E = 1.4426950408889634
_LN2_HI = 0.6931471803691238  # ln 2 in two parts: n * _LN2_HI is exact for |n| <= 1022
_LN2_LO = 1.9082149292705877e-10


@njit(cache=True, fastmath={"contract", "nsz"})  # no "reassoc": it would merge the ln 2 parts
def _exp_shifted_block(values, shift, m, bits, sums):
    """values[j] <- exp(values[j] - shift[j]) and sums[j] += the result, for j < m, where
    values[j] <= shift[j]; written so that the compiler vectorises it.

    numba calls the scalar libm ``exp`` (this llvmlite has no SVML) and those calls
    were two thirds of an E step.  Here: x = n ln 2 + r with |r| <= ln 2 / 2, a
    degree-12 Taylor polynomial for exp(r) (truncation error below 2e-16) and 2^n
    built from its bits in ``bits`` (int64 scratch of length >= m).  Arguments below
    -708 give exp(-708) ~ 3e-308 instead of a subnormal or zero, which is negligible
    beside each point's largest term, exp(0) = 1.
    """
    scale = bits.view(np.float64)
    for j in range(m):
        x = max(values[j] - shift[j], -708.0)
        n = math.floor(x * _LOG2_E + 0.5)
        r = x - n * _LN2_HI - n * _LN2_LO
        values[j] = 1.0 + r * (1.0 + r * (1 / 2 + r * (1 / 6 + r * (1 / 24 + r * (
            1 / 120 + r * (1 / 720 + r * (1 / 5040 + r * (1 / 40320 + r * (
                1 / 362880 + r * (1 / 3628800 + r * (1 / 39916800 + r * (1 / 479001600))))))))))))
        bits[j] = np.int64(np.int32(n) + 1023) << 52
    for j in range(m):
        values[j] *= scale[j]
        sums[j] += values[j]


@njit(cache=True)
def _scratch_small(n_components):
    """Work arrays of the D <= 2 kernels: coef, live, stats, terms, log_top, norm, bits."""
    return (np.empty((n_components, 6)), np.empty(n_components, dtype=np.int64),
            np.empty((n_components, 6)), np.empty((n_components, _BLOCK)),
            np.empty(_BLOCK), np.empty(_BLOCK), np.empty(_BLOCK, dtype=np.int64))


@njit(cache=True, fastmath=_FASTMATH)
def _coefficients(w, mu, cov, alive, live, coef):
    """What the log-density of each live component needs (D = 1 or 2).

    Row a of ``coef`` is for component ``live[a]``: log weight minus log normaliser,
    then the mean and the precision's entries (D = 2: mx, my, P00, 2 P01, P11;
    D = 1: m, P).  Returns the number of live components.
    """
    n_live = 0
    for k in range(w.shape[0]):
        if not alive[k]:
            continue
        live[n_live] = k
        row = coef[n_live]
        if mu.shape[1] == 2:
            a = cov[k, 0, 0]
            b = cov[k, 0, 1]
            c = cov[k, 1, 1]
            det = a * c - b * b
            row[0] = math.log(w[k]) - _LOG_2PI - 0.5 * math.log(det)
            row[1] = mu[k, 0]
            row[2] = mu[k, 1]
            row[3] = c / det
            row[4] = -2.0 * b / det
            row[5] = a / det
        else:
            row[0] = math.log(w[k]) - 0.5 * (_LOG_2PI + math.log(cov[k, 0, 0]))
            row[1] = mu[k, 0]
            row[2] = 1.0 / cov[k, 0, 0]
        n_live += 1
    return n_live


@njit(cache=True, fastmath=_FASTMATH)
def _block_terms(Xt, start, m, coef, n_live, terms, log_top, norm, bits):
    """Mixture terms of points ``start .. start + m`` of ``Xt`` (D, n), scaled per point.

    ``terms[a, j]`` = w_a N(x_j | a) / top_j, where top_j is the point's largest
    term: ``log_top[j]`` = log top_j and ``norm[j]`` = the sum of its scaled terms.
    Responsibilities are ``terms / norm`` and the log-density is
    ``log_top + log(norm)``.  Loops run over points, so that they vectorise.
    """
    for j in range(m):
        log_top[j] = -np.inf
        norm[j] = 0.0
    x = Xt[0, start:start + m]
    for a in range(n_live):
        c = coef[a]
        row = terms[a]
        if Xt.shape[0] == 2:
            y = Xt[1, start:start + m]
            for j in range(m):
                dx = x[j] - c[1]
                dy = y[j] - c[2]
                row[j] = c[0] - 0.5 * (c[3] * dx * dx + c[4] * dx * dy + c[5] * dy * dy)
                log_top[j] = max(log_top[j], row[j])
        else:
            for j in range(m):
                dx = x[j] - c[1]
                row[j] = c[0] - 0.5 * c[2] * dx * dx
                log_top[j] = max(log_top[j], row[j])
    for a in range(n_live):
        _exp_shifted_block(terms[a], log_top, m, bits, norm)


@njit(cache=True, fastmath=_FASTMATH)
def _em_step_small(Xt, sw, total, w, mu, cov, alive, reg, scratch):
    """One fused E and M step for D = 1 or 2, in place; returns the mean log-likelihood
    before it.  ``Xt`` (D, n) holds only points of non-zero weight ``sw``."""
    coef, live, stats, terms, log_top, norm, bits = scratch
    n_samples = Xt.shape[1]
    n_live = _coefficients(w, mu, cov, alive, live, coef)
    stats[:] = 0.0
    loglik = 0.0
    for start in range(0, n_samples, _BLOCK):
        m = min(_BLOCK, n_samples - start)
        _block_terms(Xt, start, m, coef, n_live, terms, log_top, norm, bits)
        s = sw[start:start + m]
        for j in range(m):
            loglik += s[j] * (log_top[j] + math.log(norm[j]))
            norm[j] = s[j] / norm[j]  # from here on: scaled term -> weighted responsibility
        x = Xt[0, start:start + m]
        y = Xt[Xt.shape[0] - 1, start:start + m]
        for a in range(n_live):
            if Xt.shape[0] == 2:
                _sums_2d(terms[a], norm, x, y, m, stats[a])
            else:
                _sums_1d(terms[a], norm, x, m, stats[a])
    _m_step_small(stats, n_live, live, w, mu, cov, alive, reg)
    return loglik / total


# The weighted sums of the M step run in four interleaved lanes added up in a fixed
# order. With "reassoc" the compiler would choose its own order, and the code it
# compiles when a process first runs a kernel and the code it loads from numba's cache
# added up differently (a different last digit): results depended on which process
# compiled. Four explicit lanes vectorise without it.
_SUMS_FASTMATH = _FASTMATH - {"reassoc"}


@njit(cache=True, fastmath=_SUMS_FASTMATH)
def _sums_1d(row, norm, x, m, out):
    """out[:3] += sums over j < m of r, r x, r x^2 with r = row[j] * norm[j]."""
    n0 = n1 = n2 = n3 = 0.0
    x0 = x1 = x2 = x3 = 0.0
    q0 = q1 = q2 = q3 = 0.0
    m4 = m - m % 4
    for j in range(0, m4, 4):
        r0, r1, r2, r3 = (row[j] * norm[j], row[j + 1] * norm[j + 1],
                          row[j + 2] * norm[j + 2], row[j + 3] * norm[j + 3])
        n0 += r0
        n1 += r1
        n2 += r2
        n3 += r3
        x0 += r0 * x[j]
        x1 += r1 * x[j + 1]
        x2 += r2 * x[j + 2]
        x3 += r3 * x[j + 3]
        q0 += r0 * x[j] * x[j]
        q1 += r1 * x[j + 1] * x[j + 1]
        q2 += r2 * x[j + 2] * x[j + 2]
        q3 += r3 * x[j + 3] * x[j + 3]
    for j in range(m4, m):
        r = row[j] * norm[j]
        n0 += r
        x0 += r * x[j]
        q0 += r * x[j] * x[j]
    out[0] += (n0 + n1) + (n2 + n3)
    out[1] += (x0 + x1) + (x2 + x3)
    out[2] += (q0 + q1) + (q2 + q3)


@njit(cache=True, fastmath=_SUMS_FASTMATH)
def _sums_2d(row, norm, x, y, m, out):
    """out[:6] += sums over j < m of r, r x, r y, r x^2, r x y, r y^2 (r as in _sums_1d)."""
    n0 = n1 = n2 = n3 = 0.0
    sx0 = sx1 = sx2 = sx3 = 0.0
    sy0 = sy1 = sy2 = sy3 = 0.0
    xx0 = xx1 = xx2 = xx3 = 0.0
    xy0 = xy1 = xy2 = xy3 = 0.0
    yy0 = yy1 = yy2 = yy3 = 0.0
    m4 = m - m % 4
    for j in range(0, m4, 4):
        r0 = row[j + 0] * norm[j + 0]
        u0 = x[j + 0]
        v0 = y[j + 0]
        r1 = row[j + 1] * norm[j + 1]
        u1 = x[j + 1]
        v1 = y[j + 1]
        r2 = row[j + 2] * norm[j + 2]
        u2 = x[j + 2]
        v2 = y[j + 2]
        r3 = row[j + 3] * norm[j + 3]
        u3 = x[j + 3]
        v3 = y[j + 3]
        n0 += r0
        n1 += r1
        n2 += r2
        n3 += r3
        sx0 += r0 * u0
        sx1 += r1 * u1
        sx2 += r2 * u2
        sx3 += r3 * u3
        sy0 += r0 * v0
        sy1 += r1 * v1
        sy2 += r2 * v2
        sy3 += r3 * v3
        xx0 += r0 * u0 * u0
        xx1 += r1 * u1 * u1
        xx2 += r2 * u2 * u2
        xx3 += r3 * u3 * u3
        xy0 += r0 * u0 * v0
        xy1 += r1 * u1 * v1
        xy2 += r2 * u2 * v2
        xy3 += r3 * u3 * v3
        yy0 += r0 * v0 * v0
        yy1 += r1 * v1 * v1
        yy2 += r2 * v2 * v2
        yy3 += r3 * v3 * v3
    for j in range(m4, m):
        r = row[j] * norm[j]
        n0 += r
        sx0 += r * x[j]
        sy0 += r * y[j]
        xx0 += r * x[j] * x[j]
        xy0 += r * x[j] * y[j]
        yy0 += r * y[j] * y[j]
    out[0] += (n0 + n1) + (n2 + n3)
    out[1] += (sx0 + sx1) + (sx2 + sx3)
    out[2] += (sy0 + sy1) + (sy2 + sy3)
    out[3] += (xx0 + xx1) + (xx2 + xx3)
    out[4] += (xy0 + xy1) + (xy2 + xy3)
    out[5] += (yy0 + yy1) + (yy2 + yy3)


@njit(cache=True, fastmath=_FASTMATH)
def _m_step_small(stats, n_live, live, w, mu, cov, alive, reg):
    """Weights, means and covariances from the weighted sums of each live component
    (D = 2: n, Sx, Sy, Sxx, Sxy, Syy; D = 1: n, Sx, Sxx).  A component with fewer than
    D + 1 effective points, or a variance below ``reg``, is dropped unless it is the
    largest."""
    D = mu.shape[1]
    largest = 0
    for a in range(n_live):
        if stats[a, 0] > stats[largest, 0]:
            largest = a
    weight_sum = 0.0
    for a in range(n_live):
        k = live[a]
        nk = stats[a, 0]
        if nk < D + 1.0 and a != largest:
            alive[k] = False
            w[k] = 0.0
            continue
        nk = max(nk, 1e-300)
        if D == 2:
            mx = stats[a, 1] / nk
            my = stats[a, 2] / nk
            vx = stats[a, 3] / nk - mx * mx
            cxy = stats[a, 4] / nk - mx * my
            vy = stats[a, 5] / nk - my * my
            if (vx < reg or vy < reg) and a != largest:
                alive[k] = False
                w[k] = 0.0
                continue
            vx = max(vx, 0.0) + reg
            vy = max(vy, 0.0) + reg
            limit = (1.0 - 1e-9) * math.sqrt(vx * vy)
            cxy = min(max(cxy, -limit), limit)
            mu[k, 0] = mx
            mu[k, 1] = my
            cov[k, 0, 0] = vx
            cov[k, 0, 1] = cxy
            cov[k, 1, 0] = cxy
            cov[k, 1, 1] = vy
        else:
            mx = stats[a, 1] / nk
            vx = stats[a, 2] / nk - mx * mx
            if vx < reg and a != largest:
                alive[k] = False
                w[k] = 0.0
                continue
            mu[k, 0] = mx
            cov[k, 0, 0] = max(vx, 0.0) + reg
        w[k] = nk
        weight_sum += nk
    _renormalise(w, alive, weight_sum)


@njit(cache=True)
def _weighted_points(X, sw):
    """The points of non-zero weight, transposed to (D, n), their weights and the total."""
    n_kept = 0
    for i in range(X.shape[0]):
        if sw[i] != 0.0:
            n_kept += 1
    Xt = np.empty((X.shape[1], n_kept))
    kept = np.empty(n_kept)
    total = 0.0
    j = 0
    for i in range(X.shape[0]):
        if sw[i] != 0.0:
            for d in range(X.shape[1]):
                Xt[d, j] = X[i, d]
            kept[j] = sw[i]
            total += sw[i]
            j += 1
    return Xt, kept, total


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


@njit(cache=True)
def _count(alive):
    n = 0
    for k in range(alive.shape[0]):
        n += alive[k]
    return n


@njit(cache=True, fastmath=_FASTMATH)
def _em_one_small(X, sample_weight, w, mu, cov, tol, reg, max_iter, accelerate):
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
    Xt, sw, total = _weighted_points(X, sample_weight)  # sw: float64, points kept
    if total <= 0.0:
        return 0, True, np.nan
    K = w.shape[0]
    alive = w > 0.0
    scratch = _scratch_small(K)
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
            loglik = _em_step_small(Xt, sw, total, w, mu, cov, alive, reg, scratch)
            n_iter += 1
            if abs(loglik - previous) < tol:
                return n_iter, True, loglik
            previous = loglik
            continue
        n_alive = _count(alive)
        _pack(w, mu, cov, alive, theta0)
        first = _em_step_small(Xt, sw, total, w, mu, cov, alive, reg, scratch)
        n_iter += 1
        if abs(first - previous) < tol:
            return n_iter, True, first
        _pack(w, mu, cov, alive, theta1)
        loglik = _em_step_small(Xt, sw, total, w, mu, cov, alive, reg, scratch)
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
        jumped = _em_step_small(Xt, sw, total, w, mu, cov, alive, reg, scratch)
        n_iter += 1
        if jumped >= loglik and _count(alive) == n_alive:
            previous = jumped
        else:  # back to theta2, one E step lost
            alive[:] = alive2
            _unpack(theta2, alive, w, mu, cov)
    return n_iter, False, loglik


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


@njit(cache=True)
def _pick(cumulative, u):
    """Index drawn with probabilities proportional to the increments of ``cumulative``."""
    return min(np.searchsorted(cumulative, u * cumulative[-1], side="right"),
               cumulative.shape[0] - 1)


@njit(cache=True)
def _squared_distances(X, centre, out):
    for i in range(X.shape[0]):
        d2 = 0.0
        for d in range(X.shape[1]):
            t = X[i, d] - centre[d]
            d2 += t * t
        out[i] = d2


@njit(cache=True)
def _lloyd(X, sw, centres, n_steps):
    """Weighted Lloyd steps, in place; returns the final clusters' weights and their
    weighted scatter matrices about the final centres."""
    n_samples, D = X.shape
    K = centres.shape[0]
    labels = np.empty(n_samples, dtype=np.int64)
    counts = np.zeros(K)
    sums = np.zeros((K, D))
    for _ in range(n_steps):
        counts[:] = 0.0
        sums[:] = 0.0
        for i in range(n_samples):
            nearest = 0
            best = np.inf
            for k in range(K):
                d2 = 0.0
                for d in range(D):
                    t = X[i, d] - centres[k, d]
                    d2 += t * t
                if d2 < best:
                    best = d2
                    nearest = k
            labels[i] = nearest
            counts[nearest] += sw[i]
            for d in range(D):
                sums[nearest, d] += sw[i] * X[i, d]
        for k in range(K):
            if counts[k] > 0.0:
                for d in range(D):
                    centres[k, d] = sums[k, d] / counts[k]
    scatter = np.zeros((K, D, D))
    for i in range(n_samples):
        k = labels[i]
        for d in range(D):
            for e in range(D):
                scatter[k, d, e] += sw[i] * (X[i, d] - centres[k, d]) * (X[i, e] - centres[k, e])
    return counts, scatter


@njit(cache=True)
def kmeanspp_start(X, sample_weight, uniforms, n_steps, reg):
    """Mixture parameters from weighted k-means++ seeding and ``n_steps`` Lloyd steps.

    ``uniforms`` holds one U(0, 1) draw per component, which picks its seed.  Each
    cluster gives a component (weight floored at 1e-3 of the total); a cluster of at
    most D + 1 points gets the data's covariance shrunk by K^(2/D) instead.
    """
    keep = sample_weight > 0.0
    Xa = X[keep]
    sw = sample_weight[keep]
    n_samples, D = Xa.shape
    K = uniforms.shape[0]
    centres = np.empty((K, D))
    centres[0] = Xa[_pick(np.cumsum(sw), uniforms[0])]
    closest = np.empty(n_samples)
    nearer = np.empty(n_samples)
    _squared_distances(Xa, centres[0], closest)
    for k in range(1, K):
        cumulative = np.cumsum(sw * closest)
        if cumulative[-1] > 0.0:
            centres[k] = Xa[_pick(cumulative, uniforms[k])]
        else:  # every point sits on a seed already
            centres[k] = Xa[min(int(uniforms[k] * n_samples), n_samples - 1)]
        _squared_distances(Xa, centres[k], nearer)
        closest = np.minimum(closest, nearer)
    counts, scatter = _lloyd(Xa, sw, centres, n_steps)

    total = sw.sum()
    mean = (sw @ Xa) / total
    centred = Xa - mean
    overall = (centred.T * sw) @ centred
    dof = total - (sw * sw).sum() / total  # numpy.cov's normalisation with aweights
    overall /= dof if dof > 0.0 else total
    weights = np.maximum(counts, 1e-3 * total)
    weights /= weights.sum()
    covariances = np.empty((K, D, D))
    for k in range(K):
        if counts[k] > D + 1:
            covariances[k] = scatter[k] / counts[k]
        else:
            covariances[k] = overall / K ** (2.0 / D)
        for d in range(D):
            covariances[k, d, d] += reg
    return weights, centres, covariances


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
    # bootstrap counts and fold masks stay small integers: memory follows the data, not 8x it
    small = sample_weight.dtype == np.uint8
    sample_weight = np.ascontiguousarray(sample_weight, dtype=None if small else np.float64)
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
