"""The EM loop of every fit, accelerated by SQUAREM (Varadhan & Roland 2008, Scand. J.
Statist. 35, 335-353, scheme S3), written once for both kernel families: ``small``
(D <= 2, closed-form steps) and ``general`` (any D, Cholesky-based steps).

Plain EM stops when one step improves the mean log-likelihood by less than ``tol``.
SQUAREM cycles take two EM steps from theta0 (theta1, theta2), extrapolate along
r = theta1 - theta0 and v = theta2 - 2 theta1 + theta0 to theta0 - 2 a r + a^2 v with
a = -|r|/|v| (at most -1; a = -1 gives theta2), in each family's unconstrained
coordinates (``_pack``), and take one more EM step from there; the jump is kept only if it
does not lower the likelihood below theta1's. The stopping rule is the plain one, applied
to the two plain steps of each cycle, and ``max_iter`` counts E steps.
"""

import numpy as np
from numba import njit, prange

from . import general, small
from .common import _FASTMATH, _copy_flags, _count, _extrapolate, _weighted_points


@njit(cache=True, fastmath=_FASTMATH)
def _step(is_general, Xt, sw, total, w, mu, cov, alive, reg, work_small, work, s0, s1, s2):
    if is_general:
        return general._em_step_general(Xt, sw, total, w, mu, cov, alive, reg, work, s0, s1, s2)
    return small._em_step_small(Xt, sw, total, w, mu, cov, alive, reg, work_small)


@njit(cache=True, fastmath=_FASTMATH)
def _pack(is_general, w, mu, cov, alive, chol, reg, theta):
    if is_general:
        general._pack(w, mu, cov, alive, chol, reg, theta)
    else:
        small._pack(w, mu, cov, alive, theta)


@njit(cache=True, fastmath=_FASTMATH)
def _unpack(is_general, theta, alive, w, mu, cov):
    if is_general:
        general._unpack(theta, alive, w, mu, cov)
    else:
        small._unpack(theta, alive, w, mu, cov)


@njit(cache=True, fastmath=_FASTMATH)
def _em_one(X, sample_weight, w, mu, cov, tol, reg, max_iter, accelerate):
    """EM for one mixture (see the module's docstring); (E steps, converged, mean
    log-likelihood)."""
    Xt, sw, total = _weighted_points(X, sample_weight)  # sw: float64, points kept
    if total <= 0.0:
        return 0, True, np.nan
    D = X.shape[1]
    K = w.shape[0]
    is_general = D > 2
    alive = w > 0.0
    # the work arrays of the family that runs (the other's are empty)
    work_small = small._scratch_small(0 if is_general else K)
    work = general._scratch_general(K if is_general else 0, D)
    chol = work[0]
    s0 = np.empty(K)
    s1 = np.empty((K, D))
    s2 = np.empty((K, D, D))
    width = 1 + D + D * (D + 1) // 2  # log weight, means, the covariance's free entries
    theta0 = np.zeros((K, width))
    theta1 = np.zeros((K, width))
    theta2 = np.zeros((K, width))
    alive2 = alive.copy()
    previous = -np.inf
    loglik = np.nan
    n_iter = 0
    while n_iter < max_iter:
        if not accelerate:
            loglik = _step(is_general, Xt, sw, total, w, mu, cov, alive, reg, work_small, work,
                           s0, s1, s2)
            n_iter += 1
            if abs(loglik - previous) < tol:
                return n_iter, True, loglik
            previous = loglik
            continue
        n_alive = _count(alive)
        _pack(is_general, w, mu, cov, alive, chol, reg, theta0)
        first = _step(is_general, Xt, sw, total, w, mu, cov, alive, reg, work_small, work,
                      s0, s1, s2)
        n_iter += 1
        if abs(first - previous) < tol:
            return n_iter, True, first
        _pack(is_general, w, mu, cov, alive, chol, reg, theta1)
        loglik = _step(is_general, Xt, sw, total, w, mu, cov, alive, reg, work_small, work,
                       s0, s1, s2)
        n_iter += 1
        if abs(loglik - first) < tol:
            return n_iter, True, loglik
        previous = loglik
        if _count(alive) != n_alive or n_iter >= max_iter:
            continue  # a component was dropped: no extrapolation across that change
        _pack(is_general, w, mu, cov, alive, chol, reg, theta2)
        _copy_flags(alive, alive2)
        if not _extrapolate(theta0, theta1, theta2, alive):
            continue
        _unpack(is_general, theta0, alive, w, mu, cov)
        jumped = _step(is_general, Xt, sw, total, w, mu, cov, alive, reg, work_small, work,
                       s0, s1, s2)
        n_iter += 1
        if jumped >= loglik and _count(alive) == n_alive:
            previous = jumped
        else:  # back to theta2, one E step lost
            _copy_flags(alive2, alive)
            _unpack(is_general, theta2, alive, w, mu, cov)
    return n_iter, False, loglik


@njit(cache=True, parallel=True)
def _em_batch(X, sample_weight, w, mu, cov, tol, reg, max_iter, accelerate, n_iter, converged,
              loglik):
    for b in prange(sample_weight.shape[0]):
        n_iter[b], converged[b], loglik[b] = _em_one(
            X, sample_weight[b], w[b], mu[b], cov[b], tol, reg, max_iter, accelerate
        )
