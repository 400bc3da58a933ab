"""Pieces the EM and density kernels share: fastmath flags, weight bookkeeping.
"""

import math

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
