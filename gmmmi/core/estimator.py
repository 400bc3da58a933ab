"""The GMM-MI estimator: public API.

``estimate_mi``, ``conditional_mi`` and ``marginal_kl`` are the functions most
users call; ``GMMMI`` is the scikit-learn-style estimator behind ``estimate_mi``
for those who also want the fitted mixtures and the selection scores.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import warnings
from typing import TYPE_CHECKING

import numpy as np
from sklearn.base import BaseEstimator

from .. import status
from . import atoms
from . import validation as check
from .bootstrap import (
    Resample,
    bootstrap_batches,
    linear_bootstrap,
    linear_bootstrap_applies,
    refit_bootstrap,
    refit_categories_bootstrap,
)
from .components import PLAUSIBLE_SE, fit_plausible, min_samples, pad_components, refitted_plausible
from .information import (
    categorical_mutual_information,
    categorical_pointwise,
    conditional_mi_terms,
    conditional_mutual_information,
    discrete_entropy,
    marginal_kl_divergence,
    mi_terms,
    mutual_information,
    pointwise_combination,
    table_mutual_information,
)
from .interval import CAP_TREND_FACTOR, beyond, trend_components, trend_gap, widened
from .mixture import Mixture
from .result import UNITS, KLResult, MIResult
from .settings import SETTING_NAMES, check_options, make_settings
from .spaces import (
    RANK_SPACES,
    STUDENT_SCORES,
    more_than_a_pair,
    select_category_space,
    select_space,
    tie_key,
    transforms,
)

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

# A pair is "under-resolved" when the values under the other plausible K, or the trend
# of the value over K, move an end of its interval by more than twice the bootstrap
# interval's own half width (the number of components, not the sample, dominates the
# uncertainty) and by at least 0.01 nat (below that, as in the report's disentanglement
# scores, it is noise).
UNDER_RESOLVED_STRETCH = 2.0
UNDER_RESOLVED_NATS = 0.01
# A vector's MI is checked against its members' (each column of x with each of y) when
# there are at most this many such pairs: each is one more pair fit, without bootstrap.
MEMBER_PAIRS = 16
# Categorical pairs: above this many (category, plausible K) swaps the interval takes two
# joint swaps instead (_categorical_alternatives).
SWAP_LIMIT = 16


class _Outcome:
    """What a fit produced, before conversion to a result object."""

    def __init__(self, value=math.nan, std=math.nan, bootstrap=(), low=math.nan, high=math.nan,
                 n_components=0, status=status.OK, message="", details=None):
        self.value, self.std = value, std
        self.bootstrap = np.asarray(bootstrap, dtype=np.float64)
        self.low, self.high = low, high
        self.n_components, self.status, self.message = n_components, status, message
        self.details = details or {}


def _warn_status(outcome, word, message):
    if outcome.status == status.OK:
        outcome.status, outcome.message = word, message


def _spaces(columns, settings, key, counts=None):
    """{space: function giving ``columns`` prepared for it} for ``spaces.select_space``:
    the spaces of ``marginals`` (only the normal scores of "auto" when a column has an
    atom), and with "auto" for more than two columns the Student-t scores of
    ``STUDENT_SCORES`` too. Ranks break ties at random, from the pair's ``key``.
    ``counts``: each column's ``validation.value_counts``, when known."""
    listed = columns if isinstance(columns, list) else list(np.asarray(columns).T)
    counts = counts or [None] * len(listed)
    with_atom = any(check.has_atoms(column, c) for column, c in zip(listed, counts))
    ties = tie_key(key)
    spaces = {how: functools.partial(check.transform, columns, how, ties)
              for how in transforms(settings, with_atom)}
    if settings.marginals == "auto" and len(listed) > 2:
        spaces.update({name: functools.partial(check.student_scores, columns, dof, ties)
                       for name, dof in STUDENT_SCORES.items()})
    return spaces


def _fit_continuous(spaces, quantity, settings, n_bootstrap, key, resample, pointwise=None):
    """Select and bootstrap a mixture for the data in one of ``spaces`` (see
    ``spaces.select_space``); apply ``quantity``.

    ``resample`` (``bootstrap.Resample``) draws the bootstrap's rows of the data;
    ``pointwise(data, mixtures)``, when the quantity has one, gives its per-sample terms
    for the linear bootstrap.  Returns the outcome, the selection and the bootstrap's
    refitted mixtures (the selected one without bootstrap, none after a linear one).
    """
    checked = {}  # the space choice checks the selection this function checks again

    def missed_by(selection, data):
        found = (id(selection.folds), selection.n_components, id(data))
        if found not in checked:  # keeping folds and data alive keeps their ids theirs
            checked[found] = (selection.folds, data, _missed(selection, data, quantity,
                                                             pointwise, settings, key))
        return checked[found][2]

    space, data, selection, alike = select_space(spaces, settings, key, missed_by)
    integration = settings.integration_kwargs(key)
    selected = float(quantity(selection.params, **integration)[0])
    if n_bootstrap and pointwise is not None and linear_bootstrap_applies(len(data), settings):
        mixtures = ()
        values = linear_bootstrap(pointwise(data, selection.params)[0], selected, n_bootstrap,
                                  resample)
    elif n_bootstrap:
        mixtures = refit_bootstrap(data, n_bootstrap, resample, selection.params, settings)
        values = np.asarray(quantity(mixtures, **settings.integration_kwargs(key)))
    else:
        mixtures, values = selection.params, np.array([selected])
    others = fit_plausible(data, selection, settings)
    plausible = quantity(others, **settings.integration_kwargs(key)) if others is not None else ()
    n_components = int(np.count_nonzero(selection.params[0][0]))
    ks = refitted_plausible(selection)
    edge = [plausible[-1]] if ks and ks[-1] > selection.n_components else []
    # at max_components the score was still rising, and a walk on part of the rows chose
    # the K that part supports: either way the trend goes on past the chosen K
    gap = _trend(selection, quantity, settings, key) * (
        CAP_TREND_FACTOR if selection.max_reached or selection.rows is not None else 1.0)
    missed = missed_by(selection, data) if more_than_a_pair(data) else 0.0
    in_spaces = {name: float(quantity(fit.params, **settings.integration_kwargs(key))[0])
                 for name, (_, fit) in alike.items()}
    outcome = _interval_outcome(values, n_bootstrap, selected, plausible, edge, n_components,
                                sorted(selection.plausible), f"K = {n_components}",
                                {"plausible_components": sorted(selection.plausible),
                                 "plausible_marginals": in_spaces, "trend": gap,
                                 "missed": missed, "transform": space},
                                gap, missed, in_spaces)
    if selection.max_reached:
        _warn_status(outcome, status.MAX_COMPONENTS,
                     f"selection reached max_components={settings.max_components}")
    return outcome, selection, mixtures


