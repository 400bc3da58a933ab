"""``GMMMI``, the scikit-learn-style estimator behind ``estimate_mi``, for those who also
want the fitted mixtures and the selection scores."""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING

import numpy as np
from sklearn.base import BaseEstimator

from . import validation as check
from .bootstrap import Resample
from .outcome import _at_least_members, _result, _within_entropy
from .prepare import _columns, _finite_rows
from .result import MIResult
from .routes import Routes
from .settings import SETTING_NAMES, check_options
from .spaces import transforms

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
        ``"t2"``) are tried too (``spaces.select_space``); ``details["marginals"]`` of
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
        routes = Routes(settings, self.n_samples_, self.n_dropped_)
        if self.categorical:
            outcome = routes.categorical(x, other, categories, key, resample)
        else:
            outcome = routes.detected(x, other, key, resample)
        self.n_samples_, self.n_dropped_ = routes.n_samples, routes.n_dropped
        self.mixture_, self.mixtures_ = routes.mixture, routes.mixtures
        self.cv_scores_, self.bootstrap_mixtures_ = routes.cv_scores, routes.bootstrap_mixtures
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
        self.marginals_ = outcome.details.get("marginals", transforms(settings)[0])
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
