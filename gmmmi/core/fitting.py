"""Choosing the number of components and refitting on bootstrap resamples.

Randomness comes only from ``numpy.random.default_rng(key + stream)`` where
``key`` derives from the user's seed (and, for categorical data, the category),
so results never depend on scheduling or thread count.
"""

import contextlib
import contextvars
import dataclasses
import warnings
from dataclasses import dataclass, field

import numpy as np
from scipy import special

from . import validation as check
from .engine import fit_batch, kmeanspp_init, pointwise_batch, score_batch
from .mixture import copula_logpdf
from .result import check_unit

(_STREAM_FOLDS, _STREAM_INITS, _STREAM_BOOTSTRAP, _STREAM_INTEGRAL, _STREAM_SUBSAMPLE,
 _STREAM_TIES) = range(6)
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
# A categorical pair's categories share the walk's SELECTION_SAMPLES rows in proportion
# to their sizes, each walking on at least this many of its rows (all of them below):
# with auto marginals a category may be walked in two spaces (select_category_space),
# and 4 categories of 250,000 rows walked 20,000 each.  Fewer rows chose the space
# worse (2,000: see select_category_space).
CATEGORY_WALK_SAMPLES = 5_000
# marginals="auto": when the normal scores of ranks need at least this many components,
# the standardised data are tried too, and taken when their walk levels off with at most
# half as many.  A joint that is a mixture of a few Gaussians in the data's own
# coordinates (the paper's D3: 3 components; normal scores: 15 at N = 10^4, 50 at 10^5)
# is fitted as one; heavy tails, hard bounds and skew keep the normal scores, where
# standardised data need more components (benchmarks/measured/big_n.md).
AUTO_TRY_FROM = 4
# ... and that trial walk stops at this many components at most: it looks for a few
# Gaussians, and on the joints that keep the normal scores (hard edges, K = 27-50) a
# longer one cost as much again as the first walk.
AUTO_MAX_COMPONENTS = 12
# The trial walks on at most this many rows first (the few Gaussians show at that size:
# D3 takes 3 components from N = 1000); only when it levels off is it walked again on
# the rows the first space used.
AUTO_TRIAL_SAMPLES = 5_000
# For more than two dimensions the other space is always tried, walked up to this many
# times the first space's K, and compared on the held-out copula (``_by_copula``): in
# normal scores a multivariate Student-t of identity scale took 2-6 components and gave
# a third to half of its MI; in its own coordinates (a scale mixture of Gaussians) BMI's
# Student-t tasks at 3+3 and 5+5 went from an MAE of 0.153 to 0.056
# (benchmarks/measured/accuracy_vector_bmi.md, against history/accuracy_vector_bmi-before.md).
VECTOR_TRY_FACTOR = 2
# ... and after it, when the standardised copula was clearly better than the normal
# scores' or the normal scores' fit missed dependence (heavy joint tails), Student-t
# scores of the ranks of these degrees of freedom (``validation.student_scores``), walked
# with all ``n_inits`` starts: a multivariate t whose marginals went through any monotone
# map (BMI's asinh) is again a scale mixture of Gaussians there when the degrees agree,
# which neither the normal scores nor the mapped data are.  On BMI's Student-t tasks at
# N = 5000 (27 runs) the MAE went from 0.069 to 0.037, coverage from 0.78 to 0.85, and no
# run was off by more than 4 std (3 were): asinh 5+5 from 0.25 nat low to 0.06. A walk with
# one start stopped there at K = 3 where three starts went on to 6, with a held-out copula
# better by 0.1 to 0.2 nat a row; 5 degrees of freedom won only by noise, 0.07 nat low.
STUDENT_SCORES = {"t3": 3, "t2": 2}
# Bootstrap refits run in batches whose resample counts (one byte per sample and fit)
# take at most this much memory, so a pair's memory is bounded whatever N; each fit's
# counts come from its own stream, so batching never changes a result.
WEIGHT_BUDGET_BYTES = 32 * 2**20
# From this many samples, bootstrap_method="auto" takes the linear bootstrap instead of
# refitting every resample: there the two agree (at N = 10^4 the refit values follow the
# linear ones with correlation 0.97, median over 16 tasks, and a std ratio of 0.84-1.01,
# benchmarks/measured/linear_bootstrap.md) and the refits are most of a pair's time.
LINEAR_BOOTSTRAP_SAMPLES = 10_000