def _interval_outcome(values, n_bootstrap, selected, plausible, edge, n_components,
                      alternatives, chosen, details, gap=0.0, missed=0.0, in_spaces=None):
    """The outcome of one bootstrap batch, with the interval widened over the plausible K.

    ``values``: one value per bootstrap fit (the fit on all data without bootstrap);
    ``selected``: the value with the chosen K on all data; ``plausible``: the values
    with each alternative K (described by ``alternatives``, against ``chosen``), ``edge``
    those at the largest plausible K above the chosen one (see ``widened``); ``gap``: how
    far the value still moves beyond the chosen K (``interval.trend_gap``), which the
    interval also reaches; ``missed``: how much more the held-out data hold than the
    mixture (``_missed``), which the interval reaches as an edge (twice as far);
    ``in_spaces``: the values of fits in other spaces that the held-out copula cannot tell
    from the chosen one (``spaces.select_space``), which it reaches too.
    """
    values = np.asarray(values, dtype=np.float64)
    in_spaces = in_spaces or {}
    reached = list(plausible) + list(in_spaces.values()) \
        + ([selected + gap] if gap else []) + ([selected + missed] if missed else [])
    edge = list(edge) + ([selected + missed] if missed else [])
    low, high, std, stretch = widened(values if n_bootstrap else (), selected, reached, edge)
    outcome = _Outcome(float(values.mean()), std, values if n_bootstrap else (), low, high,
                       n_components=n_components, details=details)
    reached = np.asarray(reached, dtype=np.float64)
    moved = max(selected - reached.min(), reached.max() - selected) if len(reached) else 0
    if stretch > UNDER_RESOLVED_STRETCH and moved >= UNDER_RESOLVED_NATS:
        reasons = []
        if len(plausible):
            plausible = np.asarray(plausible, dtype=np.float64)
            span = f"{plausible.min():.3g}" if np.ptp(plausible) == 0 else \
                f"{plausible.min():.3g} to {plausible.max():.3g}"
            reasons.append(f"K = {', '.join(map(str, alternatives))} fit the held-out data as "
                           f"well as the chosen {chosen} but give {span}")
        if in_spaces:
            spread = np.array(list(in_spaces.values()))
            span = f"{spread.min():.3g}" if np.ptp(spread) == 0 else \
                f"{spread.min():.3g} to {spread.max():.3g}"
            reasons.append(f"the marginals as {', '.join(in_spaces)} fit the held-out copula "
                           f"as well as {details['transform']} but give {span}")
        if gap:
            reasons.append(f"the value still moves with K, by about {gap:+.3g} beyond the "
                           f"chosen {chosen} as the trend of K/2 to K goes on")
        if missed:
            reasons.append(f"the held-out rows hold {missed:.3g} more than the mixture fitted "
                           f"without them says (it misses dependence there)")
        _warn_status(outcome, status.UNDER_RESOLVED,
                     "; ".join(reasons) + ": the interval is widened to reach "
                     + ("them" if len(reasons) > 1 or len(plausible) or len(in_spaces) > 1
                        else "it"))
    return outcome


def _trend(selection, quantity, settings, key):
    """How far the quantity still moves beyond the chosen K (``interval.trend_gap``), from
    the best fits of the selection path; 0 when the path is too short."""
    ks = trend_components(selection.n_components, selection.path)
    if not ks:
        return 0.0
    n_max = max(ks)
    batch = tuple(np.stack([pad_components(selection.path[k][i], n_max) for k in ks])
                  for i in range(3))
    return trend_gap(ks, quantity(batch, **settings.integration_kwargs(key)))


def _missed(selection, data, quantity, pointwise, settings, key):
    """How much more the held-out rows hold than the mixtures fitted without them say: the
    mean of the quantity's per-sample terms on each fold's held-out rows under the chosen
    K's fit on the other folds, minus that fit's own value, when above ``PLAUSIBLE_SE``
    standard errors (else 0).

    For a mixture that describes the data, the two agree (the held-out mean lies a little
    below, as fits overfit); above it, the data put more weight where the mixture says the
    variables tell most about each other than the mixture itself does: it misses
    dependence (a multivariate Student-t's joint tails in normal scores: 0.29 held out
    against the fit's 0.19, truth 0.45), and its value is too low.
    """
    if pointwise is None or not selection.folds:
        return 0.0
    fits = selection.folds[selection.n_components]
    rows = data if selection.rows is None else data[selection.rows]
    held_out = np.empty(len(rows))
    for fold in range(fits[0].shape[0]):
        held = selection.fold_of == fold
        held_out[held] = pointwise(rows[held], tuple(p[fold:fold + 1] for p in fits))[0]
    shift = held_out.mean() - float(np.mean(quantity(fits, **settings.integration_kwargs(key))))
    spread = held_out.std() / np.sqrt(len(held_out))
    return float(shift) if shift > PLAUSIBLE_SE * spread else 0.0


def _constant_outcome(names, value, n_bootstrap):
    bootstrap = np.full(n_bootstrap, value)
    return _Outcome(value, 0.0 if n_bootstrap > 1 else math.nan, bootstrap, value, value, 0,
                    status.CONSTANT, f"{names} is constant")


def _too_few_outcome(n_valid, needed):
    return _Outcome(status=status.TOO_FEW_SAMPLES,
                    message=f"{n_valid} usable samples, at least {needed} needed for the CV folds")


