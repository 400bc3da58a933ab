"""The batch EM driver: one call fits a whole batch of mixtures (D <= 2 or general).
"""

from typing import NamedTuple

import numpy as np

from .squarem import _em_batch_general, _em_batch_small


class Mixtures(NamedTuple):
    """A batch of Gaussian mixtures: shapes (B, K), (B, K, D), (B, K, D, D); a component
    of weight 0 is dropped."""

    weights: np.ndarray
    means: np.ndarray
    covariances: np.ndarray


class Fits(NamedTuple):
    """What ``fit_batch`` returns: the fitted mixtures and how each fit's EM ended."""

    weights: np.ndarray
    means: np.ndarray
    covariances: np.ndarray
    loglik: np.ndarray
    n_iter: np.ndarray
    converged: np.ndarray

    @property
    def mixtures(self):
        return Mixtures(self.weights, self.means, self.covariances)


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
        SQUAREM extrapolation between EM steps.

    Returns
    -------
    Fits
        ``weights``, ``means``, ``covariances``: the fitted parameters (new arrays; dropped
        components have weight 0; ``mixtures`` holds the three); ``loglik`` (n_fits,): the
        mean training log-likelihood per unit of sample weight at the last E step;
        ``n_iter``: E steps taken; ``converged``.
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
    return Fits(w, mu, cov, loglik, n_iter, converged)