@dataclass(frozen=True)
class Settings:
    """Estimator settings (defaults as in Piras et al. 2023)."""

    n_inits: int = 3
    n_folds: int | None = None
    selection: str = "validation"
    threshold_components: float = 1e-5
    patience: int = 2
    max_components: int = 50
    fixed_components: int | None = None
    tol: float = 1e-5
    selection_tol: float = 1e-4
    bootstrap_tol: float = 1e-4
    accelerate: bool = True
    reg_covar: float = 1e-6
    max_iter: int = 1000
    integration: str = "quadrature"
    quadrature_nodes: int = 1024
    mc_samples: int = 100_000
    marginals: str = "auto"
    bootstrap_method: str = "auto"

    def __post_init__(self):
        for name, (kind, bound) in RULES.items():
            _check(name, kind, bound, getattr(self, name))

    def integration_kwargs(self, key):
        return {"integration": self.integration, "quadrature_nodes": self.quadrature_nodes,
                "mc_samples": self.mc_samples,
                "rng": np.random.default_rng(list(key) + [_STREAM_INTEGRAL])}


# What each setting accepts, stated once: ``Settings`` checks it, and the workflow's
# config schema says the same (``schema_properties``; a test holds the two together).
# kind: "int" (>= bound), "optional int" (None or >= bound), "number" (finite, >= bound),
# "fraction" (>= bound and < 1: reg_covar is in units of the data's variance, which 1 or
# more swamps), "bool", "choice" (one of bound).
RULES = {
    "n_inits": ("int", 1),
    "n_folds": ("optional int", 2),
    "selection": ("choice", ("validation", "aic", "bic")),
    "threshold_components": ("number", 0),
    "patience": ("int", 1),
    "max_components": ("int", 1),
    "fixed_components": ("optional int", 1),
    "tol": ("number", 0),
    "selection_tol": ("number", 0),
    "bootstrap_tol": ("number", 0),
    "accelerate": ("bool", None),
    "reg_covar": ("fraction", 0),
    "max_iter": ("int", 1),
    "integration": ("choice", ("quadrature", "mc")),
    "quadrature_nodes": ("int", 1),
    "mc_samples": ("int", 1000),  # fewer: the integral's own error swamps the estimate
    "marginals": ("choice", ("auto", "rank", "standardise")),
    "bootstrap_method": ("choice", ("auto", "refit", "linear")),
}


SETTING_NAMES = tuple(f.name for f in dataclasses.fields(Settings))
# The estimator's parameters besides the settings (and categorical, unit), with their
# defaults: GMMMI's, which a test holds to these.
RUN_DEFAULTS = {"n_bootstrap": 50, "seed": 0}


# Settings that were renamed: the old name is refused with the new one.
RENAMED = {"transform": "marginals"}


def make_settings(settings):
    """``Settings`` from a dict, with a one-line ``ValueError`` for an unknown name."""
    unknown = sorted(set(settings) - set(SETTING_NAMES))
    if unknown and unknown[0] in RENAMED:
        raise ValueError(f"the setting {unknown[0]!r} is now called {RENAMED[unknown[0]]!r}")
    if unknown:
        raise ValueError(f"unknown setting {unknown[0]!r}; valid settings: "
                         + ", ".join(SETTING_NAMES))
    return Settings(**settings)


def check_options(n_bootstrap=RUN_DEFAULTS["n_bootstrap"], seed=RUN_DEFAULTS["seed"],
                  unit="nat", resample_seed=None, **settings):
    """The estimator's ``Settings`` from its parameters (those of ``GMMMI`` but
    ``categorical``), with a one-line ``ValueError`` for an unknown name or a bad value."""
    checked = make_settings(settings)
    if isinstance(n_bootstrap, bool) or not isinstance(n_bootstrap, (int, np.integer)) \
            or n_bootstrap < 0:
        raise ValueError(f"n_bootstrap must be an integer >= 0, got {n_bootstrap!r}")
    if n_bootstrap == 1:  # its value would stand for the estimate, outside its interval
        raise ValueError("n_bootstrap must be 0 (one fit, no interval) or at least 2 (one "
                         "resample has no spread), got 1")
    for name, value in (("seed", seed), ("resample_seed", resample_seed)):
        if value is not None or name == "seed":
            _check_int(name, value, 0)
    check_unit(unit)
    return checked


