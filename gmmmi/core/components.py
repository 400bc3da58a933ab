"""The number of components: the walk over K, scored by cross-validated held-out
likelihood, and the fits it chooses."""

import dataclasses
import warnings
from dataclasses import dataclass, field

import numpy as np

from .engine import Mixtures, fit_batch, kmeanspp_init, pointwise_batch, score_batch
from .settings import _STREAM_FOLDS, _STREAM_INITS, _STREAM_SUBSAMPLE

# The warning of a walk that stopped at the cap (the status says max-components).
MAX_REACHED = ("the number of components reached max_components={} without the selection "
               "score levelling off")


# K whose held-out log-likelihood is within this many standard errors of the chosen
# K's cannot be told apart from it by the data: selection walks on over them (a
# plateau, not a stop) and the interval reaches their values.  1, 1.5 and 2 were
# compared (benchmarks/measured/interval-ab.md): 2 covers the truth most often at
# N = 1000 and 5000.
PLAUSIBLE_SE = 2.0


# Selection stops this many K past the kept one even on a plateau: a longer walk gained
# nothing on the benchmark (3 to 6 and unlimited were compared, interval-ab.md), and
# 1-D fits of a Gaussian walk on slow declines that never turn.
PLATEAU_LIMIT = 5


# Once the split start (the previous K's best fit with a component split) has been the
# best start for this many K in a row, later K fit it alone until one scores clearly
# worse: in a trial on five hard tasks at N = 10^4 (walks of 16 to 44 K), the k-means++
# starts won 6 of the 83 K after such a streak, and they cost two thirds of the walk.
SPLIT_STREAK = 3


# Above this many samples K is chosen on this many of them (drawn from the key), and the
# chosen and plausible K are then fitted on all the data: the walk over K costs what it
# costs at this N, whatever the pair's (benchmarks/measured/big_n.md).
SELECTION_SAMPLES = 20_000


# The walk over K steps by a quarter of K (at least 1): K = 1, ..., 8, 10, 12, 15, 18, 22,
# 27, 33, 41, then max_components.  Where many components are needed, neighbouring K
# differ by less than the held-out score can tell (they were plausible together), and
# each step's fits cost as much as one of 1.  Reaching K = 50 takes 14 steps, not 50.
K_GROWTH = 0.25


# n_folds=None: walks on fewer than this many rows hold out a third of them at a time,
# not half.  Two folds choose K for half the rows, and a small sample needs all the
# components it can support: on the 26 tasks of benchmarks/accuracy.py (5 samples each)
# 3 folds took the MAE from 0.0615 to 0.0512 at N = 200 (KSG: 0.0583) and from 0.0227 to
# 0.0214 at 1000, coverage 0.92 -> 0.94 and 0.96 -> 0.98; at 5000 it gained nothing
# (0.0082 against 0.0081) for 1.5 times the time.  5 folds: 0.0544 and 0.0218.
SMALL_WALK_SAMPLES = 2_000


SMALL_WALK_FOLDS = 3


@dataclass
class Selection:
    """Outcome of choosing K for one data matrix."""

    n_components: int
    scores: dict = field(default_factory=dict)
    params: tuple = ()
    max_reached: bool = False
    plausible: dict = field(default_factory=dict)
    path: dict = field(default_factory=dict)
    # validation only: each K's best fit on each training fold, which rows of the data the
    # walk used (None: all) and the fold that holds out each of them
    folds: dict = field(default_factory=dict)
    rows: np.ndarray | None = None
    fold_of: np.ndarray | None = None


def min_samples(n_dims, settings):
    """Fewest samples for which the CV folds can hold a mixture of dimension n_dims."""
    return max(10, 2 * (settings.n_folds or 2) * (n_dims + 1))


def folds_for(n_samples, settings):
    """The CV folds of a walk over ``n_samples`` rows: ``n_folds``, or with None
    ``SMALL_WALK_FOLDS`` below ``SMALL_WALK_SAMPLES`` rows and 2 from there."""
    if settings.n_folds is not None:
        return settings.n_folds
    return SMALL_WALK_FOLDS if n_samples < SMALL_WALK_SAMPLES else 2


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
    return Mixtures(*(p[index] for p in params))