class GMMMI(BaseEstimator):
    """Mutual information between two variables (or two vectors of variables) from
    Gaussian-mixture fits (GMM-MI).

    The joint density of (x, y), each column turned into normal scores of its ranks (or
    standardised, ``marginals="standardise"``), is modelled by a Gaussian
    mixture whose number of components is chosen by cross-validated held-out
    log-likelihood; the mixture is then refitted on ``n_bootstrap`` resamples
    (warm-started) and MI is integrated under each fit.  With
    ``categorical=True``, y holds labels and one 1-D mixture of x is fitted per
    category.

    Values that are not smooth are handled, not only flagged: rows that copy an earlier
    row's continuous values are left out (they add no information); a variable of a
    pair with fewer than 20 distinct values is taken as categories (and two such as a
    table); an atom of 5% of the rows or more (a ReLU unit's zeros) is split from the
    variable's continuous part by the chain rule (``gmmmi.core.atoms``); any other tie is
    broken at random in the ranks, which leaves MI unchanged.

    Parameters
    ----------
    categorical : bool, default=False
        Treat y as category labels (any hashable values).
    n_bootstrap : int, default=50
        Bootstrap refits; 0 means one fit on all data and ``std_`` = NaN (1 is refused:
        one resample has no spread).
    unit : {"nat", "bit"}, default="nat"
    seed : int, default=0
        Seed for folds, initialisations, resamples and Monte Carlo draws.
    n_inits : int, default=3
        Starts per number of components K: k-means++ seedings, the last of which is
        replaced, for K >= 2, by the best fit with K - 1 components with its broadest
        component split in two (so that the held-out score rises steadily while more
        components help).
    n_folds : int or None, default=None
        Cross-validation folds; None: 3 for a walk on fewer than 2,000 rows (a
        categorical pair's: fewer than 2,000 rows in all), 2 from there (the paper's).
        Two folds chose K for half of a small sample: at N = 200 the MAE was 0.0615,
        0.0512 with three.
    selection : {"validation", "aic", "bic"}, default="validation"
        Criterion for the number of components.
    threshold_components : float, default=1e-5
        Smallest improvement of the score (per sample) that justifies a component.
    patience : int, default=2
        Selection stops after this many K scored clearly worse (by more than two
        paired standard errors of the held-out log-likelihood) than the best; K that
        score within that margin are a plateau that selection walks over.
    max_components : int, default=50
        Largest K tried (a warning and status "max-components" when reached).
    fixed_components : int or None, default=None
        Use this K and skip selection.
    tol : float, default=1e-5
        EM stops when the mean log-likelihood changes by less than this (the final fit
        on all data).
    selection_tol : float, default=1e-4
        The same for the fits made while choosing K. Stopping those earlier halves the
        median time per pair at an unchanged accuracy and coverage
        (benchmarks/measured/selection-tol.md); much looser (1e-3) and slowly converging
        high-K fits score too low, so K is chosen too small on hard-edged data.
    bootstrap_tol : float, default=1e-4
        The same for the bootstrap refits (warm-started from the final fit). The
        paper's 1e-5 costs 3-4x the time on the slowest pairs at N = 5000 (hard edges,
        50 refits at K = 27-41) for 0.0003 nat of MAE
        (benchmarks/measured/accuracy-tol-1e-4.md); the final fit keeps 1e-5, as at
        N >= 10,000 (the linear bootstrap) the estimate is that fit's value.
    accelerate : bool, default=True
        Speed up EM with SQUAREM extrapolation; it reaches the same fixed points as
        plain EM (False, as in the paper) in 2-3x fewer steps
        (benchmarks/measured/acceleration.md).
    reg_covar : float, default=1e-6
        Added to covariance diagonals (in standardised units: below 1, the data's variance).
    max_iter : int, default=1000
        EM iterations per fit at most.
    integration : {"quadrature", "mc"}, default="quadrature"
        A cubature rule per component (deterministic) or Monte Carlo.
    quadrature_nodes : int, default=1024
        Cubature nodes per component: a Gauss-Hermite tensor rule for mixtures of up to 2
        dimensions (32 x 32 in 2-D; at most 128 per dimension); above (vectors, conditional
        MI), 4 x this many scrambled-Sobol quasi-Monte Carlo points, rounded up to a power
        of 2, with each component's Gaussian as control variate.
    marginals : {"auto", "rank", "standardise"}, default="auto"
        How each continuous variable is prepared: normal scores of its ranks (MI is
        unchanged by monotone maps, and the fit no longer fights heavy tails, bounds
        or skew) or plain standardisation, as in the reference.  ``"auto"`` takes the
        normal scores unless they need 4 or more components and the standardised data
        level off with at most half as many (a joint that is a mixture of a few
        Gaussians in the data's own coordinates); for vectors (more than two columns in
        all), unless the standardised fit's copula scores better on held-out rows, and
        where the joint tails are heavy Student-t scores of the ranks (``"t3"``,
        ``"t2"``) are tried too (``spaces.select_space``); ``details["transform"]`` of
        the result says which, and ``details["plausible_marginals"]`` the values of the
        spaces that tied with it.  Categorical pairs take the standardised x when the
        normal scores need 4 or more components in a category (vectors: always tried)
        and its mixtures tell the categories apart better on held-out rows
        (``spaces.select_category_space``).
    mc_samples : int, default=100000
        Monte Carlo draws per fitted mixture when ``integration="mc"``.
    bootstrap_method : {"auto", "refit", "linear"}, default="auto"
        How each bootstrap resample gets its value: refit the mixture on it (warm-started),
        or ``"linear"``: the value of the fit on all data plus the resample's mean of the
        per-sample terms' deviations (the quantity's influence function), the refit's
        value to first order, for the cost of one pass over the data.  ``"auto"`` refits
        below 10,000 samples and is linear from there, where the two agree
        (benchmarks/measured/linear_bootstrap.md).  KL always refits.
    resample_seed : int, optional
        Seed of the bootstrap's resamples alone (None: ``seed``). Replicate b draws its
        rows from this seed and b over the rows of x and y as given, before any are
        dropped, so estimators with the same ``resample_seed`` fitted on the same rows
        resample the same rows in replicate b, whatever their ``seed``: their
        ``bootstrap_`` values are joint, and a function of several estimates (a matrix's
        MIG, the difference of two) has a bootstrap interval. ``gmmmi.mi_matrix`` and the
        workflow give every pair of an analysis the analysis seed here.

    Attributes
    ----------
    mi_ : float
        Mean MI over the bootstrap fits, in ``unit``.
    std_ : float
        Its standard deviation over the bootstrap fits, or the interval's half width /
        1.96 when that is larger.
    interval_ : tuple of float
        (low, high): the reported 95% interval (``MIResult.interval``).
    bootstrap_ : ndarray of shape (n_bootstrap,)
        MI of each bootstrap fit.
    n_components_ : int
        Components of the selected mixture (largest over categories).
    mixture_ : Mixture
        The mixture fitted on all (standardised) data; for categorical data see
        ``mixtures_``.
    mixtures_ : dict
        Categorical only: label -> Mixture of the standardised x in that category.
    bootstrap_mixtures_ : tuple of ndarray
        (weights, means, covariances) of every bootstrap fit; empty after a linear
        bootstrap (no refits).
    cv_scores_ : dict
        Selection score for each K tried (categorical: label -> such a dict).
    status_ : str
        "ok" or the reason the estimate is NaN/zero/doubtful (see ``MIResult``).
    marginals_ : {"rank", "standardise", "t3", "t2", "atoms", "table"}
        The space the mixtures were fitted in (``marginals="auto"`` chooses per pair;
        Student-t scores of the ranks, of 3 or 2 degrees of freedom, only for vectors);
        "atoms" when a variable's atoms were split from its continuous part by the chain
        rule (each term in its own space, ``result_.details["atoms"]``), "table" for two
        variables of fewer than 20 distinct values each (no mixture).
    n_samples_, n_dropped_ : int
        Samples used, and rows dropped for non-finite values, missing labels or as copies
        of earlier rows.
    n_features_in_ : int
        Columns of x (1 for one variable, its dimension for a vector).
    result_ : MIResult
        All of the above as the object ``estimate_mi`` returns.

    Examples
    --------
    >>> import numpy as np
    >>> from gmmmi import GMMMI
    >>> rng = np.random.default_rng(0)
    >>> xy = rng.multivariate_normal([0, 0], [[1, 0.6], [0.6, 1]], size=2000)
    >>> est = GMMMI(n_bootstrap=20).fit(xy[:, 0], xy[:, 1])
    >>> est.n_components_, est.result_.status
    (1, 'ok')
    >>> bool(est.interval_[0] < est.mi_ < est.interval_[1])
    True
    """

    def __init__(self, *, categorical: bool = False, n_bootstrap: int = 50,
                 unit: str = "nat", seed: int = 0, n_inits: int = 3, n_folds: int | None = None,
                 selection: str = "validation", threshold_components: float = 1e-5,
                 patience: int = 2, max_components: int = 50,
                 fixed_components: int | None = None, tol: float = 1e-5,
                 selection_tol: float = 1e-4, bootstrap_tol: float = 1e-4,
                 accelerate: bool = True, reg_covar: float = 1e-6, max_iter: int = 1000,
                 integration: str = "quadrature", quadrature_nodes: int = 1024,
                 mc_samples: int = 100_000, marginals: str = "auto",
                 bootstrap_method: str = "auto", resample_seed: int | None = None) -> None:
        self.categorical = categorical
        self.n_bootstrap = n_bootstrap
        self.unit = unit
        self.seed = seed
        self.n_inits = n_inits
        self.n_folds = n_folds
        self.selection = selection
        self.threshold_components = threshold_components
        self.patience = patience
        self.max_components = max_components
        self.fixed_components = fixed_components
        self.tol = tol
        self.selection_tol = selection_tol
        self.bootstrap_tol = bootstrap_tol
        self.accelerate = accelerate
        self.reg_covar = reg_covar
        self.max_iter = max_iter
        self.integration = integration
        self.quadrature_nodes = quadrature_nodes
        self.mc_samples = mc_samples
        self.marginals = marginals
        self.bootstrap_method = bootstrap_method
        self.resample_seed = resample_seed

    def __getattr__(self, name):
        # a fitted attribute read before fit: scikit-learn's NotFittedError (a ValueError
        # and an AttributeError, so hasattr() still says False), in one line
        if name.endswith("_") and not name.startswith("__"):
            from sklearn.exceptions import NotFittedError
            raise NotFittedError(f"this GMMMI is not fitted yet: call fit(x, y) before "
                                 f"reading {name}")
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = True  # fit needs y: MI is between x and y
        tags.input_tags.allow_nan = True  # rows with missing values are dropped, counted
        return tags

    def fit(self, x: ArrayLike, y: ArrayLike = None, **fit_params) -> GMMMI:
        """Estimate MI between ``x`` and ``y``.

        ``x`` is one variable (n_samples,) or several (n_samples, n_x), and so is ``y``
        unless ``categorical`` (then labels, (n_samples,)). Several variables are one
        vector: I(x; y) is the information between the two vectors. Anything else
        (``sample_weight``: every row weighs alike) is refused in one line.

        Returns
        -------
        self : GMMMI
        """
        settings = check_options(self.n_bootstrap, self.seed, self.unit,
                                 resample_seed=self.resample_seed,
                                 **{name: getattr(self, name) for name in SETTING_NAMES})
        if y is None:
            raise ValueError("GMMMI requires y to be passed, but the target y is None")
        if fit_params:
            name = sorted(fit_params)[0]
            raise ValueError(f"{name}: GMMMI.fit takes x and y only" + (
                " (every row weighs alike: repeat or drop rows to weigh them)"
                if name == "sample_weight" else ""))
        check.same_index({"x": x, "y": y})
        x = check.continuous("x", x, allow_columns=True)
        if self.categorical:
            codes, categories = check.labels("y", y)
            check.same_length({"x": x, "y": codes})
            keep = _finite_rows(x) & (codes >= 0)
        else:
            y = check.continuous("y", y, allow_columns=True)
            check.same_length({"x": x, "y": y})
            keep = _finite_rows(x) & _finite_rows(y)
        self.n_features_in_ = x.shape[1]
        self.n_samples_ = int(keep.sum())
        self.n_dropped_ = int(len(x) - self.n_samples_)
        self.mixture_ = None
        self.mixtures_ = {}
        self.cv_scores_ = {}
        self.bootstrap_mixtures_ = ()
        key = (int(self.seed),)
        resample = Resample((int(self.seed if self.resample_seed is None else
                                 self.resample_seed),), len(keep))
        if self.n_dropped_:
            resample = resample.take(keep)

        def kept(a):  # no copy of clean data: big samples keep their memory
            return a if self.n_dropped_ == 0 else a[keep]

        x, other = kept(x), kept(codes if self.categorical else y)
        copies = check.repeated_rows(_columns(x) + (
            [other] if other.ndim == 1 else _columns(other)))
        if copies is not None:
            x, other, resample = x[~copies], other[~copies], resample.take(~copies)
            self.n_samples_ -= int(copies.sum())
            self.n_dropped_ += int(copies.sum())
        if self.categorical:
            outcome = self._fit_categorical(x, other, categories, settings, key, resample)
        else:
            outcome = self._fit_detected(x, other, settings, key, resample)
        if (x.shape[1] > 1 or not self.categorical and other.shape[1] > 1) \
                and np.isfinite(outcome.value):
            members = self._members(x, other)
            if members:
                _at_least_members(outcome, members)
        labels = other if self.categorical else {
            "x": x, "y": other, "both": other}.get(outcome.details.get("categorical"))
        if labels is not None and np.isfinite(outcome.value):
            _within_entropy(outcome, labels)
        if copies is not None:
            outcome.details["repeated_rows"] = int(copies.sum())
            note = (f"{int(copies.sum())} rows repeat earlier ones (copies of continuous "
                    f"values add no information): estimated on the {self.n_samples_} "
                    f"distinct rows")
            outcome.message = f"{outcome.message}; {note}" if outcome.message else note

        self.result_ = result = _result(
            MIResult, outcome, "mi", self.unit, self.n_samples_, self.n_dropped_, settings,
            self.n_bootstrap, int(self.seed), categorical=bool(self.categorical),
            **({} if self.resample_seed is None else {"resample_seed": int(self.resample_seed)}))
        self.mi_, self.std_, self.interval_ = result.value, result.std, result.interval
        self.bootstrap_, self.n_components_ = result.bootstrap, result.n_components
        self.marginals_ = outcome.details.get("transform", transforms(settings)[0])
        self.status_ = result.status
        return self

    def _members(self, x, other):
        """{name: MI of one column of x with one of y (categorical: with y)}, each pair
        fitted as a pair without bootstrap, when there are at most ``MEMBER_PAIRS``
        (empty otherwise)."""
        xs = _columns(x)
        ys = [other] if self.categorical else _columns(other)
        if len(xs) * len(ys) > MEMBER_PAIRS:
            return {}
        params = dict(self.get_params(), n_bootstrap=0, unit="nat")
        found = {}
        with warnings.catch_warnings():  # the members' warnings are not the vector's
            warnings.simplefilter("ignore", RuntimeWarning)
            for i, column in enumerate(xs):
                for j, target in enumerate(ys):
                    name = f"x[{i}]" if len(ys) == 1 else (
                        f"y[{j}]" if len(xs) == 1 else f"x[{i}], y[{j}]")
                    found[name] = float(GMMMI(**params).fit(column, target).mi_)
        return {name: value for name, value in found.items() if np.isfinite(value)}

    def _fit_detected(self, x, y, settings, key, resample):
        """A continuous pair, or, when one variable of a pair has fewer than
        ``FEW_DISTINCT_VALUES`` distinct values (integer codes, a coarse grid), a
        categorical one: one mixture of the other per value (when two values hold
        enough rows), or the table of the two when both are such."""
        needed = min_samples(x.shape[1] + y.shape[1], settings)
        if x.shape[1] + y.shape[1] > 2 or len(x) < needed:
            return self._fit_pair(x, y, settings, key, resample)
        constant = _constant_column({"x": x, "y": y}, self.n_bootstrap)
        if constant:
            return constant
        counts = [check.value_counts(a[:, 0]) for a in (x, y)]  # one sort per variable
        discrete = [check.has_few_distinct_values(a, c) for a, c in zip((x, y), counts)]
        if all(discrete):
            return self._fit_table(x[:, 0], y[:, 0], key, resample)
        if any(discrete):
            name = "x" if discrete[0] else "y"
            labels, values = (x, y) if discrete[0] else (y, x)
            codes, categories = check.labels(name, labels[:, 0])
            outcome = self._fit_categorical(values, codes, categories, settings, key,
                                            resample)
            if outcome.status != status.CATEGORY_TOO_SMALL:
                outcome.details["categorical"] = name
                outcome.details["tied"] = {"x": check.tied_share(x[:, 0]),
                                           "y": check.tied_share(y[:, 0])}
                return outcome
        labels = [check.atom_labels(a[:, 0], c) for a, c in zip((x, y), counts)]
        if labels[0] is None and labels[1] is not None:  # MI is symmetric: x has the atoms
            outcome = self._fit_atoms(y, x, labels[1], None, settings, key, resample,
                                      swapped=True)
        elif labels[0] is not None:
            outcome = self._fit_atoms(x, y, *labels, settings, key, resample)
        else:
            outcome = None
        return outcome if outcome is not None else self._fit_pair(x, y, settings, key,
                                                                    resample, counts)

    def _fit_atoms(self, x, y, a, b, settings, key, resample, swapped=False):
        """MI of a pair with atoms (``a``, ``b``: each row's atom label, -1 for the
        continuous part; ``b`` None when y has none) from the chain rule's terms
        (``core.atoms``), each estimated on its own rows with its own key and the pair's
        resamples of those rows (so replicate b of every term draws the same rows); None
        when a term cannot be estimated (too few rows of a part), for the whole pair's fit."""
        pieces = atoms.terms(a, b, ("y", "x") if swapped else ("x", "y"))
        for _, rows, kind in pieces:  # a part too small for its own fit: no split
            if kind in ("x-atoms", "y-atoms"):
                counts = np.bincount((a if kind == "x-atoms" else b)[rows] + 1)
                if counts[counts > 0].min() < min_samples(1, settings):
                    return None
        if pieces[-1][1].sum() < min_samples(2, settings):
            return None
        found = []
        for index, (name, rows, kind) in enumerate(pieces):
            part = key + (1000 + index,)
            drawn = resample.take(rows)
            if kind == "table":
                outcome = self._fit_table(a, b, part, drawn)
            elif kind == "x-atoms":
                outcome = self._fit_categorical(y[rows], *_atom_codes(a[rows]),
                                                settings, part, drawn)
            elif kind == "y-atoms":
                outcome = self._fit_categorical(x[rows], *_atom_codes(b[rows]),
                                                settings, part, drawn)
            else:
                outcome = self._fit_pair(x[rows], y[rows], settings, part, drawn)
            if outcome.status in (status.TOO_FEW_SAMPLES, status.CATEGORY_TOO_SMALL) \
                    or not np.isfinite(outcome.value):
                return None
            found.append((name, rows, outcome))
        shares = [float(rows.mean()) for _, rows, _ in found]
        value, low, high, std, bootstrap = atoms.combined(
            shares, [o.value for *_, o in found], [o.low for *_, o in found],
            [o.high for *_, o in found], [o.bootstrap for *_, o in found],
            [rows for _, rows, _ in found])
        outcome = _Outcome(value, std, bootstrap, low, high,
                           n_components=max(o.n_components for *_, o in found))
        tied = [check.tied_share(x[:, 0]), check.tied_share(y[:, 0])]
        outcome.details = {
            "transform": "atoms", "atoms": {
                name: {"share": share, "mi": o.value, "low": o.low, "high": o.high,
                       "status": o.status, "n_components": o.n_components}
                for (name, _, o), share in zip(found, shares)},
            "tied": dict(zip(("y", "x") if swapped else ("x", "y"), tied))}
        for name, _, part in found:
            if part.status not in (status.OK, status.CONSTANT):
                _warn_status(outcome, part.status, f"{name}: {part.message}")
                break
        self.mixture_, self.mixtures_, self.cv_scores_, self.bootstrap_mixtures_ = \
            None, {}, {}, ()
        return outcome

    def _fit_table(self, x, y, key, resample):
        """MI of two variables with few distinct values each, from their table
        (``information.table_mutual_information``), the bootstrap resampling its rows."""
        x_codes, x_levels = check.labels("x", x)
        y_codes, y_levels = check.labels("y", y)
        cells = x_codes * len(y_levels) + y_codes
        shape = (len(x_levels), len(y_levels))
        table = np.bincount(cells, minlength=shape[0] * shape[1]).reshape((1,) + shape)
        selected = float(table_mutual_information(table)[0])
        values = np.array([selected])
        if self.n_bootstrap:  # the rows' resample counts, in memory-bounded batches
            tables = np.stack([np.bincount(cells, weights=row, minlength=table[0].size)
                               for fits in bootstrap_batches(len(cells), self.n_bootstrap)
                               for row in resample.counts(fits)])
            values = table_mutual_information(tables.reshape((-1,) + shape))
        outcome = _interval_outcome(values, self.n_bootstrap, selected, (), [], 0, [], "",
                                    {"categorical": "both", "levels": list(shape)})
        outcome.details["transform"] = "table"
        _note_ties(outcome, {"x": x[:, None], "y": y[:, None]}, "table")
        return outcome

    def _fit_pair(self, x, y, settings, key, resample, counts=None):
        needed = min_samples(x.shape[1] + y.shape[1], settings)
        if len(x) < needed:
            return _too_few_outcome(len(x), needed)
        constant = _constant_column({"x": x, "y": y}, self.n_bootstrap)
        if constant:
            return constant
        terms = mi_terms(x.shape[1] + y.shape[1], x.shape[1])
        outcome, selection, mixtures = _fit_continuous(
            _spaces(_columns(x, y), settings, key, counts),
            functools.partial(mutual_information, n_x=x.shape[1]), settings,
            self.n_bootstrap, key, resample,
            functools.partial(pointwise_combination, terms=terms))
        self.mixture_ = Mixture(*(p[0] for p in selection.params))
        self.cv_scores_ = selection.scores
        self.bootstrap_mixtures_ = mixtures if self.n_bootstrap else ()
        _note_ties(outcome, {"x": x, "y": y}, outcome.details["transform"], counts)
        return outcome

    def _fit_categorical(self, x, codes, categories, settings, key, resample):
        needed = min_samples(x.shape[1], settings)
        if len(x) < needed:
            return _too_few_outcome(len(x), needed)
        constant = _constant_column({"x": x}, self.n_bootstrap)
        if constant:
            return constant
        present = np.unique(codes)
        if len(present) < 2:
            return _constant_outcome("y", 0.0, self.n_bootstrap)
        counts = np.bincount(codes, minlength=len(categories))
        small = [c for c in present if counts[c] < needed]
        left_out = ""
        if small:
            listed = ", ".join(f"{categories[c]!r} ({counts[c]})" for c in small)
            if len(present) - len(small) < 2:
                return _Outcome(status=status.CATEGORY_TOO_SMALL, message=(
                    f"fewer than two categories have the {needed} samples a mixture needs: "
                    f"{listed}"))
            # a rare class costs its own rows, not the pair
            fitted = ~np.isin(codes, small)
            x, codes, present = x[fitted], codes[fitted], present[~np.isin(present, small)]
            resample = resample.take(fitted)
            self.n_samples_ -= int(counts[small].sum())
            self.n_dropped_ += int(counts[small].sum())
            left_out = (f"categor{'y' if len(small) == 1 else 'ies'} {listed} left out "
                        f"(fewer than {needed} samples to fit): {int(counts[small].sum())} "
                        f"rows dropped")
        outcome = self._fit_categories(x, codes, present, categories, settings, key, resample)
        if left_out:
            outcome.message = f"{outcome.message}; {left_out}" if outcome.message else left_out
        return outcome

    def _fit_categories(self, x, codes, present, categories, settings, key, resample):
        """Categorical MI from one mixture per category of ``present``, each big enough."""
        space, xs, selections = select_category_space(_spaces(_columns(x), settings, key),
                                                      codes, present, settings, key)
        n_max = max(s.params[0].shape[1] for s in selections)
        starts = tuple(np.stack([pad_components(s.params[i][0], n_max) for s in selections])
                       for i in range(3))
        masks = codes[None, :] == present[:, None]
        shares = masks.sum(axis=1) / len(xs)
        selected = float(categorical_mutual_information(
            tuple(p[None] for p in starts), shares[None], **settings.integration_kwargs(key))[0])
        linear = linear_bootstrap_applies(len(xs), settings)
        if self.n_bootstrap and linear:
            mixtures = tuple(p[None] for p in starts)
            pointwise = categorical_pointwise(xs, np.searchsorted(present, codes), mixtures,
                                              shares[None])
            values = linear_bootstrap(pointwise[0], selected, self.n_bootstrap, resample)
        elif self.n_bootstrap:
            mixtures, proportions = refit_categories_bootstrap(xs, masks, self.n_bootstrap,
                                                               resample, starts, settings)
            values = categorical_mutual_information(mixtures, proportions,
                                                    **settings.integration_kwargs(key))
        else:
            mixtures, values = tuple(p[None] for p in starts), np.array([selected])
        alternatives, plausible, edge = _categorical_alternatives(
            xs, codes, present, selections, shares, settings, key)
        per_category = {_label(categories[c]): int(np.count_nonzero(s.params[0][0]))
                        for c, s in zip(present, selections)}
        labels = [_label(categories[c]) for c in present]
        outcome = _interval_outcome(
            values, self.n_bootstrap, selected, plausible, edge, max(per_category.values()),
            alternatives,
            "K per category (" + ", ".join(map(str, per_category.values())) + ")",
            {"n_components_per_category": per_category,
             "plausible_components_per_category": {
                 label: sorted(s.plausible) for label, s in zip(labels, selections)}})
        self.mixtures_ = {categories[c]: Mixture(*(p[0] for p in s.params))
                          for c, s in zip(present, selections)}
        self.cv_scores_ = {categories[c]: s.scores for c, s in zip(present, selections)}
        self.bootstrap_mixtures_ = mixtures if self.n_bootstrap and not linear else ()
        if any(s.max_reached for s in selections):
            _warn_status(outcome, status.MAX_COMPONENTS,
                         f"selection reached max_components={settings.max_components}")
        outcome.details["transform"] = space
        _note_ties(outcome, {"x": x}, space)
        return outcome