def _check(name, kind, bound, value):
    if kind == "optional int" and value is None:
        return
    if kind in ("int", "optional int"):
        _check_int(name, value, bound)
    elif kind in ("number", "fraction"):
        if isinstance(value, bool) or not isinstance(value, (int, float, np.number)) \
                or not np.isfinite(value) or value < bound:
            raise ValueError(f"{name} must be a non-negative number, got {value!r}")
        if kind == "fraction" and value >= 1:
            raise ValueError(f"{name} must be below 1 (a share of the data's variance), "
                             f"got {value!r}")
    elif kind == "bool":
        if not isinstance(value, (bool, np.bool_)):
            raise ValueError(f"{name} must be true or false, got {value!r}")
    elif value not in bound:
        options = ", ".join(f"'{b}'" for b in bound[:-1]) + f" or '{bound[-1]}'"
        raise ValueError(f"{name} must be {options}, got {value!r}")


def _check_int(name, value, minimum):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")


def schema_properties():
    """The JSON-schema properties of the settings, as the workflow's config states them."""
    def one(kind, bound):
        if kind == "int":
            return {"type": "integer", "minimum": bound}
        if kind == "optional int":
            return {"type": ["integer", "null"], "minimum": bound}
        if kind == "number":
            return {"type": "number", "minimum": bound}
        if kind == "fraction":
            return {"type": "number", "minimum": bound, "exclusiveMaximum": 1}
        if kind == "bool":
            return {"type": "boolean"}
        return {"enum": list(bound)}
    return {name: one(*rule) for name, rule in RULES.items()}


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
    return tuple(p[index] for p in params)


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
            split = [grown(_take(previous, fold), n_components) for fold in range(n_folds)]
            starts.append(tuple(np.stack(part) for part in zip(*split)))
        starts = tuple(np.concatenate(parts) for parts in zip(*starts))
        fitted = _fit(X, sample_weights, starts, settings, settings.selection_tol)
        fold_sizes = np.bincount(fold_of, minlength=n_folds)
        held, pointwise = np.empty((n_starts, n_folds)), []
        for start in range(n_starts):  # one start's folds at a time: memory ~ n_folds x N
            fits = slice(start * n_folds, (start + 1) * n_folds)
            logp = pointwise_batch(X, *(p[fits] for p in fitted[:3]))
            on_held_out = logp[fold_of, np.arange(n_samples)]
            held[start] = np.bincount(fold_of, on_held_out, n_folds) / fold_sizes
            pointwise.append(on_held_out.astype(np.float32))
        best_start = int(np.argmax(held.mean(axis=1)))
        best_fit = best_start * n_folds + int(np.argmax(held[best_start]))
        per_fold = np.argmax(held, axis=0) * n_folds + np.arange(n_folds)
        return (float(held[best_start].mean()), _take(fitted[:3], best_fit),
                pointwise[best_start], _take(fitted[:3], per_fold),
                previous is not None and best_start == n_starts - 1)
    sample_weights = np.ones((settings.n_inits, n_samples), dtype=np.uint8)
    fitted = _fit(X, sample_weights, _inits(X, sample_weights, n_components, rng,
                                            settings.reg_covar), settings, settings.selection_tol)
    loglik = score_batch(X, sample_weights, *fitted[:3])
    per_sample = {"aic": 2.0, "bic": np.log(n_samples)}[settings.selection] / (2 * n_samples)
    alive = (fitted[0] > 0).sum(axis=1)
    scores = loglik - per_sample * np.array([_n_parameters(k, n_dims) for k in alive])
    best = int(np.argmax(scores))
    return float(scores[best]), _take(fitted[:3], best), None, None, False


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


def more_than_a_pair(data):
    """Whether ``data`` have more columns than a pair's two (vectors, conditional MI):
    their space is chosen on the held-out copula (``_by_copula``) and their interval
    reaches what the held-out rows hold beyond the mixture (``estimator._missed``)."""
    return data.shape[1] > 2


def transforms(settings, atoms=False):
    """The spaces ``settings.marginals`` lets a fit use, in order of preference; with
    ``atoms`` (a column has an atom, ``validation.has_atoms``) "auto" keeps the normal
    scores, whose ranks break ties (``tie_key``): standardised, an atom is one point."""
    if settings.marginals != "auto":
        return (settings.marginals,)
    return ("rank",) if atoms else ("rank", "standardise")