def _evaluate_k(X, n_components, settings, key, fold_of, previous=None, split_only=False):
    """Fit every start x fold for one K.

    The ``n_inits`` starts are k-means++ seedings; given ``previous`` (each fold's best
    fit with K - 1 components, validation only), the last of them is that fit with its
    broadest component split in two, and with ``split_only`` it is the only start.
    Returns the score, the best fit's parameters, the per-sample held-out
    log-likelihood of the best start (validation; each sample is held out in one fold,
    None otherwise; float32, one is kept per K), each fold's best fit and whether the
    split start was the best.
    """
    n_samples, n_dims = X.shape
    rng = np.random.default_rng(list(key) + [_STREAM_INITS, n_components])
    if settings.selection == "validation":
        split_only = split_only and previous is not None
        n_starts, n_folds = (1 if split_only else settings.n_inits), int(fold_of.max()) + 1
        train = (fold_of[None, :] != np.arange(n_folds)[:, None]).astype(np.uint8)
        sample_weights = np.tile(train, (n_starts, 1))
        n_seeded = n_folds * (n_starts - (previous is not None))
        starts = [_inits(X, sample_weights[:n_seeded], n_components, rng, settings.reg_covar)
                  ] if n_seeded else []
        if previous is not None:
            split = [_grown(_take(previous, fold), n_components) for fold in range(n_folds)]
            starts.append(tuple(np.stack(part) for part in zip(*split)))
        starts = tuple(np.concatenate(parts) for parts in zip(*starts))
        fitted = _fit(X, sample_weights, starts, settings, settings.selection_tol)
        fold_sizes = np.bincount(fold_of, minlength=n_folds)
        held, pointwise = np.empty((n_starts, n_folds)), []
        for start in range(n_starts):  # one start's folds at a time: memory ~ n_folds x N
            fits = slice(start * n_folds, (start + 1) * n_folds)
            logp = pointwise_batch(X, *(p[fits] for p in fitted.mixtures))
            on_held_out = logp[fold_of, np.arange(n_samples)]
            held[start] = np.bincount(fold_of, on_held_out, n_folds) / fold_sizes
            pointwise.append(on_held_out.astype(np.float32))
        best_start = int(np.argmax(held.mean(axis=1)))
        best_fit = best_start * n_folds + int(np.argmax(held[best_start]))
        per_fold = np.argmax(held, axis=0) * n_folds + np.arange(n_folds)
        return (float(held[best_start].mean()), _take(fitted.mixtures, best_fit),
                pointwise[best_start], _take(fitted.mixtures, per_fold),
                previous is not None and best_start == n_starts - 1)
    sample_weights = np.ones((settings.n_inits, n_samples), dtype=np.uint8)
    fitted = _fit(X, sample_weights, _inits(X, sample_weights, n_components, rng,
                                            settings.reg_covar), settings, settings.selection_tol)
    loglik = score_batch(X, sample_weights, *fitted.mixtures)
    per_sample = {"aic": 2.0, "bic": np.log(n_samples)}[settings.selection] / (2 * n_samples)
    alive = (fitted.weights > 0).sum(axis=1)
    scores = loglik - per_sample * np.array([_n_parameters(k, n_dims) for k in alive])
    best = int(np.argmax(scores))
    return float(scores[best]), _take(fitted.mixtures, best), None, None, False


def split_component(weights, means, covariances):
    """A mixture with one more component: the broadest one split along its main axis.

    The component with the largest weight x sqrt(det covariance) becomes two, each of
    half its weight, with means half a standard deviation either side along its
    principal axis and the variance along that axis reduced to keep the pair's
    moments.  Growing K this way keeps what K - 1 components found, so the held-out
    score rises steadily while more components help instead of stalling on a poor
    local optimum (which stopped selection early on hard-edged joints).
    """
    size = np.where(weights > 0, weights * np.sqrt(np.abs(np.linalg.det(covariances))), -1.0)
    k = int(np.argmax(size))
    eigenvalues, eigenvectors = np.linalg.eigh(covariances[k])
    step = 0.5 * np.sqrt(eigenvalues[-1]) * eigenvectors[:, -1]
    narrower = covariances[k] - np.outer(step, step)
    weights = np.append(weights, weights[k] / 2)
    weights[k] /= 2
    means = np.vstack([means, means[k] + step])
    means[k] = means[k] - step
    covariances = np.concatenate([covariances, narrower[None]])
    covariances[k] = narrower
    return weights, means, covariances