def _at_least_members(outcome, members):
    """A vector holds at least what each of its members holds: where a member's value
    (``members``, from ``GMMMI._members``) lies above the vector fit's, that fit missed
    dependence; the estimate is raised to the member's and the interval reaches past it
    as an edge (``interval.beyond``)."""
    outcome.details["members"] = members
    name, best = max(members.items(), key=lambda item: item[1])
    shift = best - outcome.value
    if not shift > 0:
        return
    fitted = outcome.value
    outcome.low, outcome.high, outcome.std = beyond(outcome.low, outcome.high, outcome.std,
                                                    fitted, best)
    outcome.value, outcome.bootstrap = best, outcome.bootstrap + shift
    if shift >= UNDER_RESOLVED_NATS:
        _warn_status(outcome, status.UNDER_RESOLVED,
                     f"{name} alone holds {best:.3g}, more than the fit of the whole "
                     f"({fitted:.3g}), which misses dependence: the estimate is raised to "
                     f"it and the interval reaches past it")


def _within_entropy(outcome, labels):
    """No variable tells more of a discrete one than its entropy: the estimate and the
    interval are capped at the labels' (``information.discrete_entropy``; a
    mixture's smooth tails can put the high end above it, a vector's raised to a
    member's did: 2.50 nat for a factor of ten levels)."""
    _, counts = np.unique(np.asarray(labels).ravel(), return_counts=True)
    bound = float(discrete_entropy(counts[None])[0])
    outcome.details["entropy_bound"] = bound
    outcome.value, outcome.low, outcome.high = (min(v, bound) for v in (
        outcome.value, outcome.low, outcome.high))


