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