def _levels_off(selection, capped):
    return not selection.max_reached and selection.n_components < capped.max_components


def _grown(params, n_components):
    """A mixture grown to ``n_components`` by splitting its broadest component in turn."""
    while len(params[0]) < n_components:
        params = split_component(*params)
    return params


def next_components(n_components, settings):
    """The K the selection walk tries after ``n_components`` (see ``K_GROWTH``)."""
    return min(settings.max_components, n_components + max(1, int(n_components * K_GROWTH)))


def select_components(X, settings, key, final=True, walk_samples=SELECTION_SAMPLES):
    """Choose the number of components of a mixture for ``X`` (n_samples, n_dims).

    For K = 1, 2, ... (steps of ``K_GROWTH`` above K = 8): fit ``n_inits`` starts
    (k-means++ seedings, the last replaced by the previous K's best fit with components
    split; the split start alone once it has won ``SPLIT_STREAK`` K in a row) on each of
    ``n_folds`` training folds (on ``walk_samples`` of the rows above that many); a
    start's score is its mean held-out log-likelihood over the folds (or -AIC/2N,
    -BIC/2N on all data) and K's score that of its best start.  The last K
    that improved the best score by at least ``threshold_components`` is kept.  With
    validation, a K whose held-out log-likelihood is within ``PLAUSIBLE_SE`` paired
    standard errors of the kept K's is *plausible* (the data cannot tell it from the
    kept one); selection walks on over such plateaus, which on hard-edged joints
    precede further gains, and stops when ``patience`` K have scored clearly worse
    than the kept one, or ``PLATEAU_LIMIT`` K past it.  The kept K's best fit starts a
    final fit on all the data; the plausible K's best fits are in
    ``Selection.plausible``, for the interval (with ``final`` False, ``params`` is that
    best fit itself: see ``fit_selected``).
    """
    n_samples = X.shape[0]
    if settings.fixed_components is not None:
        rng = np.random.default_rng(list(key) + [_STREAM_INITS, settings.fixed_components])
        sample_weights = np.ones((settings.n_inits, n_samples), dtype=np.uint8)
        fitted = _fit(X, sample_weights, _inits(X, sample_weights, settings.fixed_components,
                                                rng, settings.reg_covar), settings)
        best = int(np.nanargmax(fitted.loglik))
        alive = int(np.count_nonzero(fitted.weights[best]))
        if alive < settings.fixed_components:
            warnings.warn(f"fixed_components={settings.fixed_components}: only {alive} "
                          f"component{'s' if alive != 1 else ''} kept enough samples to be "
                          f"fitted ({n_samples} samples)", RuntimeWarning, stacklevel=3)
        return Selection(settings.fixed_components, {},
                         _take(fitted.mixtures, slice(best, best + 1)))

    walked, rows = X, None
    if n_samples > walk_samples:
        rows = np.sort(np.random.default_rng(list(key) + [_STREAM_SUBSAMPLE]).choice(
            n_samples, walk_samples, replace=False))
        walked = np.ascontiguousarray(X[rows])
        n_samples = walk_samples
    fold_rng = np.random.default_rng(list(key) + [_STREAM_FOLDS])
    fold_of = np.empty(n_samples, dtype=np.int64)
    fold_of[fold_rng.permutation(n_samples)] = np.arange(n_samples) % folds_for(n_samples, settings)

    scores, fits, pointwise, folds = {}, {}, {}, {}
    best_k, best_score = 0, -np.inf
    stalled = split_streak = 0
    previous = None
    n_components = 0
    while n_components < settings.max_components:
        n_components = next_components(n_components, settings)
        score, params, pointwise[n_components], previous, split_won = _evaluate_k(
            walked, n_components, settings, key, fold_of, previous,
            split_only=split_streak >= SPLIT_STREAK)
        scores[n_components], fits[n_components] = score, params
        if previous is not None:
            folds[n_components] = previous
        improved = best_k == 0 or score - best_score >= settings.threshold_components
        split_streak = split_streak + 1 if split_won else 0
        if improved:
            best_k, best_score = n_components, score
            stalled = 0
        elif not _indistinct(pointwise[n_components], pointwise[best_k]):
            split_streak = 0  # a K clearly worse brings the k-means++ starts back
            stalled += 1
            if stalled >= settings.patience:
                break
        if n_components - best_k >= PLATEAU_LIMIT:
            break  # a plateau this long holds no further gain
    max_reached = (n_components == settings.max_components and stalled < settings.patience
                   and n_components - best_k < PLATEAU_LIMIT)
    if max_reached:
        warnings.warn(MAX_REACHED.format(settings.max_components), RuntimeWarning, stacklevel=3)
    plausible = {k: fits[k] for k in scores
                 if k != best_k and _indistinct(pointwise[k], pointwise[best_k])}
    selection = Selection(best_k, scores, tuple(p[None] for p in fits[best_k]), max_reached,
                          plausible, fits, folds, rows,
                          fold_of if settings.selection == "validation" else None)
    return fit_selected(X, selection, settings) if final else selection


