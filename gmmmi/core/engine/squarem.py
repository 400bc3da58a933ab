"""The EM loop of every fit, accelerated by SQUAREM (Varadhan & Roland 2008, Scand. J.
Statist. 35, 335-353, scheme S3), written once for both kernel families: ``small``
(D <= 2, closed-form steps) and ``general`` (any D, Cholesky-based steps).

Plain EM stops when one step improves the mean log-likelihood by less than ``tol``.
SQUAREM cycles take two EM steps from theta0 (theta1, theta2), extrapolate along
r = theta1 - theta0 and v = theta2 - 2 theta1 + theta0 to theta0 - 2 a r + a^2 v with
a = -|r|/|v| (at most -1; a = -1 gives theta2), in each family's unconstrained
coordinates (its ``_pack``), and take one more EM step from there; the jump is kept only
if it does not lower the likelihood below theta1's. The stopping rule is the plain one,
applied to the two plain steps of each cycle, and ``max_iter`` counts E steps.

The loop takes a family's work arrays, and ``_step``, ``_pack`` and ``_unpack`` resolve
to that family's functions when numba compiles it (by the arrays' tuple: the general
family's holds four items), so each family's loop holds its own steps alone.
"""

import numpy as np
from numba import njit, prange
from numba.extending import overload

from . import general, small
from .common import _FASTMATH, _copy_flags, _count, _extrapolate, _weighted_points

_GENERAL_WORK = 4  # (scratch, s0, s1, s2) of the general steps; the small scratch has 7


def _step(work, Xt, sw, total, w, mu, cov, alive, reg):
    """One EM step in place; the mean log-likelihood (compiled code only)."""


def _pack(work, w, mu, cov, alive, reg, theta):
    """The live components' unconstrained coordinates into ``theta`` (compiled only)."""


def _unpack(work, theta, alive, w, mu, cov):
    """The mixture at ``theta`` (compiled code only)."""


@overload(_step)
def _family_step(work, Xt, sw, total, w, mu, cov, alive, reg):
    if len(work) == _GENERAL_WORK:
        def step(work, Xt, sw, total, w, mu, cov, alive, reg):
            return general._em_step_general(Xt, sw, total, w, mu, cov, alive, reg, work[0],
                                            work[1], work[2], work[3])
    else:
        def step(work, Xt, sw, total, w, mu, cov, alive, reg):
            return small._em_step_small(Xt, sw, total, w, mu, cov, alive, reg, work)
    return step


@overload(_pack)
def _family_pack(work, w, mu, cov, alive, reg, theta):
    if len(work) == _GENERAL_WORK:
        def pack(work, w, mu, cov, alive, reg, theta):
            general._pack(w, mu, cov, alive, work[0][0], reg, theta)
    else:
        def pack(work, w, mu, cov, alive, reg, theta):
            small._pack(w, mu, cov, alive, theta)
    return pack


@overload(_unpack)
def _family_unpack(work, theta, alive, w, mu, cov):
    if len(work) == _GENERAL_WORK:
        def unpack(work, theta, alive, w, mu, cov):
            general._unpack(theta, alive, w, mu, cov)
    else:
        def unpack(work, theta, alive, w, mu, cov):
            small._unpack(theta, alive, w, mu, cov)
    return unpack


@njit(cache=True, fastmath=_FASTMATH)
def _em_one(X, sample_weight, w, mu, cov, tol, reg, max_iter, accelerate, work):
    """EM for one mixture with a family's ``work`` arrays (see the module's docstring);
    (E steps, converged, mean log-likelihood)."""
    Xt, sw, total = _weighted_points(X, sample_weight)  # sw: float64, points kept
    if total <= 0.0:
        return 0, True, np.nan
    D = X.shape[1]
    K = w.shape[0]
    alive = w > 0.0
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
            loglik = _step(work, Xt, sw, total, w, mu, cov, alive, reg)
            n_iter += 1
            if abs(loglik - previous) < tol:
                return n_iter, True, loglik
            previous = loglik
            continue
        n_alive = _count(alive)
        _pack(work, w, mu, cov, alive, reg, theta0)
        first = _step(work, Xt, sw, total, w, mu, cov, alive, reg)
        n_iter += 1
        if abs(first - previous) < tol:
            return n_iter, True, first
        _pack(work, w, mu, cov, alive, reg, theta1)
        loglik = _step(work, Xt, sw, total, w, mu, cov, alive, reg)
        n_iter += 1
        if abs(loglik - first) < tol:
            return n_iter, True, loglik
        previous = loglik
        if _count(alive) != n_alive or n_iter >= max_iter:
            continue  # a component was dropped: no extrapolation across that change
        _pack(work, w, mu, cov, alive, reg, theta2)
        _copy_flags(alive, alive2)
        if not _extrapolate(theta0, theta1, theta2, alive):
            continue
        _unpack(work, theta0, alive, w, mu, cov)
        jumped = _step(work, Xt, sw, total, w, mu, cov, alive, reg)
        n_iter += 1
        if jumped >= loglik and _count(alive) == n_alive:
            previous = jumped
        else:  # back to theta2, one E step lost
            _copy_flags(alive2, alive)
            _unpack(work, theta2, alive, w, mu, cov)
    return n_iter, False, loglik


@njit(cache=True, parallel=True)
def _em_batch_small(X, sample_weight, w, mu, cov, tol, reg, max_iter, accelerate, n_iter,
                    converged, loglik):
    for b in prange(sample_weight.shape[0]):
        work = small._scratch_small(w.shape[1])
        n_iter[b], converged[b], loglik[b] = _em_one(
            X, sample_weight[b], w[b], mu[b], cov[b], tol, reg, max_iter, accelerate, work)


@njit(cache=True, parallel=True)
def _em_batch_general(X, sample_weight, w, mu, cov, tol, reg, max_iter, accelerate, n_iter,
                      converged, loglik):
    K, D = mu.shape[1:]
    for b in prange(sample_weight.shape[0]):
        work = (general._scratch_general(K, D), np.empty(K), np.empty((K, D)),
                np.empty((K, D, D)))
        n_iter[b], converged[b], loglik[b] = _em_one(
            X, sample_weight[b], w[b], mu[b], cov[b], tol, reg, max_iter, accelerate, work)