def _atom_codes(labels):
    """(codes, categories) of atom labels for ``_fit_categorical``: the distinct labels,
    -1 (the continuous part) first, as codes 0, 1, ..."""
    categories, codes = np.unique(labels, return_inverse=True)
    return codes.ravel(), categories.tolist()


def _finite_rows(array):
    """Rows of a (n, d) array with every value finite (a view's test: no copy of the data)."""
    return np.isfinite(array[:, 0]) if array.shape[1] == 1 else np.isfinite(array).all(axis=1)


def _columns(*arrays):
    """The columns of (n, d) arrays, as a list of 1-D views."""
    return [a[:, j] for a in arrays for j in range(a.shape[1])]


def _name(name, array, j):
    return name if array.shape[1] == 1 else f"{name}[:, {j}]"


def _constant_column(named, n_bootstrap=0):
    """For a constant variable: MI 0 (a single variable: nothing to share) or no estimate
    (a column of a vector: the others may still share information; drop it)."""
    for name, array in named.items():
        for j in range(array.shape[1]):
            if np.ptp(array[:, j]) == 0:
                if array.shape[1] == 1:
                    return _constant_outcome(name, 0.0, n_bootstrap)
                return _Outcome(status=status.CONSTANT, message=(
                    f"{_name(name, array, j)} is constant; leave that column out"))
    return None


