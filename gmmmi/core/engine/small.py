"""EM for D <= 2 (the hot path of pairwise MI, and the per-category fits of categorical
MI): closed-form steps on blocks of points with the points in the inner loops, so that
the compiler vectorises them, exponentials included, accelerated by SQUAREM.
"""

import math

import numpy as np
from numba import njit

from .common import (
    _BLOCK,
    _FASTMATH,
    _LOG_2PI,
    _exp_shifted_block,
    _renormalise,
    _weights_from_logs,
)


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
    _weights_from_logs(theta, alive, w)
    for k in range(w.shape[0]):
        if alive[k]:
            for d in range(D):
                mu[k, d] = theta[k, 1 + d]
                cov[k, d, d] = math.exp(theta[k, 1 + D + d])
            if D == 2:
                cxy = math.tanh(theta[k, 5]) * math.sqrt(cov[k, 0, 0] * cov[k, 1, 1])
                cov[k, 0, 1] = cxy
                cov[k, 1, 0] = cxy
