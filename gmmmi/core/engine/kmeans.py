"""Starting parameters: weighted k-means++ seeding and a few Lloyd steps, compiled.
"""

import numpy as np
from numba import njit


@njit(cache=True)
def _pick(cumulative, u):
    """Index drawn with probabilities proportional to the increments of ``cumulative``."""
    return min(np.searchsorted(cumulative, u * cumulative[-1], side="right"),
               cumulative.shape[0] - 1)


@njit(cache=True)
def _copy_row(X, i, out):
    """``out[:] = X[i]``, element by element: numba's array assignment compiles its
    shape-mismatch message, seconds of a fresh install's first call."""
    for d in range(X.shape[1]):
        out[d] = X[i, d]


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
    _copy_row(Xa, _pick(np.cumsum(sw), uniforms[0]), centres[0])
    closest = np.empty(n_samples)
    nearer = np.empty(n_samples)
    _squared_distances(Xa, centres[0], closest)
    for k in range(1, K):
        cumulative = np.cumsum(sw * closest)
        if cumulative[-1] > 0.0:
            _copy_row(Xa, _pick(cumulative, uniforms[k]), centres[k])
        else:  # every point sits on a seed already
            _copy_row(Xa, min(int(uniforms[k] * n_samples), n_samples - 1), centres[k])
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
        shrink = K ** (2.0 / D)
        for d in range(D):
            for e in range(D):
                if counts[k] > D + 1:
                    covariances[k, d, e] = scatter[k, d, e] / counts[k]
                else:
                    covariances[k, d, e] = overall[d, e] / shrink
            covariances[k, d, d] += reg
    return weights, centres, covariances


def kmeanspp_init(X, sample_weight, n_components, rng, reg_covar, n_lloyd=2):
    """Starting parameters from weighted k-means++ seeding and a few Lloyd steps.

    k-means++ spreads the initial means over the data, so that fits with more
    components start from genuinely different components (random starts can put
    two components on top of each other, and then selection stops too early).
    """
    return kmeanspp_start(np.ascontiguousarray(X, dtype=np.float64),
                          np.ascontiguousarray(sample_weight, dtype=np.float64),
                          rng.random(n_components), n_lloyd + 1, float(reg_covar))