def _note_ties(outcome, named, space, counts=None):
    """Each column's share of tied values in ``details["tied"]``; a column with an atom
    fitted outside the rank spaces (which break ties) makes the status
    ``few-distinct-values``: there an atom is a single point, read as dependence.
    ``counts``: each column's ``validation.value_counts``, in order, when known."""
    columns = [(name, array, j) for name, array in named.items() for j in range(array.shape[1])]
    counts = counts or [None] * len(columns)
    tied = {_name(name, array, j): check.tied_share(array[:, j], c)
            for (name, array, j), c in zip(columns, counts)}
    outcome.details["tied"] = tied
    if space in RANK_SPACES or space == "table":
        return
    for (name, array, j), c in zip(columns, counts):
        if check.has_atoms(array[:, j], c):
            _warn_status(outcome, status.FEW_DISTINCT_VALUES,
                         f"{_name(name, array, j)} has tied values (an atom of "
                         f"{tied[_name(name, array, j)]:.0%} of its rows), which "
                         f"marginals='{space}' keeps as points: 'rank' or 'auto' "
                         f"breaks them")
            return


def _categorical_alternatives(xs, codes, present, selections, shares, settings, key):
    """Categorical MI with categories' mixtures swapped for their plausible K.

    Up to ``SWAP_LIMIT`` swaps, one category at a time (the others keep their chosen
    mixtures); above, every category at its smallest plausible K at once, then every one
    at its largest: two evaluations instead of one per category and K, each of which costs
    as the square of the category count (1000 categories asked for 52 GiB). All are
    fitted on the full data. Returns the plausible K (sorted), the MI of each swap, and
    those of the swaps at a largest plausible K above the chosen one (``widened``'s edge).
    """
    swaps = []
    for index, (code, selection) in enumerate(zip(present, selections)):
        fitted = fit_plausible(xs[codes == code], selection, settings)
        for row, n_components in enumerate(refitted_plausible(selection)):
            swaps.append((index, n_components, tuple(p[row] for p in fitted)))
    if not swaps:
        return [], (), []
    top = {c: max(s.plausible, default=0) for c, s in enumerate(selections)}
    at_edge = [k == top[c] and k > selections[c].n_components for c, k, _ in swaps]
    if len(swaps) <= SWAP_LIMIT:
        rows = [[swap] for swap in swaps]
    else:
        smallest, largest = {}, {}
        for swap in swaps:  # refitted_plausible lists each category's K in order
            smallest.setdefault(swap[0], swap)
            largest[swap[0]] = swap
        rows = [list(smallest.values()), list(largest.values())]
        at_edge = [False, any(at_edge)]
    n_max = max(max(s.params[0].shape[1] for s in selections),
                max(params[0].shape[0] for *_, params in swaps))
    batch = [np.repeat(np.stack([pad_components(s.params[i][0], n_max) for s in selections])[None],
                       len(rows), axis=0) for i in range(3)]
    for row, changes in enumerate(rows):
        for index, _, params in changes:
            for i in range(3):
                batch[i][row, index] = pad_components(params[i], n_max)
    values = categorical_mutual_information(tuple(batch), np.tile(shares, (len(rows), 1)),
                                            **settings.integration_kwargs(key))
    return (sorted({k for _, k, _ in swaps}), values,
            [v for v, edge in zip(values, at_edge) if edge])