# The spaces built on ranks, where ties are broken at random (``validation.break_ties``).
RANK_SPACES = ("rank",) + tuple(STUDENT_SCORES)


def tie_key(key):
    """The random key that breaks a data set's ties (``validation.ranks``)."""
    return list(key) + [_STREAM_TIES]


def select_space(spaces, settings, key, missed=None):
    """Choose the space of the fit and its number of components.

    ``spaces`` maps a space's name to a function that returns the data in it, in order
    of preference.  The first space's selection is kept unless another space fits
    better: for a pair (two dimensions) when the first needs at least ``AUTO_TRY_FROM``
    components and the other's walk, capped at half as many (and at
    ``AUTO_MAX_COMPONENTS``), levels off below the cap, on ``AUTO_TRIAL_SAMPLES`` rows
    and then on as many as the first walk (with one start per K instead of
    ``n_inits`` that walk missed D3's three clusters in 3 of 24 samples at N = 10^4 to
    10^6); for more dimensions (vectors, conditional MI) when the other's copula fits
    the held-out data better, or ``missed`` says that only the first's fit misses
    dependence (``_by_copula``).  Returns (name, data, Selection, others): ``others``
    maps each other space whose fit the held-out copula cannot tell from the chosen
    one's to (its data, its fit on them), for the interval (more than two dimensions
    only; empty otherwise).
    """
    names = list(spaces)
    data = spaces[names[0]]()
    if settings.fixed_components is not None:  # nothing to choose: K is set
        return names[0], data, select_components(data, settings, key), {}
    selection = select_components(data, settings, key, final=False)
    if more_than_a_pair(data) and selection.fold_of is not None:
        name, data, selection, others = _by_copula(spaces, names, data, selection, settings,
                                                   key, missed)
        others = {other: (other_data, fit_selected(other_data, trial, settings))
                  for other, (other_data, trial) in others.items()}
        return name, data, fit_selected(data, selection, settings), others
    for name in names[1:]:
        if selection.n_components < AUTO_TRY_FROM:
            break
        capped = dataclasses.replace(settings, max_components=min(
            selection.n_components // 2, AUTO_MAX_COMPONENTS))
        with _trials():
            other_data = _prepared(spaces, name)
            if other_data is None:
                continue
            other = select_components(other_data, capped, key, final=False,
                                      walk_samples=AUTO_TRIAL_SAMPLES)
            if _levels_off(other, capped) and len(other_data) > AUTO_TRIAL_SAMPLES:
                other = select_components(other_data, capped, key, final=False)
        if _levels_off(other, capped):
            names[0], data, selection = name, other_data, other
    return names[0], data, fit_selected(data, selection, settings), {}


def _by_copula(spaces, names, data, selection, settings, key, missed=None):
    """(name, data, selection, others) of the space whose fit ties the variables together
    best, and the other spaces as good as it (``others``: name -> (data, trial walk)).

    Each other space is walked on the same rows and folds, with one start per K (the
    split start from K = 2: a third of the fits, and the same choices on 14 samples of
    6 tasks), up to ``VECTOR_TRY_FACTOR`` times the first's K (at least
    ``AUTO_TRY_FROM``); a walk stopped by that cap that is not clearly worse than the
    best so far goes on to ``AUTO_MAX_COMPONENTS``.  The spaces of ``STUDENT_SCORES``
    are walked only when the joint tails are heavy (``_heavy_tails``), with all
    ``n_inits`` starts, and the walks of one start are then walked again so (the spaces
    are compared as equals).  A space may be taken when its copula fits the held-out
    rows better than the first's by more than ``PLAUSIBLE_SE`` paired standard errors
    (``_paired_gain``), or when ``missed(selection, data)`` (the estimator's held-out
    check of its quantity, ``estimator._missed``) finds that the first space's fit
    misses dependence and its own does not: there the copula's fit overall and the
    quantity disagree (a Student-t 5+5 of 2 dof whose normal scores held out better by
    6 standard errors gave 0.20 for 0.45, the standardised fit 0.62 with an interval
    that holds it).  Of those, the best copula is taken, and walked again with the full
    settings unless its walk already had them and stopped below its cap.  Marginal
    transforms leave the data's copula unchanged, so this compares the fits on what
    the information depends on; where several spaces fit it equally well, their values
    differ by what the data cannot tell.
    """
    ranks = check.ranks(data, selection.rows)  # the walks' rows, as every walk's here
    first = names[0]
    # name -> (data, walk, held-out copula, walked with all n_inits)
    walked = {first: (data, selection, held_out_copula(selection, ranks), True)}
    top = min(settings.max_components, AUTO_MAX_COMPONENTS)
    first_cap = min(top, max(AUTO_TRY_FROM, VECTOR_TRY_FACTOR * selection.n_components))

    def walk(name, n_inits):
        best = max(walked.values(), key=lambda found: found[2].mean())[2]
        with _trials():
            other_data = _prepared(spaces, name)
            if other_data is None:
                return
            for cap in sorted({first_cap, top}):
                trial = select_components(other_data, dataclasses.replace(
                    settings, max_components=cap, n_inits=n_inits), key, final=False)
                copula = held_out_copula(trial, ranks)
                gain = _paired_gain(copula, best)
                if gain > PLAUSIBLE_SE or gain < -PLAUSIBLE_SE or not trial.max_reached:
                    break
        walked[name] = (other_data, trial, copula, n_inits == settings.n_inits)

    for name in names[1:]:
        if name not in STUDENT_SCORES:
            walk(name, 1)
        elif _heavy_tails(walked, first, missed):
            for lighter in [other for other, (*_, full) in walked.items() if not full]:
                walk(lighter, settings.n_inits)  # compared with these as their equal
            walk(name, settings.n_inits)

    def better(name):  # than the first space, on the copula or on missed dependence
        return _paired_gain(walked[name][2], walked[first][2]) > PLAUSIBLE_SE or (
            missed is not None and missed(selection, data) > 0
            and missed(walked[name][1], walked[name][0]) == 0)

    taken = [name for name in walked if name != first and better(name)]
    kept = max(taken, key=lambda name: walked[name][2].mean()) if taken else first
    others = {name: found[:2] for name, found in walked.items()
              if name != kept and _paired_gain(found[2], walked[kept][2]) >= -PLAUSIBLE_SE}
    data, chosen, _, full = walked[kept]
    if kept != first:  # a full walk that stopped below its cap is the uncapped one
        selection = chosen if full and not chosen.max_reached else select_components(
            data, settings, key, final=False)
    return kept, data, selection, others


def _heavy_tails(walked, first, missed):
    """Whether the walks so far (``_by_copula``) show heavy joint tails: the standardised
    data's copula was better than the normal scores' (``first``) by more than
    ``PLAUSIBLE_SE`` paired standard errors, or the normal scores' fit misses dependence
    (``missed``).  Normal data, whose two spaces tie, are not walked again."""
    if "standardise" not in walked:
        return False
    if _paired_gain(walked["standardise"][2], walked[first][2]) > PLAUSIBLE_SE:
        return True
    return missed is not None and missed(walked[first][1], walked[first][0]) > 0


def held_out_copula(selection, ranks):
    """The log copula density of each row the walk held out (``ranks``: the data's
    pseudo-observations at the walk's rows, ``check.ranks``) under the chosen K's fit
    without its fold."""
    out = np.empty(len(ranks))
    fits = selection.folds[selection.n_components]
    for fold in range(fits[0].shape[0]):
        held = selection.fold_of == fold
        out[held] = copula_logpdf(*(p[fold] for p in fits), ranks[held])
    return out


def select_category_space(spaces, codes, present, settings, key):
    """Choose the space of a categorical pair's mixtures (one per category of
    ``present``, category c keyed ``key + (c + 1,)``) and their number of components.

    ``spaces`` maps a space's name to a function giving the continuous variable in it
    (n_samples, n_dims), in order of preference.  When the first space needs at least
    ``AUTO_TRY_FROM`` components in some category, or the variable is a vector, the
    others are walked too, on the same rows and folds, and one is taken when its
    mixtures tell the categories apart better on the held-out rows
    (``held_out_classes``) by more than ``PLAUSIBLE_SE`` paired standard errors. A latent
    that encodes a discrete factor is a few tight clusters, which normal scores spread into
    bands with hard edges: shapes3d's latent 4 against wall hue took K = 27 and gave 0.005
    nat there, where the standardised values take K = 15 and give 0.047 (KSG 0.043), ahead
    by 24 standard errors. The walks are the categories' own (``CATEGORY_WALK_SAMPLES``):
    on ``AUTO_TRIAL_SAMPLES`` rows (500 a category) that comparison went the other way by
    3.5 standard errors,
    and on 2,000 a category three more of that matrix's cells kept normal scores 5 to
    20 times below KSG's value: an MI of a few hundredths does not show against the
    noise of 10 to 15 components on few rows.  Returns (name, data, selections), each
    selection refitted on its category's rows (``fit_selected``).
    """
    names = list(spaces)
    data = spaces[names[0]]()
    # the folds of the pair's size, not each category's: a third more walking per space
    # bought no measured gain for 1-D mixtures, and two spaces are walked here
    settings = dataclasses.replace(settings, n_folds=folds_for(len(codes), settings))
    rows = [np.flatnonzero(codes == c) for c in present]
    keys = [tuple(key) + (int(c) + 1,) for c in present]
    if settings.fixed_components is not None or settings.selection != "validation":
        return names[0], data, [select_components(data[r], settings, k)
                                for r, k in zip(rows, keys)]

    n_samples = len(codes)
    sizes = [min(len(r), max(CATEGORY_WALK_SAMPLES, SELECTION_SAMPLES * len(r) // n_samples))
             for r in rows]

    def walk(values):
        return [select_components(values[r], settings, k, final=False, walk_samples=size)
                for r, k, size in zip(rows, keys, sizes)]

    with _trials():  # a walk's warning is the user's only for the space taken
        name, selections = names[0], walk(data)
    if len(names) > 1 and (data.shape[1] > 1 or  # vectors: always, as _by_copula
                           max(s.n_components for s in selections) >= AUTO_TRY_FROM):
        first = held_out_classes(data, rows, selections)
        for other in names[1:]:
            with _trials():
                other_data = _prepared(spaces, other)
                if other_data is None:
                    continue
                tried = walk(other_data)
            if _paired_gain(held_out_classes(other_data, rows, tried), first) > PLAUSIBLE_SE:
                name, data, selections = other, other_data, tried
                break
    if any(s.max_reached for s in selections):
        warnings.warn(MAX_REACHED.format(settings.max_components), RuntimeWarning,
                      stacklevel=4)
    return name, data, [fit_selected(data[r], s, settings) for r, s in zip(rows, selections)]


def held_out_classes(data, rows, selections):
    """log q(c | x) - log share(c) at each row a category's walk held out, under its
    chosen K's fit without the row's fold (the other categories' fits never saw it).

    Its mean is what the mixtures tell of the category from the variable, on rows they
    were not fitted on: a proper score of the classifier they make, whose truth is the
    MI itself, and which no marginal transform changes (the ratio of a category's
    density to the pooled one is the same in every space).  ``rows``: each category's
    rows of ``data``; ``selections``: their walks (``select_components``, validation).
    """
    shares = np.array([len(r) for r in rows], dtype=np.float64)
    log_shares = np.log(shares / shares.sum())
    out = []
    for own, (r, selection) in enumerate(zip(rows, selections)):
        walked = r if selection.rows is None else r[selection.rows]
        fits = selection.folds[selection.n_components]
        given = np.empty((len(rows), len(walked)))
        for other, s in enumerate(selections):
            if other != own:  # any of its fits: none saw these rows
                given[other] = pointwise_batch(data[walked], *(p[:1] for p in s.params))[0]
        for fold in range(fits[0].shape[0]):
            held = selection.fold_of == fold
            given[own, held] = pointwise_batch(data[walked[held]],
                                               *(p[fold:fold + 1] for p in fits))[0]
        pooled = special.logsumexp(given + log_shares[:, None], axis=0)
        out.append(given[own] - pooled)
    return np.concatenate(out)


def _paired_gain(other, first):
    """How much higher one held-out score per row is than another's (``held_out_copula``,
    ``held_out_classes``), in paired standard errors (both walked on the same rows and
    folds)."""
    diff = other - first
    spread = diff.std() / np.sqrt(len(diff))
    return diff.mean() / spread if spread > 0 else 0.0


@contextlib.contextmanager
def _trials():
    """Walks of a space that may not be taken: their warnings (max_components reached at
    a trial's cap) are not the user's."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        yield


def _prepared(spaces, name):
    """The data in space ``name``, or None when they cannot be prepared so
    (``check.transform``: values float64 cannot standardise)."""
    try:
        return spaces[name]()
    except ValueError:
        return None


def _levels_off(selection, capped):
    return not selection.max_reached and selection.n_components < capped.max_components


def grown(params, n_components):
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
        best = int(np.nanargmax(fitted[3]))
        alive = int(np.count_nonzero(fitted[0][best]))
        if alive < settings.fixed_components:
            warnings.warn(f"fixed_components={settings.fixed_components}: only {alive} "
                          f"component{'s' if alive != 1 else ''} kept enough samples to be "
                          f"fitted ({n_samples} samples)", RuntimeWarning, stacklevel=3)
        return Selection(settings.fixed_components, {}, _take(fitted[:3], slice(best, best + 1)))

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
    return dataclasses.replace(selection, params=final[:3])


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
                settings.selection_tol)[:3]


def pad_components(params, n_components):
    """Pad a mixture parameter array with absent components up to ``n_components``."""
    extra = n_components - params.shape[0]
    if extra == 0:
        return params
    if params.ndim == 1:
        return np.concatenate([params, np.zeros(extra)])
    filler = np.repeat(params[:1], extra, axis=0)
    return np.concatenate([params, filler])


@dataclass(frozen=True, eq=False)
class Resample:
    """Which rows bootstrap replicate ``b`` draws.

    Replicate ``b`` is a multinomial draw of ``n_rows`` rows from ``key`` and ``b`` alone,
    over the rows of the data as the caller gave them; the samples of a fit are the
    ``rows`` it kept of those (None: all, in order) and weigh their rows' counts. Every
    estimate made with the same key on the same data therefore resamples the same rows
    in replicate ``b``, whatever it dropped (missing values, repeated rows, a category
    too small): a function of several estimates (an MI matrix's MIG, the difference of
    two cells) has a joint bootstrap.
    """

    key: tuple
    n_rows: int
    rows: np.ndarray | None = None

    @property
    def n_samples(self):
        return self.n_rows if self.rows is None else len(self.rows)

    def take(self, kept):
        """The resample of the samples ``kept`` (a boolean mask or indices) of these."""
        index = np.arange(self.n_rows) if self.rows is None else self.rows
        return Resample(self.key, self.n_rows, index[kept])

    def counts(self, fits):
        """Resample counts (uint8), one row per bootstrap fit of ``fits``, one column per
        sample. A count above 255 (a row drawn that often) would need N in the thousands
        of millions and is refused rather than wrapped."""
        counts = np.empty((len(fits), self.n_samples), dtype=np.uint8)
        for row, b in enumerate(fits):
            rng = np.random.default_rng(list(self.key) + [_STREAM_BOOTSTRAP, int(b)])
            drawn = np.bincount(rng.integers(self.n_rows, size=self.n_rows, dtype=np.int32),
                                minlength=self.n_rows)
            if drawn.max() > 255:
                raise ValueError("a bootstrap resample drew one sample more than 255 times")
            counts[row] = drawn if self.rows is None else drawn[self.rows]
        return counts


def bootstrap_batches(n_samples, n_bootstrap, rows_per_fit=1):
    """The bootstrap fits in batches of at most ``WEIGHT_BUDGET_BYTES`` of weights."""
    size = max(1, WEIGHT_BUDGET_BYTES // max(1, n_samples * rows_per_fit))
    return [range(b, min(b + size, n_bootstrap)) for b in range(0, n_bootstrap, size)]


def linear_bootstrap_applies(n_samples, settings):
    """Whether the bootstrap of ``n_samples`` samples is the linear one (see
    :func:`linear_bootstrap`) rather than refits."""
    return settings.bootstrap_method == "linear" or (
        settings.bootstrap_method == "auto" and n_samples >= LINEAR_BOOTSTRAP_SAMPLES)


def linear_bootstrap(pointwise, value, n_bootstrap, resample):
    """Bootstrap values of a quantity from its per-sample terms, without refitting.

    ``pointwise`` holds, for each sample, the term whose mean is the quantity under the
    mixture fitted on all data (``information.pointwise_combination``); its deviations
    from their mean are the quantity's influence function.  For each resample (the same
    counts c as the refits draw, :class:`Resample`), the value is ``value`` + sum_i c_i
    (p_i - mean p) / sum_i c_i: the refit's value to first order in the resampling.  It
    leaves out the small upward shift that refitting duplicated points adds, and costs one
    pass over the data per resample instead of an EM fit.  Values are clipped at 0:
    every quantity bootstrapped this way is an information, never negative.
    """
    centred = np.asarray(pointwise, dtype=np.float64) - np.mean(pointwise)
    n_samples = len(centred)
    values = np.empty(n_bootstrap)
    for fits in bootstrap_batches(n_samples, n_bootstrap):
        counts = resample.counts(fits)
        for row, b in enumerate(fits):
            values[b] = value + np.dot(counts[row], centred) / counts[row].sum(dtype=np.int64)
    return np.maximum(values, 0.0)


def refit(X, sample_weights, start, settings):
    """Refit on each row of ``sample_weights``, warm-started from ``start``, stopping at
    ``settings.bootstrap_tol``.

    ``start`` holds parameters with a leading dimension of 1 (the same start for
    every fit) or of ``len(sample_weights)``.
    """
    n_fits = sample_weights.shape[0]
    starts = tuple(np.broadcast_to(p, (n_fits,) + p.shape[1:]) for p in start)
    return _fit(X, sample_weights, starts, settings, settings.bootstrap_tol)[:3]


def refit_categories_bootstrap(X, masks, n_bootstrap, resample, starts, settings):
    """Refit each category's mixture on ``n_bootstrap`` resamples of ``X`` (all categories
    resampled together, so their shares vary as the data's would).

    ``masks`` (n_categories, n_samples) says which rows are each category's; ``starts``
    holds each category's selected mixture (leading dimension n_categories). Each resample
    is one row of counts (:meth:`Resample.counts`), split by category into one fit per
    category, in memory-bounded batches. Returns the mixtures, with leading dimensions
    (n_bootstrap, n_categories), and each resample's category shares (n_bootstrap,
    n_categories).
    """
    n_samples, n_categories = len(X), len(masks)
    fitted, proportions = [], []
    for fits in bootstrap_batches(n_samples, n_bootstrap, n_categories):
        counts = resample.counts(fits)
        weights = (counts[:, None, :] * masks[None]).reshape(-1, n_samples)
        tiled = tuple(np.tile(p, (len(fits),) + (1,) * (p.ndim - 1)) for p in starts)
        fitted.append(refit(X, weights, tiled, settings))
        proportions.append(np.stack([counts[:, m].sum(axis=1) for m in masks], axis=1))
    mixtures = tuple(np.concatenate(p).reshape((n_bootstrap, n_categories) + p[0].shape[1:])
                     for p in zip(*fitted))
    proportions = np.concatenate(proportions)
    return mixtures, proportions / proportions.sum(axis=1, keepdims=True)


def refit_batch(X, fits, resample, start, settings):
    """The refits of bootstrap fits ``fits`` (a range): a unit of work that gives the same
    numbers wherever it runs and whatever other fits share its batch."""
    return refit(X, resample.counts(fits), start, settings)


# Who runs refit_bootstrap's batches: here, one after the other, unless a caller hands them
# to others (gmmmi.analysis.estimate spreads a big pair's batches over Dask workers).
_RUN_BATCHES = contextvars.ContextVar("gmmmi_run_batches", default=None)


@contextlib.contextmanager
def running_batches(run):
    """Within the block, :func:`refit_bootstrap` calls ``run(X, batches, resample, start,
    settings)``, which returns the refits of every fit of ``batches`` in order, as
    :func:`refit_batch` gives them for consecutive ranges of fits, computed however and
    wherever it likes (``run`` None: here)."""
    token = _RUN_BATCHES.set(run)
    try:
        yield
    finally:
        _RUN_BATCHES.reset(token)


def refit_bootstrap(X, n_bootstrap, resample, start, settings):
    """Refit ``start`` (leading dimension 1) on ``n_bootstrap`` resamples of ``X`` (drawn
    by ``resample``, a :class:`Resample`), in memory-bounded batches; (weights, means,
    covariances) with a leading n_bootstrap."""
    batches = bootstrap_batches(len(X), n_bootstrap)
    run = _RUN_BATCHES.get()
    parts = (run(X, batches, resample, start, settings) if run is not None else
             [refit_batch(X, fits, resample, start, settings) for fits in batches])
    return tuple(np.concatenate(p) for p in zip(*parts))
