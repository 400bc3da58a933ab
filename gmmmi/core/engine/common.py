"""Pieces the EM and density kernels share: fastmath flags, the block size and its
vectorised exponential, the kept points, weight bookkeeping.
"""

import math

import numpy as np
from numba import njit

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


@njit(cache=True)
def _renormalise(w, alive, weight_sum):
    for k in range(w.shape[0]):
        if alive[k]:
            w[k] /= weight_sum


@njit(cache=True, fastmath=_FASTMATH)
def _weights_from_logs(theta, alive, w):
    """The live components' weights from their log weights in ``theta[:, 0]`` (as each
    kernel's ``_pack`` writes them), normalised to sum to 1."""
    top = -math.inf
    for k in range(w.shape[0]):
        if alive[k] and theta[k, 0] > top:
            top = theta[k, 0]
    weight_sum = 0.0
    for k in range(w.shape[0]):
        if alive[k]:
            w[k] = math.exp(theta[k, 0] - top)
            weight_sum += w[k]
    _renormalise(w, alive, weight_sum)


@njit(cache=True)
def _copy_flags(source, target):
    """``target[:] = source``, element by element (numba's array assignment compiles its
    shape-mismatch message, seconds of a fresh install's first call)."""
    for k in range(source.shape[0]):
        target[k] = source[k]


@njit(cache=True)
def _count(alive):
    n = 0
    for k in range(alive.shape[0]):
        n += alive[k]
    return n


@njit(cache=True, fastmath=_FASTMATH)
def _extrapolate(theta0, theta1, theta2, alive):
    """SQUAREM's jump (Varadhan & Roland 2008, scheme S3), in place: with r = theta1 -
    theta0 and v = theta2 - 2 theta1 + theta0 over the live rows, theta0 becomes
    theta0 - 2 a r + a^2 v, a = -|r|/|v|.  Returns False, theta0 unchanged, when v = 0 or
    a > -1 (a = -1 is theta2, where the caller already is)."""
    r2 = 0.0
    v2 = 0.0
    for k in range(theta0.shape[0]):
        if alive[k]:
            for j in range(theta0.shape[1]):
                r = theta1[k, j] - theta0[k, j]
                v = theta2[k, j] - 2.0 * theta1[k, j] + theta0[k, j]
                r2 += r * r
                v2 += v * v
    if not v2 > 0.0:
        return False
    step = -math.sqrt(r2 / v2)
    if step > -1.0:
        return False
    for k in range(theta0.shape[0]):
        if alive[k]:
            for j in range(theta0.shape[1]):
                r = theta1[k, j] - theta0[k, j]
                v = theta2[k, j] - 2.0 * theta1[k, j] + theta0[k, j]
                theta0[k, j] += -2.0 * step * r + step * step * v
    return True


_BLOCK = 256  # points per block: the block's component terms stay in L1
_LOG2_E = 1.4426950408889634
_LN2_HI = 0.6931471803691238  # ln 2 in two parts: n * _LN2_HI is exact for |n| <= 1022
_LN2_LO = 1.9082149292705877e-10
_EXP_FLOOR = -600.0  # exp(-600) ~ 3e-261: its products with the data stay normal


@njit(cache=True, fastmath={"contract", "nsz"})  # no "reassoc": it would merge the ln 2 parts
def _exp_shifted_block(values, shift, m, bits, sums):
    """values[j] <- exp(values[j] - shift[j]) and sums[j] += the result, for j < m, where
    values[j] <= shift[j]; written so that the compiler vectorises it.

    numba calls the scalar libm ``exp`` (this llvmlite has no SVML) and those calls
    were two thirds of an E step.  Here: x = n ln 2 + r with |r| <= ln 2 / 2, a
    degree-12 Taylor polynomial for exp(r) (truncation error below 2e-16) and 2^n
    built from its bits in ``bits`` (int64 scratch of length >= m).  Arguments at or
    below ``_EXP_FLOOR`` give exactly 0, negligible beside each point's largest term,
    exp(0) = 1: results near exp(-708) ~ 3e-308 made the M step's products subnormal,
    which the CPU computes about 20 times slower (a Swiss roll's K = 50 bootstrap refits
    took 9.6 s instead of 0.5 s), and zero components of a term cost nothing.
    """
    scale = bits.view(np.float64)
    for j in range(m):
        x = max(values[j] - shift[j], _EXP_FLOOR)
        n = math.floor(x * _LOG2_E + 0.5)
        r = x - n * _LN2_HI - n * _LN2_LO
        values[j] = 1.0 + r * (1.0 + r * (1 / 2 + r * (1 / 6 + r * (1 / 24 + r * (
            1 / 120 + r * (1 / 720 + r * (1 / 5040 + r * (1 / 40320 + r * (
                1 / 362880 + r * (1 / 3628800 + r * (1 / 39916800 + r * (1 / 479001600))))))))))))
        bits[j] = (np.int64(np.int32(n) + 1023) << 52) if x > _EXP_FLOOR else 0
    for j in range(m):
        values[j] *= scale[j]
        sums[j] += values[j]


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