def _label(value):
    """A JSON-friendly form of a category label."""
    return value.item() if isinstance(value, np.generic) else (
        value if isinstance(value, (str, int, float, bool)) else str(value))


def estimate_mi(x: ArrayLike, y: ArrayLike, *, categorical: bool = False, n_bootstrap: int = 50,
                seed: int = 0, unit: str = "nat", **settings) -> MIResult:
    """Mutual information between ``x`` and ``y`` with bootstrap uncertainty.

    Parameters
    ----------
    x : array-like of shape (n_samples,) or (n_samples, n_x)
        A continuous variable, or several: a vector (each column is rank-transformed on
        its own, which leaves MI unchanged).
    y : array-like of shape (n_samples,) or (n_samples, n_y)
        The same; or category labels (n_samples,) when ``categorical=True``.
    categorical : bool, default=False
    n_bootstrap : int, default=50
    seed : int, default=0
    unit : {"nat", "bit"}, default="nat"
    **settings
        Any other parameter of :class:`GMMMI` (n_inits, n_folds, selection, ...).

    Returns
    -------
    MIResult

    Examples
    --------
    >>> import numpy as np
    >>> from gmmmi import estimate_mi
    >>> rng = np.random.default_rng(0)
    >>> xy = rng.multivariate_normal([0, 0], [[1, 0.6], [0.6, 1]], size=2000)
    >>> r = estimate_mi(xy[:, 0], xy[:, 1])
    >>> print(r)
    MI = 0.228 ± 0.013 nat, 95% 0.202 to 0.253 (K=1, 50 bootstraps)
    >>> bool(r.low < -0.5 * np.log(1 - 0.6**2) < r.high)  # the truth: 0.223 nat
    True
    """
    estimator = GMMMI(categorical=categorical, n_bootstrap=n_bootstrap, seed=seed, unit=unit,
                      **_known(settings))
    return estimator.fit(x, y).result_


