"""``GMMMI``, the scikit-learn-style estimator behind ``estimate_mi``, for those who also
want the fitted mixtures and the selection scores."""

from __future__ import annotations

import functools
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
    refit_categories_bootstrap,
)
from .components import min_samples, pad_components
from .information import (
    categorical_mutual_information,
    categorical_pointwise,
    mi_terms,
    mutual_information,
    pointwise_combination,
    table_mutual_information,
)
from .mixture import Mixture
from .outcome import (
    _at_least_members,
    _categorical_alternatives,
    _constant_outcome,
    _fit_continuous,
    _interval_outcome,
    _Outcome,
    _result,
    _spaces,
    _too_few_outcome,
    _warn_status,
    _within_entropy,
)
from .prepare import _atom_codes, _columns, _constant_column, _finite_rows, _label, _note_ties
from .result import MIResult
from .settings import SETTING_NAMES, check_options
from .spaces import (
    select_category_space,
    transforms,
)

if TYPE_CHECKING:
    from numpy.typing import ArrayLike


# A vector's MI is checked against its members' (each column of x with each of y) when
# there are at most this many such pairs: each is one more pair fit, without bootstrap.
MEMBER_PAIRS = 16


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
        settings = check_options(self.unit, self.resample_seed,
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
            categorical=bool(self.categorical),
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
            functools.partial(mutual_information, n_x=x.shape[1]), settings, key, resample,
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
