"""Choosing the number of components and refitting on bootstrap resamples.

Randomness comes only from ``numpy.random.default_rng(key + stream)`` where
``key`` derives from the user's seed (and, for categorical data, the category),
so results never depend on scheduling or thread count.
"""

import warnings
from dataclasses import dataclass, field

import numpy as np

from ._engine import fit_batch, score_batch
from ._mixture import kmeanspp_init

_STREAM_FOLDS, _STREAM_INITS, _STREAM_BOOTSTRAP, _STREAM_INTEGRAL = range(4)


@dataclass(frozen=True)
class Settings:
    """Estimator settings (defaults as in Piras et al. 2023)."""

    n_inits: int = 3
    n_folds: int = 2
    selection: str = "validation"
    threshold_components: float = 1e-5
    patience: int = 2
    max_components: int = 50
    fixed_components: int | None = None
    tol: float = 1e-5
    selection_tol: float = 1e-4
    accelerate: bool = True
    reg_covar: float = 1e-6
    max_iter: int = 1000
    integration: str = "quadrature"
    quadrature_nodes: int = 1024
    mc_samples: int = 100_000
    transform: str = "rank"

    def __post_init__(self):
        positive_ints = ["n_inits", "patience", "max_components", "max_iter",
                         "quadrature_nodes", "mc_samples"]
        for name in positive_ints:
            _check_int(name, getattr(self, name), minimum=1)
        _check_int("n_folds", self.n_folds, minimum=2)
        if self.fixed_components is not None:
            _check_int("fixed_components", self.fixed_components, minimum=1)
        for name in ["threshold_components", "tol", "selection_tol", "reg_covar"]:
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or not np.isfinite(value) or value < 0:
                raise ValueError(f"{name} must be a non-negative number, got {value!r}")
        if not isinstance(self.accelerate, (bool, np.bool_)):
            raise ValueError(f"accelerate must be true or false, got {self.accelerate!r}")
        if self.selection not in ("validation", "aic", "bic"):
            raise ValueError(
                f"selection must be 'validation', 'aic' or 'bic', got {self.selection!r}")
        if self.transform not in ("rank", "standardise"):
            raise ValueError(
                f"transform must be 'rank' or 'standardise', got {self.transform!r}")
        if self.integration not in ("quadrature", "mc"):
            raise ValueError(
                f"integration must be 'quadrature' or 'mc', got {self.integration!r}")

    def integration_kwargs(self, key):
        return {"integration": self.integration, "quadrature_nodes": self.quadrature_nodes,
                "mc_samples": self.mc_samples,
                "rng": np.random.default_rng(list(key) + [_STREAM_INTEGRAL])}


def _check_int(name, value, minimum):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")


@dataclass
class Selection:
    """Outcome of choosing K for one data matrix."""

    n_components: int
    scores: dict = field(default_factory=dict)
    params: tuple = ()
    max_reached: bool = False


def min_samples(n_dims, settings):
    """Fewest samples for which the CV folds can hold a mixture of dimension n_dims."""
    return max(10, 2 * settings.n_folds * (n_dims + 1))


def _inits(X, sample_weights, n_components, rng, reg_covar):
    starts = [kmeanspp_init(X, sw, n_components, rng, reg_covar) for sw in sample_weights]
    return tuple(np.stack(part) for part in zip(*starts))


def _fit(X, sample_weights, starts, settings, tol=None):
    return fit_batch(X, sample_weights, *starts, tol=settings.tol if tol is None else tol,
                     reg_covar=settings.reg_covar, max_iter=settings.max_iter,
                     accelerate=settings.accelerate)