def fit_selected(X, selection, settings):
    """The selection with its kept K's best fit refitted on all of ``X`` (its params).

    Above ``SELECTION_SAMPLES`` this fit stops at ``selection_tol``, as the walk's fits
    did: where it matters (many components creeping towards hard edges: 116 EM steps
    more at N = 10^5, K = 50, 5 s) the value is still moving with K, and the interval
    reaches the walk's trend, which was measured at that tolerance.
    """
    tol = settings.selection_tol if len(X) > SELECTION_SAMPLES else None
    final = _fit(X, np.ones((1, len(X)), dtype=np.uint8), selection.params, settings, tol)
    return dataclasses.replace(selection, params=final.mixtures)


def _indistinct(pointwise, best):
    """Whether held-out log-likelihoods (per sample) are within PLAUSIBLE_SE paired
    standard errors of the best's."""
    if best is None:
        return False
    diff = pointwise.astype(np.float64) - best
    return diff.mean() >= -PLAUSIBLE_SE * diff.std() / np.sqrt(len(diff))


def refitted_plausible(selection):
    """The plausible K that are fitted on all the data: the smallest and the largest.

    The quantity moves with K mostly one way, so these two hold its extremes among the
    plausible K; refitting every one of them (up to a dozen on hard edges) cost more than
    the selection itself at N = 10^4.
    """
    ks = sorted(selection.plausible)
    return sorted({ks[0], ks[-1]}) if ks else []


def fit_plausible(X, selection, settings):
    """Fits on all of ``X`` for the plausible K of ``refitted_plausible`` (one batch).

    Each starts from its best selection fit and stops at ``selection_tol`` (they only
    move the interval's ends); the batch is padded to the largest K with absent
    components.  Returns (weights, means, covariances) with a leading axis in
    the order of ``refitted_plausible(selection)``, or None when there are none.
    """
    ks = refitted_plausible(selection)
    if not ks:
        return None
    starts = tuple(np.stack([pad_components(selection.plausible[k][i], ks[-1]) for k in ks])
                   for i in range(3))
    return _fit(X, np.ones((len(ks), len(X)), dtype=np.uint8), starts, settings,
                settings.selection_tol).mixtures


def pad_components(params, n_components):
    """Pad a mixture parameter array with absent components up to ``n_components``."""
    extra = n_components - params.shape[0]
    if extra == 0:
        return params
    if params.ndim == 1:
        return np.concatenate([params, np.zeros(extra)])
    filler = np.repeat(params[:1], extra, axis=0)
    return np.concatenate([params, filler])