def _known(settings):
    make_settings(settings)  # raises a one-line ValueError on an unknown name
    return settings


def _prepare_columns(named, n_bootstrap, seed, unit, settings, vectors=()):
    """Settings, the finite rows of the variables' columns side by side, the rows dropped,
    and each variable's number of columns (``vectors``: the names that may have several)."""
    settings = check_options(n_bootstrap, seed, unit, **settings)
    check.same_index(named)
    arrays = {name: check.continuous(name, values, allow_columns=True)
              if name in vectors else check.continuous(name, values)[:, None]
              for name, values in named.items()}
    check.same_length(arrays)
    data = np.column_stack(list(arrays.values()))
    keep = np.isfinite(data).all(axis=1)
    return (settings, data[keep], int(len(data) - keep.sum()),
            {name: a.shape[1] for name, a in arrays.items()})


def _result(cls, outcome, quantity, unit, n_samples, n_dropped, settings, n_bootstrap, seed,
            **run):
    """The result object of an outcome: its values in ``unit``, with every setting used
    (and ``run``'s facts, e.g. ``categorical``). The one place results are made."""
    scale = UNITS[unit]
    return cls(value=outcome.value * scale, std=outcome.std * scale,
               bootstrap=outcome.bootstrap * scale, n_components=outcome.n_components,
               status=outcome.status, unit=unit, quantity=quantity, n_samples=n_samples,
               n_dropped=n_dropped, message=outcome.message,
               settings=dict(dataclasses.asdict(settings), n_bootstrap=n_bootstrap, seed=seed,
                             **run),
               details=outcome.details, low=outcome.low * scale, high=outcome.high * scale)


def conditional_mi(x: ArrayLike, y: ArrayLike, z: ArrayLike, *, n_bootstrap: int = 50,
                   seed: int = 0, unit: str = "nat", **settings) -> MIResult:
    """Conditional mutual information I(x; y | z) with bootstrap uncertainty.

    One mixture is fitted to the joint (x, y, z), each column standardised, and
    I(x; y | z) = H(x,z) + H(y,z) - H(z) - H(x,y,z) from its marginals.

    Parameters
    ----------
    x, y : array-like of shape (n_samples,) or (n_samples, n_columns)
        One variable each, or vectors of several.
    z : array-like of shape (n_samples,) or (n_samples, n_conditioning)
    n_bootstrap, seed, unit, **settings
        As for :func:`estimate_mi`.

    Returns
    -------
    MIResult
        With ``quantity="conditional_mi"``.

    Examples
    --------
    >>> import numpy as np
    >>> from gmmmi import conditional_mi
    >>> rng = np.random.default_rng(0)
    >>> z = rng.normal(size=1000)
    >>> x, y = z + rng.normal(size=1000), z + rng.normal(size=1000)  # related through z alone
    >>> r = conditional_mi(x, y, z, n_bootstrap=10)
    >>> bool(r.low <= 0.0 <= r.high or r.mi < 0.01)  # I(x; y | z) = 0
    True
    """
    settings, data, n_dropped, dims = _prepare_columns(
        {"x": x, "y": y, "z": z}, n_bootstrap, seed, unit, settings, vectors=("x", "y", "z"))
    needed = min_samples(data.shape[1], settings)
    n_xy = dims["x"] + dims["y"]
    if len(data) < needed:
        outcome = _too_few_outcome(len(data), needed)
    elif check.is_constant(data[:, :n_xy]):
        outcome = _constant_column({"x": data[:, :dims["x"]], "y": data[:, dims["x"]:n_xy]},
                                   n_bootstrap)
    elif check.is_constant(data[:, n_xy:]):
        outcome = _Outcome(status=status.CONSTANT, message="a column of z is constant")
    else:
        quantity = functools.partial(conditional_mutual_information, n_x=dims["x"],
                                     n_y=dims["y"])
        terms = conditional_mi_terms(data.shape[1], dims["x"], dims["y"])
        outcome = _fit_continuous(_spaces(data, settings, (int(seed),)), quantity,
                                  settings, n_bootstrap, (int(seed),),
                                  Resample((int(seed),), len(data)),
                                  functools.partial(pointwise_combination, terms=terms))[0]
        _note_ties(outcome, {"x": data[:, :dims["x"]], "y": data[:, dims["x"]:n_xy],
                             "z": data[:, n_xy:]}, outcome.details["transform"])
    return _result(MIResult, outcome, "conditional_mi", unit, len(data), n_dropped, settings,
                   n_bootstrap, int(seed))


def marginal_kl(x: ArrayLike, y: ArrayLike, *, n_bootstrap: int = 50, seed: int = 0,
                unit: str = "nat", **settings) -> KLResult:
    """KL divergence KL(p_x || p_y) between the marginals of a mixture fitted to (x, y).

    x and y are shifted and scaled together (pooled mean and standard deviation),
    which leaves the divergence unchanged; affine maps of one variable alone do
    change it.

    Parameters
    ----------
    x, y : array-like of shape (n_samples,)
        Paired samples of the two variables.
    n_bootstrap, seed, unit, **settings
        As for :func:`estimate_mi`.

    Returns
    -------
    KLResult

    Examples
    --------
    >>> import numpy as np
    >>> from gmmmi import marginal_kl
    >>> rng = np.random.default_rng(0)
    >>> x, y = rng.normal(0, 1, 2000), rng.normal(1, 1, 2000)
    >>> r = marginal_kl(x, y, n_bootstrap=10)
    >>> bool(abs(r.value - 0.5) < 0.1)  # KL(N(0, 1) || N(1, 1)) = 0.5 nat
    True
    """
    settings, data, n_dropped, _ = _prepare_columns({"x": x, "y": y}, n_bootstrap, seed,
                                                    unit, settings)
    needed = min_samples(2, settings)
    if len(data) < needed:
        outcome = _too_few_outcome(len(data), needed)
    elif check.is_constant(data):
        outcome = _Outcome(status=status.CONSTANT, message=(
            f"{'x' if np.ptp(data[:, 0]) == 0 else 'y'} is constant: the divergence is undefined"))
    else:
        pooled = check.standardise(data, pooled=True)
        outcome = _fit_continuous({"pooled": lambda: pooled}, marginal_kl_divergence,
                                  settings, n_bootstrap, (int(seed),),
                                  Resample((int(seed),), len(data)))[0]
    return _result(KLResult, outcome, "kl", unit, len(data), n_dropped, settings, n_bootstrap,
                   int(seed))