def _n_parameters(n_components, n_dims):
    return n_components * (n_dims + n_dims * (n_dims + 1) // 2) + n_components - 1


def _take(params, index):
    return tuple(p[index] for p in params)


def _evaluate_k(X, n_components, settings, key, train, held_out):
    """Fit every init x fold for one K; return (score, parameters of the best fit)."""
    n_samples, n_dims = X.shape
    rng = np.random.default_rng(list(key) + [_STREAM_INITS, n_components])
    if settings.selection == "validation":
        sample_weights = np.tile(train, (settings.n_inits, 1))
        fitted = _fit(X, sample_weights, _inits(X, sample_weights, n_components, rng,
                                                settings.reg_covar), settings,
                      settings.selection_tol)
        held = score_batch(X, np.tile(held_out, (settings.n_inits, 1)), *fitted[:3])
        held = held.reshape(settings.n_inits, settings.n_folds)
        best_init = int(np.argmax(held.mean(axis=1)))
        best_fit = best_init * settings.n_folds + int(np.argmax(held[best_init]))
        return float(held[best_init].mean()), _take(fitted[:3], best_fit)
    sample_weights = np.ones((settings.n_inits, n_samples))
    fitted = _fit(X, sample_weights, _inits(X, sample_weights, n_components, rng,
                                            settings.reg_covar), settings, settings.selection_tol)
    loglik = score_batch(X, sample_weights, *fitted[:3])
    per_sample = {"aic": 2.0, "bic": np.log(n_samples)}[settings.selection] / (2 * n_samples)
    alive = (fitted[0] > 0).sum(axis=1)
    scores = loglik - per_sample * np.array([_n_parameters(k, n_dims) for k in alive])
    best = int(np.argmax(scores))
    return float(scores[best]), _take(fitted[:3], best)


def select_components(X, settings, key):
    """Choose the number of components of a mixture for ``X`` (n_samples, n_dims).

    For K = 1, 2, ...: fit ``n_inits`` k-means++ starts on each of ``n_folds``
    training folds; an init's score is its mean held-out log-likelihood over the
    folds (or -AIC/2N, -BIC/2N on all data) and K's score that of its best init.
    K grows until the score has improved by less than ``threshold_components``
    ``patience`` times in a row; the last K that improved by at least that much
    is kept.  Its best fit starts a final fit on all the data.
    """
    n_samples = X.shape[0]
    all_weights = np.ones((1, n_samples))
    if settings.fixed_components is not None:
        rng = np.random.default_rng(list(key) + [_STREAM_INITS, settings.fixed_components])
        sample_weights = np.ones((settings.n_inits, n_samples))
        fitted = _fit(X, sample_weights, _inits(X, sample_weights, settings.fixed_components,
                                                rng, settings.reg_covar), settings)
        best = int(np.nanargmax(fitted[3]))
        return Selection(settings.fixed_components, {}, _take(fitted[:3], slice(best, best + 1)))

    fold_rng = np.random.default_rng(list(key) + [_STREAM_FOLDS])
    fold_of = np.empty(n_samples, dtype=np.int64)
    fold_of[fold_rng.permutation(n_samples)] = np.arange(n_samples) % settings.n_folds
    held_out = (fold_of[None, :] == np.arange(settings.n_folds)[:, None]).astype(np.float64)
    train = 1.0 - held_out

    scores = {}
    best_k, best_score, best_params = 0, -np.inf, None
    stalled = 0
    for n_components in range(1, settings.max_components + 1):
        score, params = _evaluate_k(X, n_components, settings, key, train, held_out)
        scores[n_components] = score
        if best_params is None or score - best_score >= settings.threshold_components:
            best_k, best_score, best_params = n_components, score, params
            stalled = 0
        else:
            stalled += 1
            if stalled >= settings.patience:
                break
    max_reached = stalled < settings.patience
    if max_reached:
        warnings.warn(f"the number of components reached max_components={settings.max_components}"
                      " without the selection score levelling off", RuntimeWarning, stacklevel=3)
    start = tuple(p[None] for p in best_params)
    final = _fit(X, all_weights, start, settings)
    return Selection(best_k, scores, final[:3], max_reached)


def bootstrap_weights(n_samples, n_bootstrap, key):
    """Multinomial resample counts, one row per bootstrap: (n_bootstrap, n_samples)."""
    rng = np.random.default_rng(list(key) + [_STREAM_BOOTSTRAP])
    picks = rng.integers(n_samples, size=(n_bootstrap, n_samples))
    offsets = (np.arange(n_bootstrap) * n_samples)[:, None]
    counts = np.bincount((picks + offsets).ravel(), minlength=n_bootstrap * n_samples)
    return counts.reshape(n_bootstrap, n_samples).astype(np.float64)


def refit(X, sample_weights, start, settings):
    """Refit on each row of ``sample_weights``, warm-started from ``start``.

    ``start`` holds parameters with a leading dimension of 1 (the same start for
    every fit) or of ``len(sample_weights)``.
    """
    n_fits = sample_weights.shape[0]
    starts = tuple(np.broadcast_to(p, (n_fits,) + p.shape[1:]) for p in start)
    return _fit(X, sample_weights, starts, settings)[:3]
